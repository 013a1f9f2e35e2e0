//! Error messages as AWS reports them. AWS runs jsonata-js 2.0.6 and appends `code: message`
//! to its cause; jsonata-core words many messages its own way. This module puts jsonata-js's
//! wording back: a message without inserts is taken from jsonata-js's catalog verbatim, and for
//! the common ones with inserts (argument index, operator, value) the inserts are read out of
//! jsonata-core's text and filled into jsonata-js's template. Anything else keeps jsonata-core's
//! text.

use std::sync::OnceLock;

use regex::Regex;

use crate::jsonata::engine::JsonataError;

/// jsonata-js 2.0.6 `errorCodes` (src/jsonata.js, MIT licence, © IBM Corp.): `{{x}}` is an
/// insert written as `JSON.stringify` writes it, `{{{x}}}` one written as it is.
const CATALOG: &[(&str, &str)] = &[
    ("S0101", "String literal must be terminated by a matching quote"),
    ("S0102", "Number out of range: {{token}}"),
    ("S0103", "Unsupported escape sequence: \\{{token}}"),
    ("S0104", "The escape sequence \\u must be followed by 4 hex digits"),
    ("S0105", "Quoted property name must be terminated with a backquote (`)"),
    ("S0106", "Comment has no closing tag"),
    ("S0201", "Syntax error: {{token}}"),
    ("S0202", "Expected {{value}}, got {{token}}"),
    ("S0203", "Expected {{value}} before end of expression"),
    ("S0204", "Unknown operator: {{token}}"),
    ("S0205", "Unexpected token: {{token}}"),
    ("S0206", "Unknown expression type: {{token}}"),
    ("S0207", "Unexpected end of expression"),
    ("S0208", "Parameter {{value}} of function definition must be a variable name (start with $)"),
    ("S0209", "A predicate cannot follow a grouping expression in a step"),
    ("S0210", "Each step can only have one grouping expression"),
    ("S0211", "The symbol {{token}} cannot be used as a unary operator"),
    ("S0212", "The left side of := must be a variable name (start with $)"),
    ("S0213", "The literal value {{value}} cannot be used as a step within a path expression"),
    ("S0214", "The right side of {{token}} must be a variable name (start with $)"),
    ("S0215", "A context variable binding must precede any predicates on a step"),
    ("S0216", "A context variable binding must precede the 'order-by' clause on a step"),
    ("S0217", "The object representing the 'parent' cannot be derived from this expression"),
    ("S0301", "Empty regular expressions are not allowed"),
    ("S0302", "No terminating / in regular expression"),
    ("S0402", "Choice groups containing parameterized types are not supported"),
    ("S0401", "Type parameters can only be applied to functions and arrays"),
    ("S0500", "Attempted to evaluate an expression containing syntax error(s)"),
    ("T0410", "Argument {{index}} of function {{token}} does not match function signature"),
    ("T0411", "Context value is not a compatible type with argument {{index}} of function {{token}}"),
    ("T0412", "Argument {{index}} of function {{token}} must be an array of {{type}}"),
    ("D1001", "Number out of range: {{value}}"),
    ("D1002", "Cannot negate a non-numeric value: {{value}}"),
    ("T1003", "Key in object structure must evaluate to a string; got: {{value}}"),
    ("D1004", "Regular expression matches zero length string"),
    ("T1005", "Attempted to invoke a non-function. Did you mean ${{{token}}}?"),
    ("T1006", "Attempted to invoke a non-function"),
    ("T1007", "Attempted to partially apply a non-function. Did you mean ${{{token}}}?"),
    ("T1008", "Attempted to partially apply a non-function"),
    ("D1009", "Multiple key definitions evaluate to same key: {{value}}"),
    ("D1010", "Attempted to access the Javascript object prototype"),
    ("T1010", "The matcher function argument passed to function {{token}} does not return the correct object structure"),
    ("T2001", "The left side of the {{token}} operator must evaluate to a number"),
    ("T2002", "The right side of the {{token}} operator must evaluate to a number"),
    ("T2003", "The left side of the range operator (..) must evaluate to an integer"),
    ("T2004", "The right side of the range operator (..) must evaluate to an integer"),
    ("D2005", "The left side of := must be a variable name (start with $)"),
    ("T2006", "The right side of the function application operator ~> must be a function"),
    ("T2007", "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause"),
    ("T2008", "The expressions within an order-by clause must evaluate to numeric or string values"),
    ("T2009", "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type"),
    ("T2010", "The expressions either side of operator {{token}} must evaluate to numeric or string values"),
    ("T2011", "The insert/update clause of the transform expression must evaluate to an object: {{value}}"),
    ("T2012", "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}"),
    ("T2013", "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function."),
    ("D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}."),
    ("D3001", "Attempting to invoke string function on Infinity or NaN"),
    ("D3010", "Second argument of replace function cannot be an empty string"),
    ("D3011", "Fourth argument of replace function must evaluate to a positive number"),
    ("D3012", "Attempted to replace a matched string with a non-string value"),
    ("D3020", "Third argument of split function must evaluate to a positive number"),
    ("D3030", "Unable to cast value to a number: {{value}}"),
    ("D3040", "Third argument of match function must evaluate to a positive number"),
    ("D3050", "The second argument of reduce function must be a function with at least two arguments"),
    ("D3060", "The sqrt function cannot be applied to a negative number: {{value}}"),
    ("D3061", "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}"),
    ("D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"),
    ("D3080", "The picture string must only contain a maximum of two sub-pictures"),
    ("D3081", "The sub-picture must not contain more than one instance of the 'decimal-separator' character"),
    ("D3082", "The sub-picture must not contain more than one instance of the 'percent' character"),
    ("D3083", "The sub-picture must not contain more than one instance of the 'per-mille' character"),
    ("D3084", "The sub-picture must not contain both a 'percent' and a 'per-mille' character"),
    ("D3085", "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'"),
    ("D3086", "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character"),
    ("D3087", "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character"),
    ("D3088", "The sub-picture must not contain a 'grouping-separator' at the end of the integer part"),
    ("D3089", "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character"),
    ("D3090", "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'"),
    ("D3091", "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'"),
    ("D3092", "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'"),
    ("D3093", "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'"),
    ("D3100", "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}"),
    ("D3110", "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}"),
    ("D3120", "Syntax error in expression passed to function eval: {{value}}"),
    ("D3121", "Dynamic error evaluating the expression passed to function eval: {{value}}"),
    ("D3130", "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation"),
    ("D3131", "In a decimal digit pattern, all digits must be from the same decimal group"),
    ("D3132", "Unknown component specifier {{value}} in date/time picture string"),
    ("D3133", "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}"),
    ("D3134", "The timezone integer format specifier cannot have more than four digits"),
    ("D3135", "No matching closing bracket ']' in date/time picture string"),
    ("D3136", "The date/time picture string is missing specifiers required to parse the timestamp"),
    ("D3137", "{{{message}}}"),
    ("D3138", "The $single() function expected exactly 1 matching result.  Instead it matched more."),
    ("D3139", "The $single() function expected exactly 1 matching result.  Instead it matched 0."),
    ("D3140", "Malformed URL passed to ${{{functionName}}}(): {{value}}"),
    ("D3141", "{{{message}}}"),
];

