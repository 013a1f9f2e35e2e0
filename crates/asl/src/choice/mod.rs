//! Choice rules in JSONPath mode: comparison operators and their `…Path` forms, `And`, `Or`,
//! `Not`, the type tests, `StringMatches`, timestamp comparisons.
//!
//! As on AWS: a comparison between values of the wrong types is simply false, while a
//! `Variable` (or `…Path` operand) that selects nothing fails the state with `States.Runtime`
//! — except for `IsPresent`, whose whole point is to ask.

mod rule;
pub mod timestamp;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use crate::error::Failure;
use crate::path::{decimal_cmp, java::java_number, java_string_cmp, Path};
use crate::vars::Env;

use rule::{Cmp, Expr, Kind, Operand, Test, TypeCheck};
pub use timestamp::{is_rfc3339, parse_timestamp, Timestamp};

/// A Boolean expression of a Choice rule (without its `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    source: Value,
    expr: Expr,
}

impl Condition {
    /// Parses one rule object (the top-level rule's `Next` and `Comment`/`Assign`/`Output`
    /// members are ignored here; the model reads them).
    pub fn parse(rule: &Value) -> Result<Condition, String> {
        Ok(Condition {
            source: rule.clone(),
            expr: rule::parse(rule, 0)?,
        })
    }

    /// The rule as written.
    pub fn source(&self) -> &Value {
        &self.source
    }

    pub fn eval(&self, env: &Env<'_>) -> Result<bool, Failure> {
        eval_expr(&self.expr, env)
    }
}

/// `Invalid path '$.x': The choice state's condition path references an invalid value.`
fn invalid_path(path: &Path) -> Failure {
    Failure::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.text()
    ))
}

fn eval_expr(expr: &Expr, env: &Env<'_>) -> Result<bool, Failure> {
    match expr {
        Expr::And(all) => {
            for e in all {
                if !eval_expr(e, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Expr::Or(any) => {
            for e in any {
                if eval_expr(e, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Expr::Not(inner) => Ok(!eval_expr(inner, env)?),
        Expr::Test(t) => {
            let (variable, test) = t.as_ref();
            let value = variable.eval_ref(env).ok();
            if let Test::Is {
                check: TypeCheck::Present,
                expect,
            } = test
            {
                return Ok(value.is_some() == *expect);
            }
            let value = value.ok_or_else(|| invalid_path(variable))?;
            eval_test(test, &value, env)
        }
    }
}

fn eval_test(test: &Test, value: &Value, env: &Env<'_>) -> Result<bool, Failure> {
    match test {
        Test::Is { check, expect } => {
            let is = match check {
                TypeCheck::Present => true,
                TypeCheck::Null => value.is_null(),
                TypeCheck::Numeric => value.is_number(),
                TypeCheck::String => value.is_string(),
                TypeCheck::Boolean => value.is_boolean(),
                TypeCheck::Timestamp => value.as_str().and_then(parse_timestamp).is_some(),
            };
            Ok(is == *expect)
        }
        Test::Matches(pattern) => Ok(value.as_str().is_some_and(|s| pattern.matches(s))),
        Test::Compare { kind, cmp, operand } => {
            let other: Cow<'_, Value> = match operand {
                Operand::Literal(v) => Cow::Borrowed(v),
                Operand::Timestamp(t) => {
                    let Some(t2) = value.as_str().and_then(parse_timestamp) else {
                        return Ok(false);
                    };
                    return Ok(cmp.holds(t2.cmp(t)));
                }
                Operand::Path(p) => p.eval_ref(env).map_err(|_| invalid_path(p))?,
            };
            Ok(compare(*kind, value, &other).is_some_and(|o| cmp.holds(o)))
        }
    }
}

/// How `value` compares with `other` as the operator's type, or `None` when either is not
/// of that type.
fn compare(kind: Kind, value: &Value, other: &Value) -> Option<Ordering> {
    match kind {
        Kind::String => Some(java_string_cmp(value.as_str()?, other.as_str()?)),
        Kind::Numeric => {
            let (a, b) = (value.as_number()?, other.as_number()?);
            match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => decimal_cmp(&java_number(a), &java_number(b)),
            }
        }
        Kind::Boolean => {
            let (a, b) = (value.as_bool()?, other.as_bool()?);
            Some(if a == b { Ordering::Equal } else { a.cmp(&b) })
        }
        Kind::Timestamp => {
            let a = parse_timestamp(value.as_str()?)?;
            let b = parse_timestamp(other.as_str()?)?;
            Some(a.cmp(&b))
        }
    }
}

impl Cmp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
        }
    }
}
