//! Timestamps as the AWS JSON 1.0 protocol sends them: epoch seconds as a JSON number.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time with millisecond precision, as Step Functions keeps them. On the wire it is
/// the number of seconds since the Unix epoch, with the milliseconds as a fraction
/// (`1700000000.123`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self { millis }
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(&self) -> i64 {
        self.millis
    }

    /// Seconds since the Unix epoch, as sent on the wire.
    pub fn as_epoch_seconds(&self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// The time `seconds` after the Unix epoch, rounded to the millisecond; `None` when it is
    /// not finite or out of range.
    pub fn from_epoch_seconds(seconds: f64) -> Option<Self> {
        let millis = (seconds * 1000.0).round();
        // i64::MAX as f64 rounds up, so the bound is exclusive.
        (millis.is_finite() && millis >= i64::MIN as f64 && millis < i64::MAX as f64).then_some(
            Self {
                millis: millis as i64,
            },
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_epoch_seconds())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EpochSeconds;

        impl Visitor<'_> for EpochSeconds {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("epoch seconds as a number")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                v.checked_mul(1000)
                    .map(Timestamp::from_millis)
                    .ok_or_else(|| E::custom("timestamp out of range"))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("timestamp out of range"))
                    .and_then(|v| self.visit_i64(v))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_epoch_seconds(v).ok_or_else(|| E::custom("timestamp out of range"))
            }
        }

        deserializer.deserialize_any(EpochSeconds)
    }
}
