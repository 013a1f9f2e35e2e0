//! `baton graph FILE [-o OUT] [--format svg|png|dot|mermaid]`: the state machine as a picture.
//! PNG is the SVG rasterised in-process (resvg), its text drawn with the system's fonts.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use baton_asl::validate::MachineType;
use baton_cli::exec::{load, LoadError};
use baton_graph::{layout, to_dot, to_mermaid, to_svg, Graph, Styles};
use clap::{Args, ValueEnum};
use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use crate::validate::render;

#[derive(Args)]
pub struct GraphArgs {
    /// The definition (JSON; comments allowed).
    file: PathBuf,
    /// Write the picture here instead of to stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format; by default from the extension of `-o` (`.svg`, `.png`, `.dot`/`.gv`,
    /// `.mmd`/`.mermaid`), else SVG. PNG is drawn at twice the SVG's size, on white, with the
    /// system's fonts.
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    substitutions: crate::substitute::Substitutions,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Svg,
    Png,
    Dot,
    Mermaid,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "svg" => Some(Format::Svg),
        "png" => Some(Format::Png),
        "dot" | "gv" => Some(Format::Dot),
        "mmd" | "mermaid" => Some(Format::Mermaid),
        _ => None,
    }
}

pub fn main(args: GraphArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let text = args.substitutions.apply(text)?;
    let name = args.file.display().to_string();
    // Diagnostics go to stderr: stdout may be the picture.
    let machine = match load(&text, true, MachineType::Standard) {
        Ok((machine, warnings)) => {
            for d in &warnings {
                eprintln!("{}", render(&name, d));
            }
            machine
        }
        Err(LoadError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                eprintln!("{}", render(&name, d));
            }
            return Ok(1);
        }
        Err(LoadError::Model(e)) => {
            eprintln!("{name}: error: {e}");
            return Ok(1);
        }
    };
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, Some(out)) => format_of(out).with_context(|| {
            format!(
                "cannot tell the format from {}; use --format svg|png|dot|mermaid",
                out.display()
            )
        })?,
        (None, None) => Format::Svg,
    };
    let graph = Graph::from_machine(&machine);
    let picture = match format {
        Format::Svg => to_svg(&layout(&graph), &Styles::default()).into_bytes(),
        Format::Png => png(&to_svg(&layout(&graph), &Styles::default()))?,
        Format::Dot => to_dot(&graph).into_bytes(),
        Format::Mermaid => to_mermaid(&graph).into_bytes(),
    };
    match &args.output {
        Some(out) => std::fs::write(out, picture)
            .with_context(|| format!("cannot write {}", out.display()))?,
        None => std::io::stdout().lock().write_all(&picture)?,
    }
    Ok(0)
}

/// How much larger than the SVG's own size the PNG is drawn: sharp on high-density screens.
const PNG_SCALE: f32 = 2.0;

/// Families for the generic `sans-serif` and `monospace` when the system's font configuration
/// names none that is installed; the first installed one wins.
const SANS_FAMILIES: &[&str] = &[
    "DejaVu Sans",
    "Liberation Sans",
    "Noto Sans",
    "Arial",
    "Helvetica",
    "FreeSans",
];
const MONO_FAMILIES: &[&str] = &[
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Noto Sans Mono",
    "Courier New",
    "FreeMono",
];

/// The system's fonts, with generic families that name installed ones; an error when there is
/// no font at all (a picture without its state names is no picture).
fn system_fonts() -> anyhow::Result<fontdb::Database> {
    let mut fonts = fontdb::Database::new();
    fonts.load_system_fonts();
    let Some(any) = fonts
        .faces()
        .find_map(|face| face.families.first().map(|(name, _)| name.clone()))
    else {
        anyhow::bail!(
            "cannot draw the PNG's text: no fonts found on this system (install a TrueType or \
             OpenType font, such as Debian's fonts-dejavu-core, or write SVG instead)"
        );
    };
    let installed = |family: &str| {
        fonts
            .faces()
            .any(|face| face.families.iter().any(|(name, _)| name == family))
    };
    let pick = |generic: fontdb::Family, preferred: &[&str]| -> Option<String> {
        std::iter::once(fonts.family_name(&generic))
            .chain(preferred.iter().copied())
            .find(|family| installed(family))
            .map(str::to_string)
    };
    let sans = pick(fontdb::Family::SansSerif, SANS_FAMILIES).unwrap_or(any);
    let mono = pick(fontdb::Family::Monospace, MONO_FAMILIES).unwrap_or_else(|| sans.clone());
    fonts.set_sans_serif_family(sans.as_str());
    fonts.set_serif_family(sans.as_str());
    fonts.set_monospace_family(mono);
    Ok(fonts)
}

/// The SVG drawn as a PNG, [`PNG_SCALE`] times its size, on white.
fn png(svg: &str) -> anyhow::Result<Vec<u8>> {
    let fonts = system_fonts()?;
    let options = usvg::Options {
        font_family: fonts.family_name(&fontdb::Family::SansSerif).to_string(),
        fontdb: std::sync::Arc::new(fonts),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).context("cannot read the SVG to draw it")?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(PNG_SCALE)
        .context("the picture has no size")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .context("the picture is too large to draw")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().context("cannot encode the PNG")
}
