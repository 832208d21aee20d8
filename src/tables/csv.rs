//! A [`Table`] as CSV: a header line of the column names, then one line per row, written with the
//! `csv` crate (a text with a comma, a quote or a line break stays one field).
//!
//! Money is the events' decimal text (`format_nano`: `1.95`, `0.000000001`, `-0.4`), times
//! and counts integers, a missing value an empty field; so a reader that types the money columns
//! as decimals (polars `pl.Decimal(38, 9)`, pyarrow `decimal128(38, 9)`) gets them exactly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use gridbook_matcher::money::push_nano;

use super::{write_whole_file, Column, Table, TableError, TableErrorKind};

/// Writes `table` to `path` as CSV (through a `.partial` file renamed when complete).
pub(crate) fn write_csv(table: &Table, path: &Path) -> Result<(), TableError> {
    write_whole_file(table, path, |file, rows| encode(table, rows, BufWriter::new(file)))
}

fn encode(table: &Table, rows: usize, out: BufWriter<File>) -> Result<(), TableErrorKind> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(table.columns.iter().map(|(name, _)| name))?;
    // One buffer for every field: a table of millions of cells allocates once.
    let mut field = Vec::with_capacity(32);
    for row in 0..rows {
        for (_, column) in &table.columns {
            field.clear();
            push_cell(&mut field, column, row);
            writer.write_field(&field)?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()?;
    let out = writer.into_inner().map_err(|error| error.into_error())?;
    // Flushing the buffer's last bytes can fail (a full disk): report it, not on drop.
    out.into_inner().map_err(|error| error.into_error())?.sync_all()?;
    Ok(())
}

/// Appends row `row` of `column` as CSV field text (nothing for a missing value).
fn push_cell(out: &mut Vec<u8>, column: &Column, row: usize) {
    match column {
        Column::U64(values) | Column::TimeMs(values) => push_u64(out, values[row]),
        Column::OptU64(values) => {
            if let Some(value) = values[row] {
                push_u64(out, value);
            }
        }
        Column::Text(values) => out.extend_from_slice(values[row].as_bytes()),
        Column::OptText(values) => {
            if let Some(text) = &values[row] {
                out.extend_from_slice(text.as_bytes());
            }
        }
        Column::Nano(values) => push_nano(out, values[row]),
        Column::OptNano(values) => {
            if let Some(nano) = values[row] {
                push_nano(out, nano);
            }
        }
        Column::SignedNano(values) => {
            if let Some(nano) = values[row] {
                if nano < 0 {
                    out.push(b'-');
                }
                push_nano(out, nano.unsigned_abs());
            }
        }
    }
}

fn push_u64(out: &mut Vec<u8>, value: u64) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{value}");
}
