//! Account addresses: the owner of an order, 20 bytes as on Ethereum.

use std::fmt;

/// An Ethereum account address. Parsed case-insensitively; printed lower-case with `0x`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Owner(pub [u8; 20]);

/// Why a text is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("owner must be 0x followed by 40 hex digits, got {0:?}")]
pub struct OwnerError(pub String);

impl Owner {
    /// Parses `0x` + 40 hex digits, in any letter case.
    pub fn parse(text: &str) -> Result<Owner, OwnerError> {
        let bad = || OwnerError(text.chars().take(64).collect());
        let hex = text.strip_prefix("0x").ok_or_else(bad)?.as_bytes();
        if hex.len() != 40 {
            return Err(bad());
        }
        let mut bytes = [0u8; 20];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let hi = hex_digit(pair[0]).ok_or_else(bad)?;
            let lo = hex_digit(pair[1]).ok_or_else(bad)?;
            *byte = hi << 4 | lo;
        }
        Ok(Owner(bytes))
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_parse_in_any_case_and_print_lower_case() {
        let owner = Owner::parse("0xAbCdEf0123456789abcdef0123456789ABCDEF01").unwrap();
        assert_eq!(owner.to_string(), "0xabcdef0123456789abcdef0123456789abcdef01");
        assert_eq!(Owner::parse(&owner.to_string()), Ok(owner));
    }

    #[test]
    fn owners_reject_wrong_length_prefix_or_digits() {
        for bad in ["", "0x", "abcdef0123456789abcdef0123456789abcdef01", "0x123", "0xzz"] {
            assert!(Owner::parse(bad).is_err(), "{bad}");
        }
        let g = format!("0x{}g", "0".repeat(39));
        assert!(Owner::parse(&g).is_err());
        let long = format!("0x{}", "0".repeat(42));
        assert!(Owner::parse(&long).is_err());
    }
}
