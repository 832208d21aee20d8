//! Arrow tables for Python: [`Columns`] builds a record batch column by column and hands it to
//! `pyarrow` through the Arrow C stream interface (pyo3-arrow), so Python receives the very
//! buffers built here — no row is copied on the way to pyarrow, and from pyarrow to polars
//! (`buffer_probe` lets the tests check the addresses).
//!
//! The types every table keeps: money `decimal128(38, 9)` from integer nano-units (exact; a
//! float never holds a price), times `timestamp[ms, UTC]` from engine milliseconds, counts
//! `uint64`, names `utf8`, a missing value null.

use std::sync::Arc;

use arrow_array::builder::{Decimal128Builder, TimestampMillisecondBuilder};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Float64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, UInt64Array,
};
use arrow_schema::{Field, Schema, SchemaRef};
use gridbook_feeds::table::{Column, Table};
use pyo3::prelude::*;
use pyo3_arrow::PyTable;

/// Precision and scale of money columns: nano-units, up to 10^29 tokens.
const MONEY_PRECISION: u8 = 38;
const MONEY_SCALE: i8 = 9;

/// A table being built, column by column, every column as long as the first.
#[derive(Default)]
pub(crate) struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

fn time(ms: u64) -> i64 {
    // Engine times are bounded far below i64::MAX (limits::TIME_MS_MAX).
    i64::try_from(ms).expect("engine times fit a signed 64-bit millisecond timestamp")
}

/// A builder of a money column.
pub(crate) fn money_builder() -> Decimal128Builder {
    Decimal128Builder::new()
        .with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE)
        .expect("38, 9 is a valid decimal128 precision and scale")
}

/// A builder of a time column (UTC).
pub(crate) fn time_builder() -> TimestampMillisecondBuilder {
    TimestampMillisecondBuilder::new().with_timezone("UTC")
}

/// An engine time as a timestamp value.
pub(crate) fn time_value(ms: u64) -> i64 {
    time(ms)
}

fn money(values: impl Iterator<Item = Option<i128>>) -> ArrayRef {
    let array = Decimal128Array::from_iter(values)
        .with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE)
        .expect("38, 9 is a valid decimal128 precision and scale");
    Arc::new(array)
}

impl Columns {
    fn push(&mut self, name: &str, array: ArrayRef) {
        debug_assert!(
            self.arrays.first().is_none_or(|first| first.len() == array.len()),
            "column {name} has another length than the first"
        );
        let nullable = array.null_count() > 0 || array.is_empty();
        self.fields.push(Field::new(name, array.data_type().clone(), nullable));
        self.arrays.push(array);
    }

    /// Counts, ids, quantities.
    pub(crate) fn u64(&mut self, name: &str, values: impl IntoIterator<Item = Option<u64>>) {
        self.push(name, Arc::new(UInt64Array::from_iter(values)));
    }

    /// Names and text.
    pub(crate) fn text<S: AsRef<str>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<S>>,
    ) {
        self.push(name, Arc::new(StringArray::from_iter(values)));
    }

    /// Money in nano-units.
    pub(crate) fn nano(&mut self, name: &str, values: impl IntoIterator<Item = Option<u128>>) {
        // Nano-units of real money are far below decimal128(38)'s 10^38; one beyond is a bug.
        let decimal = |nano: u128| i128::try_from(nano).expect("money fits decimal128(38, 9)");
        let values = values.into_iter().map(|v| v.map(decimal));
        self.push(name, money(values));
    }

    /// Signed money in nano-units (a change).
    pub(crate) fn signed_nano(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<i64>>,
    ) {
        self.push(name, money(values.into_iter().map(|v| v.map(i128::from))));
    }

    /// Engine times, ms since the Unix epoch, UTC.
    pub(crate) fn time_ms(&mut self, name: &str, values: impl IntoIterator<Item = Option<u64>>) {
        let array = TimestampMillisecondArray::from_iter(values.into_iter().map(|v| v.map(time)))
            .with_timezone("UTC");
        self.push(name, Arc::new(array));
    }

    /// Ratios and statistics (never money).
    pub(crate) fn f64(&mut self, name: &str, values: impl IntoIterator<Item = Option<f64>>) {
        self.push(name, Arc::new(Float64Array::from_iter(values)));
    }

    /// Yes or no.
    pub(crate) fn bool(&mut self, name: &str, values: impl IntoIterator<Item = Option<bool>>) {
        self.push(name, Arc::new(BooleanArray::from_iter(values)));
    }

    /// The table as a `pyarrow.Table` (zero-copy, through the C stream interface).
    pub(crate) fn into_pyarrow(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let batch = self.into_batch();
        batches_into_pyarrow(py, batch.schema(), vec![batch])
    }

    /// The columns as one record batch.
    pub(crate) fn into_batch(self) -> RecordBatch {
        let schema = Arc::new(Schema::new(self.fields));
        RecordBatch::try_new(schema, self.arrays)
            .expect("every column was built as long as the first, with its field's type")
    }
}

/// Record batches of one schema as one `pyarrow.Table` of as many chunks (zero-copy).
pub(crate) fn batches_into_pyarrow(
    py: Python<'_>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> PyResult<Bound<'_, PyAny>> {
    PyTable::try_new(batches, schema)?.into_pyarrow(py)
}

/// An offline feeds table ([`gridbook_feeds::table::Table`]) as Arrow columns.
pub(crate) fn from_feeds(table: &Table) -> Columns {
    let mut columns = Columns::default();
    for (name, column) in &table.columns {
        match column {
            Column::U64(values) => columns.u64(name, values.iter().copied().map(Some)),
            Column::OptU64(values) => columns.u64(name, values.iter().copied()),
            Column::Text(values) => columns.text(name, values.iter().map(Some)),
            Column::OptText(values) => columns.text(name, values.iter().map(Option::as_ref)),
            Column::Nano(values) => columns.nano(name, values.iter().map(|&v| Some(v.into()))),
            Column::OptNano(values) => columns.nano(name, values.iter().map(|v| v.map(u128::from))),
            Column::SignedNano(values) => columns.signed_nano(name, values.iter().copied()),
            Column::TimeMs(values) => columns.time_ms(name, values.iter().copied().map(Some)),
        }
    }
    columns
}

/// A table of one `uint64` column `n` holding 0, 1, …, and the address of that column's values
/// as built here: the tests compare it with the addresses pyarrow and polars read from, which
/// shows that a table reaches them without a copy.
#[pyfunction]
pub(crate) fn buffer_probe(py: Python<'_>, n: u64) -> PyResult<(Bound<'_, PyAny>, usize)> {
    let array = UInt64Array::from_iter_values(0..n);
    let address = array.values().inner().as_ptr() as usize;
    let mut columns = Columns::default();
    columns.push("n", Arc::new(array));
    Ok((columns.into_pyarrow(py)?, address))
}

/// Exact decimal text (`"12.5"`, `"0"`, at most 9 decimals, no sign) as nano-units; `None` for
/// anything else. The simulator's money columns are such text.
pub(crate) fn decimal_nano(text: &str) -> Option<u128> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let padded = format!("{fraction:0<9}");
    whole.parse::<u128>().ok()?.checked_mul(1_000_000_000)?.checked_add(padded.parse().ok()?)
}
