//! Integer fixed-point arithmetic for prices: rounding division, clamping, and the time decay
//! factor `2^(−Δt/half_life)`. No floating point: every result is a pure function of integers,
//! identical on every machine.

/// Fixed-point one for weights and fractions: Q32 (32 fractional bits).
pub const Q32_ONE: u64 = 1 << 32;

/// `2^(−2^−(i+1))` for `i` in `0..32`, in Q62, rounded down. Built at compile time by repeated
/// integer square roots (`2^(−1/2) = √(1/2)`, `2^(−1/4) = √(2^(−1/2))`, ...), so no float
/// constant is involved.
const HALVING_ROOTS_Q62: [u64; 32] = halving_roots();

const Q62_SHIFT: u32 = 62;

const fn isqrt_u128(n: u128) -> u128 {
    // Bit-by-bit integer square root: exact floor, no division, usable in a const fn.
    let mut rem = n;
    let mut root: u128 = 0;
    let mut bit: u128 = 1 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

const fn halving_roots() -> [u64; 32] {
    let mut table = [0u64; 32];
    // 2^(−1) in Q62; each entry is the square root of the previous one: √(x·2^62) in Q62.
    let mut value: u128 = 1 << (Q62_SHIFT - 1);
    let mut i = 0;
    while i < 32 {
        value = isqrt_u128(value << Q62_SHIFT);
        table[i] = value as u64;
        i += 1;
    }
    table
}

/// `2^(−elapsed_ms / half_life_ms)` in Q32 (so `Q32_ONE` is 1), rounded down.
///
/// The exponent is taken in Q32 (rounded down, error < 2^−32), its integer part is a shift and
/// its fractional bits select factors `2^(−2^−k)` (a Q62 table) multiplied in Q62. The result is
/// within 2^−30 of the exact value (absolute, on a scale where 1 is `Q32_ONE`). A zero
/// `half_life_ms` is treated as 1 ms.
pub fn decay_q32(elapsed_ms: u64, half_life_ms: u64) -> u64 {
    let half_life_ms = u128::from(half_life_ms.max(1));
    let exponent_q32 = (u128::from(elapsed_ms) << 32) / half_life_ms;
    let whole = exponent_q32 >> 32;
    if whole >= 32 {
        return 0; // below 2^−32: nothing of the old weight survives at Q32
    }
    let fraction = exponent_q32 as u32;
    let mut value_q62: u128 = 1 << Q62_SHIFT;
    for (bit, root) in HALVING_ROOTS_Q62.iter().enumerate() {
        if fraction & (1 << (31 - bit)) != 0 {
            value_q62 = (value_q62 * u128::from(*root)) >> Q62_SHIFT;
        }
    }
    ((value_q62 >> (Q62_SHIFT - 32)) >> whole) as u64
}

/// `numerator / denominator` rounded to the nearest integer, halves up; `None` when
/// `denominator` is 0.
pub fn div_round(numerator: u128, denominator: u128) -> Option<u128> {
    if denominator == 0 {
        return None;
    }
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    // remainder ≥ denominator − remainder  ⇔  remainder ≥ denominator / 2 (halves up).
    Some(if remainder >= denominator - remainder { quotient + 1 } else { quotient })
}

/// `value` saturated to `u64`.
pub fn saturate_u64(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_at_whole_half_lives_is_exact() {
        assert_eq!(decay_q32(0, 1000), Q32_ONE);
        assert_eq!(decay_q32(1000, 1000), Q32_ONE / 2);
        assert_eq!(decay_q32(3000, 1000), Q32_ONE / 8);
        assert_eq!(decay_q32(32_000, 1000), 0);
        assert_eq!(decay_q32(u64::MAX, 1), 0);
    }

    #[test]
    fn decay_at_half_a_half_life_is_one_over_root_two() {
        // 2^(−1/2) · 2^32 = 3037000499.97...; the result may be off by at most 4 units (2^−30).
        let got = decay_q32(500, 1000);
        assert!((3_037_000_496..=3_037_000_500).contains(&got), "{got}");
        // 2^(−1/4) · 2^32 = 3611622602.84...
        let got = decay_q32(250, 1000);
        assert!((3_611_622_598..=3_611_622_603).contains(&got), "{got}");
    }

    #[test]
    fn decay_never_increases_with_time() {
        let mut last = Q32_ONE;
        for elapsed_ms in (0..5000).step_by(7) {
            let now = decay_q32(elapsed_ms, 777);
            assert!(now <= last);
            last = now;
        }
    }

    #[test]
    fn rounding_division_rounds_halves_up() {
        assert_eq!(div_round(5, 2), Some(3));
        assert_eq!(div_round(4, 3), Some(1));
        assert_eq!(div_round(5, 3), Some(2));
        assert_eq!(div_round(1, 0), None);
        assert_eq!(div_round(u128::MAX, u128::MAX), Some(1));
    }
}
