//! Counts in messages: "1 order", "2 orders", never "1 orders".

/// `n` followed by `singular` or `plural`, as `n` requires.
pub(crate) fn count(n: u64, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_takes_the_singular_and_every_other_count_the_plural() {
        assert_eq!(count(1, "order", "orders"), "1 order");
        assert_eq!(count(0, "order", "orders"), "0 orders");
        assert_eq!(count(2, "slot", "slots"), "2 slots");
    }
}
