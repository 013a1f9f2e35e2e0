//! CloudFormation's intrinsic functions, pseudo parameters, `Parameters`, `Conditions` and
//! `Mappings`, evaluated for one stack (CloudFormation User Guide, "Intrinsic function
//! reference" and "Pseudo parameters reference").
//!
//! `Ref` and `Fn::GetAtt` answer the names and ARNs Baton gives the resources it runs, in the
//! account and region the caller chose (see the crate documentation for the naming rule).
//! Evaluation is bounded: nesting past [`MAX_EVAL_DEPTH`] and a resource, condition or name
//! that depends on itself (`A`'s name `!Sub ${B}`, `B`'s `!Sub ${A}`) are errors.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::{Error, Options};

/// The deepest chain of nested functions and references one value may need.
pub const MAX_EVAL_DEPTH: usize = 200;

/// What a value evaluated to: a value, or `AWS::NoValue` (the property is removed).
pub type Evaluated = Option<Value>;

pub struct Ctx<'a> {
    pub file: &'a str,
    pub options: &'a Options,
    pub stack_name: String,
    pub resources: &'a Map<String, Value>,
    mappings: &'a Map<String, Value>,
    conditions: &'a Map<String, Value>,
    parameters: BTreeMap<String, Value>,
    condition_values: RefCell<BTreeMap<String, bool>>,
    names: RefCell<BTreeMap<String, String>>,
    /// Conditions and names being evaluated: one met again is a cycle.
    in_progress: RefCell<Vec<String>>,
    depth: std::cell::Cell<usize>,
}

fn object<'a>(
    v: Option<&'a Value>,
    file: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, Error> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match v {
        None => Ok(EMPTY.get_or_init(Map::new)),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(Error::new(file, path, "must be an object")),
    }
}

/// Whether `v` is one intrinsic function call (`{"Ref": ...}`, `{"Fn::X": ...}`).
pub fn is_intrinsic(v: &Value) -> bool {
    match v {
        Value::Object(m) if m.len() == 1 => m
            .keys()
            .next()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")),
        _ => false,
    }
}

