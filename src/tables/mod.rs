//! Columnar tables and their files, for the offline tools (`gridbook feeds`: trades, candles,
//! tickers, depth snapshots): a [`Table`] is named columns of one [`Column`] kind each, written
//! as CSV ([`write_csv`]) or Parquet ([`write_parquet`]) with the same figures in both.
//!
//! Owns how each kind of column ([`gridbook_feeds::table::Column`]) is written, not what a
//! table holds (the feeds crate decides that). The rules every writer keeps:
//! - money is exact: integer nano-units inside, decimal text in CSV (`1.95`, the events' own
//!   text), `DECIMAL(38, 9)` in Parquet; never a float;
//! - times are integer ms since the Unix epoch: as they are in CSV, `TIMESTAMP(MILLIS, UTC)` in
//!   Parquet (polars and pyarrow read UTC datetimes);
//! - a missing value (`Option::None`) is an empty field in CSV and a null in Parquet; so in CSV
//!   an empty text cannot be told from a missing one;
//! - a file that exists is whole: each is written beside its name and renamed when complete.

mod csv;
mod parquet;

#[cfg(test)]
pub(crate) mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub(crate) use self::csv::write_csv;
pub(crate) use self::parquet::write_parquet;
pub(crate) use gridbook_feeds::table::{Column, ShapeError, Table};

/// The file format of [`write_tables`] (`--format` of `gridbook feeds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TableFormat {
    /// Comma-separated text with a header line.
    Csv,
    /// Apache Parquet, one row group per million rows, gzip-compressed pages.
    Parquet,
}

impl TableFormat {
    /// The file name extension, without its dot.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }
}

/// Writes each table into `dir` (created if missing) as `NAME.csv` or `NAME.parquet`; returns
/// the files written, in the tables' order. Two tables of one name are refused before any file
/// is written.
pub(crate) fn write_tables(
    dir: &Path,
    format: TableFormat,
    tables: &[Table],
) -> Result<Vec<PathBuf>, TableError> {
    let path_of = |table: &Table| dir.join(format!("{}.{}", table.name, format.extension()));
    for (index, table) in tables.iter().enumerate() {
        if tables[..index].iter().any(|earlier| earlier.name == table.name) {
            return Err(TableError::new(table, &path_of(table), TableErrorKind::DuplicateTable));
        }
    }
    let mut written = Vec::with_capacity(tables.len());
    for table in tables {
        let path = path_of(table);
        fs::create_dir_all(dir).map_err(|error| TableError::new(table, &path, error.into()))?;
        match format {
            TableFormat::Csv => write_csv(table, &path)?,
            TableFormat::Parquet => write_parquet(table, &path)?,
        }
        written.push(path);
    }
    Ok(written)
}

/// Writes one table's file through `encode` (given the file and the number of rows), after
/// checking the table, into `PATH.partial` renamed to `path` when complete, so that a reader
/// never finds half a file under the real name; a failed write removes it.
fn write_whole_file(
    table: &Table,
    path: &Path,
    encode: impl FnOnce(fs::File, usize) -> Result<(), TableErrorKind>,
) -> Result<(), TableError> {
    let rows = table.rows().map_err(|shape| TableError::new(table, path, shape.into()))?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = fs::File::create(&partial)
        .map_err(TableErrorKind::from)
        .and_then(|file| encode(file, rows))
        .and_then(|()| fs::rename(&partial, path).map_err(TableErrorKind::from));
    if result.is_err() {
        // The error being reported is the write's; a leftover partial file is only clutter.
        let _ = fs::remove_file(&partial);
    }
    result.map_err(|kind| TableError::new(table, path, kind))
}

/// A table that could not be written: which table, which file, and why.
#[derive(Debug, Error)]
#[error("cannot write table {table} to {}: {kind}", path.display())]
pub(crate) struct TableError {
    /// The table's name.
    pub(crate) table: &'static str,
    /// The file it was being written to.
    pub(crate) path: PathBuf,
    /// What went wrong (in the message, not also a `source`: `{:#}` would print it twice).
    pub(crate) kind: TableErrorKind,
}

impl TableError {
    fn new(table: &Table, path: &Path, kind: TableErrorKind) -> TableError {
        TableError { table: table.name, path: path.to_owned(), kind }
    }
}

/// Why a table could not be written.
#[derive(Debug, Error)]
pub(crate) enum TableErrorKind {
    /// The columns do not make one table.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// Two tables of one name would be written to one file.
    #[error("another table of the same name goes to the same file")]
    DuplicateTable,
    /// A time past Parquet's signed 64-bit milliseconds (year 292 million): not an engine time.
    #[error("column {column}, row {row}: time {time_ms} ms is past the largest Parquet timestamp")]
    TimeOutOfRange { column: &'static str, row: usize, time_ms: u64 },
    /// Creating, writing or renaming the file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The CSV writer failed (in practice: writing the file).
    #[error(transparent)]
    Csv(#[from] ::csv::Error),
    /// The Parquet writer refused the schema or the data, or writing the file failed.
    #[error(transparent)]
    Parquet(#[from] ::parquet::errors::ParquetError),
}
