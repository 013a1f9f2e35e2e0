//! `baton`: the command line. Thin: argument parsing, wiring, output.

fn main() {}
