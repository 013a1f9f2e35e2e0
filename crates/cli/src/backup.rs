//! `baton backup --data-dir DIR OUT`: a consistent copy of the SQLite store in a data folder,
//! taken while a server may be running on it (`baton_store_sqlite::backup`). `OUT` becomes a
//! data folder of its own: `baton serve --data-dir OUT` restores it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct BackupArgs {
    /// The data folder of the store to copy (as `baton serve --data-dir`).
    #[arg(long, value_name = "DIR", default_value = ".baton")]
    data_dir: PathBuf,
    /// The new folder to write the copy into (it must not exist, or be empty).
    out: PathBuf,
}

pub fn main(args: BackupArgs) -> anyhow::Result<u8> {
    let began = Instant::now();
    let copy = baton_store_sqlite::backup(&args.data_dir, &args.out).with_context(|| {
        format!(
            "backing up the store in {} to {}",
            args.data_dir.display(),
            args.out.display()
        )
    })?;
    println!(
        "baton: backed up {} to {} ({} bytes, schema version {}, {} executions) in {:.2} s",
        args.data_dir.display(),
        copy.path.display(),
        copy.bytes,
        copy.schema_version,
        copy.executions,
        began.elapsed().as_secs_f64()
    );
    Ok(0)
}
