//! Python values to order-stream lines, and JSON answers back to Python values, through
//! Python's own `json` module: a command dict is written exactly as a client would send it
//! (a `decimal.Decimal` as its text), and the engine's decoder — the one every front uses —
//! checks it, so a bad field is refused with the message and field name the CLI gives.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn json_function<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let function = cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("json")?.getattr(name)?.unbind())
    })?;
    Ok(function.bind(py).clone())
}

/// `value` as compact JSON text; `decimal.Decimal` (and any other value `json` cannot write)
/// as its `str`, so `Decimal("1.95")` becomes `"1.95"`, the stream's price text.
pub(crate) fn dumps(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let dumps = json_function(py, &DUMPS, "dumps")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("separators", (",", ":"))?;
    kwargs.set_item("default", py.get_type::<PyString>())?;
    kwargs.set_item("allow_nan", false)?;
    dumps.call((value,), Some(&kwargs))?.extract()
}

/// JSON `text` (an event line, a serialised answer) as Python values, keys in written order.
pub(crate) fn loads<'py>(py: Python<'py>, text: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let text = std::str::from_utf8(text).expect("the engine and serde_json write UTF-8");
    json_function(py, &LOADS, "loads")?.call1((text,))
}

/// A serialisable answer (`quote`, `price`, metrics) as Python values.
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    answer: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_vec(answer).expect("answers serialise: plain structs");
    loads(py, &text)
}
