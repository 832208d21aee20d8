//! Conversion between decimal token amounts at the edges and integer nano-units inside.
//!
//! The engine never sees a float or a `Decimal`: prices are `u64` nano-units. This module is the
//! only place where text becomes nano-units and back, exactly.

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::limits::NANO_PER_TOKEN;

/// Why a decimal price could not become nano-units.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// Not a plain decimal number (`1.25`, `-3`, `0.000000001`).
    #[error("not a decimal number: {0:?}")]
    NotDecimal(String),
    /// More than 9 decimal places cannot be represented in nano-units.
    #[error("more than 9 decimal places: {0:?}")]
    TooPrecise(String),
    /// Zero or negative.
    #[error("not positive: {0:?}")]
    NotPositive(String),
    /// Larger than a `u64` of nano-units can hold.
    #[error("too large: {0:?}")]
    TooLarge(String),
}

/// Parses a decimal token amount (`"1.25"`) into nano-units, exactly.
///
/// Trailing zeros beyond 9 places are allowed (`"1.2500000000"` is 1.25); any non-zero digit past
/// the 9th place is an error rather than a silent rounding.
pub fn parse_price_nano(text: &str) -> Result<u64, PriceError> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    let value = match Decimal::from_str(text) {
        Ok(value) if plain => value,
        _ => return Err(PriceError::NotDecimal(text.to_string())),
    };
    let value = value.normalize();
    if value.scale() > 9 {
        return Err(PriceError::TooPrecise(text.to_string()));
    }
    if value <= Decimal::ZERO {
        return Err(PriceError::NotPositive(text.to_string()));
    }
    let nano = value
        .checked_mul(Decimal::from(NANO_PER_TOKEN))
        .ok_or_else(|| PriceError::TooLarge(text.to_string()))?;
    u64::try_from(nano.trunc()).map_err(|_| PriceError::TooLarge(text.to_string()))
}

/// Formats nano-units as a decimal token amount with no trailing zeros (`1250000000` → `"1.25"`).
pub fn format_nano(nano: u64) -> String {
    let whole = nano / NANO_PER_TOKEN;
    let frac = nano % NANO_PER_TOKEN;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Formats a `u128` of nano-units (sums that can exceed a `u64`) as a decimal token amount.
pub fn format_nano_wide(nano: u128) -> String {
    let per = u128::from(NANO_PER_TOKEN);
    let (whole, frac) = (nano / per, nano % per);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_round_trip_exactly() {
        for (text, nano) in [
            ("1.25", 1_250_000_000),
            ("0.000000001", 1),
            ("1000000000", 1_000_000_000_000_000_000),
            ("7", 7_000_000_000),
            ("1.2500000000", 1_250_000_000),
        ] {
            assert_eq!(parse_price_nano(text), Ok(nano), "{text}");
        }
        assert_eq!(format_nano(1_250_000_000), "1.25");
        assert_eq!(format_nano(1), "0.000000001");
        assert_eq!(format_nano(7_000_000_000), "7");
        assert_eq!(format_nano_wide(u128::from(u64::MAX) * 3), "55340232221.128654845");
    }

    #[test]
    fn prices_reject_what_nano_units_cannot_hold() {
        assert!(matches!(parse_price_nano("1.0000000001"), Err(PriceError::TooPrecise(_))));
        assert!(matches!(parse_price_nano("0"), Err(PriceError::NotPositive(_))));
        assert!(matches!(parse_price_nano("-1"), Err(PriceError::NotPositive(_))));
        assert!(matches!(parse_price_nano("1e3"), Err(PriceError::NotDecimal(_))));
        assert!(matches!(parse_price_nano(""), Err(PriceError::NotDecimal(_))));
        assert!(matches!(parse_price_nano("abc"), Err(PriceError::NotDecimal(_))));
        assert!(matches!(
            parse_price_nano("99999999999999999999999"),
            Err(PriceError::TooLarge(_))
        ));
    }
}
