//! `gridbook.Market`: the priced engine stepped from Python, one command or a batch at a time,
//! with the market's questions (`quote`, `price`, `explain`) answered by the same code as the
//! CLI and the node, against the engine as it stands.
//!
//! Commands go through the order stream's own decoder (`LineReplay::line`), so a command dict
//! is checked exactly as a line of a file or a request to a node is, and a refusal is a
//! `rejected` event naming the field — not an exception: a market that refuses an order goes
//! on. Lines are numbered by submission (the `line` of a `rejected` event).

use std::collections::VecDeque;

use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::money::format_nano;
use gridbook_matcher::{Command, IdLookup, Side};
use gridbook_pricing::answers::explain::candidates;
use gridbook_pricing::answers::price::{self, DealRecord};
use gridbook_pricing::answers::quote;
use gridbook_pricing::{ClassId, LineReplay};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use crate::error::refused;
use crate::events::EventTable;
use crate::json::{dumps, loads, to_python};
use crate::spec::MarketSpec;
use crate::table::Columns;

/// A value only ever reached through `&mut`, made `Sync` by a mutex that is never locked.
struct Exclusive<T>(std::sync::Mutex<T>);

impl<T> Exclusive<T> {
    fn new(value: T) -> Exclusive<T> {
        Exclusive(std::sync::Mutex::new(value))
    }

    fn get(&mut self) -> &mut T {
        // Poisoned only if a panic unwound while a method held it: the state is then suspect.
        self.0.get_mut().expect("no earlier call panicked inside the market")
    }
}

/// How long the market keeps its deals for `price`'s recent deals by default, ms.
const DEALS_WINDOW_MS_DEFAULT: u64 = 3_600_000;
/// The owner of a price probe when none is given: nobody, so no bid is left out.
const NOBODY: &str = "0x0000000000000000000000000000000000000000";

/// A market: the engine under an optional pricing model, stepped by `submit`.
///
/// Python objects may be shared between threads, so a class must be `Sync`; a pricing model is
/// only `Send`, hence the mutex. Every method takes `&mut self` (pyo3 already excludes two
/// callers at once), so it is never contended: `get_mut` reaches the state without locking.
#[pyclass(module = "gridbook._native")]
pub(crate) struct Market {
    spec: MarketSpec,
    replay: Exclusive<LineReplay>,
    /// Commands submitted so far (the line number of the next is one more).
    submitted: u64,
    /// Deals of the last `deals_window_ms`, oldest first (`price`'s recent deals).
    deals: VecDeque<DealRecord>,
    deals_window_ms: u64,
    /// The current step's event lines.
    out: Vec<u8>,
}

impl Market {
    /// `command` (a dict, or one line of JSON text) as an order-stream line, its `ts` filled in
    /// from `ts` or the engine's clock when a dict has none.
    fn line_of(&mut self, command: &Bound<'_, PyAny>, ts: Option<u64>) -> PyResult<String> {
        if let Ok(text) = command.cast::<PyString>() {
            if ts.is_some() {
                return Err(refused(
                    "ts= is for commands given as dicts; a JSON line carries its own ts",
                ));
            }
            return Ok(text.to_str()?.to_owned());
        }
        let Ok(dict) = command.cast::<PyDict>() else {
            let kind = command.get_type().name()?;
            return Err(refused(format!("a command is a dict or a JSON line (str), not {kind}")));
        };
        if dict.contains("ts")? {
            return dumps(dict.as_any());
        }
        let with_ts = dict.copy()?;
        with_ts
            .set_item("ts", ts.unwrap_or_else(|| self.replay.get().priced().engine().now_ms()))?;
        dumps(with_ts.as_any())
    }

    /// Applies one line, appending its events to `self.out`.
    fn step(&mut self, line: &[u8]) {
        self.submitted += 1;
        self.replay.get().line(self.submitted, line, &mut self.out);
        let now_ms = self.replay.get().priced().engine().now_ms();
        self.deals.extend(self.replay.get().priced_mut().take_deals());
        let window = self.deals_window_ms;
        while self.deals.front().is_some_and(|deal| deal.3.saturating_add(window) < now_ms) {
            self.deals.pop_front();
        }
    }

