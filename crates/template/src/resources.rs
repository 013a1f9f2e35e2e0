//! The resources Baton runs, read from an evaluated template.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::cdk::Assets;
use crate::eval::{self, is_intrinsic, text, Ctx};
use crate::{ActivitySpec, Error, FunctionSpec, LogGroupSpec, MachineSpec, Options, Stack};

/// The largest definition file read (Step Functions' own limit on a definition is 1 MiB).
const MAX_DEFINITION_BYTES: u64 = 8 * 1024 * 1024;

pub fn read(
    template: &Value,
    file: &str,
    dir: &Path,
    options: &Options,
    stack_name: &str,
    assets: &Assets,
) -> Result<Stack, Error> {
    let Value::Object(template) = template else {
        return Err(Error::new(
            file,
            "",
            "a template must be an object (with Resources)",
        ));
    };
    if let Some(t) = template.get("Transform") {
        // `AWS::Serverless-2016-10-31` is SAM, which this crate reads itself; any other
        // transform is a macro that would rewrite the template on AWS.
        let names: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if let Some(other) = names.iter().find(|n| **n != "AWS::Serverless-2016-10-31") {
            return Err(Error::new(
                file,
                "Transform",
                format!("{other} is not applied locally (only AWS::Serverless-2016-10-31 is)"),
            ));
        }
    }
    let ctx = Ctx::new(file, template, options, stack_name.to_string())?;
    if !template.contains_key("Resources") {
        return Err(Error::new(file, "", "no Resources"));
    }
    // SAM's `Globals` (SAM Developer Guide, "Globals section of the AWS SAM template"): the
    // `Function` and `StateMachine` sections are the ones that reach what Baton runs.
    let globals = |section: &str| match template.get("Globals").and_then(|g| g.get(section)) {
        Some(Value::Object(g)) => Ok(Some(g)),
        Some(_) => Err(Error::new(
            file,
            &format!("Globals.{section}"),
            "must be an object",
        )),
        None => Ok(None),
    };
    let (function_globals, machine_globals) = (globals("Function")?, globals("StateMachine")?);
    let reader = Reader {
        ctx,
        dir,
        assets,
        function_globals,
        machine_globals,
    };
    let mut stack = Stack::default();
    for (id, resource) in reader.ctx.resources {
        let path = format!("Resources.{id}");
        let Value::Object(resource) = resource else {
            return Err(reader.ctx.err(&path, "must be an object"));
        };
        let Some(Value::String(kind)) = resource.get("Type") else {
            return Err(reader
                .ctx
                .err(&format!("{path}.Type"), "missing, or not a string"));
        };
        if !reader.ctx.resource_exists(id)? {
            continue;
        }
        let props = match resource.get("Properties") {
            None => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => {
                return Err(reader
                    .ctx
                    .err(&format!("{path}.Properties"), "must be an object"))
            }
        };
        let ppath = format!("{path}.Properties");
        match kind.as_str() {
            "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => stack
                .machines
                .push(reader.machine(id, kind, props, &ppath)?),
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                match reader.function(id, kind, props, &ppath)? {
                    Some(f) => stack.functions.push(f),
                    None => stack
                        .skipped
                        .push((id.clone(), format!("{kind} (container image)"))),
                }
            }
            "AWS::StepFunctions::Activity" => stack.activities.push(ActivitySpec {
                logical_id: id.clone(),
                name: reader.ctx.name(id, &path)?,
            }),
            "AWS::Logs::LogGroup" => stack.log_groups.push(reader.log_group(id, &props, &ppath)?),
            _ => stack.skipped.push((id.clone(), kind.clone())),
        }
    }
    Ok(stack)
}

struct Reader<'a> {
    ctx: Ctx<'a>,
    dir: &'a Path,
    assets: &'a Assets,
    function_globals: Option<&'a Map<String, Value>>,
    machine_globals: Option<&'a Map<String, Value>>,
}

