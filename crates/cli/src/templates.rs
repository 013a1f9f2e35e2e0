//! `--template`: SAM, CloudFormation and CDK templates (`baton-template`) for `baton run` (one
//! machine of the template) and `baton serve` (every machine and activity created, or updated
//! in place, at start).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use baton_api::model::{
    CreateActivityInput, CreateStateMachineInput, DescribeActivityInput, DescribeStateMachineInput,
    LoggingConfiguration, StateMachineType, TracingConfiguration, UpdateStateMachineInput,
};
use baton_api::{ApiError, RequestContext, StepFunctions};
use baton_integrations::config::{self, Config, Function, Handler, Target};
use baton_template::{MachineSpec, Stack};
use clap::Args;
use serde_json::Value;

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

/// `baton serve --template FILE ...`.
#[derive(Args, Default)]
pub struct ServeTemplates {
    /// A SAM or CloudFormation template (YAML or JSON), or a CDK cloud assembly (a `cdk.out`
    /// folder), whose state machines and activities are created at start (updated in place
    /// when they exist) and whose functions join the configuration's (repeatable).
    #[arg(long = "template", value_name = "FILE")]
    pub templates: Vec<PathBuf>,
    /// The templates' parameters, `NAME=VALUE` (repeatable; several may follow one flag). With
    /// several templates, each takes the ones it declares.
    #[arg(long, value_name = "NAME=VALUE", num_args = 1.., requires = "templates")]
    pub parameter_overrides: Vec<String>,
}

impl ServeTemplates {
    /// Reads every template and adds their functions to `config` (notes on stderr); a machine
    /// or activity name two templates (or one template twice) define is an error.
    pub fn load(
        &self,
        account: &str,
        region: &str,
        config: &mut Config,
    ) -> anyhow::Result<Vec<Stack>> {
        let parameters = overrides(&self.parameter_overrides)?;
        let mut stacks: Vec<Stack> = Vec::new();
        let mut owners: std::collections::BTreeMap<String, &Path> = Default::default();
        for file in &self.templates {
            let options = baton_template::Options {
                account: account.to_string(),
                region: region.to_string(),
                stack_name: None,
                parameters: parameters.clone(),
                allow_undeclared: self.templates.len() > 1,
            };
            let stack = baton_template::load(file, &options)?;
            let names = stack
                .machines
                .iter()
                .map(|m| format!("state machine {}", m.name))
                .chain(
                    stack
                        .activities
                        .iter()
                        .map(|a| format!("activity {}", a.name)),
                );
            for name in names {
                if let Some(other) = owners.insert(name.clone(), file) {
                    bail!(
                        "{}: {name} is also defined by {}",
                        file.display(),
                        other.display()
                    );
                }
            }
            for note in add_functions(config, &stack) {
                eprintln!("baton: {note}");
            }
            stacks.push(stack);
        }
        Ok(stacks)
    }
}

/// Creates (or updates) every stack's machines and activities on `service` in `account` and
/// `region`, and prints what it did and, once, the types it skipped.
pub async fn create(
    service: &dyn StepFunctions,
    logs: Option<&baton_logs::Logs>,
    account: &str,
    region: &str,
    stacks: &[Stack],
) -> anyhow::Result<()> {
    let ctx = RequestContext {
        account_id: account.to_string(),
        region: region.to_string(),
        request_id: "baton-template".into(),
        trace_header: None,
    };
    let mut all = Stack::default();
    for stack in stacks {
        // Log groups first: a state machine's `LoggingConfiguration` must find its group.
        if let Some(logs) = logs {
            for group in &stack.log_groups {
                let name = &group.name;
                let key = baton_logs::GroupKey {
                    account: account.to_string(),
                    region: region.to_string(),
                    name: name.clone(),
                };
                match logs.create_group(&key) {
                    Ok(()) => println!("baton: log group {name}"),
                    Err(baton_logs::Error::GroupExists) => {}
                    Err(e) => anyhow::bail!("log group {name}: {e:?}"),
                }
                // `RetentionInDays` is the group's policy, as CloudFormation sets it on each
                // deployment; a template without it leaves the group's events for ever.
                if let Err(e) = logs.set_retention(&key, group.retention_days) {
                    anyhow::bail!("log group {name}: {e:?}");
                }
            }
        }
        for line in apply(service, &ctx, stack).await? {
            println!("baton: {line}");
        }
        all.skipped.extend(stack.skipped.iter().cloned());
    }
    if let Some(line) = skipped(&all) {
        println!("baton: {line}");
    }
    Ok(())
}

