//! Whole streams from Python: `replay` (the events of an order stream as a table), `backtest`
//! (pricing models scored side by side), `feeds` (the market-data tables of `gridbook feeds`)
//! and `generate` (the seeded market generator of `gridbook gen`).
//!
//! A stream is a path to a JSON Lines file (`str` or `os.PathLike`), JSON Lines as `bytes`, or
//! an iterable of lines (`str`) and command dicts; a `str` that starts with `{` is JSON text, not
//! a path. Lines are numbered from 1 in that order, blank lines skipped but counted, as
//! `gridbook replay` numbers a file's.

use gridbook_feeds::offline::{OfflineFeeds, Sampling};
use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_pricing::backtest::{score, Scores};
use gridbook_pricing::Taxonomy;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::error::refused;
use crate::events::EventTable;
use crate::json::dumps;
use crate::spec::{MarketSpec, BOOK_INTERVAL_MS_DEFAULT};
use crate::table::{from_feeds, Columns};

/// The lines of a stream given from Python.
fn stream_lines(source: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    let split = |bytes: &[u8]| bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if let Ok(bytes) = source.cast::<PyBytes>() {
        return Ok(split(bytes.as_bytes()));
    }
    if let Ok(text) = source.cast::<PyString>() {
        let text = text.to_str()?;
        if text.trim_start().starts_with('{') {
            return Ok(split(text.as_bytes()));
        }
    }
    if source.is_instance_of::<PyString>() || source.hasattr("__fspath__")? {
        let path: std::path::PathBuf = source.extract()?;
        let bytes = std::fs::read(&path)
            .map_err(|error| refused(format!("cannot read {}: {error}", path.display())))?;
        return Ok(split(&bytes));
    }
    let mut lines = Vec::new();
    for item in source.try_iter().map_err(|_| {
        refused("a stream is a path, JSON Lines (bytes), or an iterable of lines and command dicts")
    })? {
        let item = item?;
        if let Ok(text) = item.cast::<PyString>() {
            lines.push(text.to_str()?.as_bytes().to_vec());
        } else if item.is_instance_of::<PyDict>() {
            lines.push(dumps(&item)?.into_bytes());
        } else if let Ok(bytes) = item.cast::<PyBytes>() {
            lines.push(bytes.as_bytes().to_vec());
        } else {
            let kind = item.get_type().name()?;
            return Err(refused(format!(
                "line {}: a line is a str or a dict, not {kind}",
                lines.len() + 1
            )));
        }
    }
    Ok(lines)
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The events of a whole stream, as one table (`gridbook replay`'s lines, by column).
#[pyfunction]
#[pyo3(signature = (source, pricing=None, *, classes=None, pricing_config=None,
    book_interval_ms=BOOK_INTERVAL_MS_DEFAULT, publish_step_bps=None))]
pub(crate) fn replay<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    pricing: Option<&str>,
    classes: Option<&Bound<'py, PyAny>>,
    pricing_config: Option<&Bound<'py, PyAny>>,
    book_interval_ms: u64,
    publish_step_bps: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec =
        MarketSpec::new(pricing, classes, pricing_config, book_interval_ms, publish_step_bps)?;
    let lines = stream_lines(source)?;
    let mut replay = spec.replay(false, false)?;
    let table = py.detach(move || {
        let (mut table, mut out) = (EventTable::default(), Vec::new());
        for (at, line) in lines.iter().enumerate().filter(|(_, line)| !blank(line)) {
            out.clear();
            replay.line(at as u64 + 1, line, &mut out);
            table.push_lines(&out);
        }
        table
    });
    table.into_pyarrow(py)
}

/// Each model's score over one stream, one row per model (`gridbook backtest`).
#[pyfunction]
#[pyo3(signature = (source, models=None, *, classes=None, pricing_config=None,
    book_interval_ms=BOOK_INTERVAL_MS_DEFAULT, publish_step_bps=None))]
