//! Columnar tables and their files, for the offline tools (`gridbook feeds`: trades, candles,
//! tickers, depth snapshots): a [`Table`] is named columns of one [`Column`] kind each, written
//! as CSV ([`write_csv`]) or Parquet ([`write_parquet`]) with the same figures in both.
//!
//! Owns how each kind of column is written, not what a table holds (the feeds crate decides
//! that). The rules every writer keeps:
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

/// A table: its name (the file's stem) and its columns, each the same number of rows long.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    /// The file's stem: `trades` is written as `trades.csv` or `trades.parquet`.
    pub(crate) name: &'static str,
    /// The columns in file order: name and values.
    pub(crate) columns: Vec<(&'static str, Column)>,
}

/// One column's values, of one kind. The kind decides how a value is written, not the name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Column {
    /// Counts, quantities and ids.
    U64(Vec<u64>),
    /// Counts that may be missing.
    OptU64(Vec<Option<u64>>),
    /// Names (classes, order ids, sides).
    Text(Vec<String>),
    /// Names that may be missing (a deal's class when the machine is in none).
    OptText(Vec<Option<String>>),
    /// Money in nano-units, 9 decimals: `1_950_000_000` is 1.95.
    Nano(Vec<u64>),
    /// Money that may be missing (no best bid, no reference yet).
    OptNano(Vec<Option<u64>>),
    /// Signed money in nano-units (a change), missing when there is nothing to compare with.
    SignedNano(Vec<Option<i64>>),
    /// Engine time: ms since the Unix epoch, UTC (the events' `ts`).
    TimeMs(Vec<u64>),
}

impl Column {
    /// The number of values (rows).
    pub(crate) fn len(&self) -> usize {
        match self {
            Column::U64(values) | Column::Nano(values) | Column::TimeMs(values) => values.len(),
            Column::OptU64(values) | Column::OptNano(values) => values.len(),
            Column::Text(values) => values.len(),
            Column::OptText(values) => values.len(),
            Column::SignedNano(values) => values.len(),
        }
    }
}

impl Table {
    /// The number of rows, after checking that the table has columns, that no two share a name
    /// and that every column is as long as the first.
    pub(crate) fn rows(&self) -> Result<usize, TableErrorKind> {
        let Some((first, first_column)) = self.columns.first() else {
            return Err(TableErrorKind::NoColumns);
        };
        let rows = first_column.len();
        for (index, (name, column)) in self.columns.iter().enumerate() {
            if self.columns[..index].iter().any(|(earlier, _)| earlier == name) {
                return Err(TableErrorKind::DuplicateColumn { column: name });
            }
            if column.len() != rows {
                return Err(TableErrorKind::Ragged {
                    column: name,
                    rows: column.len(),
                    first,
                    first_rows: rows,
                });
            }
        }
        Ok(rows)
    }
}

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
    let rows = table.rows().map_err(|kind| TableError::new(table, path, kind))?;
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
    /// Columns of different lengths: a bug of the table's maker, named so it can be found.
    #[error("column {column} has {rows} rows but column {first} has {first_rows}")]
    Ragged { column: &'static str, rows: usize, first: &'static str, first_rows: usize },
    /// Two columns of one name (readers would refuse or rename one).
    #[error("two columns are named {column}")]
    DuplicateColumn { column: &'static str },
    /// A table without columns has no file form (Parquet needs a field).
    #[error("the table has no columns")]
    NoColumns,
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
