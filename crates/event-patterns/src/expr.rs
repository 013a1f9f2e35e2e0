//! Schedule expressions as EventBridge Scheduler (and, without `at()` and time zones, a
//! scheduled rule) reads them (User Guide, "Schedule types in
//! EventBridge Scheduler"):
//!
//! * `at(yyyy-mm-ddThh:mm:ss)`: once, at that wall-clock time in the schedule's time zone;
//! * `rate(value unit)`: every `value` minutes, hours or days (the unit singular for 1,
//!   plural otherwise), counted from the schedule's start date, or from its creation when it
//!   has none ("If you do not provide a StartDate for a rate-based schedule, your schedule
//!   starts invoking its target immediately");
//! * `cron(minutes hours day-of-month month day-of-week year)`: six fields, Quartz's
//!   (`?`, `L`, `W`, `#`, `SUN`–`SAT` as 1–7), evaluated in the schedule's time zone, one of
//!   the day fields being `?` ("You can't specify the Day-of-month and Day-of-week fields in
//!   the same cron expression").
//!
//! The cron fields are evaluated by the `croner` crate, told to read weekdays as Quartz does;
//! daylight saving transitions follow its rules (a time skipped by a spring-forward runs at
//! the first valid minute after the gap, a time repeated by a fall-back runs once), which are
//! the User Guide's ("Time zones on EventBridge Scheduler").

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum Expression {
    /// One time, at this instant.
    At(DateTime<Utc>),
    /// Every this long, from an anchor the schedule gives.
    Rate(Duration),
    /// A cron pattern in a time zone.
    Cron(Box<Cron>, Tz),
}

/// The characters a cron field may hold (the User Guide's "Cron expressions" table: `, - * ? /
/// L W #`, digits, and the names of months and weekdays).
fn cron_field_chars(field: &str) -> bool {
    field
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b",-*?/#".contains(&b))
}

