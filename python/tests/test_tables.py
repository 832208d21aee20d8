"""Tables reach pyarrow and polars without a copy (the rule: the buffer Rust filled is the one
polars reads), with exact money and UTC times."""

import polars as pl
import pyarrow as pa

import gridbook


def test_a_column_reaches_pyarrow_and_polars_at_the_address_rust_wrote_it():
    table, address = gridbook._native.buffer_probe(100_000)
    assert isinstance(table, pa.Table)
    values = table.column("n").chunks[0].buffers()[1]
    assert values.address == address
    frame = pl.from_arrow(table, rechunk=False)
    series = frame.get_column("n")
    # polars exports its own buffer back without a copy: had it copied on import, this
    # address would be the copy's.
    assert series.n_chunks() == 1
    assert series.to_arrow().buffers()[1].address == address
    assert series.sum() == sum(range(100_000))


def test_event_tables_have_exact_money_and_utc_times(repo):
    table = gridbook.replay(repo / "examples/market.jsonl")
    assert table.schema.field("price").type == pa.decimal128(38, 9)
    assert table.schema.field("ts").type == pa.timestamp("ms", tz="UTC")
    frame = pl.from_arrow(table)
    deals = frame.filter(pl.col("type") == "deal")
    assert deals.height == 6
    assert str(deals.get_column("price").to_list()[0]) == "1.900000000"
