//! gridbook for Python: the real engine, pricing models, simulator and offline feeds behind a
//! native module, `gridbook._native`, which the pure-Python package `gridbook` (python/gridbook/)
//! wraps and documents.
//!
//! Everything here is a thin front over the library crates — the same step API
//! (`LineReplay`/`PricedEngine`), the same answers and the same simulator the command line and
//! the node use — so a figure from Python is the figure the CLI prints. What this crate owns:
//! - turning Python values into order-stream lines and answers into Python values ([`json`]);
//! - Arrow tables, handed to Python without copying through the Arrow C stream interface
//!   ([`table`]; money as `decimal128(38, 9)`, times as UTC millisecond timestamps);
//! - errors: every refusal becomes `gridbook.GridbookError` with the library's own message, and
//!   no panic crosses into Python (pyo3 turns one into an exception; none is expected).
//!
//! Modules: [`market`] (`Market`, the priced engine stepped from Python), [`events`] (event
//! lines as a table), [`stream`] (`replay`, `backtest`, `feeds`, `generate` over a whole
//! stream), [`simulate`] (`simulate`, `sweep`), [`spec`] (which market a replay runs).

mod error;
mod events;
mod json;
mod market;
mod simulate;
mod spec;
mod stream;
mod table;

use pyo3::prelude::*;

/// The module `gridbook._native`.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("GridbookError", py.get_type::<error::GridbookError>())?;
    module.add_class::<market::Market>()?;
    module.add_class::<simulate::SimResult>()?;
    module.add_function(wrap_pyfunction!(stream::replay, module)?)?;
    module.add_function(wrap_pyfunction!(stream::backtest, module)?)?;
    module.add_function(wrap_pyfunction!(stream::feeds, module)?)?;
    module.add_function(wrap_pyfunction!(stream::generate, module)?)?;
    module.add_function(wrap_pyfunction!(simulate::simulate, module)?)?;
    module.add_function(wrap_pyfunction!(simulate::sweep, module)?)?;
    module.add_function(wrap_pyfunction!(table::buffer_probe, module)?)?;
    module.add("MODEL_NAMES", gridbook_pricing::MODEL_NAMES.to_vec())?;
    Ok(())
}
