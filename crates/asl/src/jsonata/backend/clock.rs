//! `$toMillis(timestamp, picture)` on the session's clock. jsonata-js 2.0.6 fills the
//! components a picture leaves out in front of the first one it gives (the time-only picture
//! `[H]:[m]` leaves out the date) from `this.environment.timestamp`, the evaluation's fixed
//! time that `$now()` shows too (`parseDateTime` in `datetime.js`). jsonata-core fills them
//! from the machine's clock instead, which would make an execution's result depend on when it
//! is replayed. So the call is given those components itself, read from the session's time
//! and written in front of the timestamp with a picture of their own; jsonata-core then finds
//! nothing to fill and the built-in does the rest (errors included).
//!
//! One picture is left to the built-in: a day of the year (`[d]`) without a year. 2.0.6 lines
//! it up as `Y D` and takes the year, a day of the month it then overwrites, and the time of
//! day from the clock; written out, that day of the month would be a second date component,
//! which 2.0.6 lines up differently. Such a picture still reads the machine's clock.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::EvaluatorError;
use jsonata_core::value::JValue;

/// `$toMillis(timestamp, picture)` reading the session's time for what the picture leaves out.
pub const TO_MILLIS: &str = "__baton_to_millis";

/// Between the components given here and the caller's text: literal text in a picture.
const SEPARATOR: char = '|';

/// `$toMillis(args…)` with the left-out leading components written from `now`.
pub fn to_millis(now: i64, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let mut args = args.to_vec();
    if let (Some(JValue::String(text)), Some(JValue::String(picture))) = (args.first(), args.get(1))
    {
        if let Some((given_text, given_picture)) = leading_from_now(picture, now) {
            let text = format!("{given_text}{SEPARATOR}{text}");
            let picture = format!("{given_picture}{SEPARATOR}{picture}");
            args[0] = JValue::string(text);
            args[1] = JValue::string(picture);
        }
    }
    static CALL: OnceLock<Option<AstNode>> = OnceLock::new();
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JValue::Undefined);
    super::functions::built_in(&CALL, "$toMillis($t, $p)", [("t", arg(0)), ("p", arg(1))])
}

/// The components a picture gives: the first letter of each `[…]` marker (`[[` is a literal
/// bracket), as 2.0.6's `analyseDateTimePicture` reads them.
fn components(picture: &str) -> Vec<char> {
    let mut out = Vec::new();
    let mut chars = picture.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '[' {
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            continue;
        }
        let mut first = None;
        for m in chars.by_ref() {
            if m == ']' {
                break;
            }
            if first.is_none() && !m.is_whitespace() {
                first = Some(m);
            }
        }
        out.extend(first);
    }
    out
}

