//! `baton graph` end to end: SVG to a file, DOT to stdout, the format from `-o`'s extension,
//! an invalid definition (diagnostics on stderr, exit code 1), the SVG drawn by ImageMagick's own
//! renderer (which reads no CSS) with its state names legible, and PNG with its text drawn.
//!
//! The ImageMagick test needs `magick` or `convert` (Debian's `imagemagick`, which `.ci/run`
//! installs); without it the test says why it skips, and fails under `BATON_CI_STRICT=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use resvg::{tiny_skia, usvg};
use support::{baton, example, Ran};

/// `baton graph examples/hello.asl.json -o DIR/FILE`, which must succeed: the file's path and
/// what the command printed.
fn hello_to(dir: &Path, file: &str) -> (PathBuf, Ran) {
    let out = dir.join(file);
    let r = baton(&[
        "graph",
        &example("hello.asl.json"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    (out, r)
}

#[test]
fn svg_to_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, r) = hello_to(dir.path(), "hello.svg");
    assert!(r.stdout.is_empty(), "nothing on stdout: {}", r.stdout);
    let svg = std::fs::read_to_string(&out).expect("written");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    for state in [
        "Greet",
        "PriceEach",
        "IsBig",
        "NeedsApproval",
        "Settle",
        "Summary",
    ] {
        assert!(
            svg.contains(&format!("data-state=\"{state}\"")),
            "{state} drawn"
        );
    }
}

#[test]
fn dot_to_stdout() {
    let r = baton(&["graph", &example("hello.asl.json"), "--format", "dot"]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert!(r.stdout.starts_with("digraph \"state machine\" {"));
    assert!(r.stdout.contains("subgraph cluster_"));
    assert!(r.stdout.contains("label=\"$.total > 1000\""));
}

#[test]
fn format_from_the_extension() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, _) = hello_to(dir.path(), "hello.mmd");
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(text.starts_with("flowchart TD\n"));
    // Without -o or --format: SVG on stdout.
    let r = baton(&["graph", &example("hello.asl.json")]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("<svg"));
    // An extension that says nothing is an error, not a guess.
    let r = baton(&["graph", &example("hello.asl.json"), "-o", "picture.gif"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--format"), "{}", r.stderr);
}

#[test]
fn invalid_definition_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.asl.json");
    std::fs::write(
        &file,
        "{\n  // a comment is fine\n  \"StartAt\": \"A\",\n  \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"}}\n}\n",
    )
    .expect("written");
    let r = baton(&["graph", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "no picture: {}", r.stdout);
    assert!(r.stderr.contains("bad.asl.json:4:"), "{}", r.stderr);
    assert!(r.stderr.contains("error"), "{}", r.stderr);
}

/// The states of `examples/hello.asl.json`.
const HELLO_STATES: [&str; 7] = [
    "Greet",
    "PriceEach",
    "IsBig",
    "NeedsApproval",
    "Standard",
    "Settle",
    "Summary",
];

/// An RGB picture, one byte per channel.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Picture {
    fn luma(&self, x: usize, y: usize) -> u32 {
        let i = 3 * (y * self.width + x);
        let [r, g, b] = [0, 1, 2].map(|c| u32::from(self.rgb[i + c]));
        (299 * r + 587 * g + 114 * b) / 1000
    }

    /// Every point of the area `(x0, y0)`–`(x1, y1)`, cut to the picture.
    fn points(&self, (x0, y0, x1, y1): Area) -> impl Iterator<Item = (usize, usize)> {
        let clamp = |v: f64, max: usize| (v.max(0.0) as usize).min(max);
        let (x0, x1) = (clamp(x0, self.width), clamp(x1, self.width));
        let (y0, y1) = (clamp(y0, self.height), clamp(y1, self.height));
        (y0..y1).flat_map(move |y| (x0..x1).map(move |x| (x, y)))
    }

    /// Whether the area shows text: dark strokes on a light ground, unlike a render without
    /// the text (`blank`) in at least a few dozen points.
    fn text_in(&self, blank: &Picture, area: Area) -> Result<(), String> {
        let lumas: Vec<u32> = self.points(area).map(|(x, y)| self.luma(x, y)).collect();
        let dark = lumas.iter().filter(|&&l| l < 110).count();
        let light = lumas.iter().filter(|&&l| l > 200).count();
        let changed = self
            .points(area)
            .filter(|&(x, y)| self.luma(x, y).abs_diff(blank.luma(x, y)) > 60)
            .count();
        if dark >= 10 && light >= 10 && changed >= 30 {
            Ok(())
        } else {
            Err(format!(
                "{} points: {dark} dark, {light} light, {changed} unlike the render without text",
                lumas.len()
            ))
        }
    }
}