impl Reader<'_> {
    /// An `AWS::Logs::LogGroup`: `LogGroupName` (or a generated name) and `RetentionInDays`,
    /// a number or a string of digits as CloudFormation takes it.
    fn log_group(
        &self,
        id: &str,
        props: &Map<String, Value>,
        path: &str,
    ) -> Result<LogGroupSpec, Error> {
        let rpath = format!("{path}.RetentionInDays");
        let retention_days = match props.get("RetentionInDays") {
            None => None,
            Some(v) => match self.ctx.eval(v, &rpath)? {
                None => None,
                Some(v) => Some(
                    text(&v)
                        .and_then(|t| t.parse::<u32>().ok())
                        .filter(|d| *d > 0)
                        .ok_or_else(|| self.ctx.err(&rpath, "must be a number of days"))?,
                ),
            },
        };
        let rpath = path.strip_suffix(".Properties").unwrap_or(path);
        Ok(LogGroupSpec {
            name: self.ctx.name(id, rpath)?,
            retention_days,
        })
    }

    /// A state machine: `AWS::StepFunctions::StateMachine` (`Definition`, `DefinitionString`,
    /// `DefinitionS3Location`, `DefinitionSubstitutions`, `StateMachineName`,
    /// `StateMachineType`, `LoggingConfiguration`, `TracingConfiguration`) or
    /// `AWS::Serverless::StateMachine` (`Definition`, `DefinitionUri`,
    /// `DefinitionSubstitutions`, `Name`, `Type`, `Logging`, `Tracing`), as their resource
    /// pages name them.
    fn machine(
        &self,
        id: &str,
        kind: &str,
        props: Map<String, Value>,
        path: &str,
    ) -> Result<MachineSpec, Error> {
        let ctx = &self.ctx;
        let sam = kind == "AWS::Serverless::StateMachine";
        let props = &with_globals(sam, self.machine_globals, props);
        let (type_key, sources, logging_key, tracing_key): (&str, &[&str], &str, &str) = if sam {
            (
                "Type",
                &["Definition", "DefinitionUri"],
                "Logging",
                "Tracing",
            )
        } else {
            (
                "StateMachineType",
                &["Definition", "DefinitionString", "DefinitionS3Location"],
                "LoggingConfiguration",
                "TracingConfiguration",
            )
        };
        let given: Vec<&&str> = sources.iter().filter(|k| props.contains_key(**k)).collect();
        let source = match given.as_slice() {
            [one] => **one,
            [] => return Err(ctx.err(path, format!("needs one of {}", sources.join(", ")))),
            more => {
                return Err(ctx.err(
                    path,
                    format!(
                        "has {}: give only one",
                        more.iter().map(|s| **s).collect::<Vec<_>>().join(" and ")
                    ),
                ))
            }
        };
        let spath = format!("{path}.{source}");
        let raw = &props[source];
        let definition = match source {
            "Definition" => {
                let v = ctx.value(raw, &spath)?;
                if !v.is_object() {
                    return Err(
                        ctx.err(&spath, format!("must be an object, not {}", eval::kind(&v)))
                    );
                }
                v.to_string()
            }
            "DefinitionString" => ctx.string(raw, &spath)?,
            _ => {
                let file = self.location(raw, &spath, sam)?;
                read_definition(&file, &spath, ctx)?
            }
        };
        let substitutions = match props.get("DefinitionSubstitutions") {
            None => BTreeMap::new(),
            Some(v) => {
                let dpath = format!("{path}.DefinitionSubstitutions");
                let Value::Object(map) = ctx.value(v, &dpath)? else {
                    return Err(ctx.err(&dpath, "must be an object of names and values"));
                };
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(ctx.err(
                                &format!("{dpath}.{k}"),
                                format!(
                                    "must be a string, number or boolean, not {}",
                                    eval::kind(&other)
                                ),
                            ))
                        }
                    };
                    out.insert(k, text);
                }
                out
            }
        };
        let definition = crate::substitute(&definition, &substitutions);
        let definition = as_json(&definition).map_err(|m| ctx.err(&spath, m))?;
        let machine_type = match props.get(type_key) {
            None => "STANDARD".to_string(),
            Some(v) => {
                let t = ctx.string(v, &format!("{path}.{type_key}"))?;
                match t.to_ascii_uppercase().as_str() {
                    "STANDARD" | "EXPRESS" => t.to_ascii_uppercase(),
                    _ => {
                        return Err(ctx.err(
                            &format!("{path}.{type_key}"),
                            format!("{t:?} is neither STANDARD nor EXPRESS"),
                        ))
                    }
                }
            }
        };
        let optional = |key: &str| -> Result<Option<Value>, Error> {
            match props.get(key) {
                None => Ok(None),
                Some(v) => ctx.eval(v, &format!("{path}.{key}")),
            }
        };
        Ok(MachineSpec {
            logical_id: id.to_string(),
            name: ctx.name(id, path)?,
            definition,
            machine_type,
            logging: optional(logging_key)?,
            tracing: optional(tracing_key)?,
        })
    }

    /// Where a definition or code lives: a local path (relative to the template), or an S3
    /// location (`{Bucket, Key}`, `{S3Bucket, S3Key}`, `s3://bucket/key`) that names a CDK
    /// asset.
    fn location(&self, raw: &Value, path: &str, _sam: bool) -> Result<PathBuf, Error> {
        let ctx = &self.ctx;
        let (bucket, key) = match ctx.value(raw, path)? {
            Value::String(s) => match s.strip_prefix("s3://") {
                Some(rest) => match rest.split_once('/') {
                    Some((b, k)) => (b.to_string(), k.to_string()),
                    None => return Err(ctx.err(path, format!("{s} names no object"))),
                },
                None => {
                    let p = self.dir.join(&s);
                    if !p.exists() {
                        return Err(ctx.err(
                            path,
                            format!("file {s} not found (looked in {})", self.dir.display()),
                        ));
                    }
                    return Ok(std::path::absolute(&p).unwrap_or(p));
                }
            },
            Value::Object(m) => {
                let get = |a: &str, b: &str| {
                    m.get(a)
                        .or_else(|| m.get(b))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                match (get("Bucket", "S3Bucket"), get("Key", "S3Key")) {
                    (Some(b), Some(k)) => (b, k),
                    _ => {
                        return Err(ctx.err(
                            path,
                            "must be a local path, or {Bucket, Key} of a CDK asset",
                        ))
                    }
                }
            }
            other => {
                return Err(ctx.err(
                    path,
                    format!(
                        "must be a local path or an S3 location, not {}",
                        eval::kind(&other)
                    ),
                ))
            }
        };
        self.assets.find(&key).ok_or_else(|| {
            ctx.err(
                path,
                format!("s3://{bucket}/{key} is not a CDK asset of this assembly: give a local path instead"),
            )
        })
    }

    /// A function: `AWS::Lambda::Function` (`Code`, `Handler`, `Runtime`, `Environment`,
    /// `Timeout`, `MemorySize`, `FunctionName`) or `AWS::Serverless::Function` (`CodeUri`
    /// instead of `Code`, after SAM's `Globals.Function`). `None` for a container image.
    fn function(
        &self,
        id: &str,
        kind: &str,
        props: Map<String, Value>,
        path: &str,
    ) -> Result<Option<FunctionSpec>, Error> {
        let ctx = &self.ctx;
        let sam = kind == "AWS::Serverless::Function";
        let props = with_globals(sam, self.function_globals, props);
        let prop_text = |key: &str| -> Result<Option<String>, Error> {
            match props.get(key) {
                None => Ok(None),
                Some(v) => match ctx.eval(v, &format!("{path}.{key}"))? {
                    None => Ok(None),
                    Some(v) => Ok(Some(text(&v).ok_or_else(|| {
                        ctx.err(&format!("{path}.{key}"), "must be a string")
                    })?)),
                },
            }
        };
        if prop_text("PackageType")?.as_deref() == Some("Image") {
            return Ok(None);
        }
        let code_key = if sam { "CodeUri" } else { "Code" };
        let code =
            match props.get(code_key) {
                Some(raw) => {
                    let cpath = format!("{path}.{code_key}");
                    if !sam {
                        if let Some(Value::Object(m)) = ctx.eval(raw, &cpath)? {
                            if m.contains_key("ZipFile") {
                                return Err(ctx.err(
                                &format!("{cpath}.ZipFile"),
                                "inline code is not run locally: put it in a folder and name it",
                            ));
                            }
                            if m.contains_key("ImageUri") {
                                return Ok(None);
                            }
                        }
                    }
                    self.location(raw, &cpath, sam)?
                }
                None if sam && props.contains_key("InlineCode") => return Err(ctx.err(
                    &format!("{path}.InlineCode"),
                    "inline code is not run locally: put it in a folder and name it with CodeUri",
                )),
                None => return Err(ctx.err(path, format!("needs {code_key}"))),
            };
        let need = |key: &str| -> Result<String, Error> {
            prop_text(key)?.ok_or_else(|| ctx.err(path, format!("needs {key}")))
        };
        let number = |key: &str| -> Result<Option<u64>, Error> {
            match prop_text(key)? {
                None => Ok(None),
                Some(t) => t.parse::<u64>().map(Some).map_err(|_| {
                    ctx.err(
                        &format!("{path}.{key}"),
                        format!("{t:?} is not a whole number"),
                    )
                }),
            }
        };
        let mut environment = BTreeMap::new();
        if let Some(env) = props.get("Environment") {
            let epath = format!("{path}.Environment");
            if let Some(Value::Object(env)) = ctx.eval(env, &epath)? {
                match env.get("Variables") {
                    None => {}
                    Some(Value::Object(vars)) => {
                        for (k, v) in vars {
                            let t = text(v).ok_or_else(|| {
                                ctx.err(
                                    &format!("{epath}.Variables.{k}"),
                                    format!("must be a string, not {}", eval::kind(v)),
                                )
                            })?;
                            environment.insert(k.clone(), t);
                        }
                    }
                    Some(_) => {
                        return Err(ctx.err(&format!("{epath}.Variables"), "must be an object"))
                    }
                }
            }
        }
        let memory_mb = match number("MemorySize")? {
            None => None,
            Some(m) => Some(
                u32::try_from(m)
                    .map_err(|_| ctx.err(&format!("{path}.MemorySize"), "is too large"))?,
            ),
        };
        Ok(Some(FunctionSpec {
            logical_id: id.to_string(),
            name: ctx.name(id, path)?,
            runtime: need("Runtime")?,
            handler: need("Handler")?,
            code,
            environment,
            timeout_seconds: number("Timeout")?,
            memory_mb,
        }))
    }
}

