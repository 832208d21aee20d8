//! One test per matching rule (docs/order-stream.md, rules 1–7; rule 8 is in validation.rs),
//! each named after the rule it pins.
//!
//! Every test is a short order stream replayed through `stream::Replay`, and asserts the exact
//! events it gives (in the compact form of `common::compact`). Where a rule forbids a trade, the
//! stream also offers an order the rule allows, usually worse-priced, so the test fails both if
//! the rule is ignored and if nothing trades at all.
//!
//! Defaults (common/mod.rs): asks are one A100-80GB machine in eu-west from P1 at price 1 over
//! [0, 10^8); bids are from R1 for one slot of anything for an hour at limit 2 before 5·10^7;
//! everything at ts 1000, so a default deal runs over [1000, 3601000).

mod common;

use common::{ask, bid, cancel, deals, replay_config, run, run_lines, tick, HOUR, P1, P2, R1, R2};
use gridbook_matcher::EngineConfig;
use serde_json::{json, Value};

// ---- Rule 1: hardware ----------------------------------------------------------------------

#[test]
fn rule_1_hardware_cpu_must_be_at_least_required() {
    let events = run(&[
        ask(json!({"id": "fewer-cores", "price": "1", "hw": {"cpu": 7}})),
        ask(json!({"id": "exact-cores", "price": "1.5", "hw": {"cpu": 8}})),
        bid(json!({"id": "b", "req": {"cpu": 8}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/exact-cores qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_mem_must_be_at_least_required() {
    let events = run(&[
        ask(json!({"id": "less-mem", "price": "1", "hw": {"mem": 31}})),
        ask(json!({"id": "exact-mem", "price": "1.5", "hw": {"mem": 32}})),
        bid(json!({"id": "b", "req": {"mem": 32}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/exact-mem qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_gpu_model_must_be_in_list() {
    let events = run(&[
        ask(json!({"id": "h100", "price": "1", "hw": {"gpu": "H100-80GB"}})),
        ask(json!({"id": "l40s", "price": "1.5", "hw": {"gpu": "L40S"}})),
        bid(json!({"id": "b", "req": {"gpu": ["A100-80GB", "L40S"]}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/l40s qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_cpu_only_machine_never_fills_a_gpu_bid() {
    let events = run(&[
        ask(json!({"id": "cpu-only", "price": "1", "hw": {"gpu": null, "gpus": 0, "gpu_mem": 0}})),
        ask(json!({"id": "a100", "price": "1.5"})),
        bid(json!({"id": "b", "req": {"gpu": ["A100-80GB"]}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/a100 qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_gpu_list_needs_at_least_one_gpu_even_if_count_is_zero() {
    let events = run(&[
        ask(json!({"id": "no-gpus", "price": "1", "hw": {"gpus": 0}})),
        ask(json!({"id": "one-gpu", "price": "1.5", "hw": {"gpus": 1}})),
        bid(json!({"id": "b", "req": {"gpu": ["A100-80GB"], "gpus": 0}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/one-gpu qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_gpu_count_must_be_at_least_required() {
    let events = run(&[
        ask(json!({"id": "one-gpu", "price": "1", "hw": {"gpus": 1}})),
        ask(json!({"id": "two-gpus", "price": "1.5", "hw": {"gpus": 2}})),
        bid(json!({"id": "b", "req": {"gpu": ["A100-80GB"], "gpus": 2}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/two-gpus qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_gpu_mem_must_be_at_least_required() {
    let events = run(&[
        ask(json!({"id": "40gb", "price": "1", "hw": {"gpu_mem": 40}})),
        ask(json!({"id": "80gb", "price": "1.5", "hw": {"gpu_mem": 80}})),
        bid(json!({"id": "b", "req": {"gpu": ["A100-80GB"], "gpu_mem": 80}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/80gb qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_empty_gpu_list_ignores_gpu_count_and_memory() {
    // With no GPU model asked for, `gpus` and `gpu_mem` are not requirements at all.
    let events = run(&[
        ask(json!({"id": "cpu-only", "hw": {"gpu": null, "gpus": 0, "gpu_mem": 0}})),
        bid(json!({"id": "b", "req": {"gpu": [], "gpus": 4, "gpu_mem": 999}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/cpu-only qty=1 price=1 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_tee_must_equal_the_required_one() {
    let events = run(&[
        ask(json!({"id": "no-tee", "price": "1", "hw": {"tee": null}})),
        ask(json!({"id": "tdx", "price": "1.25", "hw": {"tee": "tdx"}})),
        ask(json!({"id": "sgx", "price": "1.5", "hw": {"tee": "sgx"}})),
        bid(json!({"id": "b", "req": {"tee": "sgx"}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/sgx qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_no_tee_required_accepts_any_tee() {
    let events = run(&[
        ask(json!({"id": "sgx", "hw": {"tee": "sgx"}})),
        bid(json!({"id": "b", "req": {"tee": null}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/sgx qty=1 price=1 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_region_must_be_in_list() {
    let events = run(&[
        ask(json!({"id": "eu", "price": "1", "hw": {"region": "eu-west"}})),
        ask(json!({"id": "us", "price": "1.5", "hw": {"region": "us-east"}})),
        bid(json!({"id": "b", "req": {"regions": ["us-east", "ap-south"]}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/us qty=1 price=1.5 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_empty_region_list_accepts_any_region() {
    let events = run(&[
        ask(json!({"id": "far", "hw": {"region": "ap-south"}})),
        bid(json!({"id": "b", "req": {"regions": []}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/far qty=1 price=1 start=1000 end=3601000"]);
}

#[test]
fn rule_1_hardware_applies_to_an_incoming_ask_too() {
    // The best-paying bid needs 16 cores; the incoming 8-core ask must skip it.
    let events = run(&[
        bid(json!({"id": "wants-16", "limit": "3", "req": {"cpu": 16}})),
        bid(json!({"id": "wants-8", "limit": "2", "req": {"cpu": 8}})),
        ask(json!({"id": "a", "hw": {"cpu": 8}})),
    ]);
    assert_eq!(deals(&events), ["deal 1 wants-8/a qty=1 price=2 start=1000 end=3601000"]);
}

// ---- Rule 2: time --------------------------------------------------------------------------

#[test]
fn rule_2_time_deal_starts_now_when_now_is_latest() {
    let events = run(&[
        ask(json!({"id": "a", "ts": 1000, "from": 500})),
        bid(json!({"id": "b", "ts": 2000, "not_before": 1500})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/a qty=1 price=1 start=2000 end=3602000"]);
}

#[test]
fn rule_2_time_deal_starts_at_not_before_when_latest() {
    let events =
        run(&[ask(json!({"id": "a", "from": 4000})), bid(json!({"id": "b", "not_before": 5000}))]);
    assert_eq!(deals(&events), ["deal 1 b/a qty=1 price=1 start=5000 end=3605000"]);
}

#[test]
fn rule_2_time_deal_starts_at_ask_from_when_latest() {
    let events =
        run(&[ask(json!({"id": "a", "from": 7000})), bid(json!({"id": "b", "not_before": 5000}))]);
    assert_eq!(deals(&events), ["deal 1 b/a qty=1 price=1 start=7000 end=3607000"]);
}

#[test]
fn rule_2_time_deal_must_end_by_the_bid_deadline() {
    // Duration 1000 and deadline 3000: starting at 2001 ends one ms too late; 2000 just fits.
    let events = run(&[
        ask(json!({"id": "late", "price": "1", "from": 2001})),
        ask(json!({"id": "on-time", "price": "1.5", "from": 2000})),
        bid(json!({"id": "b", "duration": 1000, "deadline": 3000})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/on-time qty=1 price=1.5 start=2000 end=3000"]);
}

#[test]
fn rule_2_time_deal_must_end_by_the_ask_until() {
    // Starting now (1000) for 1000 ms ends at 2000: an ask until 1999 is too short.
    let events = run(&[
        ask(json!({"id": "short", "price": "1", "until": 1999})),
        ask(json!({"id": "enough", "price": "1.5", "until": 2000})),
        bid(json!({"id": "b", "duration": 1000})),
    ]);
    assert_eq!(deals(&events), ["deal 1 b/enough qty=1 price=1.5 start=1000 end=2000"]);
}

#[test]
fn rule_2_time_incoming_ask_must_fit_the_resting_bid() {
    let events = run(&[
        bid(json!({"id": "b", "duration": 1000, "deadline": 5000})),
        ask(json!({"id": "late", "from": 4001})),
        ask(json!({"id": "on-time", "owner": P2, "from": 4000})),
    ]);
    assert_eq!(
        events,
        [
            "accepted b",
            "accepted late",
            "accepted on-time",
            "deal 1 b/on-time qty=1 price=2 start=4000 end=5000",
        ]
    );
}

#[test]
fn rule_2_time_incoming_ask_window_must_hold_the_deal() {
    // The resting bid needs [1000, 2000); an ask until 1999 cannot hold it, one until 2000 can.
    let events = run(&[
        bid(json!({"id": "b", "duration": 1000})),
        ask(json!({"id": "short", "until": 1999})),
        ask(json!({"id": "enough", "owner": P2, "until": 2000})),
    ]);
    assert_eq!(
        events,
        [
            "accepted b",
            "accepted short",
            "accepted enough",
            "deal 1 b/enough qty=1 price=2 start=1000 end=2000",
        ]
    );
}

// ---- Rule 3: price and self-trade ----------------------------------------------------------

#[test]
fn rule_3_price_ask_must_not_exceed_bid_limit() {
    // The bid wants 2 but only the ask at exactly its limit trades; one nano more does not.
    let events = run(&[
        ask(json!({"id": "one-nano-over", "price": "1.500000001"})),
        ask(json!({"id": "at-limit", "owner": P2, "price": "1.5"})),
        bid(json!({"id": "b", "limit": "1.5", "qty": 2})),
        cancel(2000, "b", R1),
    ]);
    assert_eq!(
        events,
        [
            "accepted one-nano-over",
            "accepted at-limit",
            "accepted b",
            "deal 1 b/at-limit qty=1 price=1.5 start=1000 end=3601000",
            "cancelled b remaining=1 user",
        ]
    );
}

#[test]
fn rule_3_price_incoming_ask_above_resting_limit_does_not_trade() {
    let events = run(&[
        bid(json!({"id": "b", "limit": "1.5"})),
        ask(json!({"id": "one-nano-over", "price": "1.500000001"})),
        ask(json!({"id": "at-limit", "owner": P2, "price": "1.5"})),
    ]);
    assert_eq!(
        events,
        [
            "accepted b",
            "accepted one-nano-over",
            "accepted at-limit",
            "deal 1 b/at-limit qty=1 price=1.5 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_3_self_trade_is_skipped_and_the_order_stays_resting() {
    // R1's own cheap ask is passed over; it still rests and trades with R2 afterwards.
    let events = run(&[
        ask(json!({"id": "own", "owner": R1, "price": "1"})),
        ask(json!({"id": "theirs", "owner": P1, "price": "1.5"})),
        bid(json!({"id": "b", "owner": R1})),
        bid(json!({"id": "b2", "owner": R2})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 b/theirs qty=1 price=1.5 start=1000 end=3601000",
            "deal 2 b2/own qty=1 price=1 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_3_self_trade_is_skipped_for_an_incoming_ask() {
    let events = run(&[
        bid(json!({"id": "own", "owner": P1, "limit": "3"})),
        bid(json!({"id": "theirs", "owner": R1, "limit": "2"})),
        ask(json!({"id": "a", "owner": P1})),
        ask(json!({"id": "a2", "owner": P2})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 theirs/a qty=1 price=2 start=1000 end=3601000",
            "deal 2 own/a2 qty=1 price=3 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_3_self_trade_owners_compare_as_addresses_not_text() {
    // The same account written in upper case is still the same owner.
    let upper = format!("0x{}", "A".repeat(40));
    let events =
        run(&[ask(json!({"id": "a", "owner": upper})), bid(json!({"id": "b", "owner": R1}))]);
    assert_eq!(events, ["accepted a", "accepted b"]);
}

// ---- Rule 4: priority, fills, deal price and numbers ---------------------------------------

#[test]
fn rule_4_priority_incoming_bid_takes_cheapest_ask_across_configs() {
    // Three machine configurations, arriving in an order unrelated to price.
    let events = run(&[
        ask(json!({"id": "a100", "price": "1.5"})),
        ask(
            json!({"id": "h100", "price": "1.25", "hw": {"gpu": "H100-80GB", "region": "us-east"}}),
        ),
        ask(json!({"id": "too-dear", "price": "2.5"})),
        ask(json!({"id": "l40s", "price": "1.75", "hw": {"gpu": "L40S", "gpu_mem": 48}})),
        bid(json!({"id": "b", "qty": 4, "req": {"gpu": ["A100-80GB", "H100-80GB", "L40S"]}})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 b/h100 qty=1 price=1.25 start=1000 end=3601000",
            "deal 2 b/a100 qty=1 price=1.5 start=1000 end=3601000",
            "deal 3 b/l40s qty=1 price=1.75 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_4_priority_incoming_bid_breaks_price_ties_by_arrival_across_configs() {
    let h100 = json!({"gpu": "H100-80GB"});
    let events = run(&[
        ask(json!({"id": "first", "hw": h100})),
        ask(json!({"id": "second"})),
        ask(json!({"id": "third", "hw": h100})),
        bid(json!({"id": "b", "qty": 2, "req": {"gpu": ["A100-80GB", "H100-80GB"]}})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 b/first qty=1 price=1 start=1000 end=3601000",
            "deal 2 b/second qty=1 price=1 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_4_priority_incoming_ask_takes_highest_limit_across_signatures() {
    let events = run(&[
        bid(json!({"id": "low", "limit": "1.5", "req": {"cpu": 4}})),
        bid(json!({"id": "high", "limit": "3", "req": {"gpu": ["A100-80GB"]}})),
        bid(json!({"id": "too-low", "limit": "0.5"})),
        bid(json!({"id": "mid", "limit": "2", "req": {"regions": ["eu-west"]}})),
        ask(json!({"id": "a", "qty": 4})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 high/a qty=1 price=3 start=1000 end=3601000",
            "deal 2 mid/a qty=1 price=2 start=1000 end=3601000",
            "deal 3 low/a qty=1 price=1.5 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_4_priority_incoming_ask_breaks_limit_ties_by_arrival_across_signatures() {
    let events = run(&[
        bid(json!({"id": "first", "req": {"cpu": 4}})),
        bid(json!({"id": "second"})),
        bid(json!({"id": "third", "req": {"cpu": 4}})),
        ask(json!({"id": "a", "qty": 2})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 first/a qty=1 price=2 start=1000 end=3601000",
            "deal 2 second/a qty=1 price=2 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_4_fill_is_the_smaller_remaining_quantity() {
    let events = run(&[
        ask(json!({"id": "a", "qty": 4})),
        bid(json!({"id": "b1", "qty": 3})),
        bid(json!({"id": "b2", "owner": R2, "qty": 5})),
        cancel(2000, "b2", R2),
    ]);
    assert_eq!(
        events,
        [
            "accepted a",
            "accepted b1",
            "deal 1 b1/a qty=3 price=1 start=1000 end=3601000",
            "accepted b2",
            "deal 2 b2/a qty=1 price=1 start=1000 end=3601000",
            "cancelled b2 remaining=4 user",
        ]
    );
}

#[test]
fn rule_4_deal_price_is_the_resting_orders_price() {
    let events = run(&[
        ask(json!({"id": "a", "price": "1.25"})),
        bid(json!({"id": "b", "limit": "2"})),
        bid(json!({"id": "b2", "limit": "1.75"})),
        ask(json!({"id": "a2", "price": "1"})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 b/a qty=1 price=1.25 start=1000 end=3601000",
            "deal 2 b2/a2 qty=1 price=1.75 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_4_deal_numbers_start_at_1_and_count_across_commands() {
    let events = run(&[
        ask(json!({"id": "a1"})),
        ask(json!({"id": "a2"})),
        bid(json!({"id": "b1", "qty": 2})),
        ask(json!({"id": "a3"})),
        bid(json!({"id": "b2", "ts": 2000})),
    ]);
    assert_eq!(
        deals(&events),
        [
            "deal 1 b1/a1 qty=1 price=1 start=1000 end=3601000",
            "deal 2 b1/a2 qty=1 price=1 start=1000 end=3601000",
            "deal 3 b2/a3 qty=1 price=1 start=2000 end=3602000",
        ]
    );
}

// ---- Rule 5: time in force -----------------------------------------------------------------

#[test]
fn rule_5_gtc_rests_the_remainder() {
    let events = run(&[
        ask(json!({"id": "a"})),
        bid(json!({"id": "b", "qty": 3})),
        ask(json!({"id": "a2", "owner": P2, "price": "1.5", "qty": 2, "ts": 2000})),
    ]);
    assert_eq!(
        events,
        [
            "accepted a",
            "accepted b",
            "deal 1 b/a qty=1 price=1 start=1000 end=3601000",
            "accepted a2",
            "deal 2 b/a2 qty=2 price=2 start=2000 end=3602000",
        ]
    );
}

#[test]
fn rule_5_ioc_cancels_the_remainder() {
    let events = run(&[
        ask(json!({"id": "a"})),
        bid(json!({"id": "b", "qty": 3, "tif": "ioc"})),
        ask(json!({"id": "a2", "owner": P2})),
    ]);
    assert_eq!(
        events,
        [
            "accepted a",
            "accepted b",
            "deal 1 b/a qty=1 price=1 start=1000 end=3601000",
            "cancelled b remaining=2 ioc",
            "accepted a2",
        ]
    );
}

#[test]
fn rule_5_ioc_filled_whole_is_not_cancelled() {
    let events =
        run(&[ask(json!({"id": "a", "qty": 3})), bid(json!({"id": "b", "qty": 2, "tif": "ioc"}))]);
    assert_eq!(
        events,
        ["accepted a", "accepted b", "deal 1 b/a qty=2 price=1 start=1000 end=3601000"]
    );
}

#[test]
fn rule_5_ioc_ask_cancels_the_remainder() {
    let events = run(&[bid(json!({"id": "b"})), ask(json!({"id": "a", "qty": 3, "tif": "ioc"}))]);
    assert_eq!(
        events,
        [
            "accepted b",
            "accepted a",
            "deal 1 b/a qty=1 price=2 start=1000 end=3601000",
            "cancelled a remaining=2 ioc",
        ]
    );
}

#[test]
fn rule_5_fok_bid_is_cancelled_whole_unless_fillable_whole() {
    let events = run(&[
        ask(json!({"id": "a1"})),
        ask(json!({"id": "a2", "owner": P2, "price": "1.5"})),
        bid(json!({"id": "too-big", "qty": 3, "tif": "fok"})),
        bid(json!({"id": "fits", "qty": 2, "tif": "fok"})),
    ]);
    assert_eq!(
        events,
        [
            "accepted a1",
            "accepted a2",
            "accepted too-big",
            "cancelled too-big remaining=3 fok",
            "accepted fits",
            "deal 1 fits/a1 qty=1 price=1 start=1000 end=3601000",
            "deal 2 fits/a2 qty=1 price=1.5 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_5_fok_ask_is_cancelled_whole_unless_fillable_whole() {
    let events = run(&[
        bid(json!({"id": "b", "qty": 2})),
        ask(json!({"id": "too-big", "qty": 3, "tif": "fok"})),
        ask(json!({"id": "fits", "qty": 2, "tif": "fok"})),
    ]);
    assert_eq!(
        events,
        [
            "accepted b",
            "accepted too-big",
            "cancelled too-big remaining=3 fok",
            "accepted fits",
            "deal 1 b/fits qty=2 price=2 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_5_fok_counts_only_quantity_it_could_trade() {
    // Plenty rests, but only one slot passes rules 1–3 for this bid.
    let events = run(&[
        ask(json!({"id": "own", "owner": R1, "qty": 5})),
        ask(json!({"id": "h100", "qty": 5, "hw": {"gpu": "H100-80GB"}})),
        ask(json!({"id": "dear", "qty": 5, "price": "2.5"})),
        ask(json!({"id": "short", "qty": 5, "until": 2000})),
        ask(json!({"id": "ok", "qty": 1})),
        bid(json!({"id": "two", "qty": 2, "tif": "fok", "req": {"gpu": ["A100-80GB"]}})),
        bid(json!({"id": "one", "qty": 1, "tif": "fok", "req": {"gpu": ["A100-80GB"]}})),
    ]);
    assert_eq!(
        events[5..],
        [
            "accepted two",
            "cancelled two remaining=2 fok",
            "accepted one",
            "deal 1 one/ok qty=1 price=1 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_5_post_bid_is_cancelled_whole_if_it_could_trade() {
    let events = run(&[
        ask(json!({"id": "a"})),
        bid(json!({"id": "post", "qty": 3, "tif": "post"})),
        bid(json!({"id": "b", "owner": R2})),
    ]);
    assert_eq!(
        events,
        [
            "accepted a",
            "accepted post",
            "cancelled post remaining=3 post",
            "accepted b",
            "deal 1 b/a qty=1 price=1 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_5_post_ask_is_cancelled_whole_if_it_could_trade() {
    let events =
        run(&[bid(json!({"id": "b"})), ask(json!({"id": "post", "qty": 2, "tif": "post"}))]);
    assert_eq!(events, ["accepted b", "accepted post", "cancelled post remaining=2 post"]);
}

#[test]
fn rule_5_post_rests_when_it_cannot_trade_and_later_sets_the_price() {
    let events = run(&[
        ask(json!({"id": "dear", "price": "2.5"})),
        bid(json!({"id": "post", "limit": "2", "tif": "post"})),
        ask(json!({"id": "a", "owner": P2, "price": "1", "ts": 2000})),
    ]);
    assert_eq!(
        events,
        [
            "accepted dear",
            "accepted post",
            "accepted a",
            "deal 1 post/a qty=1 price=2 start=2000 end=3602000",
        ]
    );
}

#[test]
fn rule_5_post_ignores_orders_it_could_not_trade_with() {
    // Its own ask, a wrong machine and a window too short do not make a post-only bid cross.
    let events = run(&[
        ask(json!({"id": "own", "owner": R1})),
        ask(json!({"id": "h100", "hw": {"gpu": "H100-80GB"}})),
        ask(json!({"id": "short", "until": 2000})),
        bid(json!({"id": "post", "tif": "post", "req": {"gpu": ["A100-80GB"]}})),
        cancel(1500, "post", R1),
    ]);
    assert_eq!(events[3..], ["accepted post", "cancelled post remaining=1 user"]);
}

// ---- Rule 6: expiry ------------------------------------------------------------------------

#[test]
fn rule_6_ask_expires_at_until() {
    let events =
        run_lines(&[ask(json!({"id": "a", "qty": 2, "until": 5000})), tick(4999), tick(5000)]);
    assert_eq!(events, [vec!["accepted a"], vec![], vec!["expired a remaining=2"]]);
}

#[test]
fn rule_6_ask_expires_at_expires() {
    let events = run_lines(&[ask(json!({"id": "a", "expires": 5000})), tick(4999), tick(5000)]);
    assert_eq!(events, [vec!["accepted a"], vec![], vec!["expired a remaining=1"]]);
}

#[test]
fn rule_6_bid_expires_when_its_deadline_can_no_longer_be_met() {
    // Duration 1000, deadline 10000: starting at 9000 still fits, at 9001 it cannot.
    let events = run_lines(&[
        bid(json!({"id": "b", "duration": 1000, "deadline": 10_000})),
        tick(9000),
        tick(9001),
    ]);
    assert_eq!(events, [vec!["accepted b"], vec![], vec!["expired b remaining=1"]]);
}

#[test]
fn rule_6_bid_waiting_for_not_before_expires_only_when_infeasible() {
    // Not before 8000 for 1000 ms by 9000: feasible until now passes 8000.
    let events = run_lines(&[
        bid(json!({"id": "b", "duration": 1000, "not_before": 8000, "deadline": 9000})),
        tick(8000),
        tick(8001),
    ]);
    assert_eq!(events, [vec!["accepted b"], vec![], vec!["expired b remaining=1"]]);
}

#[test]
fn rule_6_bid_expires_at_expires() {
    let events =
        run_lines(&[bid(json!({"id": "b", "qty": 3, "expires": 5000})), tick(4999), tick(5000)]);
    assert_eq!(events, [vec!["accepted b"], vec![], vec!["expired b remaining=3"]]);
}

#[test]
fn rule_6_expiry_order_is_expiry_time_then_arrival() {
    // Expiry times: a1 5000 (until), b1 4000 (expires), a2 4000 (expires), b2 4501 (deadline).
    // b1 and a2 tie at 4000, and b1 arrived first. Bids are priced not to cross.
    let events = run(&[
        ask(json!({"id": "a1", "until": 5000})),
        bid(json!({"id": "b1", "limit": "0.5", "expires": 4000})),
        ask(json!({"id": "a2", "expires": 4000})),
        bid(json!({"id": "b2", "limit": "0.5", "duration": 1000, "deadline": 5500})),
        tick(10_000),
    ]);
    assert_eq!(
        events[4..],
        [
            "expired b1 remaining=1",
            "expired a2 remaining=1",
            "expired b2 remaining=1",
            "expired a1 remaining=1",
        ]
    );
}

#[test]
fn rule_6_expiry_runs_before_the_command_is_applied() {
    // At 5000 the ask has expired, so the bid arriving then finds nothing and its events follow.
    let events =
        run(&[ask(json!({"id": "a", "expires": 5000})), bid(json!({"id": "b", "ts": 5000}))]);
    assert_eq!(events, ["accepted a", "expired a remaining=1", "accepted b"]);
    // One ms earlier the same bid trades.
    let events =
        run(&[ask(json!({"id": "a", "expires": 5000})), bid(json!({"id": "b", "ts": 4999}))]);
    assert_eq!(deals(&events), ["deal 1 b/a qty=1 price=1 start=4999 end=3604999"]);
}

#[test]
fn rule_6_expired_reports_the_remaining_quantity() {
    let events = run(&[
        ask(json!({"id": "a", "qty": 5, "until": 5000})),
        bid(json!({"id": "b", "qty": 2, "duration": 1000})),
        tick(5000),
    ]);
    assert_eq!(events[3..], ["expired a remaining=3"]);
}

#[test]
fn rule_6_tick_only_advances_time() {
    let events = run(&[
        ask(json!({"id": "a", "until": 5000})),
        tick(3000),
        tick(6000),
        ask(json!({"id": "late", "ts": 5999})),
    ]);
    assert_eq!(
        events,
        ["accepted a", "expired a remaining=1", "rejected late time_backwards line=4"]
    );
}

// ---- Rule 7: cancel ------------------------------------------------------------------------

#[test]
fn rule_7_cancel_removes_the_remaining_quantity() {
    let events = run(&[
        ask(json!({"id": "a", "qty": 4})),
        bid(json!({"id": "b"})),
        cancel(2000, "a", P1),
        bid(json!({"id": "b2", "ts": 3000})),
    ]);
    assert_eq!(
        events,
        [
            "accepted a",
            "accepted b",
            "deal 1 b/a qty=1 price=1 start=1000 end=3601000",
            "cancelled a remaining=3 user",
            "accepted b2",
        ]
    );
}

#[test]
fn rule_7_cancel_only_by_owner() {
    let events = run(&[ask(json!({"id": "a"})), cancel(1000, "a", P2), bid(json!({"id": "b"}))]);
    assert_eq!(
        events,
        [
            "accepted a",
            "rejected a not_owner line=2",
            "accepted b",
            "deal 1 b/a qty=1 price=1 start=1000 end=3601000",
        ]
    );
}

#[test]
fn rule_7_cancel_of_an_order_no_longer_resting_is_rejected() {
    let events = run(&[
        ask(json!({"id": "a"})),
        cancel(1000, "a", P1),
        cancel(1000, "a", P1),
        bid(json!({"id": "ioc", "tif": "ioc"})),
        cancel(1000, "ioc", R1),
    ]);
    assert_eq!(
        events,
        [
            "accepted a",
            "cancelled a remaining=1 user",
            "rejected a inactive_id line=3",
            "accepted ioc",
            "cancelled ioc remaining=1 ioc",
            "rejected ioc inactive_id line=5",
        ]
    );
}

#[test]
fn rule_7_cancel_at_the_orders_expiry_time_is_rejected_and_expires_nothing() {
    // The cancel is refused (the order is already dead at 5000) and, being refused, does not
    // run expiry; the tick at the same time does.
    let events = run(&[ask(json!({"id": "a", "until": 5000})), cancel(5000, "a", P1), tick(5000)]);
    assert_eq!(events, ["accepted a", "rejected a inactive_id line=2", "expired a remaining=1"]);
}

// ---- Accepted orders: the order of their events ---------------------------------------------

#[test]
fn accepted_order_events_are_expiries_then_accepted_then_deals_then_remainder() {
    let events = run(&[
        ask(json!({"id": "old", "owner": P2, "until": 5000})),
        ask(json!({"id": "a"})),
        bid(json!({"id": "b", "ts": 5000, "qty": 2, "duration": 1000, "tif": "ioc"})),
    ]);
    assert_eq!(
        events,
        [
            "accepted old",
            "accepted a",
            "expired old remaining=1",
            "accepted b",
            "deal 1 b/a qty=1 price=1 start=5000 end=6000",
            "cancelled b remaining=1 ioc",
        ]
    );
}

#[test]
fn events_are_numbered_from_1_and_stamped_with_the_engine_clock() {
    let lines = [ask(json!({"id": "a"})), bid(json!({"id": "b", "ts": 2000})), tick(1500)];
    let events = replay_config(EngineConfig::default(), &lines);
    let stamps: Vec<Value> =
        events.iter().flatten().map(|e| json!([e["seq"], e["ts"], e["type"]])).collect();
    // The refused tick is stamped with the clock it could not move back.
    assert_eq!(
        stamps,
        [
            json!([1, 1000, "accepted"]),
            json!([2, 2000, "accepted"]),
            json!([3, 2000, "deal"]),
            json!([4, 2000, "rejected"]),
        ]
    );
}

#[test]
fn example_stream_from_the_format_description() {
    let lines = [
        r#"{"ts":1000,"op":"ask","id":"a1","owner":"0x1111111111111111111111111111111111111111","price":"1.25","qty":4,"tif":"gtc","hw":{"cpu":8,"mem":32,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"},"from":0,"until":100000000,"expires":90000000}"#,
        r#"{"ts":1000,"op":"bid","id":"b1","owner":"0x2222222222222222222222222222222222222222","limit":"1.50","qty":2,"tif":"gtc","req":{"cpu":4,"mem":16,"gpu":["A100-80GB","H100-80GB"],"gpus":1,"gpu_mem":0,"tee":null,"regions":[]},"duration":3600000,"not_before":0,"deadline":50000000}"#,
        r#"{"ts":1001,"op":"cancel","id":"a1","owner":"0x1111111111111111111111111111111111111111"}"#,
        r#"{"ts":1002,"op":"tick"}"#,
    ];
    assert_eq!(
        run(&lines),
        [
            "accepted a1",
            "accepted b1",
            format!("deal 1 b1/a1 qty=2 price=1.25 start=1000 end={}", 1000 + HOUR).as_str(),
            "cancelled a1 remaining=2 user",
        ]
    );
}