/// A scalar as text (the form `Fn::Sub`, `Fn::Join` and `Fn::Equals` work on).
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> Ctx<'a> {
    pub fn new(
        file: &'a str,
        template: &'a Map<String, Value>,
        options: &'a Options,
        stack_name: String,
    ) -> Result<Ctx<'a>, Error> {
        let resources = object(template.get("Resources"), file, "Resources")?;
        let mappings = object(template.get("Mappings"), file, "Mappings")?;
        let conditions = object(template.get("Conditions"), file, "Conditions")?;
        let declared = object(template.get("Parameters"), file, "Parameters")?;
        let mut parameters = BTreeMap::new();
        for (name, _) in &options.parameters {
            if !declared.contains_key(name) && !options.allow_undeclared {
                return Err(Error::new(
                    file,
                    "Parameters",
                    format!(
                        "--parameter-overrides names {name}, which the template does not declare"
                    ),
                ));
            }
        }
        for (name, decl) in declared {
            let path = format!("Parameters.{name}");
            let decl = object(Some(decl), file, &path)?;
            let given = options
                .parameters
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| Value::String(v.clone()));
            let value = match given.or_else(|| decl.get("Default").cloned()) {
                Some(v) => v,
                None => {
                    return Err(Error::new(
                        file,
                        &path,
                        "has no Default: give it a value with --parameter-overrides NAME=VALUE",
                    ))
                }
            };
            let value_text = match &value {
                Value::Array(items) => items.iter().filter_map(text).collect::<Vec<_>>().join(","),
                v => text(v).ok_or_else(|| Error::new(file, &path, "Default must be a scalar"))?,
            };
            if let Some(Value::Array(allowed)) = decl.get("AllowedValues") {
                if !allowed.iter().filter_map(text).any(|a| a == value_text) {
                    return Err(Error::new(
                        file,
                        &path,
                        format!("{value_text:?} is not one of its AllowedValues"),
                    ));
                }
            }
            let kind = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
            // `CommaDelimitedList` and `List<...>` parameters are lists; every other
            // parameter's `Ref` is its text.
            let value = if kind == "CommaDelimitedList" || kind.starts_with("List<") {
                Value::Array(
                    value_text
                        .split(',')
                        .map(|s| Value::String(s.trim().to_string()))
                        .collect(),
                )
            } else {
                Value::String(value_text)
            };
            parameters.insert(name.clone(), value);
        }
        Ok(Ctx {
            file,
            options,
            stack_name,
            resources,
            mappings,
            conditions,
            parameters,
            condition_values: RefCell::new(BTreeMap::new()),
            names: RefCell::new(BTreeMap::new()),
            in_progress: RefCell::new(Vec::new()),
            depth: std::cell::Cell::new(0),
        })
    }

    pub fn err(&self, path: &str, message: impl Into<String>) -> Error {
        Error::new(self.file, path, message)
    }

    fn partition(&self) -> &'static str {
        let r = self.options.region.as_str();
        if r.starts_with("cn-") {
            "aws-cn"
        } else if r.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    fn url_suffix(&self) -> &'static str {
        if self.options.region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }

    fn enter(&self, path: &str) -> Result<DepthGuard<'_>, Error> {
        let d = self.depth.get() + 1;
        if d > MAX_EVAL_DEPTH {
            return Err(self.err(
                path,
                format!("nested deeper than {MAX_EVAL_DEPTH} functions and references"),
            ));
        }
        self.depth.set(d);
        Ok(DepthGuard(&self.depth))
    }

    fn begin(&self, key: String, path: &str) -> Result<ProgressGuard<'_>, Error> {
        let mut open = self.in_progress.borrow_mut();
        if open.contains(&key) {
            let chain = open.join(" → ");
            return Err(self.err(path, format!("{key} depends on itself ({chain} → {key})")));
        }
        open.push(key);
        Ok(ProgressGuard(&self.in_progress))
    }

    /// Whether resource `id` exists: it has no `Condition`, or its condition is true.
    pub fn resource_exists(&self, id: &str) -> Result<bool, Error> {
        let Some(Value::Object(res)) = self.resources.get(id) else {
            return Ok(false);
        };
        match res.get("Condition") {
            None => Ok(true),
            Some(Value::String(c)) => self.condition(c, &format!("Resources.{id}.Condition")),
            Some(_) => Err(self.err(
                &format!("Resources.{id}.Condition"),
                "must be a condition's name",
            )),
        }
    }

    /// The value of condition `name` (evaluated once).
    pub fn condition(&self, name: &str, path: &str) -> Result<bool, Error> {
        if let Some(v) = self.condition_values.borrow().get(name) {
            return Ok(*v);
        }
        let Some(body) = self.conditions.get(name) else {
            return Err(self.err(path, format!("no condition {name} in Conditions")));
        };
        let _g = self.begin(format!("condition {name}"), path)?;
        let cpath = format!("Conditions.{name}");
        let v = self.truth(body, &cpath)?;
        self.condition_values
            .borrow_mut()
            .insert(name.to_string(), v);
        Ok(v)
    }

    /// A condition function's (or `{"Condition": name}`'s) truth.
    fn truth(&self, v: &Value, path: &str) -> Result<bool, Error> {
        let _d = self.enter(path)?;
        if let Value::Object(m) = v {
            if m.len() == 1 {
                if let Some(Value::String(c)) = m.get("Condition") {
                    return self.condition(c, path);
                }
            }
        }
        match self.eval(v, path)? {
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s == "true" => Ok(true),
            Some(Value::String(s)) if s == "false" => Ok(false),
            _ => Err(self.err(
                path,
                "must be a condition (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition)",
            )),
        }
    }

    /// `v` with every intrinsic function evaluated; `None` for `AWS::NoValue`.
    pub fn eval(&self, v: &Value, path: &str) -> Result<Evaluated, Error> {
        let _d = self.enter(path)?;
        match v {
            Value::Object(m) if is_intrinsic(v) => {
                let (name, arg) = m.iter().next().expect("one key");
                self.function(name, arg, &format!("{path}.{name}"))
            }
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, item) in m {
                    if let Some(x) = self.eval(item, &format!("{path}.{k}"))? {
                        out.insert(k.clone(), x);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(x) = self.eval(item, &format!("{path}[{i}]"))? {
                        out.push(x);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// `v` evaluated to a value (`AWS::NoValue` is an error here).
    pub fn value(&self, v: &Value, path: &str) -> Result<Value, Error> {
        self.eval(v, path)?
            .ok_or_else(|| self.err(path, "AWS::NoValue cannot stand here"))
    }

    /// `v` evaluated to text (a string, number or boolean).
    pub fn string(&self, v: &Value, path: &str) -> Result<String, Error> {
        let x = self.value(v, path)?;
        text(&x).ok_or_else(|| self.err(path, format!("must be a string, not {}", kind(&x))))
    }

    fn list(&self, v: &Value, path: &str) -> Result<Vec<Value>, Error> {
        match self.value(v, path)? {
            Value::Array(items) => Ok(items),
            other => Err(self.err(path, format!("must be a list, not {}", kind(&other)))),
        }
    }

    fn args<'v>(
        &self,
        arg: &'v Value,
        n: std::ops::RangeInclusive<usize>,
        path: &str,
    ) -> Result<&'v [Value], Error> {
        match arg {
            Value::Array(items) if n.contains(&items.len()) => Ok(items),
            _ => Err(self.err(
                path,
                if n.start() == n.end() {
                    format!("takes a list of {} arguments", n.start())
                } else {
                    format!("takes a list of {} to {} arguments", n.start(), n.end())
                },
            )),
        }
    }

    fn function(&self, name: &str, arg: &Value, path: &str) -> Result<Evaluated, Error> {
        match name {
            "Ref" => {
                let target = self.string(arg, path)?;
                self.reference(&target, path)
            }
            "Fn::GetAtt" => {
                let (resource, attribute) = match arg {
                    Value::Array(items) if items.len() == 2 => {
                        (self.string(&items[0], path)?, self.string(&items[1], path)?)
                    }
                    Value::String(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => return Err(self.err(path, "takes [Resource, Attribute]")),
                    },
                    _ => return Err(self.err(path, "takes [Resource, Attribute]")),
                };
                self.attribute(&resource, &attribute, path).map(Some)
            }
            "Fn::Sub" => {
                let (template, vars) = match arg {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Array(items) if items.len() == 2 => {
                        let Value::String(s) = &items[0] else {
                            return Err(self.err(path, "takes a string, or [string, {variables}]"));
                        };
                        let Value::Object(vars) = &items[1] else {
                            return Err(self.err(path, "takes a string, or [string, {variables}]"));
                        };
                        (s.clone(), vars.clone())
                    }
                    _ => return Err(self.err(path, "takes a string, or [string, {variables}]")),
                };
                self.sub(&template, &vars, path)
                    .map(|s| Some(Value::String(s)))
            }
            "Fn::Join" => {
                let a = self.args(arg, 2..=2, path)?;
                let sep = self.string(&a[0], &format!("{path}[0]"))?;
                let items = self.list(&a[1], &format!("{path}[1]"))?;
                let parts = items
                    .iter()
                    .map(|i| text(i).ok_or_else(|| self.err(path, "joins strings only")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Value::String(parts.join(&sep))))
            }
            "Fn::Select" => {
                let a = self.args(arg, 2..=2, path)?;
                let index = self.string(&a[0], &format!("{path}[0]"))?;
                let index: usize = index
                    .parse()
                    .map_err(|_| self.err(path, format!("index {index:?} is not a number")))?;
                let items = self.list(&a[1], &format!("{path}[1]"))?;
                items.get(index).cloned().map(Some).ok_or_else(|| {
                    self.err(
                        path,
                        format!("index {index} is past the list's {} items", items.len()),
                    )
                })
            }
            "Fn::Split" => {
                let a = self.args(arg, 2..=2, path)?;
                let sep = self.string(&a[0], &format!("{path}[0]"))?;
                let s = self.string(&a[1], &format!("{path}[1]"))?;
                if sep.is_empty() {
                    return Err(self.err(path, "the delimiter is empty"));
                }
                Ok(Some(Value::Array(
                    s.split(sep.as_str())
                        .map(|p| Value::String(p.to_string()))
                        .collect(),
                )))
            }
            "Fn::If" => {
                let a = self.args(arg, 3..=3, path)?;
                let cond = self.string(&a[0], &format!("{path}[0]"))?;
                if self.condition(&cond, path)? {
                    self.eval(&a[1], &format!("{path}[1]"))
                } else {
                    self.eval(&a[2], &format!("{path}[2]"))
                }
            }
            "Fn::Equals" => {
                let a = self.args(arg, 2..=2, path)?;
                let x = self.value(&a[0], &format!("{path}[0]"))?;
                let y = self.value(&a[1], &format!("{path}[1]"))?;
                let same = match (text(&x), text(&y)) {
                    (Some(x), Some(y)) => x == y,
                    _ => x == y,
                };
                Ok(Some(Value::Bool(same)))
            }
            "Fn::Not" => {
                let a = self.args(arg, 1..=1, path)?;
                Ok(Some(Value::Bool(
                    !self.truth(&a[0], &format!("{path}[0]"))?,
                )))
            }
            "Fn::And" | "Fn::Or" => {
                // Two to ten conditions each (the User Guide's "Condition functions").
                let a = self.args(arg, 2..=10, path)?;
                let want = name == "Fn::Or";
                for (i, c) in a.iter().enumerate() {
                    if self.truth(c, &format!("{path}[{i}]"))? == want {
                        return Ok(Some(Value::Bool(want)));
                    }
                }
                Ok(Some(Value::Bool(!want)))
            }
            "Fn::FindInMap" => {
                let a = self.args(arg, 3..=3, path)?;
                let map = self.string(&a[0], &format!("{path}[0]"))?;
                let top = self.string(&a[1], &format!("{path}[1]"))?;
                let second = self.string(&a[2], &format!("{path}[2]"))?;
                self.mappings
                    .get(&map)
                    .and_then(|m| m.get(&top))
                    .and_then(|m| m.get(&second))
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| self.err(path, format!("Mappings has no {map}.{top}.{second}")))
            }
            "Fn::GetAZs" => {
                let region = self.string(arg, path)?;
                let region = if region.is_empty() {
                    self.options.region.clone()
                } else {
                    region
                };
                Ok(Some(Value::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| Value::String(format!("{region}{z}")))
                        .collect(),
                )))
            }
            "Fn::Base64" => {
                use base64::Engine;
                let s = self.string(arg, path)?;
                Ok(Some(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
                )))
            }
            "Fn::Cidr" => {
                let a = self.args(arg, 3..=3, path)?;
                let block = self.string(&a[0], &format!("{path}[0]"))?;
                let count = self.string(&a[1], &format!("{path}[1]"))?;
                let bits = self.string(&a[2], &format!("{path}[2]"))?;
                cidr(&block, &count, &bits)
                    .map(|l| Some(Value::Array(l.into_iter().map(Value::String).collect())))
                    .map_err(|m| self.err(path, m))
            }
            "Fn::ToJsonString" => {
                let v = self.value(arg, path)?;
                Ok(Some(Value::String(v.to_string())))
            }
            "Fn::Length" => Ok(Some(Value::from(self.list(arg, path)?.len()))),
            "Fn::ImportValue" => {
                let export = self.string(arg, path)?;
                Err(self.err(
                    path,
                    format!(
                        "imports {export:?} from another stack, which a local template cannot see"
                    ),
                ))
            }
            "Fn::Transform" => Err(self.err(path, "macros (Fn::Transform) are not run locally")),
            other => Err(self.err(path, format!("unknown function {other}"))),
        }
    }

    /// `Fn::Sub`'s text: `${Name}` from `vars`, else a parameter, pseudo parameter or resource
    /// (`Ref`), `${Resource.Attribute}` (`Fn::GetAtt`), and `${!Literal}` written as
    /// `${Literal}` (the User Guide's `Fn::Sub` page).
    pub fn sub(
        &self,
        template: &str,
        vars: &Map<String, Value>,
        path: &str,
    ) -> Result<String, Error> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = after[..end].trim();
            let value = match vars.get(name) {
                Some(v) => self.string(v, &format!("{path}.{name}"))?,
                None => {
                    let v = if self.resolvable(name) || !name.contains('.') {
                        self.reference(name, path)?
                    } else {
                        let (r, a) = name.split_once('.').expect("a dot");
                        Some(self.attribute(r, a, path)?)
                    };
                    match v.as_ref().and_then(text) {
                        Some(t) => t,
                        None => return Err(self.err(path, format!("${{{name}}} is not a string"))),
                    }
                }
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Whether `name` is a parameter, pseudo parameter or resource (`Ref` can answer it).
    fn resolvable(&self, name: &str) -> bool {
        name.starts_with("AWS::")
            || self.parameters.contains_key(name)
            || self.resources.contains_key(name)
    }

    /// `Ref name`.
    pub fn reference(&self, name: &str, path: &str) -> Result<Evaluated, Error> {
        let s = |v: String| Ok(Some(Value::String(v)));
        match name {
            "AWS::Region" => return s(self.options.region.clone()),
            "AWS::AccountId" => return s(self.options.account.clone()),
            "AWS::Partition" => return s(self.partition().to_string()),
            "AWS::StackName" => return s(self.stack_name.clone()),
            "AWS::URLSuffix" => return s(self.url_suffix().to_string()),
            "AWS::StackId" => {
                return s(format!(
                    "arn:{}:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                    self.partition(),
                    self.options.region,
                    self.options.account,
                    self.stack_name
                ))
            }
            "AWS::NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            "AWS::NoValue" => return Ok(None),
            _ => {}
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(Some(v.clone()));
        }
        if !self.resources.contains_key(name) {
            return Err(self.err(
                path,
                format!("Ref {name}: no parameter, pseudo parameter or resource of that name"),
            ));
        }
        let kind = self.kind_of(name);
        let name_of = self.name(name, path)?;
        let arn = |service: &str, rest: String| {
            format!(
                "arn:{}:{service}:{}:{}:{rest}",
                self.partition(),
                self.options.region,
                self.options.account
            )
        };
        // Each type's `Ref` as its resource page's "Return values" says.
        let v = match kind.as_str() {
            "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
                arn("states", format!("stateMachine:{name_of}"))
            }
            "AWS::StepFunctions::Activity" => arn("states", format!("activity:{name_of}")),
            "AWS::SNS::Topic" => arn("sns", name_of),
            "AWS::SQS::Queue" => format!(
                "https://sqs.{}.{}/{}/{name_of}",
                self.options.region,
                self.url_suffix(),
                self.options.account
            ),
            _ => name_of,
        };
        s(v)
    }

    /// `Fn::GetAtt resource.attribute`.
    pub fn attribute(&self, resource: &str, attribute: &str, path: &str) -> Result<Value, Error> {
        if !self.resources.contains_key(resource) {
            return Err(self.err(
                path,
                format!("Fn::GetAtt {resource}.{attribute}: no resource {resource}"),
            ));
        }
        let kind = self.kind_of(resource);
        let name = self.name(resource, path)?;
        let (p, r, a) = (
            self.partition(),
            &self.options.region,
            &self.options.account,
        );
        let v = match (kind.as_str(), attribute) {
            ("AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine", "Arn") => {
                format!("arn:{p}:states:{r}:{a}:stateMachine:{name}")
            }
            ("AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine", "Name") => name,
            ("AWS::StepFunctions::Activity", "Name") => name,
            ("AWS::StepFunctions::Activity", "Arn") => format!("arn:{p}:states:{r}:{a}:activity:{name}"),
            ("AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn") => {
                format!("arn:{p}:lambda:{r}:{a}:function:{name}")
            }
            ("AWS::S3::Bucket", "Arn") => format!("arn:{p}:s3:::{name}"),
            ("AWS::S3::Bucket", "DomainName") => format!("{name}.s3.{}", self.url_suffix()),
            ("AWS::SQS::Queue", "Arn") => format!("arn:{p}:sqs:{r}:{a}:{name}"),
            ("AWS::SQS::Queue", "QueueName") => name,
            ("AWS::SQS::Queue", "QueueUrl") => format!("https://sqs.{r}.{}/{a}/{name}", self.url_suffix()),
            ("AWS::SNS::Topic", "TopicArn") => format!("arn:{p}:sns:{r}:{a}:{name}"),
            ("AWS::SNS::Topic", "TopicName") => name,
            ("AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable", "Arn") => {
                format!("arn:{p}:dynamodb:{r}:{a}:table/{name}")
            }
            ("AWS::IAM::Role", "Arn") => format!("arn:{p}:iam::{a}:role/{name}"),
            ("AWS::Events::EventBus", "Arn") => format!("arn:{p}:events:{r}:{a}:event-bus/{name}"),
            ("AWS::Events::EventBus", "Name") => name,
            ("AWS::Logs::LogGroup", "Arn") => format!("arn:{p}:logs:{r}:{a}:log-group:{name}:*"),
            _ => {
                return Err(self.err(
                    path,
                    format!("Fn::GetAtt {resource}.{attribute}: Baton does not know the attribute {attribute} of a {kind}"),
                ))
            }
        };
        Ok(Value::String(v))
    }

    pub fn kind_of(&self, id: &str) -> String {
        self.resources
            .get(id)
            .and_then(|r| r.get("Type"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    /// The property that names a resource of `kind`, when it has one.
    fn name_property(kind: &str) -> Option<&'static str> {
        Some(match kind {
            "AWS::Serverless::StateMachine"
            | "AWS::StepFunctions::Activity"
            | "AWS::Events::EventBus" => "Name",
            "AWS::StepFunctions::StateMachine" => "StateMachineName",
            "AWS::Serverless::Function" | "AWS::Lambda::Function" => "FunctionName",
            "AWS::S3::Bucket" => "BucketName",
            "AWS::SQS::Queue" => "QueueName",
            "AWS::SNS::Topic" => "TopicName",
            "AWS::DynamoDB::Table" => "TableName",
            "AWS::Serverless::SimpleTable" => "TableName",
            "AWS::IAM::Role" => "RoleName",
            "AWS::Logs::LogGroup" => "LogGroupName",
            _ => return None,
        })
    }

    /// The name of resource `id`: its name property, else its logical id (see the crate
    /// documentation: AWS would generate `Stack-LogicalId-RANDOM`; local tests need names that
    /// stay the same from one start to the next).
    pub fn name(&self, id: &str, path: &str) -> Result<String, Error> {
        if let Some(n) = self.names.borrow().get(id) {
            return Ok(n.clone());
        }
        if !self.resource_exists(id)? {
            return Err(self.err(
                path,
                format!("refers to {id}, which its Condition leaves out of the stack"),
            ));
        }
        let _g = self.begin(format!("resource {id}"), path)?;
        let kind = self.kind_of(id);
        let given = match Self::name_property(&kind) {
            Some(prop) => {
                let ppath = format!("Resources.{id}.Properties.{prop}");
                match self
                    .resources
                    .get(id)
                    .and_then(|r| r.get("Properties"))
                    .and_then(|p| p.get(prop))
                {
                    Some(v) => match self.eval(v, &ppath)? {
                        Some(v) => {
                            Some(text(&v).ok_or_else(|| self.err(&ppath, "must be a string"))?)
                        }
                        None => None,
                    },
                    None => None,
                }
            }
            None => None,
        };
        let name = given.unwrap_or_else(|| id.to_string());
        self.names.borrow_mut().insert(id.to_string(), name.clone());
        Ok(name)
    }
}

struct DepthGuard<'a>(&'a std::cell::Cell<usize>);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