/// The signatures jsonata-js 2.0.6 gives its built-in functions (src/jsonata.js).
const SIGNATURES: &[(&str, &str)] = &[
    ("sum", "<a<n>:n>"),
    ("count", "<a:n>"),
    ("max", "<a<n>:n>"),
    ("min", "<a<n>:n>"),
    ("average", "<a<n>:n>"),
    ("string", "<x-b?:s>"),
    ("substring", "<s-nn?:s>"),
    ("substringBefore", "<s-s:s>"),
    ("substringAfter", "<s-s:s>"),
    ("lowercase", "<s-:s>"),
    ("uppercase", "<s-:s>"),
    ("length", "<s-:n>"),
    ("trim", "<s-:s>"),
    ("pad", "<s-ns?:s>"),
    ("match", "<s-f<s:o>n?:a<o>>"),
    ("contains", "<s-(sf):b>"),
    ("replace", "<s-(sf)(sf)n?:s>"),
    ("split", "<s-(sf)n?:a<s>>"),
    ("join", "<a<s>s?:s>"),
    ("formatNumber", "<n-so?:s>"),
    ("formatBase", "<n-n?:s>"),
    ("formatInteger", "<n-s:s>"),
    ("parseInteger", "<s-s:n>"),
    ("number", "<(nsb)-:n>"),
    ("floor", "<n-:n>"),
    ("ceil", "<n-:n>"),
    ("round", "<n-n?:n>"),
    ("abs", "<n-:n>"),
    ("sqrt", "<n-:n>"),
    ("power", "<n-n:n>"),
    ("random", "<:n>"),
    ("boolean", "<x-:b>"),
    ("not", "<x-:b>"),
    ("map", "<af>"),
    ("zip", "<a+>"),
    ("filter", "<af>"),
    ("single", "<af?>"),
    ("reduce", "<afj?:j>"),
    ("sift", "<o-f?:o>"),
    ("keys", "<x-:a<s>>"),
    ("lookup", "<x-s:x>"),
    ("append", "<xx:a>"),
    ("exists", "<x:b>"),
    ("spread", "<x-:a<o>>"),
    ("merge", "<a<o>:o>"),
    ("reverse", "<a:a>"),
    ("each", "<o-f:a>"),
    ("error", "<s?:x>"),
    ("assert", "<bs?:x>"),
    ("type", "<x:s>"),
    ("sort", "<af?:a>"),
    ("shuffle", "<a:a>"),
    ("distinct", "<x:x>"),
    ("encodeUrlComponent", "<s-:s>"),
    ("encodeUrl", "<s-:s>"),
    ("decodeUrlComponent", "<s-:s>"),
    ("decodeUrl", "<s-:s>"),
    ("eval", "<sx?:x>"),
    ("toMillis", "<s-s?:n>"),
    ("fromMillis", "<n-s?s?:s>"),
    ("clone", "<(oa)-:o>"),
    ("base64encode", "<s-:s>"),
    ("base64decode", "<s-:s>"),
    ("now", "<s?s?:s>"),
    ("millis", "<:n>"),
];

