//! SAM, CloudFormation and CDK templates read into what Baton runs: state machines, Lambda
//! functions and activities ([`Stack`]).
//!
//! [`load`] reads a template file (YAML with CloudFormation's short-form tags, or JSON) or a
//! CDK cloud assembly (a `cdk.out` folder, or its `manifest.json`): every stack's
//! `*.template.json`, with its assets (`*.assets.json`) so that `Code: {S3Bucket, S3Key}`,
//! `CodeUri: {Bucket, Key}`, `DefinitionUri: {Bucket, Key}` and `DefinitionS3Location` naming
//! a CDK asset are the asset's local folder or file.
//!
//! Resources read: `AWS::Serverless::StateMachine`, `AWS::StepFunctions::StateMachine`,
//! `AWS::Serverless::Function` (with SAM's `Globals.Function`), `AWS::Lambda::Function` and
//! `AWS::StepFunctions::Activity`, with the properties each resource page of the CloudFormation
//! User Guide and the SAM Developer Guide names. Any other type is listed in
//! [`Stack::skipped`], not refused. `Parameters` (their `Default`, or the caller's overrides),
//! the pseudo parameters, `Conditions` (a resource whose `Condition` is false is left out) and
//! `Mappings` are evaluated as CloudFormation evaluates them ([`eval`]).
//!
//! # Names
//!
//! `Ref` and `Fn::GetAtt` answer Baton's own names and ARNs in the caller's account, region
//! and partition: a state machine's `Ref` is its ARN, `arn:aws:states:REGION:ACCOUNT:
//! stateMachine:NAME` (`Fn::GetAtt .Arn`, `.Name`); a function's `Ref` is its name
//! (`Fn::GetAtt .Arn`: `arn:aws:lambda:REGION:ACCOUNT:function:NAME`); an activity's `Ref` is
//! its ARN (`Fn::GetAtt .Name`). A resource without a name property (`Name`,
//! `StateMachineName`, `FunctionName`) is named after its logical id. CloudFormation would
//! generate `Stack-LogicalId-RANDOM` ("Name type" in the User Guide); a local run needs names
//! that stay the same from one start to the next, so that a restart finds its machines again
//! and tests can name them.
//!
//! # Files
//!
//! Relative paths (`DefinitionUri`, `CodeUri`, `DefinitionS3Location` of an asset) resolve
//! against the template's folder, and may leave it (`../shared/machine.json`): a template is
//! the operator's own file, as trusted as the command line that names it, so nothing checks
//! where its paths lead. Nothing else is read, and nothing is fetched.
//!
//! # Bounds
//!
//! No input panics. YAML and JSON nesting is capped ([`yaml::MAX_DEPTH`]), aliases may not
//! expand past [`yaml::MAX_NODES`] values, chains of functions and references past
//! [`eval::MAX_EVAL_DEPTH`], and a name or condition that depends on itself is an error.
//!
//! # YAML
//!
//! `yaml-rust2`'s event parser: it reports every node's tag, which CloudFormation's short
//! forms need, is pure safe Rust and maintained. `serde_yaml` is archived, `serde_yml` is
//! flagged unsound and unmaintained, and both (and `serde_norway`) parse through a machine
//! translation of libyaml into unsafe Rust.

pub mod cdk;
pub mod eval;
mod resources;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a template defines that Baton runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stack {
    pub machines: Vec<MachineSpec>,
    pub functions: Vec<FunctionSpec>,
    pub activities: Vec<ActivitySpec>,
    /// Its `AWS::Logs::LogGroup`s (where state machines may send their logs).
    pub log_groups: Vec<LogGroupSpec>,
    /// Resources Baton does not run: (logical id, type).
    pub skipped: Vec<(String, String)>,
}

/// An `AWS::Logs::LogGroup`: its name and `RetentionInDays` (absent: kept for ever).
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MachineSpec {
    pub logical_id: String,
    pub name: String,
    /// The definition as JSON text, `DefinitionSubstitutions` applied.
    pub definition: String,
    /// `STANDARD` or `EXPRESS`.
    pub machine_type: String,
    pub logging: Option<serde_json::Value>,
    pub tracing: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub name: String,
    pub runtime: String,
    pub handler: String,
    /// The code's folder (or file), absolute.
    pub code: PathBuf,
    pub environment: BTreeMap<String, String>,
    pub timeout_seconds: Option<u64>,
    pub memory_mb: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySpec {
    pub logical_id: String,
    pub name: String,
}

/// Where the stack is deployed, and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub account: String,
    pub region: String,
    /// `AWS::StackName` (default: the template file's stem, or the CDK stack's name).
    pub stack_name: Option<String>,
    /// Parameter overrides, `(name, value)`; a later one wins.
    pub parameters: Vec<(String, String)>,
    /// Whether an override the template does not declare is left unused rather than refused
    /// (overrides shared by several templates, or by the stacks of one CDK assembly).
    pub allow_undeclared: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            stack_name: None,
            parameters: Vec::new(),
            allow_undeclared: false,
        }
    }
}

