//! The naming rules of Step Functions resources: state machines, executions and activities
//! (`InvalidName` when broken), and aliases (a model pattern, so `ValidationException`).

use crate::ApiError;

/// The longest name, in characters, of a state machine, execution, activity or alias.
pub const NAME_MAX_CHARS: usize = 80;

/// Characters AWS forbids in names besides white space and control characters.
const FORBIDDEN: &[char] = &[
    '<', '>', '{', '}', '[', ']', '?', '*', '"', '#', '%', '\\', '^', '|', '~', '`', '$', '&', ',',
    ';', ':', '/',
];

/// Whether `c` may appear in the name of a state machine, execution or activity. AWS forbids
/// white space, brackets `< > { } [ ]`, wildcards `? *`, the characters
/// `" # % \ ^ | ~ ` $ & , ; : /`, control characters (U+0000–001F, U+007F–009F), the
/// non-characters U+FFFE and U+FFFF, and U+10FFFF. (Surrogates cannot occur in a Rust string.)
pub fn is_name_char(c: char) -> bool {
    !(c.is_whitespace()
        || FORBIDDEN.contains(&c)
        || matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' | '\u{10ffff}'))
}

/// Whether `name` is a valid state machine, execution or activity name: 1 to 80 characters,
/// each allowed by [`is_name_char`].
pub fn is_valid_name(name: &str) -> bool {
    let len = name.chars().count();
    (1..=NAME_MAX_CHARS).contains(&len) && name.chars().all(is_name_char)
}

/// `InvalidName` (`Invalid Name: '<name>'`) unless the characters of `name` are allowed. The
/// length is a model constraint, checked (as `ValidationException`) when the request is read.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    if name.chars().all(is_name_char) {
        Ok(())
    } else {
        Err(ApiError::invalid_name(name))
    }
}

/// Whether the name can also name a CloudWatch Logs stream: only `0-9 A-Z a-z - _`. AWS
/// accepts other names, but logging needs these.
pub fn is_logging_friendly(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `name` is a valid alias name (the model's `CharacterRestrictedName`): 1 to 80 of
/// `0-9 A-Z a-z _ - .`, at least one of them not a digit, so that an alias never reads as a
/// version number.
pub fn is_valid_alias_name(name: &str) -> bool {
    let len = name.chars().count();
    (1..=NAME_MAX_CHARS).contains(&len)
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name.chars().any(|c| !c.is_ascii_digit())
}
