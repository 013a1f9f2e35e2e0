//! What the client tasks tally: latencies (with their percentiles) and errors, merged across
//! tasks once the load is over.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

/// Latency samples in microseconds.
#[derive(Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// Percentiles by nearest rank, in milliseconds; `None` without samples.
    pub fn summary(mut self) -> Option<Summary> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let n = self.0.len();
        let at = |q: f64| {
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            f64::from(self.0[rank - 1]) / 1000.0
        };
        let sum: u64 = self.0.iter().map(|&v| u64::from(v)).sum();
        Some(Summary {
            count: n as u64,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
            mean: sum as f64 / n as f64 / 1000.0,
        })
    }
}

/// Latency percentiles in milliseconds.
pub struct Summary {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    pub fn text(&self) -> String {
        format!(
            "p50 {}  p90 {}  p99 {}  max {}  (mean {}, n={})",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max),
            ms(self.mean),
            int(self.count)
        )
    }

    pub fn json(&self) -> Value {
        json!({
            "count": self.count,
            "p50_ms": round3(self.p50),
            "p90_ms": round3(self.p90),
            "p99_ms": round3(self.p99),
            "max_ms": round3(self.max),
            "mean_ms": round3(self.mean),
        })
    }
}

/// `summary` as a table cell and a JSON value (`null` without samples).
pub fn latency(l: Latencies) -> (String, Value) {
    match l.summary() {
        Some(s) => (s.text(), s.json()),
        None => ("no samples".to_owned(), Value::Null),
    }
}

/// Errors by kind, with a count; at most [`Errors::KINDS`] kinds kept apart.
#[derive(Default)]
pub struct Errors {
    pub count: u64,
    kinds: BTreeMap<String, u64>,
}

impl Errors {
    const KINDS: usize = 20;

    pub fn add(&mut self, what: impl Into<String>) {
        self.add_n(what.into(), 1);
    }

    fn add_n(&mut self, what: String, n: u64) {
        self.count += n;
        let key = if self.kinds.len() < Self::KINDS || self.kinds.contains_key(&what) {
            what
        } else {
            "(other kinds)".to_owned()
        };
        *self.kinds.entry(key).or_default() += n;
    }

    pub fn merge(&mut self, other: Errors) {
        for (what, n) in other.kinds {
            self.add_n(what, n);
        }
    }

    pub fn text(&self) -> String {
        if self.count == 0 {
            return "0".to_owned();
        }
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(what, n)| format!("{n} × {what}"))
            .collect();
        format!("{} ({})", int(self.count), kinds.join("; "))
    }

    pub fn json(&self) -> Value {
        json!({ "count": self.count, "kinds": self.kinds })
    }
}

/// `12345` as `12,345`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate, rounded to a whole number with thousands separators.
pub fn rate(r: f64) -> String {
    int(r.round().max(0.0) as u64)
}

/// Milliseconds, with more decimals the smaller they are.
pub fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut l = Latencies::default();
        for us in 1..=100 {
            l.push(Duration::from_micros(us * 1000));
        }
        let s = l.summary().unwrap();
        assert_eq!((s.p50, s.p90, s.p99, s.max), (50.0, 90.0, 99.0, 100.0));
        assert!(Latencies::default().summary().is_none());
    }

    #[test]
    fn thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1234567), "1,234,567");
    }
}
