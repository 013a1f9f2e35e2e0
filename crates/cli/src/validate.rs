//! `baton validate FILE`: every diagnostic of a definition, for people or as JSON.

use std::path::PathBuf;

use anyhow::Context;
use baton_asl::validate::{Diagnostic, Severity};
use clap::Args;

#[derive(Args)]
pub struct ValidateArgs {
    /// The definition (JSON; comments allowed).
    file: PathBuf,
    /// `json` prints the diagnostics as a JSON array.
    #[arg(long, default_value = "text")]
    output: String,
}

/// Parses and validates a definition file; the diagnostics, in document order.
pub fn check(text: &str) -> Vec<Diagnostic> {
    match baton_asl::parse::parse(text, true) {
        Err(d) => vec![d],
        Ok(doc) => baton_asl::validate::validate(&doc),
    }
}

pub fn render(path: &str, d: &Diagnostic) -> String {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "{path}:{}:{}: {sev} {}: {} (at {})",
        d.line, d.column, d.code, d.message, d.pointer
    )
}

pub fn main(args: ValidateArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let diagnostics = check(&text);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if args.output == "json" {
        println!("{}", serde_json::to_string_pretty(&diagnostics)?);
    } else {
        let name = args.file.display().to_string();
        for d in &diagnostics {
            println!("{}", render(&name, d));
        }
        if diagnostics.is_empty() {
            eprintln!("{name}: valid");
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}