/// `(x0, y0, x1, y1)`.
type Area = (f64, f64, f64, f64);

/// Where each state's name is written in the SVG, scaled by `scale`: the box its text takes
/// (13px type, under 9px a character), found from the `<text class="name">` element.
fn name_areas(svg: &str, scale: f64) -> Vec<(String, Area)> {
    let re = regex::Regex::new(r#"<text class="name" x="([\d.]+)" y="([\d.]+)"( text-anchor="middle")?[^>]*>([^<]+)</text>"#)
        .expect("pattern");
    re.captures_iter(svg)
        .map(|c| {
            let (x, y): (f64, f64) = (c[1].parse().unwrap(), c[2].parse().unwrap());
            let name = c[4].to_string();
            let w = 9.0 * name.chars().count() as f64;
            let x0 = if c.get(3).is_some() { x - w / 2.0 } else { x };
            let area = (
                x0 * scale,
                (y - 12.0) * scale,
                (x0 + w) * scale,
                (y + 3.0) * scale,
            );
            (name, area)
        })
        .collect()
}

/// The SVG without its `<text>` elements: the same picture with nothing written on it.
fn without_text(svg: &str) -> String {
    regex::Regex::new(r"<text[^>]*>[^<]*</text>")
        .expect("pattern")
        .replace_all(svg, "")
        .into_owned()
}

/// ImageMagick's command, `magick` (7) or `convert` (6), when one is installed.
fn imagemagick() -> Option<&'static str> {
    ["magick", "convert"].into_iter().find(|command| {
        Command::new(command)
            .arg("-version")
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("ImageMagick"))
    })
}

