//! The interpreter: a deterministic state machine from events to effects and history.
