//! The direct evaluator: the JSONata that most state fields hold (`$states.input.a.b`,
//! arithmetic, `&`, comparisons, `and`/`or`, `? :`, object and array constructors, and
//! `$sum`, `$count`, `$string`, `$uppercase`, `$lowercase`), evaluated on the JSON values where
//! they are, with no conversion and no evaluator session.
//!
//! It answers only where its answer is certainly jsonata-js 2.0.6's; anywhere else (an error
//! to report, a value whose printing or ordering is subtle, a name it does not know) it
//! declines, and the expression runs on the full evaluator instead. Declining is always safe:
//! nothing here draws randomness or has effects, so evaluating again gives what the first
//! evaluation would have. The rules below cite jsonata-js 2.0.6 (`src/jsonata.js`,
//! `src/functions.js`), which is the JSONata AWS runs.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::JsonataEnv;

/// Deepest expression or value the direct evaluator walks; deeper ones go to the full
/// evaluator, which keeps its own stack.
const MAX_DEPTH: usize = 64;

/// An expression in the direct evaluator's form. Built from the parsed expression by the
/// backend (`backend::lower`).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    String(String),
    Bool(bool),
    Null,
    /// `$name`.
    Var(String),
    /// `$name.a.b…`: a variable, then named steps without predicates.
    Path(String, Vec<String>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    /// `a & b`.
    Concat(Box<Expr>, Box<Expr>),
    /// `a = b` (`false`) or `a != b` (`true`).
    Equal(bool, Box<Expr>, Box<Expr>),
    Compare(Compare, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Call(Func, Vec<Expr>),
    /// `{"k": v, …}` with distinct literal keys.
    Object(Vec<(String, Expr)>),
    /// `[a, b, …]`; each item marked when it is itself an array constructor.
    Array(Vec<(Expr, bool)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// The built-in functions the direct evaluator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Sum,
    Count,
    String,
    Uppercase,
    Lowercase,
}

impl Func {
    pub fn named(name: &str) -> Option<Func> {
        Some(match name {
            "sum" => Func::Sum,
            "count" => Func::Count,
            "string" => Func::String,
            "uppercase" => Func::Uppercase,
            "lowercase" => Func::Lowercase,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::Sum => "sum",
            Func::Count => "count",
            Func::String => "string",
            Func::Uppercase => "uppercase",
            Func::Lowercase => "lowercase",
        }
    }
}

/// What the direct evaluator made of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Direct {
    Value(Value),
    /// JSONata's `undefined`.
    Undefined,
}

/// A value during evaluation: JSON where it lies, or made here.
#[derive(Debug, Clone)]
enum V<'a> {
    Undefined,
    Ref(&'a Value),
    Number(f64),
    Bool(bool),
    Str(Cow<'a, str>),
    /// An array or object built here, its numbers already written as JSONata writes them.
    Made(Value),
    /// A sequence of two or more values, from a path that fanned out over arrays.
    Seq(Vec<&'a Value>),
}

/// The evaluator declined: the full evaluator decides.
struct Decline;

type R<'a> = Result<V<'a>, Decline>;

/// Evaluates `expr`; `None` when the full evaluator must.
///
/// Under a step's budget the evaluation counts its memory as the evaluator's sessions do
/// (copies of large values, one per reference, add up): past the budget it declines, and the
/// full evaluator, meeting the same budget, fails the state as it does.
pub fn eval(expr: &Expr, env: &JsonataEnv<'_>) -> Option<Direct> {
    let scope =
        crate::budget::current().map(|(budget, _)| baton_alloc::Scope::enter(budget.memory_bytes));
    let value = Eval { env }.eval(expr, 0).ok()?;
    let out = match value {
        V::Undefined => Direct::Undefined,
        v => Direct::Value(to_json(v)?),
    };
    let spent = scope.is_some() && baton_alloc::spent();
    drop(scope);
    (!spent).then_some(out)
}

struct Eval<'e, 'a> {
    env: &'e JsonataEnv<'a>,
}

impl<'e, 'a> Eval<'e, 'a> {
    fn eval(&self, expr: &'e Expr, depth: usize) -> R<'e>
    where
        'a: 'e,
    {
        if depth > MAX_DEPTH || baton_alloc::spent() {
            return Err(Decline);
        }
        let d = depth + 1;
        Ok(match expr {
            Expr::Number(n) => V::Number(*n),
            Expr::String(s) => V::Str(Cow::Borrowed(s)),
            Expr::Bool(b) => V::Bool(*b),
            Expr::Null => V::Made(Value::Null),
            // `$states` whole is built only by the full evaluator.
            Expr::Var(name) if name == "states" => return Err(Decline),
            Expr::Var(name) => V::Ref(self.var(name)?),
            Expr::Path(name, steps) => self.path(name, steps)?,
            Expr::Arith(op, l, r) => arith(*op, self.eval(l, d)?, self.eval(r, d)?)?,
            Expr::Negate(x) => match self.eval(x, d)? {
                V::Undefined => V::Undefined,
                v => V::Number(-number(&v).ok_or(Decline)?),
            },
            Expr::Concat(l, r) => {
                // evaluateStringConcat: each side through `$string`, undefined as "".
                let mut out = string_of(self.eval(l, d)?)?
                    .unwrap_or_default()
                    .into_owned();
                out.push_str(&string_of(self.eval(r, d)?)?.unwrap_or_default());
                V::Str(Cow::Owned(out))
            }
            Expr::Equal(negated, l, r) => {
                let (l, r) = (self.eval(l, d)?, self.eval(r, d)?);
                // evaluateEqualityExpression: either side undefined is false, for `!=` too.
                if matches!(l, V::Undefined) || matches!(r, V::Undefined) {
                    V::Bool(false)
                } else {
                    V::Bool(equal(&l, &r)? != *negated)
                }
            }
            Expr::Compare(op, l, r) => compare(*op, self.eval(l, d)?, self.eval(r, d)?)?,
            // evaluateBooleanExpression: the right side runs only when it decides.
            Expr::And(l, r) => V::Bool(boolize(&self.eval(l, d)?)? && boolize(&self.eval(r, d)?)?),
            Expr::Or(l, r) => V::Bool(boolize(&self.eval(l, d)?)? || boolize(&self.eval(r, d)?)?),
            Expr::Conditional(c, then, otherwise) => {
                // evaluateCondition: `fn.boolean(condition)`, undefined being false.
                if boolize(&self.eval(c, d)?)? {
                    self.eval(then, d)?
                } else {
                    match otherwise {
                        Some(e) => self.eval(e, d)?,
                        None => V::Undefined,
                    }
                }
            }
            Expr::Call(f, args) => {
                // A variable of the function's name hides the built-in.
                if self.env.vars.get_var(f.name()).is_some() {
                    return Err(Decline);
                }
                let [arg] = args.as_slice() else {
                    return Err(Decline);
                };
                call(*f, self.eval(arg, d)?)?
            }
            Expr::Object(members) => {
                // evaluateGroupExpression with no input: one group per key; a member whose
                // value is undefined is left out.
                let mut out = Map::with_capacity(members.len());
                for (k, e) in members {
                    match self.eval(e, d)? {
                        V::Undefined => {}
                        v => {
                            out.insert(k.clone(), to_json(v).ok_or(Decline)?);
                        }
                    }
                }
                V::Made(Value::Object(out))
            }
            Expr::Array(items) => {
                // evaluateArray: an array constructor item is kept whole; any other value is
                // appended (`fn.append`), which spreads an array one level.
                let mut out = Vec::with_capacity(items.len());
                for (e, nested) in items {
                    let v = self.eval(e, d)?;
                    match v {
                        V::Undefined => {}
                        V::Seq(items) if !nested => {
                            for item in items {
                                out.push(normalized(item, 0).ok_or(Decline)?);
                            }
                        }
                        V::Ref(Value::Array(items)) if !nested => {
                            for item in items {
                                out.push(normalized(item, 0).ok_or(Decline)?);
                            }
                        }
                        V::Made(Value::Array(items)) if !nested => out.extend(items),
                        v => out.push(to_json(v).ok_or(Decline)?),
                    }
                }
                V::Made(Value::Array(out))
            }
        })
    }

    fn var(&self, name: &str) -> Result<&'e Value, Decline> {
        // An unbound name is undefined, or a built-in function: either way not for here.
        self.env.vars.get_var(name).ok_or(Decline)
    }

    /// evaluatePath over named steps: each step looks the name up in every value of the
    /// sequence so far (`fn.lookup`, which maps over arrays), flattens what it found one
    /// level, and an empty sequence ends the path; the last step, finding exactly one array,
    /// gives that array itself.
    fn path(&self, name: &str, steps: &'e [String]) -> R<'e> {
        let (first, rest) = match name {
            "states" => {
                let Some((part, rest)) = steps.split_first() else {
                    return Err(Decline);
                };
                match self.env.states.get(part) {
                    Some(v) => (v, rest),
                    None => return Ok(V::Undefined),
                }
            }
            _ => (self.var(name)?, steps),
        };
        // While the sequence is one object, each step is that object's member: no sequence
        // to build. The first array met with steps left starts the general walk below.
        let mut current = first;
        let mut rest = rest;
        while let (Value::Object(m), Some((key, more))) = (current, rest.split_first()) {
            match m.get(key) {
                Some(v) => current = v,
                None => return Ok(V::Undefined),
            }
            rest = more;
        }
        // The step that gave `current`: a single value, an array spread into the sequence
        // unless no step is left (then the path's value is that array itself).
        let mut seq: Vec<&'e Value> = match current {
            Value::Array(items) if !rest.is_empty() => items.iter().collect(),
            v => vec![v],
        };
        for (i, key) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let mut next = Vec::with_capacity(seq.len());
            let mut found = 0;
            let mut array = None;
            for item in &seq {
                let Some(f) = lookup(item, key, 0)? else {
                    continue;
                };
                found += 1;
                match f {
                    Found::One(v @ Value::Array(items)) => {
                        array = Some(v);
                        next.extend(items.iter());
                    }
                    Found::One(v) => next.push(v),
                    Found::Many(items) => next.extend(items),
                }
            }
            if let (true, 1, Some(v)) = (last, found, array) {
                return Ok(V::Ref(v));
            }
            seq = next;
            if seq.is_empty() {
                break;
            }
        }
        Ok(match seq.len() {
            0 => V::Undefined,
            1 => V::Ref(seq[0]),
            _ => V::Seq(seq),
        })
    }
}

/// What `fn.lookup` found in one value: a member as it is, or a sequence.
enum Found<'a> {
    One(&'a Value),
    Many(Vec<&'a Value>),
}

/// `fn.lookup(input, key)`: an object's member; over an array, the lookup in each item, each
/// array found spread into one sequence.
fn lookup<'a>(value: &'a Value, key: &str, depth: usize) -> Result<Option<Found<'a>>, Decline> {
    if depth > MAX_DEPTH {
        return Err(Decline);
    }
    Ok(match value {
        Value::Object(m) => m.get(key).map(Found::One),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match lookup(item, key, depth + 1)? {
                    None => {}
                    Some(Found::One(Value::Array(inner))) => out.extend(inner.iter()),
                    Some(Found::One(v)) => out.push(v),
                    Some(Found::Many(inner)) => out.extend(inner),
                }
            }
            // Even an empty sequence is a value to evaluateStep: it counts against the last
            // step's "exactly one array" rule, then flattens to nothing.
            Some(Found::Many(out))
        }
        _ => None,
    })
}

