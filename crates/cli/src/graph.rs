//! `baton graph FILE [-o OUT] [--format svg|dot|mermaid]`: the state machine as a picture.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use baton_asl::validate::MachineType;
use baton_cli::exec::{load, LoadError};
use baton_graph::{layout, to_dot, to_mermaid, to_svg, Graph, Styles};
use clap::{Args, ValueEnum};

use crate::validate::render;

#[derive(Args)]
pub struct GraphArgs {
    /// The definition (JSON; comments allowed).
    file: PathBuf,
    /// Write the picture here instead of to stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Output format; by default from the extension of `-o` (`.svg`, `.dot`/`.gv`,
    /// `.mmd`/`.mermaid`), else SVG.
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Svg,
    Dot,
    Mermaid,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "svg" => Some(Format::Svg),
        "dot" | "gv" => Some(Format::Dot),
        "mmd" | "mermaid" => Some(Format::Mermaid),
        _ => None,
    }
}

pub fn main(args: GraphArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
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
                "cannot tell the format from {}; use --format svg|dot|mermaid",
                out.display()
            )
        })?,
        (None, None) => Format::Svg,
    };
    let graph = Graph::from_machine(&machine);
    let picture = match format {
        Format::Svg => to_svg(&layout(&graph), &Styles::default()),
        Format::Dot => to_dot(&graph),
        Format::Mermaid => to_mermaid(&graph),
    };
    match &args.output {
        Some(out) => std::fs::write(out, picture)
            .with_context(|| format!("cannot write {}", out.display()))?,
        None => std::io::stdout().lock().write_all(picture.as_bytes())?,
    }
    Ok(0)
}
