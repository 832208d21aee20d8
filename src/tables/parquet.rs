//! A [`Table`] as Apache Parquet, with the `parquet` crate's low-level writer (no Arrow: the
//! columns are already typed vectors, and the default features build four times as long).
//!
//! Each column kind's Parquet type, chosen so that polars and pyarrow read the exact figures
//! (tests/python/check_tables.py checks both against the CSV):
//!
//! | kind | physical | logical | polars / pyarrow |
//! |---|---|---|---|
//! | `U64`, `OptU64` | INT64 | INTEGER(64, unsigned) | `UInt64` / `uint64` |
//! | `Text`, `OptText` | BYTE_ARRAY | STRING | `String` / `string` |
//! | `Nano`, `OptNano`, `SignedNano` | FIXED_LEN_BYTE_ARRAY(16) | DECIMAL(38, 9) | `Decimal(38, 9)` / `decimal128(38, 9)` |
//! | `TimeMs` | INT64 | TIMESTAMP(MILLIS, UTC) | `Datetime(ms, UTC)` / `timestamp[ms, tz=UTC]` |
//!
//! Money is a 16-byte decimal, not INT64: INT64 decimals stop at 18 digits, below a billion
//! tokens with 9 decimals (19 digits) and below `u64::MAX` nano; 38 digits (the widest that
//! Arrow's `decimal128` reads) hold any `u64` or `i64` of nano-units and keep a reader's sums
//! of them exact. Dictionary encoding is on (prices and class names repeat), and pages are
//! gzip-compressed by the pure-Rust `flate2` (miniz_oxide) the chart renderer already builds:
//! the file is less than half as large for no new crate, where snappy and lz4 would add one
//! each for less and zstd a C build (BENCHMARKS.md, "Feed tables").

use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use ::parquet::basic::{
    Compression, GzipLevel, LogicalType, Repetition, TimeUnit, Type as PhysicalType,
};
use ::parquet::data_type::{
    ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int64Type,
};
use ::parquet::errors::ParquetError;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use ::parquet::schema::types::Type;

use super::{write_whole_file, Column, Table, TableError, TableErrorKind};

/// Rows per row group: a reader reads (and skips) a row group whole; a million rows of a trades
/// table is tens of MB, the size Parquet readers are tuned for.
const ROWS_PER_GROUP: usize = 1 << 20;
/// Money's decimal places: nano-units.
const NANO_SCALE: i32 = 9;
/// Money's decimal digits: the most a 16-byte decimal holds.
const MONEY_PRECISION: i32 = 38;
/// Money's bytes: a big-endian two's-complement `i128`.
const MONEY_BYTES: i32 = 16;
/// Gzip's fastest level: on a generated market's trades it wrote 5 % more bytes than the
/// default level 6 in a quarter of the time, about as fast as writing uncompressed
/// (BENCHMARKS.md, "Feed tables").
const GZIP_LEVEL: u32 = 1;

/// Writes `table` to `path` as Parquet (through a `.partial` file renamed when complete).
pub(crate) fn write_parquet(table: &Table, path: &Path) -> Result<(), TableError> {
    write_whole_file(table, path, |file, rows| encode(table, rows, BufWriter::new(file)))
}