struct ProgressGuard<'a>(&'a RefCell<Vec<String>>);

impl Drop for ProgressGuard<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().pop();
    }
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `Fn::Cidr [block, count, bits]`: `count` consecutive IPv4 blocks of `bits` host bits.
fn cidr(block: &str, count: &str, bits: &str) -> Result<Vec<String>, String> {
    let (addr, prefix) = block
        .split_once('/')
        .ok_or_else(|| format!("{block:?} is not an IPv4 CIDR block"))?;
    let addr: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| format!("{block:?} is not an IPv4 CIDR block (IPv6 is not supported)"))?;
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("{block:?} has no prefix length"))?;
    let count: u32 = count
        .parse()
        .map_err(|_| format!("count {count:?} is not a number"))?;
    let bits: u32 = bits
        .parse()
        .map_err(|_| format!("cidrBits {bits:?} is not a number"))?;
    if prefix > 32 || bits > 32 || !(1..=256).contains(&count) {
        return Err("the prefix, count (1 to 256) or cidrBits is out of range".into());
    }
    let new_prefix = 32 - bits;
    if new_prefix < prefix {
        return Err(format!("{block} cannot hold blocks of {bits} host bits"));
    }
    let size: u64 = 1u64 << bits;
    let available = 1u64 << (new_prefix - prefix);
    if u64::from(count) > available {
        return Err(format!(
            "{block} holds only {available} blocks of {bits} host bits"
        ));
    }
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    let base = u64::from(u32::from(addr) & mask);
    Ok((0..u64::from(count))
        .map(|i| {
            let a = std::net::Ipv4Addr::from((base + i * size) as u32);
            format!("{a}/{new_prefix}")
        })
        .collect())
}
