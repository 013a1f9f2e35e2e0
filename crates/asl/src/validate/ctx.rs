//! The validation context: where we are in the definition (pointer and AWS location), the
//! diagnostics found so far, and the machine-wide facts (state names, query language).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{Diagnostic, MachineType, Options, Severity};
use crate::parse::{escape_pointer_token, Document};

pub(super) const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";
pub(super) const MISSING_TARGET: &str = "MISSING_TRANSITION_TARGET";
pub(super) const DUPLICATE_STATE_NAME: &str = "DUPLICATE_STATE_NAME";
pub(super) const INVALID_STATE_NAME: &str = "INVALID_STATE_NAME";
pub(super) const INVALID_LABEL_NAME: &str = "INVALID_LABEL_NAME";
pub(super) const MISSING_END_STATE: &str = "MISSING_END_STATE";
pub(super) const TOO_DEEPLY_NESTED: &str = "TOO_DEEPLY_NESTED";

/// The query language of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ql {
    JsonPath,
    Jsonata,
}

impl Ql {
    pub(super) fn name(self) -> &'static str {
        match self {
            Ql::JsonPath => "JSONPath",
            Ql::Jsonata => "JSONata",
        }
    }
}

/// A place in the definition: its JSON pointer and AWS's location string for it.
#[derive(Debug, Clone, Default)]
pub(super) struct Loc {
    pub pointer: String,
    location: String,
}

impl Loc {
    pub(super) fn root() -> Loc {
        Loc::default()
    }

    pub(super) fn key(&self, key: &str) -> Loc {
        Loc {
            pointer: format!("{}/{}", self.pointer, escape_pointer_token(key)),
            location: format!("{}/{}", self.location, key),
        }
    }

    pub(super) fn index(&self, i: usize) -> Loc {
        Loc {
            pointer: format!("{}/{}", self.pointer, i),
            location: format!("{}[{}]", self.location, i),
        }
    }

    /// AWS's location: `/` for the root.
    pub(super) fn aws(&self) -> String {
        if self.location.is_empty() {
            "/".to_string()
        } else {
            self.location.clone()
        }
    }
}

/// Where a diagnostic goes when sorted: the positions of the sub-machines (Parallel branches,
/// Map item processors) it is inside, then its own. A scope's own findings (unreachable states,
/// a missing terminal state) come after everything inside the scope, as AWS lists them.
type SortKey = Vec<(u32, u32)>;

const SCOPE_END: (u32, u32) = (u32::MAX, u32::MAX);

pub(super) struct Ctx<'a> {
    doc: &'a Document,
    pub options: &'a Options,
    diags: Vec<(SortKey, Diagnostic)>,
    /// Positions of the sub-machines being checked, outermost first.
    scopes: Vec<(u32, u32)>,
    /// Every state name seen so far in the whole machine, for DUPLICATE_STATE_NAME.
    pub names: HashSet<String>,
    /// Pointers of repeated keys, by the pointer of the object holding them.
    duplicates: HashMap<String, Vec<String>>,
    /// The machine's top-level query language.
    pub top_ql: Ql,
}