/// `isNumeric`: a finite number.
fn number(v: &V<'_>) -> Option<f64> {
    let n = match v {
        V::Number(n) => *n,
        V::Ref(Value::Number(n)) => n.as_f64()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

fn text<'v>(v: &'v V<'_>) -> Option<&'v str> {
    match v {
        V::Str(s) => Some(s),
        V::Ref(Value::String(s)) | V::Made(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// evaluateNumericExpression: both sides numbers (a side that is not is an error, T2001 or
/// T2002), either undefined gives undefined. A result JSON cannot hold is left to the full
/// evaluator's error.
fn arith<'a>(op: Arith, l: V<'a>, r: V<'a>) -> R<'a> {
    let (ln, rn) = (number(&l), number(&r));
    if (!matches!(l, V::Undefined) && ln.is_none()) || (!matches!(r, V::Undefined) && rn.is_none())
    {
        return Err(Decline);
    }
    let (Some(a), Some(b)) = (ln, rn) else {
        return Ok(V::Undefined);
    };
    let n = match op {
        Arith::Add => a + b,
        Arith::Subtract => a - b,
        Arith::Multiply => a * b,
        Arith::Divide => a / b,
        // JavaScript's `%` is the remainder with the dividend's sign, as Rust's.
        Arith::Modulo => a % b,
    };
    if n.is_finite() {
        Ok(V::Number(n))
    } else {
        Err(Decline)
    }
}

/// evaluateComparisonExpression: numbers with numbers, strings with strings; either side
/// undefined gives undefined. Strings are compared here only when both are ASCII, where
/// JavaScript's UTF-16 order and byte order agree.
fn compare<'a>(op: Compare, l: V<'a>, r: V<'a>) -> R<'a> {
    if matches!(l, V::Undefined) || matches!(r, V::Undefined) {
        // Still an error when the other side is not comparable (T2010): left to the evaluator.
        let other = if matches!(l, V::Undefined) { &r } else { &l };
        if matches!(other, V::Undefined) || number(other).is_some() || text(other).is_some() {
            return Ok(V::Undefined);
        }
        return Err(Decline);
    }
    let ord = match (number(&l), number(&r), text(&l), text(&r)) {
        (Some(a), Some(b), _, _) => a.partial_cmp(&b).ok_or(Decline)?,
        (_, _, Some(a), Some(b)) if a.is_ascii() && b.is_ascii() => a.cmp(b),
        _ => return Err(Decline),
    };
    use std::cmp::Ordering::*;
    Ok(V::Bool(match op {
        Compare::Less => ord == Less,
        Compare::LessOrEqual => ord != Greater,
        Compare::Greater => ord == Greater,
        Compare::GreaterOrEqual => ord != Less,
    }))
}

/// `isDeepEqual` for values that are not containers (containers go to the evaluator).
fn equal(l: &V<'_>, r: &V<'_>) -> Result<bool, Decline> {
    if let (Some(a), Some(b)) = (number(l), number(r)) {
        return Ok(a == b);
    }
    if let (Some(a), Some(b)) = (text(l), text(r)) {
        return Ok(a == b);
    }
    let scalar = |v: &V<'_>| -> Result<Option<bool>, Decline> {
        Ok(match v {
            V::Bool(b) | V::Ref(Value::Bool(b)) | V::Made(Value::Bool(b)) => Some(*b),
            V::Ref(Value::Null) | V::Made(Value::Null) => None,
            v if number(v).is_some() || text(v).is_some() => None,
            _ => return Err(Decline),
        })
    };
    let (a, b) = (scalar(l)?, scalar(r)?);
    let null = |v: &V<'_>| matches!(v, V::Ref(Value::Null) | V::Made(Value::Null));
    Ok(match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => null(l) && null(r),
    })
}

/// `boolize(fn.boolean(v))`: undefined is false.
fn boolize(v: &V<'_>) -> Result<bool, Decline> {
    Ok(match v {
        V::Undefined => false,
        V::Number(n) => *n != 0.0,
        V::Bool(b) => *b,
        V::Str(s) => !s.is_empty(),
        V::Ref(v) => truthy(v, 0)?,
        V::Made(v) => truthy(v, 0)?,
        V::Seq(items) => {
            let mut any = false;
            for item in items {
                any |= truthy(item, 0)?;
            }
            any
        }
    })
}

/// `fn.boolean` of a JSON value.
fn truthy(v: &Value, depth: usize) -> Result<bool, Decline> {
    if depth > MAX_DEPTH {
        return Err(Decline);
    }
    Ok(match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Object(m) => !m.is_empty(),
        Value::Array(items) => match items.as_slice() {
            [one] => truthy(one, depth + 1)?,
            items => {
                let mut any = false;
                for item in items {
                    any |= truthy(item, depth + 1)?;
                }
                any
            }
        },
    })
}

/// `fn.string`, for the values whose text is certain: strings, booleans, null, and
/// integers below 10^15 (which `toPrecision(15)` keeps exact). `None` for undefined.
fn string_of<'a>(v: V<'a>) -> Result<Option<Cow<'a, str>>, Decline> {
    let integer = |n: f64| -> Result<Cow<'a, str>, Decline> {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            // `-0` prints as "0" in JavaScript.
            Ok(Cow::Owned((n as i64).to_string()))
        } else {
            Err(Decline)
        }
    };
    Ok(Some(match v {
        V::Undefined => return Ok(None),
        V::Str(s) => s,
        V::Ref(Value::String(s)) => Cow::Borrowed(s.as_str()),
        V::Made(Value::String(s)) => Cow::Owned(s),
        V::Bool(b) | V::Ref(&Value::Bool(b)) | V::Made(Value::Bool(b)) => {
            Cow::Borrowed(if b { "true" } else { "false" })
        }
        V::Ref(Value::Null) | V::Made(Value::Null) => Cow::Borrowed("null"),
        V::Number(n) => integer(n)?,
        V::Ref(Value::Number(n)) => integer(n.as_f64().ok_or(Decline)?)?,
        _ => return Err(Decline),
    }))
}

