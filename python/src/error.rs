//! The one exception the package raises for bad input, `gridbook.GridbookError` (a
//! `ValueError`), carrying the library's own message: a bad scenario names its key and line, a
//! bad command its field, a bad file its path.

use std::fmt::Display;

use pyo3::PyErr;

pyo3::create_exception!(
    gridbook,
    GridbookError,
    pyo3::exceptions::PyValueError,
    "gridbook refused its input: the message says what is wrong and where."
);

/// `message` as a [`GridbookError`].
pub(crate) fn refused(message: impl Display) -> PyErr {
    GridbookError::new_err(message.to_string())
}
