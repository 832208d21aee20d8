"""gridbook.Market: the engine stepped from Python gives the events the order stream's replay
gives, refuses bad commands as the engine does (a rejected event naming the field, never an
exception or a crash), and answers questions without changing the market."""

import json
import pathlib

import pytest

import gridbook
from conftest import A100, ask, bid


def test_submitting_the_example_market_gives_its_golden_events_byte_for_byte(repo):
    market = gridbook.Market()
    lines = (repo / "examples/market.jsonl").read_text().splitlines()
    events = []
    for line in lines:
        events.extend(market.submit(json.loads(line)))
    golden = (repo / "examples/market.events.jsonl").read_text().splitlines()
    assert [json.dumps(e, separators=(",", ":")) for e in events] == golden


def test_a_batch_gives_the_same_events_as_one_command_at_a_time(repo):
    lines = (repo / "examples/market.jsonl").read_text().splitlines()
    one_by_one = gridbook.Market()
    singles = [e for line in lines for e in one_by_one.submit(line)]
    table = gridbook.Market().submit([json.loads(line) for line in lines])
    assert table.num_rows == len(singles)
    assert table.column("seq").to_pylist() == [e["seq"] for e in singles]
    assert table.column("type").to_pylist() == [e["type"] for e in singles]
    # JSON Lines as bytes are a batch too.
    as_bytes = gridbook.Market().submit("\n".join(lines).encode())
    assert as_bytes.equals(table)


def test_deal_prices_are_exact_decimals_not_floats():
    market = gridbook.Market()
    market.submit(ask("a", "0.000000001"), ts=0)
    table = market.submit([bid("b", "0.1")], ts=1)
    deal = [row for row in table.to_pylist() if row["type"] == "deal"][0]
    from decimal import Decimal
    assert deal["price"] == Decimal("0.000000001")
    assert str(table.schema.field("price").type) == "decimal128(38, 9)"


def test_a_bad_command_is_a_rejected_event_naming_the_field_and_changes_nothing():
    market = gridbook.Market()
    [event] = market.submit({"op": "bid", "id": "x", "owner": "0x" + "2" * 40}, ts=5)
    assert event["type"] == "rejected" and event["reason"] == "missing_field"
    assert event["detail"].startswith("missing field `") and event["id"] == "x"
    bad_price = ask("a", "1.0000000001")
    [event] = market.submit(bad_price, ts=5)
    assert event["type"] == "rejected" and "price" in event["detail"]
    assert market.now_ms == 0 and market.book().num_rows == 0


def test_what_is_not_a_command_raises_gridbook_error_with_what_it_got():
    market = gridbook.Market()
    with pytest.raises(gridbook.GridbookError, match="not int"):
        market.submit([42])
    with pytest.raises(gridbook.GridbookError, match="ts="):
        market.submit("{}", ts=3)
    with pytest.raises(gridbook.GridbookError, match="unknown model"):
        gridbook.Market(pricing="median")
    with pytest.raises(gridbook.GridbookError, match="classes"):
        gridbook.Market(pricing="ewma", classes="[[class]]\nname = 3")
    with pytest.raises(gridbook.GridbookError, match="cannot read"):
        gridbook.Market(pricing="ewma", classes=pathlib.Path("/nonexistent/classes.toml"))


def test_a_decimal_price_is_sent_as_its_text():
    from decimal import Decimal
    market = gridbook.Market()
    [event] = market.submit(ask("a", Decimal("2.50")), ts=0)
    assert event["type"] == "accepted"
    assert market.book().column("price").to_pylist() == [Decimal("2.5")]


def test_a_dict_without_ts_runs_at_ts_or_the_engine_clock():
    market = gridbook.Market()
    market.submit(ask("a", "2"), ts=100)
    [event] = market.submit(ask("b", "2"))
    assert event["ts"] == 100 == market.now_ms


def test_questions_change_nothing_and_match_what_then_happens():
    market = gridbook.Market(pricing="vwap")
    market.submit([ask("a1", "2.50", qty=3), ask("a2", "2.60", qty=1)], ts=0)
    quote = market.quote(bid("b", "2.55", qty=4))
    assert quote["filled"] == 3 and quote["fills_now"] is False
    assert quote["total_cost"] == "7.5"
    before = market.book()
    price = market.price(A100)
    assert price["class"] == "gpu.a100-80gb" and price["best_ask"]["per_slot_hour"] == "2.5"
    resting = market.explain("a2")
    assert resting["state"] == "resting" and resting["nearest"] == []
    assert market.explain("nobody") is None
    assert market.book().equals(before) and market.stats()["lines"] == 2
    table = market.submit([bid("b", "2.55", qty=4)], ts=1)
    deals = [r for r in table.to_pylist() if r["type"] == "deal"]
    assert sum(d["qty"] for d in deals) == quote["filled"]


def test_an_arriving_order_is_explained_by_the_rules_that_keep_it_apart():
    market = gridbook.Market()
    market.submit(ask("a", "3"), ts=0)
    answer = market.explain(bid("b", "2"))
    assert answer["state"] == "arriving"
    [candidate] = answer["nearest"]
    assert "price" in json.dumps(candidate)


def test_references_follow_the_model_and_the_plain_engine_has_none():
    priced = gridbook.Market(pricing="vwap")
    priced.submit([ask("a", "2"), bid("b", "2")], ts=0)
    assert priced.references()["gpu.a100-80gb"] == "2"
    plain = gridbook.Market()
    plain.submit([ask("a", "2"), bid("b", "2")], ts=0)
    assert set(plain.references().values()) == {None}


def test_the_generated_mix_replays_through_a_market_as_through_replay():
    lines = gridbook.generate(seed=3, resting=200, orders=2_000)
    assert len(lines) == 2_200
    table = gridbook.Market().submit(lines)
    assert table.equals(gridbook.replay(lines))


def test_a_dict_is_written_as_json_keeps_its_types_and_refuses_what_json_cannot_hold():
    from decimal import Decimal
    market = gridbook.Market()
    # Unicode text reaches the decoder intact (which then refuses a non-ASCII id by name).
    [event] = market.submit(ask("ä-€-1", "2.5"), ts=0)
    assert (event["id"], event["reason"]) == ("ä-€-1", "bad_id")
    [event] = market.submit(ask("a1", Decimal("2.50")), ts=0)
    assert event == {"seq": 2, "ts": 0, "type": "accepted", "id": "a1"}
    # A bool is JSON's true, not the integer 1: the decoder refuses it as a quantity.
    [event] = market.submit(ask("a2", "2", qty=True), ts=0)
    assert event["type"] == "rejected" and "boolean `true`" in event["detail"]
    # A float is written as a JSON number; a price must be text, so it is refused by name.
    [event] = market.submit(ask("a3", 2.5), ts=0)
    assert event["type"] == "rejected" and "price" in event["detail"]
    with pytest.raises(gridbook.GridbookError, match="NaN has no JSON form"):
        market.submit(ask("a4", float("nan")), ts=0)
    with pytest.raises(gridbook.GridbookError, match="out of range"):
        market.submit(ask("a5", "2", qty=2**200), ts=0)
    assert market.book().num_rows == 1
