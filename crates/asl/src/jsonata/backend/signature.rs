//! Argument checking for the functions Baton adds, the way jsonata-js checks a function
//! signature such as `<an:a>`: each argument's type symbol against the parameters, and on a
//! mismatch a `T0410` naming the first argument that does not fit.

use jsonata_core::value::JValue;

/// One parameter: its type symbol (`s`, `n`, `b`, `l`, `o`, `a`, `f`, `j`, `x`) and whether it
/// may be left out.
#[derive(Debug, Clone, Copy)]
pub struct Param(pub char, pub bool);

/// jsonata-js's symbol for a value; `m` is undefined ("missing").
pub fn symbol(value: &JValue) -> char {
    match value {
        v if v.is_function() => 'f',
        JValue::String(_) => 's',
        JValue::Number(_) => 'n',
        JValue::Bool(_) => 'b',
        JValue::Null => 'l',
        JValue::Array(_) => 'a',
        JValue::Object(_) => 'o',
        _ => 'm',
    }
}

fn accepts(param: char, symbol: char) -> bool {
    match param {
        'a' | 'x' => true,
        'j' => symbol != 'f',
        'f' => symbol == 'f',
        t => symbol == t || symbol == 'm',
    }
}

/// The length of the first match of `params` at the start of `sig`, trying to take an optional
/// parameter before skipping it, as a backtracking regex would; with `whole`, only a match
/// that uses all of `sig` counts.
fn first_match(params: &[Param], sig: &[char], pos: usize, whole: bool) -> Option<usize> {
    let Some((first, rest)) = params.split_first() else {
        return (!whole || pos == sig.len()).then_some(pos);
    };
    let take = sig
        .get(pos)
        .filter(|s| accepts(first.0, **s))
        .and_then(|_| first_match(rest, sig, pos + 1, whole));
    match (take, first.1) {
        (Some(end), _) => Some(end),
        (None, true) => first_match(rest, sig, pos, whole),
        (None, false) => None,
    }
}

/// Checks `args` against `params`; the error names `function` as jsonata-js would.
pub fn check(function: &str, params: &[Param], args: &[JValue]) -> Result<(), String> {
    let sig: Vec<char> = args.iter().map(symbol).collect();
    if first_match(params, &sig, 0, true).is_some() {
        return Ok(());
    }
    // As jsonata-js finds the argument to blame: the longest run of parameters that still
    // matches a prefix of the arguments, then the argument just after that match.
    let mut good_to = 0;
    for k in 1..=params.len() {
        match params.get(..k).and_then(|p| first_match(p, &sig, 0, false)) {
            Some(end) => good_to = end,
            None => break,
        }
    }
    Err(format!(
        "T0410: Argument {} of function \"{function}\" does not match function signature",
        good_to + 1
    ))
}