/// How many parameters a built-in takes, per its jsonata-js signature; `None` for an unknown
/// function or one taking any number (`+`).
fn parameter_count(function: &str) -> Option<usize> {
    let (_, sig) = SIGNATURES.iter().find(|(name, _)| *name == function)?;
    let (mut count, mut depth) = (0usize, 0usize);
    for c in sig.strip_prefix('<')?.chars() {
        match c {
            ':' | '>' if depth == 0 => break,
            '(' | '<' => {
                if depth == 0 && c == '(' {
                    count += 1;
                }
                depth += 1;
            }
            ')' | '>' => depth = depth.saturating_sub(1),
            '+' if depth == 0 => return None,
            c if depth == 0 && "snbloafjx".contains(c) => count += 1,
            _ => {}
        }
    }
    Some(count)
}

/// jsonata-js's template for `code`.
pub fn template(code: &str) -> Option<&'static str> {
    CATALOG.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

/// `X9999: rest` split into the code and the rest.
fn split_code(text: &str) -> Option<(&str, &str)> {
    let (code, rest) = text.split_once(": ")?;
    let b = code.as_bytes();
    let coded = b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
    coded.then_some((code, rest))
}

/// A jsonata-core message (`T1006: Attempted to invoke a non-function: $f`) as jsonata-js
/// 2.0.6 would have worded it (`T1006`, `Attempted to invoke a non-function`). `call` is the
/// function the expression calls, when it calls exactly one: jsonata-js names it in argument
/// errors where jsonata-core does not.
pub fn normalize(text: &str, call: Option<&str>) -> JsonataError {
    // jsonata-core sometimes puts a description of its own before the code
    // ("Invalid syntax: T1006: …").
    static CODE: OnceLock<Option<Regex>> = OnceLock::new();
    let start = pattern(&CODE, r"\b[A-Z][0-9]{4}: ")
        .and_then(|re| re.find(text))
        .map(|m| m.start());
    let text = text.get(start.unwrap_or(0)..).unwrap_or(text);
    let Some((code, rest)) = split_code(text) else {
        return JsonataError::new(None, text);
    };
    let message = match template(code) {
        Some(t) if !t.contains("{{") => t.to_string(),
        Some(t) => fill(code, t, rest, call).unwrap_or_else(|| rest.to_string()),
        None => rest.to_string(),
    };
    JsonataError::new(Some(code), message)
}

fn pattern(cell: &'static OnceLock<Option<Regex>>, re: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(re).ok()).as_ref()
}

/// The argument index and function name an argument error is about: from the text when
/// jsonata-core names the function, else `call`.
fn argument(rest: &str, call: Option<&str>) -> Option<(String, String)> {
    static NAMED: OnceLock<Option<Regex>> = OnceLock::new();
    static UNNAMED: OnceLock<Option<Regex>> = OnceLock::new();
    static COUNT: OnceLock<Option<Regex>> = OnceLock::new();
    if let Some(c) = pattern(&NAMED, r"rgument (\d+) of function \$?([A-Za-z_]\w*)")?.captures(rest)
    {
        return Some((
            c.get(1)?.as_str().to_string(),
            c.get(2)?.as_str().to_string(),
        ));
    }
    let call = call?.to_string();
    if let Some(c) = pattern(&UNNAMED, r"rgument (\d+) ")?.captures(rest) {
        return Some((c.get(1)?.as_str().to_string(), call));
    }
    // A wrong number of arguments: jsonata-js blames the first extra one, or the first missing.
    let c =
        pattern(&COUNT, r"^Argument count mismatch: expected \d+, got (\d+)")?.captures(rest)?;
    let got: usize = c.get(1)?.as_str().parse().ok()?;
    let params = parameter_count(&call)?;
    Some((params.min(got).saturating_add(1).to_string(), call))
}

