//! The README's quick start, verbatim: `baton serve` (on a free port) prints the lines a client
//! needs, they are pasted into a shell as printed, and the README's AWS CLI commands run in a
//! folder outside the checkout; the last one prints what the README says it prints. The block
//! the server prints is also the one the README shows, ports aside.
//!
//! Needs the AWS CLI (`aws`, from `pip install -r tests/python/requirements.txt`); without it
//! the test says why it skips, and fails under `BATON_CI_STRICT=1`.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The fenced block of `language` that follows the first line containing `after`.
fn block_after<'a>(readme: &'a str, after: &str, language: &str) -> &'a str {
    let from = readme
        .find(after)
        .unwrap_or_else(|| panic!("README has no {after:?}"));
    let fence = format!("```{language}\n");
    let start = readme[from..]
        .find(&fence)
        .map(|i| from + i + fence.len())
        .unwrap_or_else(|| panic!("no ```{language} block after {after:?}"));
    let end = readme[start..]
        .find("```")
        .map(|i| start + i)
        .expect("a closed block");
    &readme[start..end]
}

/// Shell commands, each with its continuation lines joined.
fn commands(block: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out.retain(|c| !c.trim().is_empty());
    out
}

#[test]
fn the_quick_start_runs_verbatim_from_any_folder() {
    if Command::new("aws").arg("--version").output().is_err() {
        support::skip(
            "the AWS CLI (aws) is not installed (pip install -r tests/python/requirements.txt)",
        );
        return;
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README.md");
    let shown_setup = block_after(&readme, "prints what a client needs", "sh");
    let quick_start = commands(block_after(&readme, "<!-- quick-start", "sh"));
    let expected: Value =
        serde_json::from_str(block_after(&readme, "The last command prints", "json"))
            .expect("the README's expected output is JSON");

    let data = tempfile::tempdir().expect("a data folder");
    let mut server = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        // The defaults these tests expect, whatever the shell exports.
        .env_remove("AWS_ACCOUNT_ID")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("SFN_MOCK_CONFIG")
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("baton serve starts");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("readable");
        let last = line.starts_with("The console:");
        printed.push(line);
        if last {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let port = |prefix: &str| -> String {
        printed
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|url| url.rsplit(':').next())
            .unwrap_or_else(|| panic!("no {prefix:?} line in {printed:#?}"))
            .to_string()
    };
    let (api_port, s3_port) = (
        port("export AWS_ENDPOINT_URL=http://"),
        port("export AWS_ENDPOINT_URL_S3=http://"),
    );
    let setup: Vec<&String> = printed
        .iter()
        .filter(|l| l.starts_with("export "))
        .collect();
    // The README shows the block for the default ports.
    let as_shown: Vec<String> = setup
        .iter()
        .map(|l| {
            l.replace(&format!(":{api_port}"), ":8083")
                .replace(&format!(":{s3_port}"), ":8084")
        })
        .collect();
    assert_eq!(
        as_shown,
        shown_setup.lines().collect::<Vec<_>>(),
        "the README shows what baton serve prints"
    );
    assert!(printed.contains(&format!("The console: http://127.0.0.1:{api_port}/")));

    // A folder outside the checkout, and no AWS configuration of the machine's user.
    let elsewhere = tempfile::tempdir().expect("a working folder");
    let setup_script: String = setup.iter().map(|l| format!("{l}\n")).collect();
    let mut last_output = String::new();
    for command in &quick_start {
        let run = Command::new("bash")
            .arg("-c")
            .arg(format!("{setup_script}{command}"))
            .current_dir(elsewhere.path())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_DEFAULT_OUTPUT")
            .env("HOME", elsewhere.path())
            .env("AWS_CONFIG_FILE", elsewhere.path().join("no-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                elsewhere.path().join("no-credentials"),
            )
            .output()
            .expect("bash runs");
        assert!(
            run.status.success(),
            "{command}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        last_output = String::from_utf8_lossy(&run.stdout).into_owned();
    }
    let got: Value =
        serde_json::from_str(&last_output).unwrap_or_else(|e| panic!("{e}: {last_output}"));
    assert_eq!(
        got, expected,
        "the last command prints what the README shows"
    );
    let _ = server.kill();
    let _ = server.wait();
}
