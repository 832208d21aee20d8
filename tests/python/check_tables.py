"""gridbook's table files, read by two libraries gridbook did not write: polars and pyarrow.

For each table in $GRIDBOOK_TABLES_DIR (NAME.csv and NAME.parquet, and kinds.json: each table's
columns and their gridbook column kinds, as src/tables/tests.rs writes them), the figures the
Python standard library reads from the CSV are the ground truth; polars and pyarrow must read the
same exact figures from the Parquet file and from the CSV. Money is compared as decimal.Decimal,
never as a float, and must arrive typed Decimal(38, 9); times as integer ms since the epoch.

Run by the Rust test `tables::tests::polars_and_pyarrow_read_the_parquet_files_to_the_csvs_exact_figures`
(cargo test -p gridbook --bin gridbook tables), with the pinned packages of
scripts/requirements-test.txt. Without $GRIDBOOK_TABLES_DIR it fails: there is nothing to check.
"""

import csv
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

DIR = Path(os.environ["GRIDBOOK_TABLES_DIR"])
KINDS = json.loads((DIR / "kinds.json").read_text())
TABLES = sorted(KINDS)

MONEY = {"nano", "opt_nano", "signed_nano"}
INTEGERS = {"u64", "opt_u64", "time_ms"}
OPTIONAL = {"opt_u64", "opt_text", "opt_nano", "signed_nano"}
# The events' decimal text: no exponent, at most 9 decimals, no trailing zero in the fraction.
MONEY_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]{0,8}[1-9])?")

POLARS_PARQUET = {
    "u64": pl.UInt64,
    "opt_u64": pl.UInt64,
    "text": pl.String,
    "opt_text": pl.String,
    "nano": pl.Decimal(38, 9),
    "opt_nano": pl.Decimal(38, 9),
    "signed_nano": pl.Decimal(38, 9),
    "time_ms": pl.Datetime("ms", "UTC"),
}
PYARROW_PARQUET = {
    "u64": pa.uint64(),
    "opt_u64": pa.uint64(),
    "text": pa.string(),
    "opt_text": pa.string(),
    "nano": pa.decimal128(38, 9),
    "opt_nano": pa.decimal128(38, 9),
    "signed_nano": pa.decimal128(38, 9),
    "time_ms": pa.timestamp("ms", tz="UTC"),
}
# How an economist types the CSV's columns to read them exactly (times stay integer ms).
POLARS_CSV = {**POLARS_PARQUET, "time_ms": pl.Int64}
PYARROW_CSV = {**PYARROW_PARQUET, "time_ms": pa.int64()}


def columns(table):
    return [(name, kind) for name, kind in KINDS[table]]


def cell(kind, text):
    """One CSV field as its figure: int, Decimal, str or None (an empty field is missing)."""
    if text == "":
        return None if kind in OPTIONAL else ("" if kind == "text" else pytest.fail(f"empty {kind}"))
    if kind in INTEGERS:
        assert re.fullmatch(r"0|[1-9][0-9]*", text), f"{kind} {text!r} is not an integer"
        return int(text)
    if kind in MONEY:
        assert MONEY_TEXT.fullmatch(text), f"{kind} {text!r} is not the events' decimal text"
        return Decimal(text)
    return text


