//! The pieces of the `baton` binary that tests use too: loading a definition and running one
//! execution in-process.

pub mod exec;
pub mod local;
