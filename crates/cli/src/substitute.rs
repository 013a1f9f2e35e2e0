//! `${Name}` placeholders in a definition, as `AWS::StepFunctions::StateMachine`'s (and SAM's)
//! `DefinitionSubstitutions` fill them (`baton_template::substitute`): `--substitutions FILE` (a JSON object of names and
//! values) and `--substitute NAME=VALUE` (repeatable; it wins over the file). Each
//! `${Name}` given is replaced in the definition's text; a value is written as JSON string
//! content (a quote or backslash in it is escaped), so a placeholder inside a JSON string stays
//! a valid string, and a number or `true` outside one stays that number or boolean.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::Value;

#[derive(Args, Default)]
pub struct Substitutions {
    /// A JSON object of `${Name}` placeholders and their values, as a template's
    /// `DefinitionSubstitutions` gives them.
    #[arg(long, value_name = "FILE")]
    substitutions: Option<PathBuf>,
    /// One placeholder's value, `NAME=VALUE` (repeatable; wins over `--substitutions`).
    #[arg(long = "substitute", value_name = "NAME=VALUE")]
    substitute: Vec<String>,
}

impl Substitutions {
    /// The names and values given, the file's first.
    fn values(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        if let Some(file) = &self.substitutions {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let Value::Object(map) = parsed else {
                bail!(
                    "{}: the substitutions must be a JSON object",
                    file.display()
                );
            };
            for (name, value) in map {
                let text = match value {
                    Value::String(s) => s,
                    Value::Number(_) | Value::Bool(_) => value.to_string(),
                    other => bail!(
                        "{}: the value of {name} must be a string, a number or a boolean, not {other}",
                        file.display()
                    ),
                };
                values.insert(name, text);
            }
        }
        for pair in &self.substitute {
            let Some((name, value)) = pair.split_once('=') else {
                bail!("--substitute {pair}: expected NAME=VALUE");
            };
            values.insert(name.trim().to_string(), value.to_string());
        }
        Ok(values)
    }

    /// `text` with every placeholder given replaced.
    pub fn apply(&self, text: String) -> anyhow::Result<String> {
        let values = self.values()?;
        if values.is_empty() {
            return Ok(text);
        }
        // The same replacement a template's `DefinitionSubstitutions` get.
        Ok(baton_template::substitute(&text, &values))
    }
}

/// The `${Name}` placeholders left in `text`, in order of first appearance.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        let plausible = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'));
        if plausible && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
        rest = &after[end.min(after.len())..];
    }
    found
}
