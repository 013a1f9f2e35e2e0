//! The Amazon States Language, pure: definitions, validation, paths, payload templates,
//! intrinsic functions, Choice rules and JSONata. No I/O, no clock, no randomness of its own
//! (the one clock is the [`budget`]'s, which can only stop an evaluation, never change a value).

pub mod budget;
pub mod choice;
pub mod error;
pub mod intrinsics;
pub mod jackson;
pub mod jsonata;
pub mod model;
pub mod parse;
pub mod path;
pub mod template;
pub mod validate;
pub mod vars;

pub use error::{ErrorName, Failure};
pub use vars::{Entropy, Env, Vars};
