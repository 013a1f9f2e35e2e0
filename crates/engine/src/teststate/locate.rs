//! Turning the `definition` into the model and finding the state under test: a lone state is
//! wrapped in a one-state machine whose missing transition targets are stand-ins, a whole
//! machine is searched (nested branches and item processors too) for `stateName`.

use std::sync::Arc;

use baton_asl::model::{State, StateKind, StateMachine, StateSet};
use baton_asl::parse;
use baton_asl::validate::{invalid_definition_message, validate_state, validate_with, Options};
use serde_json::{json, Map, Value};

use super::types::TestStateError;
use crate::execution::Execution;

/// The name AWS gives the tested state in the context object (`$$.State.Name`), whether it
/// came alone or out of a whole machine.
pub(crate) const CONTEXT_STATE_NAME: &str = "StateName";

/// Deepest nesting of Parallel/Map scopes searched for `stateName` (the model builder refuses
/// deeper definitions anyway).
const MAX_DEPTH: usize = 64;

/// The tested state inside the model built for it.
pub(crate) struct Located {
    pub machine: Arc<StateMachine>,
    /// Parallel/Map steps from the top level to the set holding the state.
    pub set_path: Vec<(u32, u32)>,
    pub index: usize,
}

impl Located {
    pub fn set(&self) -> &StateSet {
        Execution::set_of(&self.machine, &self.set_path)
    }

    pub fn state(&self) -> &State {
        &self.set().states[self.index]
    }
}

/// Parses and validates the definition and finds the state under test.
pub(crate) fn locate(
    definition: &str,
    state_name: Option<&str>,
) -> Result<Located, TestStateError> {
    let doc = parse::parse(definition, false).map_err(|d| {
        TestStateError::InvalidDefinition(invalid_definition_message(&[d]).unwrap_or_default())
    })?;
    let options = Options::default();
    let diagnostics = match state_name {
        Some(_) => validate_with(&doc, &options),
        None => validate_state(&doc, &options),
    };
    if let Some(message) = invalid_definition_message(&diagnostics) {
        return Err(TestStateError::InvalidDefinition(message));
    }
    let located = match state_name {
        Some(name) => {
            let machine = build(&doc.value)?;
            let (set_path, index) = find(&machine.states, name, 0).ok_or_else(not_found)?;
            Located {
                machine: Arc::new(machine),
                set_path,
                index,
            }
        }
        None => {
            let machine = build(&wrap(&doc.value))?;
            let index = machine
                .states
                .by_name
                .get(CONTEXT_STATE_NAME)
                .copied()
                .unwrap_or(machine.states.start_at);
            Located {
                machine: Arc::new(machine),
                set_path: Vec::new(),
                index,
            }
        }
    };
    Ok(located)
}

fn not_found() -> TestStateError {
    TestStateError::Validation("State not found in definition".to_string())
}

fn build(value: &Value) -> Result<StateMachine, TestStateError> {
    StateMachine::from_value(value).map_err(|e| {
        TestStateError::InvalidDefinition(format!("Invalid State Machine Definition: '{e}'"))
    })
}

/// A machine around a lone state: it starts there, and every state it can go to is a stand-in
/// so that transitions resolve to a name.
fn wrap(state: &Value) -> Value {
    let mut states = Map::new();
    states.insert(CONTEXT_STATE_NAME.to_string(), state.clone());
    for target in targets(state) {
        if !states.contains_key(&target) {
            states.insert(target, json!({"Type": "Succeed"}));
        }
    }
    json!({"StartAt": CONTEXT_STATE_NAME, "States": states})
}

/// Every state name a state can transition to: `Next`, `Default`, each Choice rule's `Next`
/// and each catcher's `Next`.
fn targets(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(Value::String(s)) = v {
            out.push(s.clone());
        }
    };
    push(state.get("Next"));
    push(state.get("Default"));
    for key in ["Choices", "Catch"] {
        if let Some(Value::Array(items)) = state.get(key) {
            for item in items {
                push(item.get("Next"));
            }
        }
    }
    out
}

/// Depth-first search for `name`: the set's own states first, then nested sets in order.
fn find(set: &StateSet, name: &str, depth: usize) -> Option<(Vec<(u32, u32)>, usize)> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(&i) = set.by_name.get(name) {
        return Some((Vec::new(), i));
    }
    for (i, state) in set.states.iter().enumerate() {
        let nested: Vec<&StateSet> = match &state.kind {
            StateKind::Parallel(p) => p.branches.iter().collect(),
            StateKind::Map(m) => vec![&m.processor],
            _ => continue,
        };
        for (b, inner) in nested.into_iter().enumerate() {
            if let Some((mut path, index)) = find(inner, name, depth + 1) {
                path.insert(0, (i as u32, b as u32));
                return Some((path, index));
            }
        }
    }
    None
}
