//! What the runtime's control-plane tests share: a runtime over a temporary SQLite store, the
//! caller's context, small definitions, and (for the corpus tests) the recorded corpora, the
//! masked-value matcher and AWS's service models.

#![allow(dead_code)] // each test binary uses part of it

pub mod api;
pub mod botocore;
pub mod matcher;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use baton_api::RequestContext;
use baton_runtime::{Config, Runtime};
use baton_store::Store;
use baton_store_sqlite::SqliteStore;

/// The account and region requests come from (the corpus placeholders).
pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";
/// A role ARN of the right shape.
pub const ROLE: &str = "arn:aws:iam::111111111111:role/sfn-corpus-role";
/// The smallest valid definition.
pub const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
/// Another valid definition (a different revision of the same machine).
pub const PASS_2: &str = r#"{"StartAt":"Q","States":{"Q":{"Type":"Pass","Result":1,"End":true}}}"#;

pub fn ctx() -> RequestContext {
    RequestContext::new(ACCOUNT, REGION)
}

/// The same caller in another account.
pub fn other_account() -> RequestContext {
    RequestContext::new("222222222222", REGION)
}

/// A runtime over a SQLite store in a temporary directory that lives as long as it.
pub struct Harness {
    pub rt: Arc<Runtime>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Harness {
        let dir = tempfile::tempdir().expect("temporary directory");
        let rt = open(dir.path(), config).await;
        Harness { rt, dir }
    }

    /// Stops this runtime and opens another one on the same store directory.
    pub async fn reopen(self) -> Harness {
        let Harness { rt, dir } = self;
        rt.shutdown();
        drop(rt);
        let rt = open(dir.path(), Config::default()).await;
        Harness { rt, dir }
    }
}

pub async fn open(dir: &Path, config: Config) -> Arc<Runtime> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir).expect("open the SQLite store"));
    Runtime::open(store, config)
        .await
        .expect("open the runtime")
}

/// `<workspace root>/../shared/conformance`, or the same under any ancestor (worktrees live
/// one level deeper than the main checkout).
pub fn corpus_root() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let workspace = workspace.canonicalize().ok()?;
    workspace
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/conformance"))
        .find(|p| p.is_dir())
}

/// Whether a missing prerequisite must fail the test rather than skip it.
pub fn strict() -> bool {
    std::env::var("BATON_CI_STRICT").as_deref() == Ok("1")
}

/// The corpus directory, or `None` (with the reason printed) when it is absent; absent under
/// `BATON_CI_STRICT=1` is a failure.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let dir = corpus_root().map(|r| r.join(sub)).filter(|d| d.is_dir());
    if dir.is_none() {
        assert!(!strict(), "corpus {sub} not found and BATON_CI_STRICT=1");
        eprintln!("skipping: corpus {sub} not found next to the workspace");
    }
    dir
}

/// The case folders of a corpus split (those with an `expected.json`), sorted.
pub fn case_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.join("expected.json").is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