    fn step_all(&mut self, commands: &Bound<'_, PyAny>, ts: Option<u64>) -> PyResult<EventTable> {
        let mut table = EventTable::default();
        if let Ok(bytes) = commands.cast::<PyBytes>() {
            if ts.is_some() {
                return Err(refused(
                    "ts= is for commands given as dicts; JSON lines carry their own ts",
                ));
            }
            for line in bytes.as_bytes().split(|&byte| byte == b'\n') {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                self.out.clear();
                self.step(line);
                table.push_lines(&self.out);
            }
            return Ok(table);
        }
        for command in commands.try_iter()? {
            let line = self.line_of(&command?, ts)?;
            self.out.clear();
            self.step(line.as_bytes());
            table.push_lines(&self.out);
        }
        Ok(table)
    }
}

#[pymethods]
impl Market {
    #[new]
    #[pyo3(signature = (pricing=None, *, classes=None, pricing_config=None,
        book_interval_ms=crate::spec::BOOK_INTERVAL_MS_DEFAULT, publish_step_bps=None,
        deals_window_ms=DEALS_WINDOW_MS_DEFAULT))]
    fn new(
        pricing: Option<&str>,
        classes: Option<&Bound<'_, PyAny>>,
        pricing_config: Option<&Bound<'_, PyAny>>,
        book_interval_ms: u64,
        publish_step_bps: Option<u64>,
        deals_window_ms: u64,
    ) -> PyResult<Market> {
        let spec =
            MarketSpec::new(pricing, classes, pricing_config, book_interval_ms, publish_step_bps)?;
        let replay = Exclusive::new(spec.replay(false, true)?);
        Ok(Market {
            spec,
            replay,
            submitted: 0,
            deals: VecDeque::new(),
            deals_window_ms,
            out: Vec::new(),
        })
    }

    /// Applies commands; one (dict or JSON line) gives its events as dicts, many (a list or
    /// iterable of them, or JSON Lines as bytes) one table of all their events.
    #[pyo3(signature = (commands, ts=None))]
    fn submit<'py>(
        &mut self,
        commands: &Bound<'py, PyAny>,
        ts: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = commands.py();
        if commands.is_instance_of::<PyDict>() || commands.is_instance_of::<PyString>() {
            let line = self.line_of(commands, ts)?;
            self.out.clear();
            self.step(line.as_bytes());
            let events = PyList::empty(py);
            for event in self.out.split(|&byte| byte == b'\n').filter(|l| !l.is_empty()) {
                events.append(loads(py, event)?)?;
            }
            return Ok(events.into_any());
        }
        self.step_all(commands, ts)?.into_pyarrow(py)
    }

    /// The engine's clock, ms: the latest command's time.
    #[getter]
    fn now_ms(&mut self) -> u64 {
        self.replay.get().priced().engine().now_ms()
    }

    /// The pricing model's name, or None for the plain engine.
    #[getter]
    fn pricing(&mut self) -> Option<String> {
        self.spec.pricing.clone()
    }

    /// Each class's reference price per class unit (decimal text), None before the market has
    /// given the class one (or without a model).
    fn references<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let priced = self.replay.get().priced();
        let references = PyDict::new(py);
        for at in 0..priced.taxonomy().len() as u32 {
            let class = ClassId(at);
            let price = priced.model().and_then(|model| model.reference_nano(class));
            references.set_item(&priced.taxonomy().class(class).name, price.map(format_nano))?;
        }
        Ok(references)
    }

    /// What a bid would get now, without placing it (as `gridbook quote --json`).
    fn quote<'py>(&mut self, bid: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let line = self.line_of(bid, None)?;
        let answered = self.replay.get().probe(line.as_bytes(), |priced, command| match command {
            Command::Bid(bid) => Ok(quote::quote(priced, &bid)),
            _ => Err(refused("quote: the command must be a bid (\"op\": \"bid\")")),
        });
        let answer = answered.map_err(|error| refused(format!("quote: {error}")))??;
        to_python(bid.py(), &answer)
    }

    /// What a machine (an ask's `hw` dict) is worth now (as `gridbook price --json`).
    #[pyo3(signature = (hw, *, owner=NOBODY, from_ms=None, until_ms=None, window_ms=DEALS_WINDOW_MS_DEFAULT))]
    fn price<'py>(
        &mut self,
        hw: &Bound<'py, PyAny>,
        owner: &str,
        from_ms: Option<u64>,
        until_ms: Option<u64>,
        window_ms: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = hw.py();
        let hw: serde_json::Value =
            serde_json::from_str(&dumps(hw)?).map_err(|error| refused(format!("hw: {error}")))?;
        let now_ms = self.now_ms();
        let (from, until) = (from_ms.unwrap_or(now_ms), until_ms.unwrap_or(TIME_MS_MAX));
        if until <= from {
            return Err(refused(format!("until_ms {until} must be after from_ms {from}")));
        }
        let line = price::probe_line(&hw, owner, (from, until), now_ms);
        let deals = &self.deals;
        let answered = self.replay.get().probe(line.as_bytes(), |priced, command| match command {
            Command::Ask(machine) => price::price(priced, &machine, deals, window_ms)
                .map_err(|no_class| refused(format!("hw: {no_class}"))),
            _ => Err(refused("hw: not a machine")),
        });
        let answer = answered.map_err(|error| refused(format!("hw: {}", error.detail)))??;
        to_python(py, &answer)
    }

    /// Why an order has not traded: for an order id, the resting order and the orders of the
    /// other side nearest to it with every rule that keeps each apart (None if it does not
    /// rest); for an order dict, the same as if it arrived now (it is not placed).
    #[pyo3(signature = (order, nearest=5))]
    fn explain<'py>(
        &mut self,
        order: &Bound<'py, PyAny>,
        nearest: usize,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = order.py();
        if let Ok(id) = order.extract::<String>() {
            if !id.trim_start().starts_with('{') {
                let engine = self.replay.get().priced().engine();
                let Some(found) = engine.explain_resting(&id, nearest) else { return Ok(None) };
                let answer = serde_json::json!({
                    "id": id, "state": "resting", "ts": engine.now_ms(),
                    "nearest": candidates(engine, &found),
                });
                return to_python(py, &answer).map(Some);
            }
        }
        let line = self.line_of(order, None)?;
        let answered = self.replay.get().probe(line.as_bytes(), |priced, command| {
            let engine = priced.engine();
            let found = engine.explain(&command, engine.now_ms(), nearest);
            serde_json::json!({
                "id": command.id().map(|id| id.to_string()), "state": "arriving",
                "ts": engine.now_ms(), "nearest": candidates(engine, &found),
            })
        });
        let answer = answered.map_err(|error| refused(format!("explain: {error}")))?;
        to_python(py, &answer).map(Some)
    }

    /// The resting orders, in arrival order: id, side, price per slot-hour (a pegged order's
    /// effective price; null while it cannot trade), remaining slots.
    fn book<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.replay.get().priced().engine();
        let resting = engine.snapshot();
        let mut columns = Columns::default();
        columns.text("id", resting.iter().map(|view| Some(engine.order_id(view.order))));
        let side = |side: Side| if side == Side::Ask { "ask" } else { "bid" };
        columns.text("side", resting.iter().map(|view| Some(side(view.side))));
        let price = |view: &gridbook_matcher::RestingView| {
            view.priced.then_some(u128::from(view.price_nano))
        };
        columns.nano("price", resting.iter().map(price));
        columns.u64("remaining", resting.iter().map(|view| Some(view.remaining)));
        columns.into_pyarrow(py)
    }

    /// Tallies so far: lines, applied, rejected, deals, slots and value traded (decimal text).
    fn stats<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = self.replay.get().stats();
        let value = gridbook_matcher::money::format_nano_wide(stats.value_nano());
        let answer = serde_json::json!({
            "lines": stats.lines, "applied": stats.applied, "rejected": stats.rejected_total(),
            "deals": stats.deals, "slots": stats.slots, "value": value,
        });
        to_python(py, &answer)
    }

    fn __repr__(&mut self) -> String {
        let model = self.spec.pricing.as_deref().unwrap_or("none");
        let engine = self.replay.get().priced().engine();
        format!(
            "Market(pricing={model:?}, now_ms={}, resting={})",
            engine.now_ms(),
            engine.resting()
        )
    }
}
