//! Shared by the corpus tests: finding `../shared`, skipping (or failing under
//! `BATON_CI_STRICT=1`) when it is absent, and comparing results the way the corpus README
//! describes.

#![allow(dead_code)] // each test binary uses a different part

pub mod cluster;
pub mod compare;
pub mod nodes;
pub mod proxy;
pub mod server;

use std::path::{Path, PathBuf};

/// `<workspace>/../shared/conformance/<name>`, if it is there. Without it the test prints why
/// it skips, and fails when `BATON_CI_STRICT=1`.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance")
        .join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    skip(&format!("corpus {} not found", dir.display()));
    None
}

/// Prints a figure line (a pass rate), and appends it to the file `BATON_FIGURES` names when
/// set: CI shows the corpora's figures after the whole suite without running them twice.
pub fn figure(line: &str) {
    println!("{line}");
    append_figure(line);
}

/// Appends `line` to `BATON_FIGURES`'s file, if set (figures of tests run in parallel).
pub fn append_figure(line: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("BATON_FIGURES") else {
        return;
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path);
    if let Ok(mut file) = file {
        // One write per line: lines of tests running at once do not interleave.
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}

/// Says why a test does not run here, or fails it under `BATON_CI_STRICT=1`.
pub fn skip(reason: &str) {
    let msg = format!("{reason}; skipping");
    if std::env::var("BATON_CI_STRICT").as_deref() == Ok("1") {
        panic!("{msg} (BATON_CI_STRICT=1 forbids skips)");
    }
    eprintln!("SKIP: {msg}");
}

/// Case folders of a corpus's `public/`, sorted.
pub fn cases(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join("public"))
        .expect("readable corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// `case<TAB>reason` lines; `#` comments and blank lines ignored.
pub fn known_differences(file: &str) -> std::collections::BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((c, r)) => (c.trim().to_string(), r.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

/// The path of `examples/<name>`.
pub fn example(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

/// What one run of the `baton` binary printed, and its exit code.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `baton` binary with `args`.
pub fn baton(args: &[&str]) -> Ran {
    baton_in(Path::new("."), args)
}

/// Runs the `baton` binary with `args` in the folder `dir`.
pub fn baton_in(dir: &Path, args: &[&str]) -> Ran {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("baton runs");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Ran {
    /// The execution output of a `baton run --output json` that succeeded, as JSON.
    #[allow(dead_code)] // Not every test binary runs executions.
    pub fn succeeded_output(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "{}\n{}", self.stdout, self.stderr);
        let result: serde_json::Value = serde_json::from_str(&self.stdout).expect("JSON");
        assert_eq!(result["status"], "SUCCEEDED", "{result}");
        serde_json::from_str(result["output"].as_str().expect("an output")).expect("JSON output")
    }
}

/// Why these tools cannot run here (each asked for `--version`), if one cannot.
pub fn missing_tools(tools: &[&str]) -> Option<String> {
    use std::process::{Command, Stdio};
    for tool in tools {
        match Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(s) if s.success() => {}
            Ok(s) => return Some(format!("`{tool} --version` failed ({s})")),
            Err(e) => return Some(format!("{tool} cannot run: {e}")),
        }
    }
    None
}

/// Copies an example's own files from `from` to `to`, without what a build left in the
/// checkout (`node_modules`, `dist`).
pub fn copy_example(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable example") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_example(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        }
    }
}
