"""Whole streams: replay gives gridbook replay's events, backtest one row per model, feeds the
tables of gridbook feeds; every form of a stream (path, str path, bytes, lines, dicts) is the
same stream, and a stream that is not one is refused by name."""

import json

import pytest

import gridbook


def test_replay_gives_the_golden_events_of_the_example(repo):
    table = gridbook.replay(repo / "examples/market.jsonl")
    golden = [json.loads(l) for l in (repo / "examples/market.events.jsonl").read_text().splitlines()]
    assert table.column("seq").to_pylist() == [e["seq"] for e in golden]
    assert table.column("type").to_pylist() == [e["type"] for e in golden]
    rejected = [r for r in table.to_pylist() if r["type"] == "rejected"]
    assert [r["reason"] for r in rejected] == [e["reason"] for e in golden if e["type"] == "rejected"]


def test_every_form_of_a_stream_is_the_same_stream(repo):
    path = repo / "examples/market.jsonl"
    text = path.read_text()
    expected = gridbook.replay(path)
    assert gridbook.replay(str(path)).equals(expected)
    assert gridbook.replay(text.encode()).equals(expected)
    assert gridbook.replay(text).equals(expected)
    assert gridbook.replay(text.splitlines()).equals(expected)
    assert gridbook.replay([json.loads(l) for l in text.splitlines()]).equals(expected)


def test_a_missing_file_and_a_bad_item_are_refused_by_name(tmp_path):
    with pytest.raises(gridbook.GridbookError, match="cannot read .*missing.jsonl"):
        gridbook.replay(tmp_path / "missing.jsonl")
    with pytest.raises(gridbook.GridbookError, match="line 2: .*not float"):
        gridbook.replay(["{}", 1.5])


def test_backtest_scores_each_model_on_the_same_stream(repo):
    table = gridbook.backtest(repo / "examples/market.jsonl")
    assert table.column("model").to_pylist() == list(gridbook.MODEL_NAMES)
    assert set(table.column("deals").to_pylist()) <= {5, 6}
    with pytest.raises(gridbook.GridbookError, match="unknown model"):
        gridbook.backtest(repo / "examples/market.jsonl", models=["vwap", "oracle"])


def test_feeds_give_the_trades_and_candles_of_the_stream(repo):
    tables = gridbook.feeds(repo / "examples/market.jsonl", pricing="vwap")
    assert sorted(tables) == ["candles", "depth", "references", "tickers", "trades"]
    trades = tables["trades"]
    replayed = gridbook.replay(repo / "examples/market.jsonl", pricing="vwap")
    deals = [r for r in replayed.to_pylist() if r["type"] == "deal"]
    assert trades.column("deal").to_pylist() == [d["deal"] for d in deals]
    assert trades.column("price").to_pylist() == [d["price"] for d in deals]


def test_feeds_refuse_an_events_file(repo):
    with pytest.raises(gridbook.GridbookError, match="not an order stream"):
        gridbook.feeds(repo / "examples/market.events.jsonl")


def test_a_long_replay_is_one_table_in_chunks_equal_to_batches_of_a_market():
    import pyarrow as pa
    lines = gridbook.generate(seed=5, resting=2_000, orders=60_000)
    table = gridbook.replay(lines)
    assert table.num_rows > 65_536 and table.column("seq").num_chunks > 1
    assert table.column("seq").to_pylist() == list(range(1, table.num_rows + 1))
    market = gridbook.Market()
    batches = [market.submit(lines[at:at + 5_000]) for at in range(0, len(lines), 5_000)]
    assert pa.concat_tables(batches).equals(table)