/// How a diagnostic is placed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// At its own position, with AWS's location.
    At,
    /// At its own position, without a location (AWS gives none).
    Unlocated,
    /// After everything else in the current scope, with AWS's location.
    ScopeEnd,
    /// After everything else in the current scope, without a location.
    ScopeEndUnlocated,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(doc: &'a Document, options: &'a Options) -> Ctx<'a> {
        let mut duplicates: HashMap<String, Vec<String>> = HashMap::new();
        for p in &doc.duplicate_keys {
            if let Some(i) = p.rfind('/') {
                duplicates
                    .entry(p[..i].to_string())
                    .or_default()
                    .push(p[i + 1..].to_string());
            }
        }
        Ctx {
            doc,
            options,
            diags: Vec::new(),
            scopes: Vec::new(),
            names: HashSet::new(),
            duplicates,
            top_ql: Ql::JsonPath,
        }
    }

    pub(super) fn express(&self) -> bool {
        self.options.machine_type == MachineType::Express
    }

    /// The escaped keys repeated in the object at `loc`.
    pub(super) fn duplicate_keys(&self, loc: &Loc) -> Vec<String> {
        self.duplicates
            .get(&loc.pointer)
            .cloned()
            .unwrap_or_default()
    }

    /// Diagnostics found until [`Ctx::leave_scope`] belong to the sub-machine at `loc`.
    pub(super) fn enter_scope(&mut self, loc: &Loc) {
        let at = self.doc.position(&loc.pointer);
        self.scopes.push(at);
    }

    pub(super) fn leave_scope(&mut self) {
        self.scopes.pop();
    }

    pub(super) fn emit(
        &mut self,
        code: &'static str,
        severity: Severity,
        loc: &Loc,
        place: Place,
        message: String,
    ) {
        let (line, column) = self.doc.position(&loc.pointer);
        let mut key = self.scopes.clone();
        key.push(match place {
            Place::At | Place::Unlocated => (line, column),
            Place::ScopeEnd | Place::ScopeEndUnlocated => SCOPE_END,
        });
        let located = matches!(place, Place::At | Place::ScopeEnd);
        self.diags.push((
            key,
            Diagnostic {
                code,
                severity,
                pointer: loc.pointer.clone(),
                location: located.then(|| loc.aws()),
                line,
                column,
                message,
            },
        ));
    }

    pub(super) fn push(&mut self, code: &'static str, loc: &Loc, place: Place, message: String) {
        self.emit(code, Severity::Error, loc, place, message);
    }

    pub(super) fn warn(&mut self, code: &'static str, loc: &Loc, message: String) {
        self.emit(code, Severity::Warning, loc, Place::At, message);
    }

    pub(super) fn error(&mut self, code: &'static str, loc: &Loc, message: String) {
        self.push(code, loc, Place::At, message);
    }

    pub(super) fn schema(&mut self, loc: &Loc, message: String) {
        self.push(SCHEMA, loc, Place::At, message);
    }

    /// A value of the wrong JSON type, as AWS words it (`Expected value of type [STRING]`).
    pub(super) fn wrong_type(&mut self, loc: &Loc, json_type: &str) {
        self.schema(loc, format!("Expected value of type [{json_type}]"));
    }

    /// How many errors have been found so far.
    pub(super) fn count(&self) -> usize {
        self.diags
            .iter()
            .filter(|(_, d)| d.severity == Severity::Error)
            .count()
    }

    /// Diagnostics in document order; those at the same place keep the order found.
    pub(super) fn finish(mut self) -> Vec<Diagnostic> {
        self.diags.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<Diagnostic> = self.diags.into_iter().map(|(_, d)| d).collect();
        out.dedup();
        out
    }
}

/// The order in which `java.util.HashSet<String>` (default capacity) iterates `names`: AWS lists
/// missing fields that way (`These fields are required: [States, StartAt]`).
pub(super) fn java_hash_order<'n>(names: &[&'n str]) -> Vec<&'n str> {
    let mut capacity = 16usize;
    while names.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |s: &str| {
        let h = s
            .encode_utf16()
            .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut out: Vec<&str> = names.to_vec();
    out.sort_by_key(|s| bucket(s));
    out
}

/// `[A, B]`, as Java prints a collection.
pub(super) fn list(names: &[&str]) -> String {
    format!("[{}]", names.join(", "))
}

/// Reports the members of `required` that `obj` lacks.
pub(super) fn require(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, required: &[&str]) {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| !obj.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        let ordered = java_hash_order(&missing);
        cx.schema(
            loc,
            format!("These fields are required: {}", list(&ordered)),
        );
    }
}

/// Reports every member of `obj` that `allowed` does not list.
pub(super) fn only(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, allowed: &[&str]) {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            cx.schema(loc, format!("Field '{key}' is not supported"));
        }
    }
}

/// Reports each pair of mutually exclusive members that are both present.
pub(super) fn exclusive(cx: &mut Ctx<'_>, obj: &Map<String, Value>, loc: &Loc, group: &[&str]) {
    let present: Vec<&str> = group
        .iter()
        .copied()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if present.len() > 1 {
        cx.schema(
            loc,
            format!("These fields are mutually exclusive: {}", list(&present)),
        );
    }
}

/// Reports when none of `group` is present.
pub(super) fn one_of_required(
    cx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    loc: &Loc,
    group: &[&str],
) {
    if !group.iter().any(|k| obj.contains_key(*k)) {
        cx.schema(
            loc,
            format!("Exactly one of these fields is required: {}", list(group)),
        );
    }
}
