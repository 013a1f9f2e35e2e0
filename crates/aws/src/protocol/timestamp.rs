//! Timestamps in each direction: what a Task's parameters may hold, what each protocol puts on
//! the wire, what services answer with, and what a Task's result holds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// The formats of botocore's `timestampFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `2013-08-23T01:02:15Z`.
    Iso8601,
    /// `Fri, 23 Aug 2013 01:02:15 GMT` (RFC 7231's IMF-fixdate).
    Rfc822,
    /// Seconds since the epoch, a JSON number.
    Epoch,
}

impl Format {
    /// `timestampFormat`'s value; `None` for one this module does not know.
    pub fn from_model(name: &str) -> Option<Format> {
        match name {
            "iso8601" => Some(Format::Iso8601),
            "rfc822" => Some(Format::Rfc822),
            "unixTimestamp" => Some(Format::Epoch),
            _ => None,
        }
    }
}

/// A timestamp from a Task's parameters: an ISO 8601 string (with or without an offset; UTC
/// when none), a date, an RFC 7231 date, or a number (or numeric string) of seconds since the
/// epoch.
pub fn from_param(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => from_epoch(n.as_f64()?),
        Value::String(s) => from_text(s),
        _ => None,
    }
}

/// A timestamp as a service wrote it, in any of the three formats.
pub fn from_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return from_epoch(seconds);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // ISO 8601 forms RFC 3339 does not take: a lower-case `t`/`z`, no offset, a space.
    for pattern in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y%m%dT%H%M%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, pattern) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let bare = text.trim_end_matches(['Z', 'z']);
    for pattern in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y%m%dT%H%M%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(bare, pattern) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(bare, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(text) {
        return Some(t.with_timezone(&Utc));
    }
    None
}

/// Seconds since the epoch, to the millisecond (as the AWS SDK for Java 2.x reads them; a
/// double's binary fraction would otherwise show as `.421999931`).
pub fn from_epoch(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
}

/// A timestamp on the wire in `format`, as text (query strings, headers, XML, forms).
pub fn to_text(t: &DateTime<Utc>, format: Format) -> String {
    match format {
        Format::Iso8601 => {
            let millis = t.timestamp_subsec_millis();
            if millis == 0 {
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            } else {
                format!("{}.{millis:03}Z", t.format("%Y-%m-%dT%H:%M:%S"))
            }
        }
        Format::Rfc822 => t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        Format::Epoch => epoch_text(t),
    }
}

/// A timestamp in a JSON body in `format`: epoch seconds as a number (with milliseconds when
/// there are any), the other formats as strings.
pub fn to_json(t: &DateTime<Utc>, format: Format) -> Value {
    match format {
        Format::Epoch => {
            let millis = t.timestamp_subsec_millis();
            if millis == 0 {
                Value::from(t.timestamp())
            } else {
                serde_json::Number::from_f64(t.timestamp() as f64 + f64::from(millis) / 1000.0)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::from(t.timestamp()))
            }
        }
        other => Value::String(to_text(t, other)),
    }
}

fn epoch_text(t: &DateTime<Utc>) -> String {
    let millis = t.timestamp_subsec_millis();
    if millis == 0 {
        t.timestamp().to_string()
    } else {
        format!("{}.{millis:03}", t.timestamp())
    }
}

/// A timestamp in a Task's result: as the AWS SDK for Java 2.x's `Instant.toString()` writes it
/// (ISO 8601 in UTC, `2013-08-23T01:02:15.422Z`; a fraction only when it is not zero, in groups
/// of 3, 6 or 9 digits; seconds always written).
pub fn to_result(t: &DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    let nanos = t.timestamp_subsec_nanos();
    if nanos == 0 {
        format!("{base}Z")
    } else if nanos.is_multiple_of(1_000_000) {
        format!("{base}.{:03}Z", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{base}.{:06}Z", nanos / 1_000)
    } else {
        format!("{base}.{nanos:09}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_take_iso_8601_and_epoch_seconds() {
        let t = from_param(&Value::from("2013-08-23T01:02:15.422Z")).unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:15.422Z");
        assert_eq!(
            from_param(&Value::from(1377219735)).unwrap().timestamp(),
            1377219735
        );
        let t = from_param(&Value::from(1377219735.5)).unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:15.500Z");
        let t = from_param(&Value::from("2013-08-23T03:02:15+02:00")).unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:15Z");
        let t = from_param(&Value::from("2013-08-23T01:02:15")).unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:15Z");
        assert!(from_param(&Value::from("yesterday")).is_none());
        assert!(from_param(&Value::Bool(true)).is_none());
    }

    #[test]
    fn wire_formats() {
        let t = from_text("Fri, 23 Aug 2013 01:02:15 GMT").unwrap();
        assert_eq!(to_text(&t, Format::Iso8601), "2013-08-23T01:02:15Z");
        assert_eq!(to_text(&t, Format::Rfc822), "Fri, 23 Aug 2013 01:02:15 GMT");
        assert_eq!(to_text(&t, Format::Epoch), "1377219735");
        assert_eq!(to_json(&t, Format::Epoch), Value::from(1377219735));
        let t = from_text("1377219735.422").unwrap();
        assert_eq!(
            to_json(&t, Format::Epoch),
            serde_json::json!(1377219735.422)
        );
        assert_eq!(to_text(&t, Format::Iso8601), "2013-08-23T01:02:15.422Z");
    }

    #[test]
    fn results_are_java_instants() {
        let t = from_text("2013-08-23T01:02:15.000123Z").unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:15.000123Z");
        let t = from_text("2013-08-23T01:02:15.000000007Z").unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:15.000000007Z");
        let t = from_text("2013-08-23T01:02:00Z").unwrap();
        assert_eq!(to_result(&t), "2013-08-23T01:02:00Z");
    }
}
