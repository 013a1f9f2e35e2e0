//! `baton validate FILE`: every diagnostic of a definition, for people or as JSON.
//!
//! For people, each diagnostic AWS words may carry a `help:` line of Baton's own: the state
//! name a transition probably meant, the field a misspelled one probably is, or the
//! placeholder a template leaves for `--substitute`/`--substitutions`. A transition to a
//! misspelled name makes AWS also report every state only it led to as not reachable; those
//! follow-on reports are left out when the suggested name would reach them (and counted).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;

use anyhow::Context;
use baton_asl::validate::{state_fields, Diagnostic, Severity};
use clap::Args;
use serde_json::Value;

use crate::substitute::{placeholders, Substitutions};

#[derive(Args)]
pub struct ValidateArgs {
    /// The definition (JSON; comments allowed).
    file: PathBuf,
    /// `json` prints the diagnostics as a JSON array.
    #[arg(long, default_value = "text")]
    output: String,
    #[command(flatten)]
    substitutions: Substitutions,
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
    let text = args.substitutions.apply(text)?;
    let diagnostics = check(&text);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if args.output == "json" {
        println!("{}", serde_json::to_string_pretty(&diagnostics)?);
    } else {
        let name = args.file.display().to_string();
        let doc = baton_asl::parse::parse(&text, true).ok().map(|d| d.value);
        let helper = doc.as_ref().map(Helper::new);
        let mut hidden = 0;
        for d in &diagnostics {
            if helper.as_ref().is_some_and(|h| h.follows_from_a_typo(d)) {
                hidden += 1;
                continue;
            }
            println!("{}", render(&name, d));
            if let Some(help) = helper.as_ref().and_then(|h| h.help(d)) {
                println!("  help: {help}");
            }
        }
        if hidden > 0 {
            println!(
                "  ({hidden} state(s) reported as not reachable only because of a misspelled \
                 transition: left out)"
            );
        }
        if diagnostics.is_empty() {
            eprintln!("{name}: valid");
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

/// A JSON pointer's member, escaped (`~0`, `~1`).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The closest of `candidates` to `word`, if close enough to be a typo of it.
fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, c)| c)
}

/// One set of states (the machine's, a Parallel branch's, a Map processor's): where it is and
/// what its states are named.
struct Scope<'a> {
    /// The pointer of its `States` object (`/States`, `/States/P/Branches/0/States`).
    states_pointer: String,
    set: &'a serde_json::Map<String, Value>,
    names: Vec<&'a str>,
    /// Its `StartAt`.
    start: Option<&'a str>,
}

/// What the document says beyond the diagnostics: its scopes and where each typo leads.
struct Helper<'a> {
    doc: &'a Value,
    scopes: Vec<Scope<'a>>,
    /// Per scope, the states reachable once each misspelled target is read as its suggestion.
    reachable: HashMap<String, BTreeSet<&'a str>>,
}

impl<'a> Helper<'a> {
    fn new(doc: &'a Value) -> Helper<'a> {
        let mut scopes = Vec::new();
        collect(doc, "", &mut scopes, 0);
        let mut reachable = HashMap::new();
        for scope in &scopes {
            reachable.insert(scope.states_pointer.clone(), reach(scope));
        }
        Helper {
            doc,
            scopes,
            reachable,
        }
    }

    /// The scope whose `States` holds the member `pointer` names (`…/States/X` or deeper).
    fn scope_of(&self, pointer: &str) -> Option<&Scope<'a>> {
        self.scopes
            .iter()
            .filter(|s| pointer.starts_with(&format!("{}/", s.states_pointer)))
            .max_by_key(|s| s.states_pointer.len())
    }

    fn help(&self, d: &Diagnostic) -> Option<String> {
        let value = self.doc.pointer(&d.pointer);
        if let Some(Value::String(text)) = value {
            if let Some(name) = placeholders(text).first() {
                return Some(format!(
                    "${{{name}}} is a template placeholder left unfilled: give its value with \
                     --substitute {name}=VALUE, or all of a template's with --substitutions FILE \
                     (a JSON object of names and values)"
                ));
            }
        }
        if d.code == "MISSING_TRANSITION_TARGET" {
            let Some(Value::String(target)) = value else {
                return None;
            };
            let scope = self.scope_of(&d.pointer)?;
            return closest(target, scope.names.iter().copied())
                .map(|n| format!("did you mean '{n}'?"));
        }
        let field = d
            .message
            .strip_prefix("Field '")
            .and_then(|m| m.strip_suffix("' is not supported"))?;
        let state_type = value?.get("Type")?.as_str()?;
        closest(field, state_fields(state_type)).map(|f| format!("did you mean '{f}'?"))
    }

    /// A "not reachable" report for a state that a suggested name would reach.
    fn follows_from_a_typo(&self, d: &Diagnostic) -> bool {
        if !d.message.ends_with("is not reachable.") {
            return false;
        }
        let Some(scope) = self.scope_of(&d.pointer) else {
            return false;
        };
        let name = &d.pointer[scope.states_pointer.len() + 1..];
        self.reachable
            .get(&scope.states_pointer)
            .is_some_and(|r| r.iter().any(|n| escape(n) == name))
    }
}

/// Every state set under `value` (at `pointer`), nested ones too.
fn collect<'a>(value: &'a Value, pointer: &str, out: &mut Vec<Scope<'a>>, depth: usize) {
    if depth > 64 {
        return;
    }
    let Some(Value::Object(set)) = value.get("States") else {
        return;
    };
    let states_pointer = format!("{pointer}/States");
    out.push(Scope {
        states_pointer: states_pointer.clone(),
        set,
        names: set.keys().map(String::as_str).collect(),
        start: value.get("StartAt").and_then(Value::as_str),
    });
    for (name, state) in set {
        let at = format!("{states_pointer}/{}", escape(name));
        if let Some(Value::Array(branches)) = state.get("Branches") {
            for (i, branch) in branches.iter().enumerate() {
                collect(branch, &format!("{at}/Branches/{i}"), out, depth + 1);
            }
        }
        for processor in ["ItemProcessor", "Iterator"] {
            if let Some(p) = state.get(processor) {
                collect(p, &format!("{at}/{processor}"), out, depth + 1);
            }
        }
    }
}

/// The states of `scope` reachable from its start when every misspelled target (and `Next`
/// field) is read as the one it is closest to.
fn reach<'a>(scope: &Scope<'a>) -> BTreeSet<&'a str> {
    let resolve = |target: &str| -> Option<&'a str> {
        scope
            .names
            .iter()
            .copied()
            .find(|n| *n == target)
            .or_else(|| closest(target, scope.names.iter().copied()))
    };
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::new();
    queue.extend(scope.start.and_then(resolve));
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name) {
            continue;
        }
        let Some(state) = scope.set.get(name) else {
            continue;
        };
        let mut targets: Vec<&str> = Vec::new();
        // `Next` and `Default`, or a misspelling of either (`Nxt`).
        if let Value::Object(fields) = state {
            for (key, value) in fields {
                let transition = ["Next", "Default"].contains(&key.as_str())
                    || closest(key, ["Next", "Default"]).is_some();
                if transition {
                    targets.extend(value.as_str());
                }
            }
        }
        for list in ["Choices", "Catch"] {
            if let Some(Value::Array(items)) = state.get(list) {
                targets.extend(items.iter().filter_map(|i| i.get("Next")?.as_str()));
            }
        }
        queue.extend(targets.into_iter().filter_map(resolve));
    }
    seen
}
