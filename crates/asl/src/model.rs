//! The definition model: a validated definition turned into typed states.