/// `svg` drawn by ImageMagick's own SVG renderer (`MSVG:`, in every build; it reads
/// presentation attributes and no CSS), on white, as RGB.
fn imagemagick_draws(command: &str, svg: &Path) -> Picture {
    let out = Command::new(command)
        .arg(format!("MSVG:{}", svg.display()))
        .args(["-background", "white", "-flatten", "-depth", "8", "ppm:-"])
        .output()
        .expect("ImageMagick runs");
    assert!(
        out.status.success(),
        "ImageMagick failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_ppm(&out.stdout)
}

/// A binary PPM (`P6`, 8 bits).
fn read_ppm(bytes: &[u8]) -> Picture {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(
            std::str::from_utf8(&bytes[start..at])
                .expect("PPM header")
                .to_string(),
        );
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P6", "255"));
    let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let rgb = bytes[at + 1..].to_vec();
    assert_eq!(rgb.len(), 3 * width * height, "PPM size");
    Picture { width, height, rgb }
}

/// A pixmap's colours (it is opaque: drawn on white).
fn picture_of(pixmap: &tiny_skia::Pixmap) -> Picture {
    let rgb = pixmap
        .pixels()
        .iter()
        .flat_map(|p| [p.red(), p.green(), p.blue()])
        .collect();
    Picture {
        width: pixmap.width() as usize,
        height: pixmap.height() as usize,
        rgb,
    }
}

/// The SVG written by `baton graph -o g.svg`, drawn by ImageMagick without CSS, shows every
/// state's name: in each name's place, dark type on a light box, where the same picture without
/// its texts has none. (A picture styled only by CSS is drawn by this renderer as black boxes.)
#[test]
fn svg_drawn_by_imagemagick_shows_the_names() {
    let Some(command) = imagemagick() else {
        support::skip("ImageMagick (magick or convert) is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, _) = hello_to(dir.path(), "g.svg");
    let svg = std::fs::read_to_string(&out).expect("written");
    let blank_file = dir.path().join("blank.svg");
    std::fs::write(&blank_file, without_text(&svg)).expect("written");
    let drawn = imagemagick_draws(command, &out);
    let blank = imagemagick_draws(command, &blank_file);
    assert_eq!((drawn.width, drawn.height), (blank.width, blank.height));
    let areas = name_areas(&svg, 1.0);
    let names: Vec<&str> = areas.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.len(), HELLO_STATES.len(), "{names:?}");
    for (name, area) in areas {
        if let Err(why) = drawn.text_in(&blank, area) {
            panic!("{name} is not legible in ImageMagick's drawing at {area:?}: {why}");
        }
    }
}

/// `--format png` (and `-o g.png`): a PNG twice the SVG's size, every state's name drawn in its
/// place (unlike a render of the same SVG without its texts), the same bytes on stdout.
#[test]
fn png_with_its_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, _) = hello_to(dir.path(), "g.png");
    let bytes = std::fs::read(&out).expect("written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    let png = tiny_skia::Pixmap::decode_png(&bytes).expect("a PNG that decodes");

    let svg = baton(&["graph", &example("hello.asl.json")]).stdout;
    let size = regex::Regex::new(r#"width="([\d.]+)" height="([\d.]+)""#)
        .unwrap()
        .captures(&svg)
        .map(|c| (c[1].parse::<f64>().unwrap(), c[2].parse::<f64>().unwrap()))
        .expect("the SVG's size");
    assert_eq!(
        (png.width(), png.height()),
        ((2.0 * size.0.ceil()) as u32, (2.0 * size.1.ceil()) as u32)
    );
    assert!(png.width() > 400 && png.height() > 1000, "hello is tall");

    // The same picture without its texts, drawn the same way (no font needed).
    let tree = usvg::Tree::from_str(&without_text(&svg), &usvg::Options::default()).unwrap();
    let mut blank = tiny_skia::Pixmap::new(png.width(), png.height()).unwrap();
    blank.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(2.0, 2.0),
        &mut blank.as_mut(),
    );
    let (drawn, blank) = (picture_of(&png), picture_of(&blank));
    let areas = name_areas(&svg, 2.0);
    assert_eq!(areas.len(), HELLO_STATES.len());
    for (name, area) in areas {
        if let Err(why) = drawn.text_in(&blank, area) {
            panic!("{name} is not drawn in the PNG at {area:?}: {why}");
        }
    }
    // Outside the texts, the PNG is that picture: the boxes and edges are where the SVG says.
    let same = drawn
        .rgb
        .iter()
        .zip(&blank.rgb)
        .filter(|(a, b)| a.abs_diff(**b) < 8)
        .count();
    assert!(
        same * 100 > drawn.rgb.len() * 90,
        "{same} of {}",
        drawn.rgb.len()
    );

    let r = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["graph", &example("hello.asl.json"), "--format", "png"])
        .output()
        .expect("baton runs");
    assert!(r.status.success());
    assert_eq!(r.stdout, bytes, "stdout and -o give the same PNG");
}

/// No font at all: a clear error, not a picture without its names.
#[cfg(target_os = "linux")]
#[test]
fn png_without_fonts_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("fonts");
    std::fs::create_dir(&empty).unwrap();
    let config = dir.path().join("fonts.conf");
    std::fs::write(
        &config,
        format!(
            "<?xml version=\"1.0\"?>\n<fontconfig><dir>{}</dir></fontconfig>\n",
            empty.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("g.png");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "graph",
            &example("hello.asl.json"),
            "-o",
            out.to_str().unwrap(),
        ])
        .env("FONTCONFIG_FILE", &config)
        .output()
        .expect("baton runs");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no fonts found"), "{stderr}");
    assert!(stderr.contains("fonts-dejavu-core"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}
