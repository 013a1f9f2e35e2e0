//! AWS's own clients against `baton serve`: runs the pytest suite in `tests/python` (boto3 and
//! the AWS CLI) with `BATON_BIN` set to the binary this build made. Without python3, boto3,
//! awscli or pytest the test skips with the reason, or fails under `BATON_CI_STRICT=1`
//! (`pip install -r tests/python/requirements.txt`). `BATON_PYTHON` names another interpreter.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The modules the suite imports, by the name `pip install` knows them by.
const MODULES: [&str; 3] = ["boto3", "awscli", "pytest"];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

fn python() -> String {
    std::env::var("BATON_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Why the suite cannot run here, if it cannot.
fn missing_prerequisite(python: &str) -> Option<String> {
    let probe = format!(
        "import importlib.util; print(' '.join(m for m in {MODULES:?} if importlib.util.find_spec(m) is None))"
    );
    let out = match Command::new(python).args(["-c", &probe]).output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            return Some(format!(
                "`{python}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
        Err(e) => return Some(format!("`{python}` not found: {e}")),
    };
    let missing = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!missing.is_empty()).then(|| {
        format!("Python modules missing: {missing} (pip install -r tests/python/requirements.txt)")
    })
}

#[test]
fn boto3_and_the_aws_cli_work_against_baton_serve() {
    let python = python();
    if let Some(reason) = missing_prerequisite(&python) {
        assert!(
            std::env::var("BATON_CI_STRICT").as_deref() != Ok("1"),
            "{reason} (BATON_CI_STRICT=1 forbids skips)"
        );
        eprintln!("SKIP: {reason}");
        return;
    }
    // The output goes straight to the terminal as pytest writes it.
    let status = Command::new(&python)
        .args(["-m", "pytest", "tests/python", "-q", "-x"])
        .current_dir(workspace_root())
        .env("BATON_BIN", env!("CARGO_BIN_EXE_baton"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .expect("pytest starts");
    assert!(
        status.success(),
        "the Python client suite failed ({status})"
    );
}
