//! Columnar tables: named columns of one [`Column`] kind each, the form in which the offline
//! feeds ([`crate::offline`]) hand their figures to whoever writes or converts them — the command
//! line's CSV and Parquet writers, the Python package's Arrow tables.
//!
//! Owns the kinds of column and the shape check, not how a table is written. The rules every
//! writer keeps: money is exact (integer nano-units here, decimal text or a 9-decimal decimal
//! type outside, never a float); times are integer ms since the Unix epoch, UTC; a missing value
//! is `None`.

use thiserror::Error;

/// A table: its name (a file's stem, a dictionary key) and its columns, each equally long.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The table's name: `trades` is written as `trades.csv` or `trades.parquet`.
    pub name: &'static str,
    /// The columns in order: name and values.
    pub columns: Vec<(&'static str, Column)>,
}

/// One column's values, of one kind. The kind decides how a value is written, not the name.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
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
    pub fn len(&self) -> usize {
        match self {
            Column::U64(values) | Column::Nano(values) | Column::TimeMs(values) => values.len(),
            Column::OptU64(values) | Column::OptNano(values) => values.len(),
            Column::Text(values) => values.len(),
            Column::OptText(values) => values.len(),
            Column::SignedNano(values) => values.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table whose columns do not make one table.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ShapeError {
    /// Columns of different lengths: a bug of the table's maker, named so it can be found.
    #[error("column {column} has {rows} rows but column {first} has {first_rows}")]
    Ragged {
        /// The column that differs.
        column: &'static str,
        /// Its rows.
        rows: usize,
        /// The first column.
        first: &'static str,
        /// Its rows.
        first_rows: usize,
    },
    /// Two columns of one name (readers would refuse or rename one).
    #[error("two columns are named {column}")]
    DuplicateColumn {
        /// The name.
        column: &'static str,
    },
    /// A table without columns has no file form (Parquet needs a field).
    #[error("the table has no columns")]
    NoColumns,
}

impl Table {
    /// The number of rows, after checking that the table has columns, that no two share a name
    /// and that every column is as long as the first.
    pub fn rows(&self) -> Result<usize, ShapeError> {
        let Some((first, first_column)) = self.columns.first() else {
            return Err(ShapeError::NoColumns);
        };
        let rows = first_column.len();
        for (index, (name, column)) in self.columns.iter().enumerate() {
            if self.columns[..index].iter().any(|(earlier, _)| earlier == name) {
                return Err(ShapeError::DuplicateColumn { column: name });
            }
            if column.len() != rows {
                return Err(ShapeError::Ragged {
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
