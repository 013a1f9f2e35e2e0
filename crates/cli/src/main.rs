//! `baton`: the command line. Thin: argument parsing, wiring, output.

mod backup;
mod bench;
mod graph;
mod otlp;
mod run;
mod serve;
mod status_events;
mod substitute;
mod templates;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc, counting what each engine step holds, so that an expression that
/// allocates without end is stopped by its step's memory budget (`baton_asl::budget`).
#[global_allocator]
static ALLOCATOR: baton_alloc::Budgeted = baton_alloc::Budgeted;

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "Run Amazon States Language state machines"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Copy the SQLite store of a data folder, consistently, while a server may be running.
    Backup(backup::BackupArgs),
    /// Load a Step Functions endpoint over HTTP and report throughput, latency and memory.
    Bench(bench::BenchArgs),
    /// Draw a state machine as SVG, PNG, DOT or Mermaid
    Graph(graph::GraphArgs),
    /// Run one execution in-process and print its result.
    Run(run::RunArgs),
    /// Serve the AWS Step Functions API, with executions kept in a local store.
    Serve(serve::ServeArgs),
    /// Check a definition and print every problem found.
    Validate(validate::ValidateArgs),
}

/// The configuration file to read: `--config`, else `./baton.toml` when it exists.
fn config_file(given: Option<&std::path::Path>) -> anyhow::Result<Option<std::path::PathBuf>> {
    match given {
        Some(p) if !p.is_file() => anyhow::bail!("no configuration file {}", p.display()),
        Some(p) => Ok(Some(p.to_path_buf())),
        None => {
            let default = std::path::PathBuf::from("baton.toml");
            Ok(default.is_file().then_some(default))
        }
    }
}

fn main() -> ExitCode {
    baton_alloc::configure();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Backup(args) => backup::main(args),
        Command::Bench(args) => bench::main(args),
        Command::Graph(args) => graph::main(args),
        Command::Run(args) => run::main(args),
        Command::Serve(args) => serve::main(args),
        Command::Validate(args) => validate::main(args),
    };
    match code {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("baton: {e:#}");
            ExitCode::from(2)
        }
    }
}