def truth(table):
    """The CSV's figures by column, read with the standard library alone."""
    with open(DIR / f"{table}.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    names = [name for name, _ in columns(table)]
    assert rows[0] == names, "the header is the column names, in order"
    return {
        name: [cell(kind, row[index]) for row in rows[1:]]
        for index, (name, kind) in enumerate(columns(table))
    }


def normal(kind, values):
    """A reader's values as the truth's: text columns' nulls as the CSV wrote them."""
    if kind == "text":
        return ["" if value is None else value for value in values]
    if kind == "opt_text":
        return [None if value == "" else value for value in values]
    return values


def assert_exact(kind, got, want, where):
    assert len(got) == len(want), f"{where}: {len(got)} rows, not {len(want)}"
    for row, (value, expected) in enumerate(zip(got, want)):
        if expected is not None and kind in MONEY:
            assert isinstance(value, Decimal), f"{where} row {row}: {value!r} is not a Decimal"
        if expected is not None and kind in INTEGERS:
            assert isinstance(value, int), f"{where} row {row}: {value!r} is not an int"
        assert value == expected, f"{where} row {row}: {value!r}, not {expected!r}"


def polars_values(frame, name, kind):
    series = frame[name]
    if kind == "time_ms":
        series = series.dt.epoch("ms")
    return normal(kind, series.to_list())


def pyarrow_values(table, name, kind):
    column = table.column(name)
    if kind == "time_ms" and pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    return normal(kind, column.to_pylist())


@pytest.mark.parametrize("table", TABLES)
def test_polars_reads_parquet_typed_and_exact(table):
    frame = pl.read_parquet(DIR / f"{table}.parquet")
    want = truth(table)
    assert frame.columns == list(want)
    for name, kind in columns(table):
        assert frame.schema[name] == POLARS_PARQUET[kind], f"{table}.{name}: {frame.schema[name]}"
        assert_exact(kind, polars_values(frame, name, kind), want[name], f"polars {table}.{name}")


@pytest.mark.parametrize("table", TABLES)
def test_pyarrow_reads_parquet_typed_and_exact(table):
    data = pq.read_table(DIR / f"{table}.parquet")
    want = truth(table)
    assert data.column_names == list(want)
    metadata = pq.ParquetFile(DIR / f"{table}.parquet").metadata
    for group in range(metadata.num_row_groups):
        for index in range(metadata.num_columns):
            chunk = metadata.row_group(group).column(index)
            assert chunk.compression == "GZIP", f"{table}.{chunk.path_in_schema}: {chunk.compression}"
    for name, kind in columns(table):
        field = data.schema.field(name)
        assert field.type == PYARROW_PARQUET[kind], f"{table}.{name}: {field.type}"
        assert field.nullable == (kind in OPTIONAL), f"{table}.{name} nullable"
        assert_exact(kind, pyarrow_values(data, name, kind), want[name], f"pyarrow {table}.{name}")


@pytest.mark.parametrize("table", TABLES)
def test_polars_reads_the_csv_exactly_when_typed(table):
    schema = {name: POLARS_CSV[kind] for name, kind in columns(table)}
    frame = pl.read_csv(DIR / f"{table}.csv", schema=schema)
    want = truth(table)
    for name, kind in columns(table):
        assert_exact(kind, normal(kind, frame[name].to_list()), want[name], f"polars csv {table}.{name}")


@pytest.mark.parametrize("table", TABLES)
def test_pyarrow_reads_the_csv_exactly_when_typed(table):
    options = pacsv.ConvertOptions(
        column_types={name: PYARROW_CSV[kind] for name, kind in columns(table)},
        strings_can_be_null=True,
    )
    data = pacsv.read_csv(DIR / f"{table}.csv", convert_options=options)
    want = truth(table)
    for name, kind in columns(table):
        assert_exact(kind, pyarrow_values(data, name, kind), want[name], f"pyarrow csv {table}.{name}")


@pytest.mark.parametrize("table", TABLES)
def test_money_sums_stay_exact_decimals(table):
    """DECIMAL(38, 9) leaves room: a column's sum is exact even past u64::MAX nano."""
    frame = pl.read_parquet(DIR / f"{table}.parquet")
    want = truth(table)
    for name, kind in columns(table):
        if kind not in MONEY:
            continue
        total = frame[name].sum()
        assert isinstance(total, Decimal), f"{table}.{name}: sum {total!r} is not a Decimal"
        assert total == sum((v for v in want[name] if v is not None), Decimal(0)), f"{table}.{name}"
        arrow_total = pc.sum(pq.read_table(DIR / f"{table}.parquet").column(name)).as_py()
        assert arrow_total == (total if want[name] else None), f"pyarrow {table}.{name}"