pub(crate) fn backtest<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    models: Option<Vec<String>>,
    classes: Option<&Bound<'py, PyAny>>,
    pricing_config: Option<&Bound<'py, PyAny>>,
    book_interval_ms: u64,
    publish_step_bps: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let models = models.unwrap_or_else(|| {
        gridbook_pricing::MODEL_NAMES.iter().map(|name| name.to_string()).collect()
    });
    let spec = MarketSpec::new(None, classes, pricing_config, book_interval_ms, publish_step_bps)?;
    let mut replays = Vec::with_capacity(models.len());
    for model in &models {
        replays.push(spec.with_model(model)?.replay(true, true)?);
    }
    let lines = stream_lines(source)?;
    let scores: Vec<Scores> =
        py.detach(move || replays.iter_mut().map(|replay| score(replay, &lines)).collect());
    let percent = |bps: Option<u128>| bps.map(|bps| bps as f64 / 100.0);
    let mut columns = Columns::default();
    columns.text("model", models.iter().map(Some));
    columns.u64("deals", scores.iter().map(|s| Some(s.deals)));
    columns.u64("predicted", scores.iter().map(|s| Some(s.predicted)));
    columns.nano("mae_per_unit", scores.iter().map(Scores::mae_nano));
    columns.f64("mape_pct", scores.iter().map(|s| percent(s.mape_bps())));
    columns.f64("volatility_pct", scores.iter().map(|s| percent(s.volatility_bps())));
    columns.f64("fill_rate_pct", scores.iter().map(|s| percent(s.fill_rate_bps())));
    columns.u64("bid_slots", scores.iter().map(|s| Some(s.bid_slots)));
    columns.u64("slots_traded", scores.iter().map(|s| Some(s.traded_slots)));
    columns.nano("value_traded", scores.iter().map(|s| Some(s.value_nano)));
    columns.into_pyarrow(py)
}

/// The market-data tables of a stream (`gridbook feeds`): a dict of `trades`, `candles`,
/// `tickers`, `depth` and `references`.
#[pyfunction]
#[pyo3(signature = (source, interval_ms=60_000, depth_levels=10, pricing=None, *, classes=None,
    pricing_config=None, book_interval_ms=BOOK_INTERVAL_MS_DEFAULT, publish_step_bps=None))]
#[allow(clippy::too_many_arguments)] // Python keyword arguments, each documented in the stubs.
pub(crate) fn feeds<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    interval_ms: u64,
    depth_levels: usize,
    pricing: Option<&str>,
    classes: Option<&Bound<'py, PyAny>>,
    pricing_config: Option<&Bound<'py, PyAny>>,
    book_interval_ms: u64,
    publish_step_bps: Option<u64>,
) -> PyResult<Bound<'py, PyDict>> {
    if interval_ms == 0 {
        return Err(refused("interval_ms: must be at least 1"));
    }
    let spec =
        MarketSpec::new(pricing, classes, pricing_config, book_interval_ms, publish_step_bps)?;
    let lines = stream_lines(source)?;
    let mut replay = spec.replay(false, false)?;
    let sampling = Sampling { interval_ms, depth_levels };
    let priced = spec.priced();
    let tables = py.detach(move || {
        let mut feeds = OfflineFeeds::new(&replay, priced, sampling);
        for (at, line) in lines.iter().enumerate().filter(|(_, line)| !blank(line)) {
            feeds
                .follow(at as u64 + 1, line, &mut replay)
                .map_err(|error| format!("the feeds cannot follow line {}: {error}", at + 1))?;
        }
        if replay.stats().applied == 0 && replay.stats().lines > 0 {
            return Err("no line was applied: this is not an order stream (an events file \
                cannot be followed: its orders' terms are in the order stream)"
                .to_string());
        }
        Ok(feeds.finish())
    });
    let tables = tables.map_err(refused)?;
    let dict = PyDict::new(py);
    for table in &tables {
        dict.set_item(table.name, from_feeds(table).into_pyarrow(py)?)?;
    }
    Ok(dict)
}

/// The seeded market generator's stream (`gridbook gen`) as JSON lines.
#[pyfunction]
#[pyo3(signature = (seed=1, resting=1_000, orders=10_000, configs=64, pegged_pct=0))]
pub(crate) fn generate(
    py: Python<'_>,
    seed: u64,
    resting: usize,
    orders: usize,
    configs: usize,
    pegged_pct: u8,
) -> PyResult<Vec<String>> {
    if configs == 0 {
        return Err(refused("configs: must be at least 1"));
    }
    if pegged_pct > 100 {
        return Err(refused("pegged_pct: a percentage, 0 to 100"));
    }
    let config = WorkloadConfig {
        seed,
        configs,
        resting,
        orders,
        pegged_percent: pegged_pct,
        ..WorkloadConfig::default()
    };
    Ok(py.detach(move || {
        let mut workload = if pegged_pct > 0 {
            Workload::with_classes(config, &Taxonomy::default_taxonomy())
        } else {
            Workload::new(config)
        };
        let mut lines = Vec::with_capacity(resting + orders);
        while let Some((ts_ms, command)) = workload.next() {
            lines.push(encode_command(workload.symbols(), ts_ms, &command));
        }
        lines
    }))
}
