//! The recorded corpora through the API with a real client: `baton serve` measured by the shared
//! reference runners (`../shared/tools/conformance/run.py --endpoint` and `run_api.py`, both
//! boto3), with the pass rates the service must keep: aws-recorded at least 99 %, TestState at
//! least 97 %, validation at least 90 %; and the mocked corpus as Step Functions Local runs it
//! (one merged MockConfigFile given to `baton serve --mock-config`, each case started on
//! `ARN#TestCase`), at least 97 %. Each corpus runs on both stores, SQLite and PostgreSQL (a
//! fresh schema on the test server), and the same cases must pass on both.
//!
//! Needs python3 with boto3, `../shared` and a PostgreSQL server (see
//! `baton_store_postgres::testing`); without them the test prints why it skips, and fails under
//! `BATON_CI_STRICT=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use baton_store_postgres::testing::TestSchema;
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
    support::figure(&format!(
        "{label}: {passed} passed, {} failed",
        total - passed
    ));
    assert!(total > 0, "{label}: no cases ran");
    assert!(
        passed * 100 >= total * floor_percent,
        "{label}: {passed}/{total} is under {floor_percent}%"
    );
}

/// The cases that passed, by name.
fn passed(results: &[Value]) -> std::collections::BTreeSet<String> {
    results
        .iter()
        .filter(|r| r["passed"] == true)
        .map(|r| format!("{}/{}/{}", r["corpus"], r["kind"], r["id"]))
        .collect()
}

/// A store's name and the arguments that give it to `baton serve`.
type Store = (&'static str, Vec<String>);

/// Both stores' arguments to `baton serve`, labelled: SQLite in the data folder, and a fresh
/// PostgreSQL schema (kept alive by the returned guard). `None` when PostgreSQL is missing.
fn stores(label: &str) -> Option<(TestSchema, Vec<Store>)> {
    let schema = TestSchema::create(label)?;
    let pg = vec!["--store".to_string(), schema.url.clone()];
    Some((schema, vec![("SQLite", Vec::new()), ("PostgreSQL", pg)]))
}

#[test]
fn the_corpora_pass_through_the_api() {
    let Some(tools) = tools() else { return };
    let Some((_schema, stores)) = stores("corpora") else {
        return;
    };
    let corpus = tools.join("../../conformance/aws-recorded/public");
    let mut passing = Vec::new();
    for (store, args) in &stores {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start(dir.path(), &args);
        let recorded = run(
            &tools,
            "run.py",
            &server.endpoint,
            &["--corpus", corpus.to_str().unwrap()],
        );
        let api = run(&tools, "run_api.py", &server.endpoint, &[]);
        assert_floor(
            &format!("aws-recorded through the API on {store}"),
            rate(&recorded, None),
            99,
        );
        assert_floor(
            &format!("aws-recorded-teststate through TestState on {store}"),
            rate(&api, Some("teststate")),
            97,
        );
        assert_floor(
            &format!("aws-recorded-validation through the API on {store}"),
            rate(&api, Some("validation")),
            90,
        );
        assert_eq!(server.terminate().code(), Some(0));
        let mut all = passed(&recorded);
        all.extend(passed(&api));
        passing.push((store, all));
    }
    assert_same_cases(&passing);
}

/// Every store passed exactly the cases the first did.
fn assert_same_cases(passing: &[(&&str, std::collections::BTreeSet<String>)]) {
    let (first, expected) = &passing[0];
    for (store, got) in &passing[1..] {
        let only_first: Vec<_> = expected.difference(got).collect();
        let only_this: Vec<_> = got.difference(expected).collect();
        assert!(
            only_first.is_empty() && only_this.is_empty(),
            "{first} and {store} differ: passed only on {first}: {only_first:?}; only on {store}: {only_this:?}"
        );
    }
}

#[test]
fn the_mocked_corpus_passes_as_step_functions_local_runs_it() {
    let Some(tools) = tools() else { return };
    let Some((_schema, stores)) = stores("mocked") else {
        return;
    };
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
    let mut passing = Vec::new();
    for (store, args) in &stores {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--mock-config", merged.to_str().unwrap()]);
        let server = Server::start(&dir.path().join(format!("data-{store}")), &args);
        let results = run(
            &tools,
            "run.py",
            &server.endpoint,
            &["--sfn-local-mocks", "--corpus", corpus.to_str().unwrap()],
        );
        assert_floor(
            &format!("aws-recorded-mocked through baton serve --mock-config on {store}"),
            rate(&results, None),
            97,
        );
        assert_eq!(server.terminate().code(), Some(0));
        passing.push((store, passed(&results)));
    }
    assert_same_cases(&passing);
}
