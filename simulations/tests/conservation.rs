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
        // Money in the metrics is typed and exact (issue 9, "Also"): it adds up to the nano.
        let money = &m.money;
        assert_eq!(money.requester_payments, money.provider_revenue + money.fees);
        let (fees, paid) = (money.fees.nano(), money.requester_payments.nano());
        let expected = paid * 150 / 10_000;
        assert!(
            fees > 0 && fees <= expected && expected - fees <= u128::from(m.deals),
            "fees are 150 bps of each payment, rounded down per deal"
        );
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
