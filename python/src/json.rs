//! Python values to order-stream lines ([`dumps`], written here: a call into Python's `json` per
//! command cost more than the engine's step), and JSON answers back to Python values (through
//! Python's own `json.loads`). A command dict is written as a client would send it (a
//! `decimal.Decimal` as its text), and the engine's decoder — the one every front uses — checks
//! it, so a bad field is refused with the message and field name the CLI gives.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::error::refused;

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

/// Deepest nesting [`dumps`] writes (a command is three levels deep; a scenario a few more).
const DEPTH_MAX: usize = 64;

/// `value` as compact JSON text, keys in the dict's order: `None`, `bool`, `int`, `float`,
/// `str`, `dict` and `list`/`tuple` as JSON has them, and anything else — `decimal.Decimal`
/// above all — as its `str`, so `Decimal("1.95")` becomes `"1.95"`, the stream's price text (as
/// `json.dumps(value, default=str)` would, without a call into Python per value).
pub(crate) fn dumps(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut out = String::with_capacity(256);
    write_value(value, &mut out, 0)?;
    Ok(out)
}

fn write_str(text: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(text).expect("a str always serialises"));
}

fn write_value(value: &Bound<'_, PyAny>, out: &mut String, depth: usize) -> PyResult<()> {
    if depth > DEPTH_MAX {
        return Err(refused(format!("nested more than {DEPTH_MAX} levels deep")));
    }
    if value.is_none() {
        out.push_str("null");
    } else if let Ok(flag) = value.cast::<PyBool>() {
        out.push_str(if flag.is_true() { "true" } else { "false" });
    } else if let Ok(int) = value.cast::<PyInt>() {
        let int: i128 =
            int.extract().map_err(|_| refused(format!("integer {int} is out of range")))?;
        out.push_str(&int.to_string());
    } else if let Ok(float) = value.cast::<PyFloat>() {
        let float = float.value();
        let text = serde_json::to_string(&float).ok().filter(|_| float.is_finite());
        out.push_str(&text.ok_or_else(|| refused(format!("{float} has no JSON form")))?);
    } else if let Ok(text) = value.cast::<PyString>() {
        write_str(text.to_str()?, out);
    } else if let Ok(dict) = value.cast::<PyDict>() {
        out.push('{');
        for (at, (key, item)) in dict.iter().enumerate() {
            if at > 0 {
                out.push(',');
            }
            match key.cast::<PyString>() {
                Ok(key) => write_str(key.to_str()?, out),
                Err(_) => write_str(&key.str()?.to_cow()?, out),
            }
            out.push(':');
            write_value(&item, out, depth + 1)?;
        }
        out.push('}');
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        out.push('[');
        for (at, item) in value.try_iter()?.enumerate() {
            if at > 0 {
                out.push(',');
            }
            write_value(&item?, out, depth + 1)?;
        }
        out.push(']');
    } else {
        write_str(&value.str()?.to_cow()?, out);
    }
    Ok(())
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