fn call<'a>(f: Func, arg: V<'a>) -> R<'a> {
    if matches!(arg, V::Undefined) {
        // `$count` of nothing is 0; the others give nothing.
        return Ok(if f == Func::Count {
            V::Number(0.0)
        } else {
            V::Undefined
        });
    }
    Ok(match f {
        // `<a<n>:n>`: a number, or an array of numbers only (an empty one sums to 0).
        Func::Sum => {
            let mut total = 0.0;
            match &arg {
                V::Seq(items) => {
                    for item in items {
                        total += item.as_f64().ok_or(Decline)?;
                    }
                }
                V::Ref(Value::Array(items)) => {
                    for item in items {
                        match item {
                            Value::Number(n) => total += n.as_f64().ok_or(Decline)?,
                            _ => return Err(Decline),
                        }
                    }
                }
                v => total = number(v).ok_or(Decline)?,
            }
            if !total.is_finite() {
                return Err(Decline);
            }
            V::Number(total)
        }
        // `<a:n>`: an array's length; any other value counts one.
        Func::Count => V::Number(match &arg {
            V::Seq(items) => items.len() as f64,
            V::Ref(Value::Array(items)) | V::Made(Value::Array(items)) => items.len() as f64,
            _ => 1.0,
        }),
        Func::String => V::Str(string_of(arg)?.ok_or(Decline)?),
        Func::Uppercase | Func::Lowercase => {
            let s = text(&arg).ok_or(Decline)?;
            V::Str(Cow::Owned(if f == Func::Uppercase {
                s.to_uppercase()
            } else {
                s.to_lowercase()
            }))
        }
    })
}

/// The JSON of a value, numbers written as JSONata writes them (`number`).
fn to_json(v: V<'_>) -> Option<Value> {
    Some(match v {
        V::Undefined => return None,
        V::Ref(v) => normalized(v, 0)?,
        V::Number(n) => super::backend::number(n),
        V::Bool(b) => Value::Bool(b),
        V::Str(s) => Value::String(s.into_owned()),
        V::Made(v) => v,
        V::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(|v| normalized(v, 0))
                .collect::<Option<Vec<_>>>()?,
        ),
    })
}

/// A copy of `v` as a round trip through JSONata's numbers leaves it: every number a double,
/// written back as `number` writes it.
fn normalized(v: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH || baton_alloc::spent() {
        return None;
    }
    Some(match v {
        Value::Number(n) => {
            // Integers a double holds exactly come back as they are.
            if n.as_i64().is_some_and(|i| i.unsigned_abs() < (1 << 53)) {
                v.clone()
            } else {
                super::backend::number(n.as_f64()?)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| normalized(i, depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                out.insert(k.clone(), normalized(v, depth + 1)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}
