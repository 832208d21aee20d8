//! What a deal costs, exactly, in token base units.
//!
//! `amount = floor(price × qty × duration_ms / 3,600,000)` at the token's decimals. Prices are
//! nano-units (9 decimals) per slot-hour, so in base units of a token with `d` decimals:
//! `floor(price_nano × qty × duration_ms × 10^d / (3,600,000 × 10^9))`. One floor, at the end:
//! the requester never pays more than the exact value it agreed to, and less by under one base
//! unit. The product is computed in 256 bits, where it cannot overflow for any valid deal. A
//! deal worth under one base unit costs 0 and is still settled, so that it can be proved.

use alloy_primitives::U256;

/// Decimals above this are refused: 10^36 keeps every valid deal's product inside 256 bits.
pub const TOKEN_DECIMALS_MAX: u8 = 36;

const MS_PER_HOUR: u64 = 3_600_000;
const NANO_PER_TOKEN: u64 = 1_000_000_000;

/// A deal's amount cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The token's decimals are above [`TOKEN_DECIMALS_MAX`].
    #[error("token decimals {0} above the supported {TOKEN_DECIMALS_MAX}")]
    Decimals(u8),
    /// The product does not fit in 256 bits (no valid deal gets here).
    #[error("deal amount overflows 256 bits")]
    Overflow,
}

/// The amount a requester pays for `qty` slots at `price_nano` per slot-hour for `duration_ms`.
pub fn deal_amount(
    price_nano: u64,
    qty: u64,
    duration_ms: u64,
    token_decimals: u8,
) -> Result<U256, AmountError> {
    if token_decimals > TOKEN_DECIMALS_MAX {
        return Err(AmountError::Decimals(token_decimals));
    }
    let scale = U256::from(10u8).pow(U256::from(token_decimals));
    // Valid deals (price ≤ 10^18, qty ≤ 10^6, duration < 2.6·10^14) stay below 10^75 even at
    // 36 decimals, under 2^256 ≈ 1.2·10^77; anything larger is refused, not wrapped.
    let numerator = U256::from(price_nano)
        .checked_mul(U256::from(qty))
        .and_then(|n| n.checked_mul(U256::from(duration_ms)))
        .and_then(|n| n.checked_mul(scale))
        .ok_or(AmountError::Overflow)?;
    Ok(numerator / U256::from(MS_PER_HOUR * NANO_PER_TOKEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slot_hour_at_one_token_is_one_token_in_base_units() {
        assert_eq!(deal_amount(1_000_000_000, 1, 3_600_000, 9), Ok(U256::from(1_000_000_000u64)));
        assert_eq!(
            deal_amount(1_000_000_000, 1, 3_600_000, 18),
            Ok(U256::from(10u64).pow(U256::from(18u8)))
        );
    }

    #[test]
    fn the_amount_is_floored_once_never_rounded_up() {
        // 1.9 per slot-hour × 2 slots × 1 ms = 3.8e9 / 3.6e6 = 1055.5… base units → 1055.
        assert_eq!(deal_amount(1_900_000_000, 2, 1, 9), Ok(U256::from(1055u64)));
        // At 0 decimals: 1.9 × 2 × 4 h = 15.2 tokens → 15.
        assert_eq!(deal_amount(1_900_000_000, 2, 4 * 3_600_000, 0), Ok(U256::from(15u64)));
    }

    #[test]
    fn the_largest_valid_deal_does_not_overflow() {
        let max = gridbook_matcher::limits::PRICE_NANO_MAX;
        let qty = gridbook_matcher::limits::QTY_MAX;
        let duration_ms = gridbook_matcher::limits::TIME_MS_MAX;
        let amount = deal_amount(max, qty, duration_ms, TOKEN_DECIMALS_MAX).unwrap();
        let exact = U256::from(max)
            * U256::from(qty)
            * U256::from(duration_ms)
            * U256::from(10u8).pow(U256::from(TOKEN_DECIMALS_MAX))
            / U256::from(MS_PER_HOUR * NANO_PER_TOKEN);
        assert_eq!(amount, exact);
    }

    #[test]
    fn a_deal_worth_under_one_base_unit_costs_zero_and_absurd_decimals_are_errors() {
        // Still settled (a leaf with amount 0), so that every deal is accounted for.
        assert_eq!(deal_amount(1, 1, 1, 9), Ok(U256::ZERO));
        assert_eq!(deal_amount(1, 1, 1, 37), Err(AmountError::Decimals(37)));
    }
}
