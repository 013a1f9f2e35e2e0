//! `--template`: SAM, CloudFormation and CDK templates (`baton-template`) for `baton run` (one
//! machine of the template) and `baton serve` (every machine and activity created, or updated
//! in place, at start).

use std::path::{Path, PathBuf};

use anyhow::bail;
use baton_integrations::config::{self, Config, Function, Handler, Target};
use baton_template::{MachineSpec, Stack};
use clap::Args;

/// `baton run --template FILE --state-machine ID`.
#[derive(Args, Default)]
pub struct RunTemplate {
    /// A SAM or CloudFormation template (YAML or JSON), or a CDK cloud assembly (a `cdk.out`
    /// folder), to run one state machine of (with `--state-machine`).
    #[arg(long, value_name = "FILE", requires = "state_machine")]
    pub template: Option<PathBuf>,
    /// The logical id (or name) of the template's state machine to run.
    #[arg(long, value_name = "LOGICAL_ID", requires = "template")]
    pub state_machine: Option<String>,
    /// The template's parameters, `NAME=VALUE` (repeatable; several may follow one flag).
    #[arg(long, value_name = "NAME=VALUE", num_args = 1.., requires = "template")]
    pub parameter_overrides: Vec<String>,
}

/// The machine `baton run` runs from a template.
pub struct Chosen {
    pub name: String,
    pub definition: String,
    pub machine_type: String,
    /// How diagnostics name it: `template.yaml#LogicalId`.
    pub origin: String,
}

impl RunTemplate {
    /// The chosen machine, and the whole stack (its functions join the configuration).
    pub fn machine(&self, account: &str, region: &str) -> anyhow::Result<(Chosen, Stack)> {
        let (Some(file), Some(id)) = (&self.template, &self.state_machine) else {
            bail!("--template needs --state-machine");
        };
        let stack = load(file, account, region, overrides(&self.parameter_overrides)?)?;
        let m = machine(&stack, file, id)?;
        let chosen = Chosen {
            name: m.name.clone(),
            definition: m.definition.clone(),
            machine_type: m.machine_type.clone(),
            origin: format!("{}#{}", file.display(), m.logical_id),
        };
        Ok((chosen, stack))
    }
}

/// Adds `stack`'s functions to `config` as handler functions (`[functions.NAME]` with
/// `runtime`, `handler`, `code`): the timeout the template gives or the configuration's
/// default, the template's memory size or Lambda's default. A function `baton.toml` (or a
/// `BATON_*` variable) already defines keeps that definition; one Baton cannot run (another
/// runtime, code that is not a folder) is left out. Answers a note for each of those.
pub fn add_functions(config: &mut Config, stack: &Stack) -> Vec<String> {
    let mut notes = Vec::new();
    for f in &stack.functions {
        if config.functions.contains_key(&f.name) {
            notes.push(format!(
                "function {} ({}): the configuration's definition wins over the template's",
                f.name, f.logical_id
            ));
            continue;
        }
        if !config::HANDLER_RUNTIMES.contains(&f.runtime.as_str()) {
            notes.push(format!(
                "function {} ({}): runtime {} is not one Baton runs; left out",
                f.name, f.logical_id, f.runtime
            ));
            continue;
        }
        if !f.code.is_dir() {
            notes.push(format!(
                "function {} ({}): its code {} is not a folder; left out",
                f.name,
                f.logical_id,
                f.code.display()
            ));
            continue;
        }
        let handler = Handler {
            runtime: f.runtime.clone(),
            handler: f.handler.clone(),
            code: f.code.clone(),
            environment: f.environment.clone(),
            memory_mb: f.memory_mb.unwrap_or(config::DEFAULT_MEMORY_MB),
            max_concurrency: config::default_max_concurrency(),
        };
        config.functions.insert(
            f.name.clone(),
            Function {
                target: Target::Handler(handler),
                timeout_seconds: f
                    .timeout_seconds
                    .unwrap_or(config::DEFAULT_FUNCTION_TIMEOUT_SECONDS),
            },
        );
    }
    notes
}

/// `K=V` pairs (`--parameter-overrides`, as `sam deploy` takes them; CloudFormation's
/// `ParameterKey=K,ParameterValue=V` form too).
pub fn overrides(pairs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| {
            if let Some(rest) = pair.strip_prefix("ParameterKey=") {
                if let Some((k, v)) = rest.split_once(",ParameterValue=") {
                    return Ok((k.to_string(), v.to_string()));
                }
            }
            match pair.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
                _ => bail!("--parameter-overrides {pair}: expected NAME=VALUE"),
            }
        })
        .collect()
}

/// Reads `file` (a template, or a CDK `cdk.out` folder) for `account` and `region`.
pub fn load(
    file: &Path,
    account: &str,
    region: &str,
    parameters: Vec<(String, String)>,
) -> anyhow::Result<Stack> {
    let options = baton_template::Options {
        account: account.to_string(),
        region: region.to_string(),
        stack_name: None,
        parameters,
        allow_undeclared: false,
    };
    Ok(baton_template::load(file, &options)?)
}

/// The machine of `stack` whose logical id (or name) is `id`.
pub fn machine<'s>(stack: &'s Stack, file: &Path, id: &str) -> anyhow::Result<&'s MachineSpec> {
    let found = stack
        .machines
        .iter()
        .find(|m| m.logical_id == id)
        .or_else(|| stack.machines.iter().find(|m| m.name == id));
    match found {
        Some(m) => Ok(m),
        None if stack.machines.is_empty() => {
            bail!("{}: no state machine in the template", file.display())
        }
        None => bail!(
            "{}: no state machine {id} (the template has {})",
            file.display(),
            stack
                .machines
                .iter()
                .map(|m| m.logical_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