/// The components 2.0.6 would take from the evaluation's time for `picture`, as text and as a
/// picture of fixed-width markers; `None` when it takes none (or when 2.0.6 refuses the picture
/// whatever the time: the week-based dates it does not parse).
///
/// 2.0.6's rule: line the given components up as a date (`Y M D`) and a time (`H m s f`, or
/// `P h m s f` on a 12-hour clock); everything before the first given one comes from the time.
fn leading_from_now(picture: &str, now: i64) -> Option<(String, String)> {
    let given = components(picture);
    let has = |c: char| given.contains(&c);
    if ['X', 'x', 'W', 'w', 'F'].iter().any(|&c| has(c)) {
        return None;
    }
    if has('d') && !has('Y') && !has('M') && !has('D') {
        return None;
    }
    if given.iter().all(|c| !"YMDdPHhmsf".contains(*c)) {
        // Nothing to line up: 2.0.6 answers undefined, or refuses, whatever the time.
        return None;
    }
    let twelve_hour = has('h') && !has('H');
    let order: &[char] = if twelve_hour {
        &['Y', 'M', 'D', 'P', 'h', 'm', 's', 'f']
    } else {
        &['Y', 'M', 'D', 'H', 'm', 's', 'f']
    };
    let time = DateTime::<Utc>::from_timestamp_millis(now)?;
    let mut text = Vec::new();
    let mut markers = Vec::new();
    for &c in order {
        if has(c) {
            break;
        }
        let (value, marker) = match c {
            'Y' => (format!("{:04}", time.year()), "[Y0001]"),
            'M' => (format!("{:02}", time.month()), "[M01]"),
            'D' => (format!("{:02}", time.day()), "[D01]"),
            // 2.0.6 takes the clock's `am`/`pm` as text, which never counts as afternoon:
            // written as `am`, it counts as morning too.
            'P' => ("am".to_string(), "[P]"),
            'H' => (format!("{:02}", time.hour()), "[H01]"),
            'h' => {
                let h = time.hour() % 12;
                (format!("{:02}", if h == 0 { 12 } else { h }), "[h01]")
            }
            'm' => (format!("{:02}", time.minute()), "[m01]"),
            's' => (format!("{:02}", time.second()), "[s01]"),
            'f' => (format!("{:03}", time.timestamp_subsec_millis()), "[f001]"),
            _ => continue,
        };
        text.push(value);
        markers.push(marker);
    }
    if markers.is_empty() {
        return None;
    }
    let sep = SEPARATOR.to_string();
    Some((text.join(&sep), markers.join(&sep)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-04T05:06:07.089Z, a Wednesday.
    const NOW: i64 = 1_772_600_767_089;

    fn millis(text: &str, picture: &str) -> JValue {
        to_millis(NOW, &[JValue::string(text), JValue::string(picture)]).expect("a result")
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> JValue {
        let t = chrono::NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_milli_opt(h, mi, s, ms))
            .expect("a date")
            .and_utc();
        JValue::Number(t.timestamp_millis() as f64)
    }

    #[test]
    fn the_session_time_fills_what_the_picture_leaves_out_in_front() {
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(NOW).map(|t| t.to_rfc3339()),
            Some("2026-03-04T05:06:07.089+00:00".to_string())
        );
        // A time only: today's date, on the session's clock.
        assert_eq!(millis("10:30", "[H]:[m]"), utc(2026, 3, 4, 10, 30, 0, 0));
        // A month and day: this year; the time after them is midnight.
        assert_eq!(
            millis("12-25", "[M01]-[D01]"),
            utc(2026, 12, 25, 0, 0, 0, 0)
        );
        // Minutes and seconds: the hour too comes from the clock.
        assert_eq!(millis("15:20", "[m]:[s]"), utc(2026, 3, 4, 5, 15, 20, 0));
        // A 12-hour time without am/pm: today, and the hour as given.
        assert_eq!(millis("3:15", "[h]:[m]"), utc(2026, 3, 4, 3, 15, 0, 0));
        assert_eq!(
            millis("3:15 pm", "[h]:[m] [P]"),
            utc(2026, 3, 4, 15, 15, 0, 0)
        );
        // A day of the year with its year needs no clock.
        assert_eq!(millis("2020-32", "[Y]-[d]"), utc(2020, 2, 1, 0, 0, 0, 0));
    }

    #[test]
    fn complete_pictures_and_other_calls_are_the_built_in() {
        assert_eq!(
            millis("2018-09-10 10:30", "[Y]-[M01]-[D01] [H]:[m]"),
            utc(2018, 9, 10, 10, 30, 0, 0)
        );
        assert_eq!(
            to_millis(NOW, &[JValue::string("2018-09-10T00:00:00Z")]).unwrap(),
            utc(2018, 9, 10, 0, 0, 0, 0)
        );
        // A literal bracket is no component.
        assert_eq!(components("[[H]] [H01]:[ m ]"), ['H', 'm']);
        // A picture with no component is the built-in's undefined.
        assert_eq!(millis("abc", "abc"), JValue::Undefined);
        assert_eq!(leading_from_now("[Y]-[M]", NOW), None);
    }
}