/// Why a template could not be read: the file, the path inside it
/// (`Resources.MyMachine.Properties.DefinitionUri`), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub file: String,
    pub path: String,
    pub message: String,
}

impl Error {
    pub fn new(file: &str, path: &str, message: impl Into<String>) -> Error {
        Error {
            file: file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Reads a template file, or a CDK cloud assembly (a folder with `manifest.json`, or that
/// file itself).
pub fn load(path: &Path, options: &Options) -> Result<Stack, Error> {
    on_own_stack(&path.display().to_string(), || load_here(path, options))
}

fn load_here(path: &Path, options: &Options) -> Result<Stack, Error> {
    let shown = path.display().to_string();
    if path.is_dir() {
        let manifest = path.join("manifest.json");
        if manifest.is_file() {
            return cdk::load(path, options);
        }
        return Err(Error::new(
            &shown,
            "",
            "a folder without manifest.json: not a CDK cloud assembly",
        ));
    }
    if path.file_name().is_some_and(|n| n == "manifest.json") {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return cdk::load(dir, options);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::new(&shown, "", format!("cannot read it: {e}")))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let stack_name = options.stack_name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "baton".into())
    });
    read_str(
        &text,
        &shown,
        &dir,
        options,
        &stack_name,
        &cdk::Assets::default(),
    )
}

/// Reads a template's text: `file` names it in errors, relative paths resolve against `dir`.
pub fn load_str(
    text: &str,
    file: &str,
    dir: &Path,
    options: &Options,
    stack_name: &str,
    assets: &cdk::Assets,
) -> Result<Stack, Error> {
    on_own_stack(file, || {
        read_str(text, file, dir, options, stack_name, assets)
    })
}

fn read_str(
    text: &str,
    file: &str,
    dir: &Path,
    options: &Options,
    stack_name: &str,
    assets: &cdk::Assets,
) -> Result<Stack, Error> {
    let template = parse(text).map_err(|m| Error::new(file, "", m))?;
    resources::read(&template, file, dir, options, stack_name, assets)
}

/// The stack a template is read on. Evaluation recurses, within its bounds
/// ([`yaml::MAX_DEPTH`], [`eval::MAX_EVAL_DEPTH`]), and a caller's thread may have as little as
/// 2 MiB (a test's, an async worker's): reading on a thread of its own keeps the bounds, not
/// the caller, in charge (the deepest chain of names takes under 8 MiB in a debug build). The
/// memory is reserved, and only what is used is committed.
const STACK_BYTES: usize = 64 * 1024 * 1024;

fn on_own_stack<T: Send>(
    file: &str,
    read: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("baton-template".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, read);
        match thread {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(Error::new(
                    file,
                    "",
                    "reading it failed (an internal error)",
                ))
            }),
            Err(e) => Err(Error::new(
                file,
                "",
                format!("cannot start a thread to read it: {e}"),
            )),
        }
    })
}

/// A template's text as JSON: JSON when it starts as JSON, YAML otherwise.
pub fn parse(text: &str) -> Result<serde_json::Value, String> {
    if text.trim_start().starts_with('{') {
        if let Ok(v) = serde_json::from_str(text) {
            return Ok(v);
        }
    }
    yaml::to_json(text)
}

/// `text` with each `${Name}` of `values` replaced by the value written as JSON string content
/// (a quote or backslash escaped), so that a placeholder inside a JSON string stays a valid
/// string and one outside stays a number or boolean: how Baton applies a state machine's
/// `DefinitionSubstitutions` (and `--substitute` on the command line).
pub fn substitute(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        let escaped = serde_json::Value::String(value.clone()).to_string();
        let content = &escaped[1..escaped.len() - 1];
        out = out.replace(&format!("${{{name}}}"), content);
    }
    out
}
