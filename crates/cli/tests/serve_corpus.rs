//! The recorded corpora through the API with a real client: `baton serve` measured by the shared
//! reference runners (`../shared/tools/conformance/run.py --endpoint` and `run_api.py`, both
//! boto3), with the pass rates the service must keep: aws-recorded at least 99 %, TestState at
//! least 97 %, validation at least 90 %; and the mocked corpus as Step Functions Local runs it
//! (one merged MockConfigFile given to `baton serve --mock-config`, each case started on
//! `ARN#TestCase`), at least 97 %.
//!
//! Needs python3 with boto3 and `../shared`; without them the test prints why it skips, and
//! fails under `BATON_CI_STRICT=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::server::Server;

fn skip(msg: &str) {
    if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
        panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
    }
    eprintln!("SKIP: {msg}");
}

fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/conformance");
    if !dir.join("run.py").is_file() {
        skip(&format!("{} not found; skipping", dir.display()));
        return None;
    }
    let boto3 = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if !boto3 {
        skip("python3 with boto3 not found (pip install boto3); skipping");
        return None;
    }
    Some(dir)
}

/// Runs one reference runner against `endpoint`; its per-case results.
fn run(tools: &Path, script: &str, endpoint: &str, extra: &[&str]) -> Vec<Value> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new("python3")
        .arg(tools.join(script))
        .args(["--endpoint", endpoint, "--quiet", "--json-out"])
        .arg(out.path())
        .args(extra)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "{script} failed: {status}");
    let report: Value = serde_json::from_slice(&std::fs::read(out.path()).unwrap()).unwrap();
    report["results"].as_array().expect("results").clone()
}

/// Passed and total of the results of one kind (`None`: every kind).
fn rate(results: &[Value], kind: Option<&str>) -> (usize, usize) {
    let of_kind: Vec<&Value> = results
        .iter()
        .filter(|r| kind.is_none_or(|k| r["kind"] == k))
        .collect();
    let passed = of_kind.iter().filter(|r| r["passed"] == true).count();
    (passed, of_kind.len())
}

fn assert_floor(label: &str, (passed, total): (usize, usize), floor_percent: usize) {
    println!("{label}: {passed} passed, {} failed", total - passed);
    assert!(total > 0, "{label}: no cases ran");
    assert!(
        passed * 100 >= total * floor_percent,
        "{label}: {passed}/{total} is under {floor_percent}%"
    );
}

#[test]
fn the_corpora_pass_through_the_api() {
    let Some(tools) = tools() else { return };
    let corpus = tools.join("../../conformance/aws-recorded/public");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let recorded = run(
        &tools,
        "run.py",
        &server.endpoint,
        &["--corpus", corpus.to_str().unwrap()],
    );
    let api = run(&tools, "run_api.py", &server.endpoint, &[]);
    assert_floor("aws-recorded through the API", rate(&recorded, None), 99);
    assert_floor(
        "aws-recorded-teststate through TestState",
        rate(&api, Some("teststate")),
        97,
    );
    assert_floor(
        "aws-recorded-validation through the API",
        rate(&api, Some("validation")),
        90,
    );
    assert_eq!(server.terminate().code(), Some(0));
}

#[test]
fn the_mocked_corpus_passes_as_step_functions_local_runs_it() {
    let Some(tools) = tools() else { return };
    let corpus = tools.join("../../conformance/aws-recorded-mocked/public");
    let dir = tempfile::tempdir().unwrap();
    let merged = dir.path().join("merged.json");
    let status = Command::new("python3")
        .arg(tools.join("run.py"))
        .arg("--merge-mocks")
        .arg(&merged)
        .arg("--corpus")
        .arg(&corpus)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "--merge-mocks failed: {status}");
    let server = Server::start(
        &dir.path().join("data"),
        &["--mock-config", merged.to_str().unwrap()],
    );
    let results = run(
        &tools,
        "run.py",
        &server.endpoint,
        &["--sfn-local-mocks", "--corpus", corpus.to_str().unwrap()],
    );
    assert_floor(
        "aws-recorded-mocked through baton serve --mock-config",
        rate(&results, None),
        97,
    );
    assert_eq!(server.terminate().code(), Some(0));
}