fn encode(table: &Table, rows: usize, out: BufWriter<File>) -> Result<(), TableErrorKind> {
    let fields = table
        .columns
        .iter()
        .map(|(name, column)| field(name, column).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    let schema = Arc::new(Type::group_type_builder(table.name).with_fields(fields).build()?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_created_by(format!("gridbook {}", env!("CARGO_PKG_VERSION")))
            .set_compression(Compression::GZIP(GzipLevel::try_new(GZIP_LEVEL)?))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, properties)?;
    for start in (0..rows).step_by(ROWS_PER_GROUP) {
        let rows_in_group = start..rows.min(start + ROWS_PER_GROUP);
        let mut group = writer.next_row_group()?;
        for (name, column) in &table.columns {
            let Some(mut chunk) = group.next_column()? else {
                return Err(ParquetError::General(format!("no column chunk for {name}")).into());
            };
            write_chunk(&mut chunk, name, column, rows_in_group.clone())?;
            chunk.close()?;
        }
        group.close()?;
    }
    let out = writer.into_inner()?;
    // Flushing the buffer's last bytes can fail (a full disk): report it, not on drop.
    out.into_inner().map_err(|error| error.into_error())?.sync_all()?;
    Ok(())
}

/// The schema field of one column (see the table in the module docs).
fn field(name: &str, column: &Column) -> Result<Type, ParquetError> {
    let (physical, logical, repetition) = match column {
        Column::U64(_) => (PhysicalType::INT64, unsigned(), Repetition::REQUIRED),
        Column::OptU64(_) => (PhysicalType::INT64, unsigned(), Repetition::OPTIONAL),
        Column::Text(_) => (PhysicalType::BYTE_ARRAY, LogicalType::String, Repetition::REQUIRED),
        Column::OptText(_) => (PhysicalType::BYTE_ARRAY, LogicalType::String, Repetition::OPTIONAL),
        Column::Nano(_) => (PhysicalType::FIXED_LEN_BYTE_ARRAY, money(), Repetition::REQUIRED),
        Column::OptNano(_) | Column::SignedNano(_) => {
            (PhysicalType::FIXED_LEN_BYTE_ARRAY, money(), Repetition::OPTIONAL)
        }
        Column::TimeMs(_) => (
            PhysicalType::INT64,
            LogicalType::timestamp(true, TimeUnit::MILLIS),
            Repetition::REQUIRED,
        ),
    };
    let mut builder = Type::primitive_type_builder(name, physical)
        .with_repetition(repetition)
        .with_logical_type(Some(logical));
    if physical == PhysicalType::FIXED_LEN_BYTE_ARRAY {
        builder =
            builder.with_length(MONEY_BYTES).with_precision(MONEY_PRECISION).with_scale(NANO_SCALE);
    }
    builder.build()
}

fn unsigned() -> LogicalType {
    LogicalType::integer(64, false)
}

fn money() -> LogicalType {
    LogicalType::decimal(NANO_SCALE, MONEY_PRECISION)
}

/// Writes rows `rows` of `column` into its chunk of the current row group.
fn write_chunk(
    chunk: &mut SerializedColumnWriter<'_>,
    name: &'static str,
    column: &Column,
    rows: Range<usize>,
) -> Result<(), TableErrorKind> {
    match column {
        Column::U64(values) => {
            let values: Vec<i64> = values[rows].iter().map(|&value| unsigned_bits(value)).collect();
            chunk.typed::<Int64Type>().write_batch(&values, None, None)?;
        }
        Column::OptU64(values) => {
            let (values, levels) = present(&values[rows], |&value| unsigned_bits(value));
            chunk.typed::<Int64Type>().write_batch(&values, Some(&levels), None)?;
        }
        Column::TimeMs(values) => {
            let start = rows.start;
            let values = values[rows]
                .iter()
                .enumerate()
                .map(|(offset, &time_ms)| {
                    i64::try_from(time_ms).map_err(|_| TableErrorKind::TimeOutOfRange {
                        column: name,
                        row: start + offset,
                        time_ms,
                    })
                })
                .collect::<Result<Vec<i64>, _>>()?;
            chunk.typed::<Int64Type>().write_batch(&values, None, None)?;
        }
        Column::Text(values) => {
            let values: Vec<ByteArray> =
                values[rows].iter().map(|text| ByteArray::from(text.as_str())).collect();
            chunk.typed::<ByteArrayType>().write_batch(&values, None, None)?;
        }
        Column::OptText(values) => {
            let (values, levels) = present(&values[rows], |text| ByteArray::from(text.as_str()));
            chunk.typed::<ByteArrayType>().write_batch(&values, Some(&levels), None)?;
        }
        Column::Nano(values) => {
            let values: Vec<FixedLenByteArray> =
                values[rows].iter().map(|&nano| decimal(i128::from(nano))).collect();
            chunk.typed::<FixedLenByteArrayType>().write_batch(&values, None, None)?;
        }
        Column::OptNano(values) => {
            let (values, levels) = present(&values[rows], |&nano| decimal(i128::from(nano)));
            chunk.typed::<FixedLenByteArrayType>().write_batch(&values, Some(&levels), None)?;
        }
        Column::SignedNano(values) => {
            let (values, levels) = present(&values[rows], |&nano| decimal(i128::from(nano)));
            chunk.typed::<FixedLenByteArrayType>().write_batch(&values, Some(&levels), None)?;
        }
    }
    Ok(())
}

/// An optional column's present values and its definition levels (1 present, 0 missing).
fn present<T, V>(cells: &[Option<T>], value: impl Fn(&T) -> V) -> (Vec<V>, Vec<i16>) {
    let values = cells.iter().flatten().map(value).collect();
    let levels = cells.iter().map(|cell| i16::from(cell.is_some())).collect();
    (values, levels)
}

/// A `u64` in an unsigned INT64 column: the same 64 bits, which the logical type reads unsigned.
fn unsigned_bits(value: u64) -> i64 {
    i64::from_ne_bytes(value.to_ne_bytes())
}

/// Nano-units as a DECIMAL(38, 9) value: 16 bytes, big-endian two's complement.
fn decimal(nano: i128) -> FixedLenByteArray {
    FixedLenByteArray::from(nano.to_be_bytes().to_vec())
}
