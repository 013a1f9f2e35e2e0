//! `$toMillis(timestamp, picture)` on the session's clock. jsonata-js 2.0.6 fills the
//! components a picture leaves out in front of the first one it gives (the time-only picture
//! `[H]:[m]` leaves out the date) from `this.environment.timestamp`, the evaluation's fixed
//! time that `$now()` shows too (`parseDateTime` in `datetime.js`). jsonata-core fills them
//! from the machine's clock instead, which would make an execution's result depend on when it
//! is replayed. So the call is given those components itself, read from the session's time
//! and written in front of the timestamp with a picture of their own; jsonata-core then finds
//! nothing to fill and the built-in does the rest (errors included).
//!
//! A day of the year (`[d]`) without a year cannot be written out so: 2.0.6 lines it up as
//! `Y D` and takes the year, a day of the month it then overwrites, and the time in front of
//! the first time component given (all of it when none is) from the clock, whereas with its
//! year written out it takes midnight (and refuses a time after `[Y]-[d]`). So the built-in
//! answers that picture on the machine's clock, and its answer is moved onto the session's:
//! the same day of the year in the session's year, and the components the clock gave read
//! from the session's time ([`on_session_clock`]). A day name (`[F]`) is read and ignored by
//! 2.0.6, and lines up nothing.

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
    if let (Some(JValue::String(_)), Some(JValue::String(picture))) = (args.first(), args.get(1)) {
        let given = components(picture);
        let has = |c: char| given.contains(&c);
        if has('d') && !has('Y') && !has('M') && !has('D') {
            return day_of_year(now, &given, &args);
        }
    }
    if let (Some(JValue::String(text)), Some(JValue::String(picture))) = (args.first(), args.get(1))
    {
        if let Some((given_text, given_picture)) = leading_from_now(picture, now) {
            let text = format!("{given_text}{SEPARATOR}{text}");
            let picture = format!("{given_picture}{SEPARATOR}{picture}");
            args[0] = JValue::string(text);
            args[1] = JValue::string(picture);
        }
    }
    built_in_to_millis(&args)
}

fn built_in_to_millis(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    static CALL: OnceLock<Option<AstNode>> = OnceLock::new();
    let arg = |i: usize| args.get(i).cloned().unwrap_or(JValue::Undefined);
    super::functions::built_in(&CALL, "$toMillis($t, $p)", [("t", arg(0)), ("p", arg(1))])
}

/// A day of the year without its year: the built-in's answer on the machine's clock, moved
/// onto the session's (see the module's notes).
fn day_of_year(now: i64, given: &[char], args: &[JValue]) -> Result<JValue, EvaluatorError> {
    loop {
        let before = Utc::now().year();
        let answer = built_in_to_millis(args)?;
        let machine_year = Utc::now().year();
        if machine_year != before {
            // The machine's year turned during the call: ask again.
            continue;
        }
        let JValue::Number(ms) = answer else {
            return Ok(answer);
        };
        return Ok(on_session_clock(ms, machine_year, now, given).map_or(answer, JValue::Number));
    }
}