/// A SAM resource's properties after its `Globals` section.
fn with_globals(
    sam: bool,
    globals: Option<&Map<String, Value>>,
    props: Map<String, Value>,
) -> Map<String, Value> {
    match (sam, globals) {
        (true, Some(g)) => match merge(&Value::Object(g.clone()), &Value::Object(props)) {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        _ => props,
    }
}

/// SAM's `Globals` merge (SAM Developer Guide, "Globals section of the AWS SAM template",
/// "Overridable"): a primitive in the resource replaces the global one, maps are merged key by
/// key (the resource's value wins, recursively), and lists are the global entries followed by
/// the resource's. An intrinsic function is a primitive.
fn merge(global: &Value, local: &Value) -> Value {
    match (global, local) {
        (Value::Object(g), Value::Object(l)) if !is_intrinsic(global) && !is_intrinsic(local) => {
            let mut out = g.clone();
            for (k, v) in l {
                let merged = match g.get(k) {
                    Some(gv) => merge(gv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(g), Value::Array(l)) => Value::Array(g.iter().chain(l).cloned().collect()),
        (_, l) => l.clone(),
    }
}

/// Reads a definition file named by `DefinitionUri` or `DefinitionS3Location`.
fn read_definition(file: &Path, path: &str, ctx: &Ctx<'_>) -> Result<String, Error> {
    let meta = std::fs::metadata(file)
        .map_err(|e| ctx.err(path, format!("cannot read {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(ctx.err(path, format!("{} is not a file", file.display())));
    }
    if meta.len() > MAX_DEFINITION_BYTES {
        return Err(ctx.err(
            path,
            format!(
                "{} is larger than {MAX_DEFINITION_BYTES} bytes",
                file.display()
            ),
        ));
    }
    std::fs::read_to_string(file)
        .map_err(|e| ctx.err(path, format!("cannot read {}: {e}", file.display())))
}

/// A definition's text as JSON: kept as it is when it is JSON (Baton's own validation reports
/// what is wrong inside it, with its line numbers); a YAML definition (which
/// `DefinitionS3Location` allows) converted.
fn as_json(text: &str) -> Result<String, String> {
    if serde_json::from_str::<Value>(text).is_ok() {
        return Ok(text.to_string());
    }
    match crate::yaml::to_json(text) {
        Ok(v @ Value::Object(_)) => Ok(v.to_string()),
        // Not YAML either: the text as it is, for the definition's own validation to explain.
        _ => Ok(text.to_string()),
    }
}