impl Expression {
    /// Reads `text` in the time zone named `zone` (an IANA name; UTC when absent). The error
    /// is the refusal's message.
    pub fn parse(text: &str, zone: Option<&str>) -> Result<Expression, String> {
        let tz = match zone {
            None => Tz::UTC,
            Some(name) => Tz::from_str(name).map_err(|_| format!("Invalid time zone: {name}"))?,
        };
        let invalid = || format!("Invalid Schedule Expression {text}.");
        let (kind, body) = text
            .strip_suffix(')')
            .and_then(|t| t.split_once('('))
            .ok_or_else(invalid)?;
        match kind {
            "at" => {
                let naive = NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S")
                    .map_err(|_| invalid())?;
                // A wall-clock time skipped by a spring-forward is read as the first valid
                // one after it; a repeated one as its first occurrence.
                let at = tz
                    .from_local_datetime(&naive)
                    .earliest()
                    .or_else(|| {
                        tz.from_local_datetime(&(naive + Duration::hours(1)))
                            .earliest()
                    })
                    .ok_or_else(invalid)?;
                Ok(Expression::At(at.with_timezone(&Utc)))
            }
            "rate" => {
                let mut words = body.split_whitespace();
                let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next())
                else {
                    return Err(invalid());
                };
                let value: i64 = value.parse().map_err(|_| invalid())?;
                // "If the value is equal to 1, then the unit must be singular. If the value is
                // greater than 1, the unit must be plural."
                let minutes = match (value, unit) {
                    (1, "minute") | (2.., "minutes") => 1,
                    (1, "hour") | (2.., "hours") => 60,
                    (1, "day") | (2.., "days") => 1440,
                    _ => return Err(invalid()),
                };
                // Bounded so that the period is a chrono Duration (some 290,000 years).
                if value > 100_000_000 {
                    return Err(invalid());
                }
                Ok(Expression::Rate(Duration::minutes(value * minutes)))
            }
            "cron" => {
                let fields: Vec<&str> = body.split_whitespace().collect();
                if fields.len() != 6 || !fields.iter().all(|f| cron_field_chars(f)) {
                    return Err(invalid());
                }
                let (dom, dow) = (fields[2], fields[4]);
                if (dom == "?") == (dow == "?") {
                    return Err(invalid());
                }
                let pattern = format!("0 {}", fields.join(" "));
                let cron = CronParser::builder()
                    .seconds(Seconds::Required)
                    .year(Year::Required)
                    .alternative_weekdays(true)
                    .build()
                    .parse(&pattern)
                    .map_err(|_| invalid())?;
                Ok(Expression::Cron(Box::new(cron), tz))
            }
            _ => Err(invalid()),
        }
    }

    /// Whether it fires once only.
    pub fn one_time(&self) -> bool {
        matches!(self, Expression::At(_))
    }

    /// The first tick strictly after `after`, for a schedule whose rate ticks are counted from
    /// `anchor`; `None` when there is none.
    pub fn next_after(&self, after: DateTime<Utc>, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Expression::At(at) => (*at > after).then_some(*at),
            Expression::Rate(period) => {
                if anchor > after {
                    return Some(anchor);
                }
                let period_ms = period.num_milliseconds().max(1);
                let since = (after - anchor).num_milliseconds();
                let n = since / period_ms + 1;
                anchor.checked_add_signed(Duration::milliseconds(n.checked_mul(period_ms)?))
            }
            Expression::Cron(cron, tz) => cron
                .find_next_occurrence(&after.with_timezone(tz), false)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(text: &str, zone: Option<&str>, after: &str) -> String {
        let e = Expression::parse(text, zone).unwrap();
        let t = e.next_after(utc(after), utc(after)).unwrap();
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    #[test]
    fn the_user_guides_cron_examples_fire_when_it_says() {
        // "cron(0 10 * * ? *)": 10:00 am (UTC) every day.
        assert_eq!(
            next("cron(0 10 * * ? *)", None, "2026-03-01T11:00:00Z"),
            "2026-03-02T10:00:00Z"
        );
        // "cron(15 12 * * ? *)": 12:15 pm every day.
        assert_eq!(
            next("cron(15 12 * * ? *)", None, "2026-03-01T12:15:00Z"),
            "2026-03-02T12:15:00Z"
        );
        // "cron(0 18 ? * MON-FRI *)": 6:00 pm Monday through Friday (2026-03-07 is a Saturday).
        assert_eq!(
            next("cron(0 18 ? * MON-FRI *)", None, "2026-03-06T18:30:00Z"),
            "2026-03-09T18:00:00Z"
        );
        // "cron(0 8 1 * ? *)": 8:00 am on the first day of the month.
        assert_eq!(
            next("cron(0 8 1 * ? *)", None, "2026-03-01T08:00:00Z"),
            "2026-04-01T08:00:00Z"
        );
        // "cron(0/10 * ? * MON-FRI *)": every 10 minutes on weekdays.
        assert_eq!(
            next("cron(0/10 * ? * MON-FRI *)", None, "2026-03-06T23:55:00Z"),
            "2026-03-09T00:00:00Z"
        );
        // "cron(0 9 ? * 2#1 *)": 9:00 am on the first Monday of each month (2 is Monday).
        assert_eq!(
            next("cron(0 9 ? * 2#1 *)", None, "2026-03-01T00:00:00Z"),
            "2026-03-02T09:00:00Z"
        );
        // "cron(0 0 L * ? *)": midnight on the last day of the month.
        assert_eq!(
            next("cron(0 0 L * ? *)", None, "2026-02-10T00:00:00Z"),
            "2026-02-28T00:00:00Z"
        );
        // A year field: nothing after the last year named.
        let e = Expression::parse("cron(0 0 1 1 ? 2027)", None).unwrap();
        let t = utc("2027-06-01T00:00:00Z");
        assert!(e.next_after(t, t).is_none());
    }

    #[test]
    fn cron_is_read_in_the_schedules_time_zone() {
        // 9:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.
        assert_eq!(
            next(
                "cron(0 9 * * ? *)",
                Some("America/New_York"),
                "2026-01-10T00:00:00Z"
            ),
            "2026-01-10T14:00:00Z"
        );
        assert_eq!(
            next(
                "cron(0 9 * * ? *)",
                Some("America/New_York"),
                "2026-07-10T00:00:00Z"
            ),
            "2026-07-10T13:00:00Z"
        );
    }

    #[test]
    fn rates_count_from_their_anchor() {
        let e = Expression::parse("rate(5 minutes)", None).unwrap();
        let anchor = utc("2026-03-01T10:00:30Z");
        assert_eq!(
            e.next_after(utc("2026-03-01T09:00:00Z"), anchor),
            Some(anchor)
        );
        assert_eq!(
            e.next_after(anchor, anchor),
            Some(utc("2026-03-01T10:05:30Z"))
        );
        assert_eq!(
            e.next_after(utc("2026-03-01T10:12:00Z"), anchor),
            Some(utc("2026-03-01T10:15:30Z"))
        );
    }

    #[test]
    fn at_is_one_time_in_its_zone() {
        let e = Expression::parse("at(2026-05-01T12:00:00)", Some("Europe/Paris")).unwrap();
        assert!(e.one_time());
        let before = utc("2026-05-01T00:00:00Z");
        assert_eq!(
            e.next_after(before, before),
            Some(utc("2026-05-01T10:00:00Z"))
        );
        let after = utc("2026-05-01T10:00:00Z");
        assert_eq!(e.next_after(after, after), None);
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(-1 minutes)",
            "rate(1 second)",
            "rate(5)",
            "cron(0 10 * * * *)",
            "cron(0 10 ? * ? *)",
            "cron(0 10 * * ?)",
            "cron(0 10 * * ? * *)",
            "cron(0 25 * * ? *)",
            "cron(0 10 * * ? *",
            "cron(0 10 +1 * ? *)",
            "at(2026-05-01 12:00:00)",
            "at(2026-13-01T12:00:00)",
            "every(5 minutes)",
            "",
        ] {
            assert!(Expression::parse(bad, None).is_err(), "{bad} was taken");
        }
        assert_eq!(
            Expression::parse("rate(1 minute)", Some("Mars/Olympus")).unwrap_err(),
            "Invalid time zone: Mars/Olympus"
        );
    }
}
