//! What an expression can see while it is evaluated: the state input, the context object,
//! the variables in scope, and a deterministic source of random values.

use serde_json::Value;

/// Variables visible to an expression (`$name` in JSONPath, `$name` in JSONata).
pub trait Vars {
    fn get_var(&self, name: &str) -> Option<&Value>;
}

/// No variables at all.
pub struct NoVars;

impl Vars for NoVars {
    fn get_var(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Vars for serde_json::Map<String, Value> {
    fn get_var(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// Randomness, supplied from outside so that the core stays deterministic: the engine seeds it
/// from the execution's start event, so a replay draws the same values.
pub trait Entropy {
    /// A uniformly distributed 64-bit value.
    fn next_u64(&mut self) -> u64;

    /// A random version-4 UUID in lower-case hyphenated form.
    fn uuid_v4(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&hi.to_be_bytes());
        b[8..].copy_from_slice(&lo.to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// SplitMix64: a tiny, well-known seeded generator; good enough for `States.MathRandom`,
/// `States.UUID` and JSONata's `$random`, and reproducible from its seed.
#[derive(Debug, Clone)]
pub struct SeededEntropy {
    state: u64,
}

impl SeededEntropy {
    pub fn new(seed: u64) -> SeededEntropy {
        SeededEntropy { state: seed }
    }
}

impl Entropy for SeededEntropy {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The environment of one evaluation.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The value `$` refers to (the state input, or the effective input at that phase).
    pub input: &'a Value,
    /// The context object, `$$`.
    pub context: &'a Value,
    /// The variables in scope.
    pub vars: &'a dyn Vars,
}
