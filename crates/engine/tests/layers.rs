//! The language and the interpreter stay pure: `baton-asl` and `baton-engine` depend on no async
//! runtime, database, HTTP or filesystem crate (checked with `cargo tree`).

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "futures",
    "hyper",
    "axum",
    "reqwest",
    "rusqlite",
    "sqlx",
    "postgres",
    "tokio-postgres",
    "object_store",
    "notify",
    "walkdir",
    "tempfile",
];

#[test]
fn asl_and_engine_are_pure() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for package in ["baton-asl", "baton-engine"] {
        let out = Command::new(&cargo)
            .args([
                "tree",
                "-p",
                package,
                "-e",
                "normal",
                "--prefix",
                "none",
                "--offline",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        let crates: Vec<&str> = tree
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(
            crates.contains(&package),
            "cargo tree printed nothing useful:\n{tree}"
        );
        let bad: Vec<&&str> = crates.iter().filter(|c| FORBIDDEN.contains(c)).collect();
        assert!(bad.is_empty(), "{package} depends on {bad:?}");
    }
}
