//! The service model's shapes and constraints as static data, for every shape an operation's
//! input or output reaches: what a request is decoded and validated against.

use std::sync::LazyLock;

pub(crate) mod tables;

/// A shape of the service model.
#[derive(Debug)]
pub struct Shape {
    /// The model's name for the shape (`Arn`, `StartExecutionInput`, …).
    pub name: &'static str,
    /// AWS keeps the value out of messages and logs (`"Value at 'input' …"`).
    pub sensitive: bool,
    pub kind: Kind,
}

/// What a shape is, with the constraints the model puts on it.
#[derive(Debug)]
pub enum Kind {
    Structure(&'static [Member]),
    List {
        member: &'static Shape,
        min: Option<i64>,
        max: Option<i64>,
    },
    Map {
        key: &'static Shape,
        value: &'static Shape,
        min: Option<i64>,
        max: Option<i64>,
    },
    String {
        min: Option<i64>,
        max: Option<i64>,
        pattern: Option<&'static Pattern>,
        enumeration: Option<Enumeration>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Long {
        min: Option<i64>,
        max: Option<i64>,
    },
    Float {
        min: Option<i64>,
        max: Option<i64>,
    },
    Boolean,
    Timestamp,
}

/// A member of a structure.
#[derive(Debug)]
pub struct Member {
    /// The member's name on the wire (`stateMachineArn`).
    pub name: &'static str,
    pub shape: &'static Shape,
    pub required: bool,
    /// The length limit counts UTF-8 bytes, not characters (execution input and output).
    pub utf8_bytes: bool,
}

impl Shape {
    const fn new(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            sensitive: false,
            kind,
        }
    }

    pub(crate) const fn structure(name: &'static str, members: &'static [Member]) -> Self {
        Self::new(name, Kind::Structure(members))
    }

    pub(crate) const fn list(
        name: &'static str,
        member: &'static Shape,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Self {
        Self::new(name, Kind::List { member, min, max })
    }

    pub(crate) const fn map(
        name: &'static str,
        key: &'static Shape,
        value: &'static Shape,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Self {
        Self::new(
            name,
            Kind::Map {
                key,
                value,
                min,
                max,
            },
        )
    }

    pub(crate) const fn string(name: &'static str, min: Option<i64>, max: Option<i64>) -> Self {
        Self::new(
            name,
            Kind::String {
                min,
                max,
                pattern: None,
                enumeration: None,
            },
        )
    }

    pub(crate) const fn enumeration(
        name: &'static str,
        values: &'static [&'static str],
        message_order: &'static [&'static str],
    ) -> Self {
        Self::new(
            name,
            Kind::String {
                min: None,
                max: None,
                pattern: None,
                enumeration: Some(Enumeration {
                    values,
                    message_order,
                }),
            },
        )
    }

    pub(crate) const fn integer(name: &'static str, min: Option<i64>, max: Option<i64>) -> Self {
        Self::new(name, Kind::Integer { min, max })
    }

    pub(crate) const fn long(name: &'static str, min: Option<i64>, max: Option<i64>) -> Self {
        Self::new(name, Kind::Long { min, max })
    }

    pub(crate) const fn float(name: &'static str, min: Option<i64>, max: Option<i64>) -> Self {
        Self::new(name, Kind::Float { min, max })
    }

    pub(crate) const fn boolean(name: &'static str) -> Self {
        Self::new(name, Kind::Boolean)
    }

    pub(crate) const fn timestamp(name: &'static str) -> Self {
        Self::new(name, Kind::Timestamp)
    }

    pub(crate) const fn with_pattern(self, pattern: &'static Pattern) -> Self {
        match self.kind {
            Kind::String {
                min,
                max,
                enumeration,
                ..
            } => Self {
                kind: Kind::String {
                    min,
                    max,
                    pattern: Some(pattern),
                    enumeration,
                },
                ..self
            },
            kind => Self { kind, ..self },
        }
    }

    pub(crate) const fn sensitive(self) -> Self {
        Self {
            sensitive: true,
            ..self
        }
    }
}

impl Member {
    pub(crate) const fn required(name: &'static str, shape: &'static Shape) -> Self {
        Self {
            name,
            shape,
            required: true,
            utf8_bytes: false,
        }
    }

    pub(crate) const fn optional(name: &'static str, shape: &'static Shape) -> Self {
        Self {
            name,
            shape,
            required: false,
            utf8_bytes: false,
        }
    }

    pub(crate) const fn in_utf8_bytes(self) -> Self {
        Self {
            utf8_bytes: true,
            ..self
        }
    }
}

/// The values an enumerated string may take.
#[derive(Debug)]
pub struct Enumeration {
    /// The values in the model's order.
    pub values: &'static [&'static str],
    /// The values in the order AWS lists them in a validation message.
    pub message_order: &'static [&'static str],
}

/// A regular expression from the model, in Java's syntax, matched against the whole value.
pub struct Pattern {
    /// The expression as the model writes it, and as AWS quotes it in messages.
    pub source: &'static str,
    regex: LazyLock<Option<fancy_regex::Regex>>,
}

impl Pattern {
    pub(crate) const fn new(
        source: &'static str,
        compile: fn() -> Option<fancy_regex::Regex>,
    ) -> Self {
        Self {
            source,
            regex: LazyLock::new(compile),
        }
    }

    /// Java's `String.matches`: the whole value must match.
    pub(crate) fn compile(source: &str) -> Option<fancy_regex::Regex> {
        fancy_regex::Regex::new(&format!("^(?:{source})$")).ok()
    }

    /// Whether `value` matches. A pattern that does not compile matches everything (a test
    /// checks that every pattern of the model compiles).
    pub fn is_match(&self, value: &str) -> bool {
        match &*self.regex {
            Some(regex) => regex.is_match(value).unwrap_or(true),
            None => true,
        }
    }

    /// Whether the pattern compiled.
    pub fn compiles(&self) -> bool {
        self.regex.is_some()
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}