/// `ms`, computed on a clock in `machine_year`, as it is on the session's clock `now`: the
/// same day of the year in `now`'s year, and the time components in front of the first one
/// the picture gives (`H m s f`; `P` or `h` stand for the hour) from `now`, the others as
/// computed.
fn on_session_clock(ms: f64, machine_year: i32, now: i64, given: &[char]) -> Option<f64> {
    let computed = DateTime::<Utc>::from_timestamp_millis(ms as i64)?;
    let session = DateTime::<Utc>::from_timestamp_millis(now)?;
    let jan_first = |year: i32| chrono::NaiveDate::from_ymd_opt(year, 1, 1);
    let ordinal = (computed.date_naive() - jan_first(machine_year)?).num_days();
    let date = jan_first(session.year())? + chrono::Duration::days(ordinal);
    let hour_given = given.iter().any(|c| matches!(c, 'H' | 'h' | 'P'));
    let first_given = [
        hour_given,
        given.contains(&'m'),
        given.contains(&'s'),
        given.contains(&'f'),
    ]
    .iter()
    .position(|&g| g)
    .unwrap_or(4);
    let pick =
        |i: usize, session: u32, computed: u32| if i < first_given { session } else { computed };
    let time = chrono::NaiveTime::from_hms_milli_opt(
        pick(0, session.hour(), computed.hour()),
        pick(1, session.minute(), computed.minute()),
        pick(2, session.second(), computed.second()),
        pick(
            3,
            session.timestamp_subsec_millis(),
            computed.timestamp_subsec_millis(),
        ),
    )?;
    Some(date.and_time(time).and_utc().timestamp_millis() as f64)
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
    if ['X', 'x', 'W', 'w'].iter().any(|&c| has(c)) {
        return None;
    }
    if has('d') && !has('Y') && !has('M') && !has('D') {
        return None;
    }
    if given.iter().all(|c| !"YMDdPHhmsf".contains(*c)) && !has('F') {
        // Nothing to line up: 2.0.6 answers undefined, or refuses, whatever the time. (A day
        // name alone lines up nothing either, and takes the whole time from the clock.)
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

    /// A day of the year without its year, as jsonata-js 2.0.6 answers it (checked against
    /// 2.0.6 with its clock at other times: the year and the time in front of the first time
    /// component given come from the clock, the rest of the time is zero).
    #[test]
    fn a_day_of_the_year_without_its_year_is_on_the_session_clock() {
        assert_eq!(millis("32", "[d]"), utc(2026, 2, 1, 5, 6, 7, 89));
        assert_eq!(millis("32 10", "[d] [H]"), utc(2026, 2, 1, 10, 0, 0, 0));
        assert_eq!(millis("10 32", "[H] [d]"), utc(2026, 2, 1, 10, 0, 0, 0));
        assert_eq!(millis("32 30", "[d] [m]"), utc(2026, 2, 1, 5, 30, 0, 0));
        assert_eq!(millis("32 30", "[d] [s]"), utc(2026, 2, 1, 5, 6, 30, 0));
        assert_eq!(millis("32 005", "[d] [f001]"), utc(2026, 2, 1, 5, 6, 7, 5));
        assert_eq!(millis("32 PM", "[d] [P]"), utc(2026, 2, 1, 12, 0, 0, 0));
        assert_eq!(millis("32 Monday", "[d] [F]"), utc(2026, 2, 1, 5, 6, 7, 89));
        // Past the year's last day: into the next year, as JavaScript's Date rolls over.
        assert_eq!(millis("366", "[d]"), utc(2027, 1, 1, 5, 6, 7, 89));
        // The session's year decides leap days: 2028 has a 29 February.
        let leap = 1_830_000_000_000; // 2027-12-28T…; a year later is in 2028
        let in_2028 = leap + 366 * 86_400_000;
        let day_60 = to_millis(in_2028, &[JValue::string("60"), JValue::string("[d]")]).unwrap();
        let JValue::Number(ms) = day_60 else {
            panic!("{day_60:?}")
        };
        let day = DateTime::<Utc>::from_timestamp_millis(ms as i64).unwrap();
        assert_eq!((day.year(), day.month(), day.day()), (2028, 2, 29));
    }

    /// A day name is read and ignored (2.0.6's `[F]`): the picture lines up as without it.
    #[test]
    fn a_day_name_lines_up_nothing() {
        assert_eq!(
            millis("10:30 Monday", "[H]:[m] [F]"),
            utc(2026, 3, 4, 10, 30, 0, 0)
        );
        assert_eq!(millis("Monday", "[F]"), utc(2026, 3, 4, 5, 6, 7, 89));
        assert_eq!(
            millis("03 Monday", "[M01] [F]"),
            utc(2026, 3, 1, 0, 0, 0, 0)
        );
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
