//! Histograms the store's writers count with atomics (any thread, no lock), read as
//! [`HistogramSnapshot`]s for `GET /metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Commit latency bounds, in seconds: 100 µs to 10 s.
pub const COMMIT_SECONDS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0, 10.0,
];
/// Group commit sizes: batches per transaction.
pub const GROUP_SIZES: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Observations by bucket, their count and their sum.
#[derive(Debug)]
pub struct AtomicHistogram {
    bounds: &'static [f64],
    /// One per bound, then one for what is over the last.
    counts: Box<[AtomicU64]>,
    /// The sum, in millionths of the unit.
    sum_micros: AtomicU64,
}

impl AtomicHistogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        let value = value.max(0.0);
        let i = self
            .bounds
            .iter()
            .position(|&b| value <= b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            bounds: self.bounds.to_vec(),
            counts: self
                .counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
            sum: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

/// A writer's transactions: how long each took and how many batches it carried.
#[derive(Debug)]
pub struct CommitStats {
    pub seconds: AtomicHistogram,
    pub batches: AtomicHistogram,
}

impl Default for CommitStats {
    fn default() -> Self {
        Self {
            seconds: AtomicHistogram::new(&COMMIT_SECONDS),
            batches: AtomicHistogram::new(&GROUP_SIZES),
        }
    }
}

impl CommitStats {
    /// One transaction of `batches` batches, begun at `began`, has returned.
    pub fn observe(&self, began: std::time::Instant, batches: usize) {
        self.seconds.observe(began.elapsed().as_secs_f64());
        self.batches.observe(batches as f64);
    }
}

/// A histogram as read: `counts[i]` observations were at most `bounds[i]` (and over the one
/// before); the last count is over every bound.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    pub bounds: Vec<f64>,
    pub counts: Vec<u64>,
    pub sum: f64,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// In Prometheus' text format, as `name` (cumulative `_bucket`s, `_sum`, `_count`).
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        use std::fmt::Write;
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(&self.counts) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count());
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_buckets() {
        let h = AtomicHistogram::new(&GROUP_SIZES);
        for v in [1.0, 1.0, 3.0, 300.0] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.counts[0], 2);
        assert_eq!(s.counts[2], 1);
        assert_eq!(*s.counts.last().unwrap(), 1);
        assert_eq!(s.count(), 4);
        assert_eq!(s.sum, 305.0);
        let mut text = String::new();
        s.render(&mut text, "x", "X.");
        assert!(text.contains("x_bucket{le=\"4\"} 3\n"));
        assert!(text.contains("x_bucket{le=\"+Inf\"} 4\n"));
        assert!(text.contains("x_count 4\n"));
    }
}
