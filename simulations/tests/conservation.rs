//! Conservation: no slot is leased twice at once, and what requesters pay equals what
//! providers earn plus fees — under every strategy, scarce or ample supply, every model.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn no_slot_is_leased_twice_and_payments_balance_under_every_strategy_and_model() {
    let cases = [
        ("markup", "truthful", "ewma"),
        ("pegged", "pegged", "vwap"),
        ("adaptive", "shaded", "utilization"),
        ("pegged", "truthful", "clearing"),
    ];
    for (strategy, bidding, model) in cases {
        // Scarce: 6 machines per type for 80 jobs an hour, so slots are contended.
        let run = common::run_toml(&common::market(strategy, bidding, 6, 80, 8, model), 11);
        let m = &run.metrics;
        let c = &m.conservation;
        assert!(
            m.deals > 20,
            "{strategy}/{bidding}/{model}: the market must trade ({} deals)",
            m.deals
        );
        assert_eq!(c.double_leases, 0, "{strategy}/{bidding}/{model}");
        assert_eq!(c.foreign_deals, 0, "{strategy}/{bidding}/{model}");
        assert_eq!(c.rejected_commands, 0, "{strategy}/{bidding}/{model}");
        assert!(c.payments_balance && c.ok, "{strategy}/{bidding}/{model}");
        let fees: f64 = m.money.fees.parse().unwrap();
        let paid: f64 = m.money.requester_payments.parse().unwrap();
        assert!(fees > 0.0 && (fees / paid - 0.015).abs() < 1e-3, "fees are 150 bps of payments");
        for class in &m.classes {
            assert!(
                class.utilisation <= 1.0 + 1e-9,
                "{}: utilisation {}",
                class.class,
                class.utilisation
            );
        }
        for row in &run.output.series {
            assert!(row.busy_slots <= row.total_slots, "leased slots never exceed the slots");
        }
    }
}
