//! Conversion between decimal token amounts at the edges and integer nano-units inside.
//!
//! The engine never sees a float or a `Decimal`: prices are `u64` nano-units. This module is the
//! only place where text becomes nano-units and back, exactly.

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
/// the 9th place is an error rather than a silent rounding. The text is judged digit by digit:
/// a general decimal type would round inputs longer than its precision (28 digits) before any
/// check could see the extra digits.
pub fn parse_price_nano(text: &str) -> Result<u64, PriceError> {
    let error = |make: fn(String) -> PriceError| Err(make(text.to_string()));
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return error(PriceError::NotDecimal);
    }
    let (whole, frac) = (whole.trim_start_matches('0'), frac.trim_end_matches('0'));
    if frac.len() > 9 {
        return error(PriceError::TooPrecise);
    }
    if negative || (whole.is_empty() && frac.is_empty()) {
        return error(PriceError::NotPositive);
    }
    // Both parts are ASCII digits by now. A whole part past u64, or a total past u64::MAX
    // nano-units, is too large; the fraction (at most 9 digits) is padded to nano-units.
    let decimal = |part: &str| {
        part.bytes().try_fold(0u64, |n, b| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
    };
    let Some(whole) = decimal(whole) else {
        return error(PriceError::TooLarge);
    };
    let frac = decimal(frac).expect("nine digits fit in a u64") * 10u64.pow(9 - frac.len() as u32);
    match whole.checked_mul(NANO_PER_TOKEN).and_then(|nano| nano.checked_add(frac)) {
        Some(nano) => Ok(nano),
        None => error(PriceError::TooLarge),
    }
}

/// Parses a signed decimal token amount (`"-0.05"`, `"0"`, `"+1.5"`) into nano-units, exactly,
/// under the same rules as [`parse_price_nano`] except that zero and negative amounts are
/// allowed. Magnitudes past an `i64` are [`PriceError::TooLarge`].
pub fn parse_offset_nano(text: &str) -> Result<i64, PriceError> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if unsigned.starts_with(['-', '+']) {
        return Err(PriceError::NotDecimal(text.to_string()));
    }
    let magnitude = match parse_price_nano(unsigned) {
        Ok(nano) => nano,
        // Only zero is "not positive" once the sign is gone.
        Err(PriceError::NotPositive(_)) => 0,
        Err(error) => return Err(relabel(error, text)),
    };
    let magnitude = i64::try_from(magnitude).map_err(|_| PriceError::TooLarge(text.into()))?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// The same error, naming the whole text (with its sign).
fn relabel(error: PriceError, text: &str) -> PriceError {
    let text = text.to_string();
    match error {
        PriceError::NotDecimal(_) => PriceError::NotDecimal(text),
        PriceError::TooPrecise(_) => PriceError::TooPrecise(text),
        PriceError::NotPositive(_) => PriceError::NotPositive(text),
        PriceError::TooLarge(_) => PriceError::TooLarge(text),
    }
}

/// Formats signed nano-units as a decimal token amount (`-50000000` → `"-0.05"`).
pub fn format_offset_nano(nano: i64) -> String {
    let magnitude = format_nano(nano.unsigned_abs());
    if nano < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// Formats nano-units as a decimal token amount with no trailing zeros (`1250000000` → `"1.25"`).
pub fn format_nano(nano: u64) -> String {
    let mut text = Vec::with_capacity(24);
    push_nano(&mut text, nano);
    String::from_utf8(text).expect("digits and a point are ASCII")
}

/// Appends [`format_nano`]'s text to `out`, without allocating (the event writer's prices): the
/// whole part, then the fraction without trailing zeros.
pub fn push_nano(out: &mut Vec<u8>, nano: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(nano / NANO_PER_TOKEN).as_bytes());
    let mut frac = nano % NANO_PER_TOKEN;
    if frac == 0 {
        return;
    }
    let mut digits = 9;
    while frac.is_multiple_of(10) {
        frac /= 10;
        digits -= 1;
    }
    out.push(b'.');
    let mut text = [b'0'; 9];
    for slot in text[..digits].iter_mut().rev() {
        *slot = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    out.extend_from_slice(&text[..digits]);
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

    /// Prices are written as the exact decimal text of their nano-units (the reference: the
    /// whole part, a point and nine digits with the trailing zeros cut): every fraction length,
    /// zeros inside and at the end, the extremes.
    #[test]
    fn prices_are_written_as_the_exact_decimal_of_their_nano_units() {
        let mut values = vec![0, 1, 10, 999_999_999, 1_000_000_000, 1_000_000_001, u64::MAX];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
            values.push((x % 1_000_000) * 10u64.pow((x % 10) as u32));
        }
        for nano in values {
            let mut out = Vec::new();
            push_nano(&mut out, nano);
            let (whole, frac) = (nano / NANO_PER_TOKEN, nano % NANO_PER_TOKEN);
            let reference = match frac {
                0 => whole.to_string(),
                _ => format!("{whole}.{}", format!("{frac:09}").trim_end_matches('0')),
            };
            assert_eq!(String::from_utf8(out).unwrap(), reference, "{nano}");
            assert_eq!(format_nano(nano), reference, "{nano}");
        }
    }

    #[test]
    fn offsets_are_signed_and_exact() {
        for (text, nano) in [("-0.05", -50_000_000), ("0", 0), ("+1.5", 1_500_000_000), ("-0", 0)] {
            assert_eq!(parse_offset_nano(text), Ok(nano), "{text}");
        }
        assert_eq!(format_offset_nano(-50_000_000), "-0.05");
        assert_eq!(format_offset_nano(0), "0");
        assert!(matches!(parse_offset_nano("--1"), Err(PriceError::NotDecimal(_))));
        assert!(matches!(parse_offset_nano("-0.0000000001"), Err(PriceError::TooPrecise(_))));
        assert!(matches!(parse_offset_nano("-99999999999"), Err(PriceError::TooLarge(_))));
    }

    /// The exact value by another road (u128 arithmetic on the text, no early checks): every
    /// decimal the parser takes is this value, and every one it calls too large is past u64.
    fn reference_nano(whole: &str, frac: &str) -> Option<u128> {
        let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let frac: u128 = format!("{frac:0<9}").parse().ok()?;
        whole.checked_mul(1_000_000_000)?.checked_add(frac)
    }

    proptest::proptest! {
        #[test]
        fn prices_are_the_exact_value_of_their_digits(
            whole in "[0-9]{0,24}",
            frac in "[0-9]{0,9}",
        ) {
            let text = if frac.is_empty() { whole.clone() } else { format!("{whole}.{frac}") };
            let expected = reference_nano(&whole, &frac);
            match parse_price_nano(&text) {
                Ok(nano) => proptest::prop_assert_eq!(Some(u128::from(nano)), expected),
                Err(PriceError::TooLarge(_)) => {
                    let past = expected.is_none_or(|n| n > u128::from(u64::MAX));
                    proptest::prop_assert!(past, "{} is not too large", text);
                }
                Err(PriceError::NotPositive(_)) => proptest::prop_assert_eq!(expected, Some(0)),
                Err(other) => proptest::prop_assert!(text.is_empty(), "{}: {}", text, other),
            }
        }
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
