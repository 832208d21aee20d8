//! [`Tokens`]: an exact amount of money in a run's metrics — integer nano-units inside, the
//! decimal text of `gridbook_matcher::money` in `metrics.json`, a float only when asked for
//! (statistics over runs, charts), never for a sum.

use std::ops::Add;

use gridbook_matcher::money::format_nano_wide;
use serde::{Serialize, Serializer};

/// An amount of tokens, held as nano-units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tokens {
    nano: u128,
}

impl Tokens {
    /// `nano` nano-units.
    pub const fn from_nano(nano: u128) -> Tokens {
        Tokens { nano }
    }

    /// The exact amount, nano-units.
    pub const fn nano(self) -> u128 {
        self.nano
    }

    /// The amount as a float, for statistics and charts (rounded; never summed back).
    pub fn to_f64(self) -> f64 {
        self.nano as f64 / 1e9
    }
}

impl Add for Tokens {
    type Output = Tokens;

    fn add(self, other: Tokens) -> Tokens {
        Tokens { nano: self.nano.checked_add(other.nano).expect("token sums fit in u128") }
    }
}

impl std::fmt::Display for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_nano_wide(self.nano))
    }
}

/// Decimal text, as every amount in gridbook's outputs (`"12.5"`).
impl Serialize for Tokens {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::Tokens;

    #[test]
    fn tokens_serialise_as_exact_decimal_text_and_add_exactly() {
        let a = Tokens::from_nano(1_000_000_001);
        let b = Tokens::from_nano(u128::from(u64::MAX));
        assert_eq!(serde_json::to_string(&a).unwrap_or_default(), "\"1.000000001\"");
        assert_eq!((a + b).nano(), 1_000_000_001 + u128::from(u64::MAX));
        assert_eq!(Tokens::from_nano(2_500_000_000).to_f64(), 2.5);
    }
}
