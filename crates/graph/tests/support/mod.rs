//! Shared by the graph tests: loading definitions as `baton validate` does, snapshot files,
//! and the seed workflows.

#![allow(dead_code)] // each test file uses its own part of this module

use std::path::{Path, PathBuf};

use baton_asl::model::StateMachine;
use baton_asl::validate::Severity;

/// Parses (comments allowed), validates and builds a definition; panics with the diagnostics
/// when it is not valid.
pub fn machine(text: &str) -> StateMachine {
    let doc = baton_asl::parse::parse(text, true)
        .unwrap_or_else(|d| panic!("does not parse: {} at {}:{}", d.message, d.line, d.column));
    let errors: Vec<String> = baton_asl::validate::validate(&doc)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{} {} (at {})", d.code, d.message, d.pointer))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid definition:\n{}",
        errors.join("\n")
    );
    StateMachine::from_value(&doc.value).expect("model builds")
}

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `actual` with `tests/snapshots/<name>` byte for byte; `BATON_UPDATE_SNAPSHOTS=1`
/// writes it instead.
pub fn snapshot(name: &str, actual: &str) {
    let path = snapshot_dir().join(name);
    if std::env::var("BATON_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(snapshot_dir()).expect("snapshot folder");
        std::fs::write(&path, actual).expect("snapshot written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with BATON_UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "snapshot {} differs from line {}:\n  expected: {}\n  actual:   {}\n\
             (BATON_UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// `../shared/seeds` next to the repository, or `None` with the reason printed (a failure
/// under `BATON_CI_STRICT=1`).
pub fn seeds_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!("seed workflows not found at {}; skipped", dir.display());
    assert!(
        std::env::var("BATON_CI_STRICT").as_deref() != Ok("1"),
        "{msg} (BATON_CI_STRICT=1 forbids skips)"
    );
    eprintln!("{msg}");
    None
}

/// The seed file whose name starts with `prefix` (`000_`).
pub fn seed_file(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    names.sort();
    names.into_iter().next()
}

/// Every fenced code block of a Markdown text that is a whole state machine definition
/// (JSON, comments allowed, with `StartAt` and `States`), in order.
pub fn definitions_in(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        let fence = line.trim_start().starts_with("```");
        match (&mut block, fence) {
            (None, true) => block = Some(Vec::new()),
            (Some(lines), true) => {
                let text = lines.join("\n");
                block = None;
                if let Ok(doc) = baton_asl::parse::parse(&text, true) {
                    let v = &doc.value;
                    if v.get("StartAt").is_some() && v.get("States").is_some() {
                        out.push(text);
                    }
                }
            }
            (Some(lines), false) => lines.push(line),
            (None, false) => {}
        }
    }
    out
}

/// `${Name}` placeholders (SAM definition substitutions) filled with a Lambda ARN, so a
/// template's definition validates.
pub fn substitute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        match rest[at..].find('}') {
            Some(end) => {
                let name = &rest[at + 2..at + end];
                out.push_str(&format!(
                    "arn:aws:lambda:us-east-1:123456789012:function:{name}"
                ));
                rest = &rest[at + end + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