/// Fills `template` with the inserts read out of jsonata-core's `rest`, for the codes whose
/// inserts it carries in a recognisable form.
fn fill(code: &str, template: &str, rest: &str, call: Option<&str>) -> Option<String> {
    static ARRAY_OF: OnceLock<Option<Regex>> = OnceLock::new();
    static OPERATOR: OnceLock<Option<Regex>> = OnceLock::new();
    static TRAILING: OnceLock<Option<Regex>> = OnceLock::new();
    static QUOTED: OnceLock<Option<Regex>> = OnceLock::new();
    static GOT: OnceLock<Option<Regex>> = OnceLock::new();
    match code {
        "T0410" | "T0411" => {
            let (index, token) = argument(rest, call)?;
            Some(
                template
                    .replace("{{index}}", &index)
                    .replace("{{token}}", &json_string(&token)),
            )
        }
        "T0412" => {
            let (index, token) = argument(rest, call)?;
            let re = pattern(&ARRAY_OF, r"must be an array of (\w+)")?;
            let kind = match re
                .captures(rest)?
                .get(1)?
                .as_str()
                .to_ascii_lowercase()
                .trim_end_matches('s')
            {
                "string" => "strings",
                "number" => "numbers",
                "boolean" => "booleans",
                "object" => "objects",
                "array" => "arrays",
                "function" => "functions",
                _ => return None,
            };
            Some(
                template
                    .replace("{{index}}", &index)
                    .replace("{{token}}", &json_string(&token))
                    .replace("{{type}}", &json_string(kind)),
            )
        }
        "T2001" | "T2002" => {
            let re = pattern(&OPERATOR, r"the (\S+) operator")?;
            let token = re.captures(rest)?.get(1)?.as_str();
            Some(template.replace("{{token}}", &json_string(token)))
        }
        "D1001" | "D3060" => {
            let re = pattern(&TRAILING, r": (\S+)$")?;
            let value = re.captures(rest)?.get(1)?.as_str();
            let n: f64 = match value {
                "inf" | "-inf" | "NaN" | "Infinity" | "-Infinity" => f64::NAN,
                v => v.parse().ok()?,
            };
            Some(template.replace("{{value}}", &js_number(n)))
        }
        "D3030" => {
            let re = pattern(&QUOTED, r"^Cannot convert '(.*)' to number$")?;
            let value = re.captures(rest)?.get(1)?.as_str();
            Some(template.replace("{{value}}", &json_string(value)))
        }
        "D1009" => {
            let value = rest.strip_prefix("Multiple key definitions evaluate to same key: ")?;
            let quoted = if value.starts_with('"') {
                value.to_string()
            } else {
                json_string(value)
            };
            Some(template.replace("{{value}}", &quoted))
        }
        "D3100" => {
            let re = pattern(&GOT, r"got (\S+)$")?;
            let n: f64 = re.captures(rest)?.get(1)?.as_str().parse().ok()?;
            Some(template.replace("{{value}}", &js_number(n)))
        }
        "D3137" | "D3141" => Some(rest.to_string()),
        _ => None,
    }
}

/// A string as `JSON.stringify` writes it.
fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A number as JavaScript (and so `JSON.stringify`) writes it: shortest round-trip digits,
/// positional from 1e-6 up to 1e21, `1e+21` style outside; non-finite numbers as `null`.
pub fn js_number(n: f64) -> String {
    if !n.is_finite() {
        return "null".to_string();
    }
    if n == 0.0 {
        return "0".to_string();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as JavaScript uses.
    let sci = format!("{:e}", n.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return sci;
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return sci;
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let k = digits.len() as i32;
    let body = if (-6..21).contains(&exp) {
        if exp >= k - 1 {
            format!("{digits}{}", "0".repeat((exp - (k - 1)) as usize))
        } else if exp >= 0 {
            let (int, frac) = digits.split_at((exp + 1) as usize);
            format!("{int}.{frac}")
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let (first, others) = digits.split_at(1);
        let mantissa = if others.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{others}")
        };
        let sign_exp = if exp >= 0 { "+" } else { "-" };
        format!("{mantissa}e{sign_exp}{}", exp.abs())
    };
    format!("{sign}{body}")
}
