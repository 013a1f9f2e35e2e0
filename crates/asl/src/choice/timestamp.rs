//! Timestamps as Step Functions reads them: Java's `DateTimeFormatter.ISO_OFFSET_DATE_TIME`
//! ("ISO-8601 extended offset date-time", AWS's own wording): `2016-03-14T01:59:00Z`,
//! seconds and a fraction of up to nine digits optional, an offset (`Z` or `±HH:MM[:SS]`)
//! required, letters case-insensitive, dates and times checked strictly.

use std::cmp::Ordering;

/// An instant: seconds since the Unix epoch and nanoseconds within the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub epoch_seconds: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn compare(&self, other: &Timestamp) -> Ordering {
        self.cmp(other)
    }
}

struct Cursor<'s> {
    b: &'s [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.i;
        let mut v: i64 = 0;
        while self.i - start < max {
            match self.b.get(self.i) {
                Some(d) if d.is_ascii_digit() => {
                    v = v * 10 + i64::from(d - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        let n = self.i - start;
        (n >= min).then_some((v, n))
    }

    fn fixed(&mut self, n: usize) -> Option<i64> {
        self.digits(n, n).map(|(v, _)| v)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self
            .b
            .get(self.i)
            .is_some_and(|x| x.eq_ignore_ascii_case(&c))
        {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

/// Parses `s`; `None` when Java would reject it.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    // Year: four digits, or a sign and more digits (`SignStyle.EXCEEDS_PAD`).
    let year = match c.peek()? {
        b'+' | b'-' => {
            let negative = c.peek() == Some(b'-');
            c.i += 1;
            let (v, n) = c.digits(4, 10)?;
            if n == 4 && !negative {
                return None;
            }
            if negative {
                -v
            } else {
                v
            }
        }
        _ => {
            let (v, n) = c.digits(4, 4)?;
            if n != 4 || c.peek().is_some_and(|d| d.is_ascii_digit()) {
                return None;
            }
            v
        }
    };
    if !(-999_999_999..=999_999_999).contains(&year) || !c.eat(b'-') {
        return None;
    }
    let month = c.fixed(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.fixed(2)?;
    if !c.eat(b'T') {
        return None;
    }
    let hour = c.fixed(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.fixed(2)?;
    let mut second = 0;
    let mut nanos: i64 = 0;
    if c.eat(b':') {
        second = c.fixed(2)?;
        if c.eat(b'.') {
            let (frac, n) = c.digits(0, 9)?;
            nanos = frac * 10i64.pow(9 - n as u32);
        }
    }
    let offset = if c.eat(b'Z') {
        0
    } else {
        let sign = match c.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        c.i += 1;
        let oh = c.fixed(2)?;
        if !c.eat(b':') {
            return None;
        }
        let om = c.fixed(2)?;
        let os = if c.eat(b':') { c.fixed(2)? } else { 0 };
        if oh > 18 || om > 59 || os > 59 || (oh == 18 && (om > 0 || os > 0)) {
            return None;
        }
        sign * (oh * 3600 + om * 60 + os)
    };
    if c.i != c.b.len() {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(Timestamp {
        epoch_seconds: seconds,
        nanos: nanos as u32,
    })
}

/// Whether `s` is an RFC 3339 date-time, the form AWS requires of timestamps written in a
/// definition: like [`parse_timestamp`] but with seconds required, a four-digit year and an
/// offset of hours and minutes only.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let t_at = 10;
    let seconds_end = 19;
    if b.len() < 20
        || !s.is_char_boundary(seconds_end)
        || !b[..4].iter().all(u8::is_ascii_digit)
        || !b[t_at].eq_ignore_ascii_case(&b'T')
    {
        return false;
    }
    if b.get(16) != Some(&b':') || !b[17..seconds_end].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut rest = &s[seconds_end..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    let offset_ok = rest.eq_ignore_ascii_case("z")
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':');
    offset_ok && parse_timestamp(s).is_some()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_requires_seconds_and_a_minute_offset() {
        let table = [
            ("2016-03-14T01:59:00Z", true),
            ("2016-03-14t01:59:00.5z", true),
            ("2016-03-14T01:59:00.123456789+05:30", true),
            ("2016-03-14T01:59Z", false),
            ("2016-03-14T01:59:00", false),
            ("2016-03-14T01:59:00+05:30:00", false),
            ("2016-03-14T01:59:00.Z", false),
            ("+2016-03-14T01:59:00Z", false),
            ("2016-02-30T01:59:00Z", false),
            ("2016-03-1é01:59:00Z", false),
        ];
        for (text, want) in table {
            assert_eq!(is_rfc3339(text), want, "is_rfc3339({text:?})");
        }
    }

    #[test]
    fn accepts_what_iso_offset_date_time_accepts() {
        let table: &[(&str, Option<(i64, u32)>)] = &[
            ("1970-01-01T00:00:00Z", Some((0, 0))),
            ("2016-03-14T01:59:00Z", Some((1_457_920_740, 0))),
            (
                "2016-03-05T21:29:29.243167252Z",
                Some((1_457_213_369, 243_167_252)),
            ),
            ("2012-10-09T19:00:55+01:00", Some((1_349_805_655, 0))),
            (
                "2012-10-09T19:00:55.5-00:30",
                Some((1_349_811_055, 500_000_000)),
            ),
            ("2012-10-09t19:00:55z", Some((1_349_809_255, 0))),
            ("2012-10-09T19:00Z", Some((1_349_809_200, 0))),
            ("2016-02-29T00:00:00Z", Some((1_456_704_000, 0))),
            ("2016-12-05T21:29:29", None),
            ("2016-12-05 21:29:29Z", None),
            ("2016-13-05T21:29:29Z", None),
            ("2016-12-05T25:29:29Z", None),
            ("05-12-2016T21:29:29Z", None),
            ("2015-02-29T00:00:00Z", None),
            ("2012-10-09T19:00:60Z", None),
            ("2012-10-09T19:00:55+0100", None),
            ("2012-10-09T19:00:55+01", None),
            ("2023-02-24", None),
            ("2012-10-09T19:00:55.1234567891Z", None),
            ("", None),
        ];
        for (text, want) in table {
            let got = parse_timestamp(text).map(|t| (t.epoch_seconds, t.nanos));
            assert_eq!(got, *want, "parse_timestamp({text:?})");
        }
    }
}