/// A template's `LoggingConfiguration`/`TracingConfiguration` (CloudFormation's capitalised
/// keys) as the API's shape (the same keys, first letter lower case).
fn api_shape<T: serde::de::DeserializeOwned>(
    value: &Option<Value>,
    what: &str,
    m: &MachineSpec,
) -> anyhow::Result<Option<T>> {
    fn lower(v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let mut c = k.chars();
                        let key = match c.next() {
                            Some(f) => f.to_lowercase().chain(c).collect(),
                            None => String::new(),
                        };
                        (key, lower(v))
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(lower).collect()),
            other => other.clone(),
        }
    }
    match value {
        None => Ok(None),
        Some(v) => serde_json::from_value(lower(v))
            .map(Some)
            .with_context(|| format!("{}: {what} {v}", m.logical_id)),
    }
}

/// Creates `stack`'s machines and activities on `service`, or brings machines created by an
/// earlier start up to date: a changed definition is an `UpdateStateMachine` (same ARN, a new
/// revision), an unchanged one is left alone. A changed type is reported and the machine kept
/// as it is: Step Functions cannot change a machine's type, and CloudFormation replaces such a
/// machine only when its name is generated, which Baton's are not (delete it, or rename it, to
/// change its type). Answers one line per resource, for the log.
pub async fn apply(
    service: &dyn StepFunctions,
    ctx: &RequestContext,
    stack: &Stack,
) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for m in &stack.machines {
        let arn = format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            ctx.region, ctx.account_id, m.name
        );
        let machine_type = if m.machine_type == "EXPRESS" {
            StateMachineType::Express
        } else {
            StateMachineType::Standard
        };
        let logging: Option<LoggingConfiguration> = api_shape(&m.logging, "logging", m)?;
        let tracing: Option<TracingConfiguration> = api_shape(&m.tracing, "tracing", m)?;
        let described = service
            .describe_state_machine(
                ctx,
                DescribeStateMachineInput {
                    state_machine_arn: arn.clone(),
                    ..Default::default()
                },
            )
            .await;
        let line = match described {
            Err(ApiError::StateMachineDoesNotExist { .. }) => {
                service
                    .create_state_machine(
                        ctx,
                        CreateStateMachineInput {
                            name: m.name.clone(),
                            definition: m.definition.clone(),
                            role_arn: format!("arn:aws:iam::{}:role/baton", ctx.account_id),
                            r#type: Some(machine_type),
                            logging_configuration: logging,
                            tracing_configuration: tracing,
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: creating {}: {e}", m.logical_id, m.name))?;
                format!("created state machine {arn} ({})", m.logical_id)
            }
            Err(e) => bail!("{}: {e}", m.logical_id),
            Ok(old) if old.r#type != machine_type => format!(
                "kept state machine {arn} ({}) as {}: a machine's type cannot change to {} \
                 (delete it, or rename it, to change it)",
                m.logical_id,
                old.r#type.as_str(),
                m.machine_type
            ),
            Ok(old) if old.definition == m.definition => {
                format!("unchanged state machine {arn} ({})", m.logical_id)
            }
            Ok(_) => {
                service
                    .update_state_machine(
                        ctx,
                        UpdateStateMachineInput {
                            state_machine_arn: arn.clone(),
                            definition: Some(m.definition.clone()),
                            logging_configuration: logging,
                            tracing_configuration: tracing,
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: updating {}: {e}", m.logical_id, m.name))?;
                format!("updated state machine {arn} ({})", m.logical_id)
            }
        };
        lines.push(line);
    }
    for a in &stack.activities {
        let arn = format!(
            "arn:aws:states:{}:{}:activity:{}",
            ctx.region, ctx.account_id, a.name
        );
        let exists = service
            .describe_activity(
                ctx,
                DescribeActivityInput {
                    activity_arn: arn.clone(),
                },
            )
            .await
            .is_ok();
        if exists {
            lines.push(format!("unchanged activity {arn} ({})", a.logical_id));
            continue;
        }
        service
            .create_activity(
                ctx,
                CreateActivityInput {
                    name: a.name.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}: creating {}: {e}", a.logical_id, a.name))?;
        lines.push(format!("created activity {arn} ({})", a.logical_id));
    }
    Ok(lines)
}

/// The types of resources a stack holds that Baton does not run, each once.
pub fn skipped(stack: &Stack) -> Option<String> {
    let mut kinds: Vec<&str> = stack.skipped.iter().map(|(_, t)| t.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    (!kinds.is_empty()).then(|| format!("not run by Baton (skipped): {}", kinds.join(", ")))
}
