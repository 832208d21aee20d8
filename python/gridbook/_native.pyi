"""Type stubs of gridbook's native module (Rust, PyO3). Every table is a ``pyarrow.Table`` handed
over without copying; money columns are ``decimal128(38, 9)``, engine times ``timestamp[ms, UTC]``."""

import os
from typing import Any, Iterable, Literal, Mapping, Optional, Sequence, Union

import pyarrow

Model = Literal["vwap", "ewma", "utilization", "clearing"]
Toml = Union[str, os.PathLike[str]]
"""TOML text (``str``) or a file to read (``pathlib.Path``)."""
Command = Union[Mapping[str, Any], str]
"""One command of docs/order-stream.md: a dict (prices as decimal ``str`` or ``Decimal``), or its JSON text."""
Stream = Union[str, os.PathLike[str], bytes, Iterable[Command]]
"""A path to a JSON Lines file, JSON Lines as ``bytes`` (or a ``str`` starting with ``{``), or an
iterable of lines and command dicts. Lines are numbered from 1, blank lines counted."""

MODEL_NAMES: list[str]
"""The pricing models: ``vwap``, ``ewma``, ``utilization``, ``clearing``."""

class GridbookError(ValueError):
    """gridbook refused its input; the message says what is wrong and where (the key of a
    scenario, the field of a command, the path of a file)."""

class Market:
    """The engine under an optional pricing model, stepped command by command.

    ``pricing`` names the model (``None``: the plain engine, no references); ``classes`` and
    ``pricing_config`` are the taxonomy and the model's parameters (docs/pricing.md), TOML text or
    a ``pathlib.Path``; ``book_interval_ms`` is how often the model sees the book (engine time);
    ``publish_step_bps`` how far a reference moves before pegged orders are re-priced (default
    10); ``deals_window_ms`` how long deals are kept for ``price``'s recent deals.

    A command the engine refuses is a ``rejected`` event (``reason``, ``detail`` naming the
    field), not an exception, exactly as in a replayed file; its ``line`` is the number of the
    command in submission order.
    """

    def __init__(
        self,
        pricing: Optional[Model] = None,
        *,
        classes: Optional[Toml] = None,
        pricing_config: Optional[Toml] = None,
        book_interval_ms: int = 60_000,
        publish_step_bps: Optional[int] = None,
        deals_window_ms: int = 3_600_000,
    ) -> None: ...
    def submit(self, commands: Union[Command, Iterable[Command], bytes], ts: Optional[int] = None) -> Any:
        """Applies commands. One (a dict, or one JSON line) returns its events as a list of dicts,
        as the JSON event lines (prices decimal ``str``); many (a list or iterable of them, or JSON
        Lines as ``bytes``) return one ``pyarrow.Table`` of all their events (columns seq, ts,
        type, id, line, reason, detail, deal, bid, ask, requester, provider, qty, price, start,
        end, remaining, class, repriced). A dict without ``ts`` runs at ``ts``, else at the engine's
        clock; ``ts`` must not be given with JSON text, which carries its own."""
    @property
    def now_ms(self) -> int:
        """The engine's clock: the time of the latest accepted command, ms."""
    @property
    def pricing(self) -> Optional[str]:
        """The model's name, or None."""
    def references(self) -> dict[str, Optional[str]]:
        """Each class's reference price per class unit (decimal text), None before the market has
        given the class one, or without a model."""
    def quote(self, bid: Command) -> dict[str, Any]:
        """What the bid would get now, without placing it: fills, total cost, slot prices, the
        cheapest ask it could take, the classes' references (as ``gridbook quote --json``)."""
    def price(
        self,
        hw: Mapping[str, Any],
        *,
        owner: str = "0x0000000000000000000000000000000000000000",
        from_ms: Optional[int] = None,
        until_ms: Optional[int] = None,
        window_ms: int = 3_600_000,
    ) -> dict[str, Any]:
        """What a machine (an ask's ``hw``) is worth now: its class, reference, best bid it can
        serve, best ask of its class, recent deals and a suggested ask (as ``gridbook price
        --json``). ``owner``'s own bids are not counted."""
    def explain(self, order: Union[str, Command], nearest: int = 5) -> Optional[dict[str, Any]]:
        """Why an order does not trade. An order id: the resting order and the resting orders of
        the other side nearest to it, with every rule that keeps each apart (None if it does not
        rest). An order dict: the same as if it arrived now (it is not placed)."""
    def book(self) -> pyarrow.Table:
        """The resting orders in arrival order: id, side, price per slot-hour (a pegged order's
        effective price; null while it cannot trade), remaining slots."""
    def stats(self) -> dict[str, Any]:
        """Tallies: lines, applied, rejected, deals, slots, value (exact decimal text)."""

class SimResult:
    """One simulation run."""

    metrics: dict[str, Any]
    """Every metric, as ``metrics.json`` of ``gridbook simulate`` (efficiency, fill_rate, money,
    classes, conservation, …); money as exact decimal text."""
    timeseries: pyarrow.Table
    """One row per class and interval: reference, OHLC, VWAP, volume, supply, demand, utilisation."""
    deals: pyarrow.Table
    """One row per deal: time, class, machine, job, owners, qty, prices, window, payment, fee."""
    jobs: pyarrow.Table
    """One row per job: arrival, deadline, shape, value, outcome, slots filled, time to match, cost."""

def replay(
    source: Stream,
    pricing: Optional[Model] = None,
    *,
    classes: Optional[Toml] = None,
    pricing_config: Optional[Toml] = None,
    book_interval_ms: int = 60_000,
    publish_step_bps: Optional[int] = None,
) -> pyarrow.Table:
    """The events of a whole order stream as one table (``gridbook replay``'s lines, by column)."""

def backtest(
    source: Stream,
    models: Optional[Sequence[Model]] = None,
    *,
    classes: Optional[Toml] = None,
    pricing_config: Optional[Toml] = None,
    book_interval_ms: int = 60_000,
    publish_step_bps: Optional[int] = None,
) -> pyarrow.Table:
    """Each model (default: all four) replayed over the stream and scored, one row per model:
    deals, next-deal mean absolute error per unit, MAPE, reference volatility, fill rate, slots
    and value traded (``gridbook backtest``)."""

def feeds(
    source: Stream,
    interval_ms: int = 60_000,
    depth_levels: int = 10,
    pricing: Optional[Model] = None,
    *,
    classes: Optional[Toml] = None,
    pricing_config: Optional[Toml] = None,
    book_interval_ms: int = 60_000,
    publish_step_bps: Optional[int] = None,
) -> dict[str, pyarrow.Table]:
    """The market-data tables of an order stream (``gridbook feeds``): ``trades``, ``candles``
    (1m, 5m, 1h, 1d), ``tickers`` and ``depth`` (sampled every ``interval_ms`` at which something
    changed) and ``references``. An events file is refused: the feeds need the orders' terms."""

def generate(
    seed: int = 1, resting: int = 1_000, orders: int = 10_000, configs: int = 64, pegged_pct: int = 0
) -> list[str]:
    """The seeded market generator's order stream (``gridbook gen``) as JSON lines."""

def simulate(
    scenario: Union[str, os.PathLike[str], Mapping[str, Any]],
    seed: int = 1,
    overrides: Optional[Mapping[str, Any]] = None,
) -> SimResult:
    """Runs a scenario once (``gridbook simulate``). ``scenario`` is a scenario file (a path, or a
    ``str`` ending in ``.toml``), TOML text or a dict; ``overrides`` sets dotted keys
    (``{"pricing.model": "vwap", "duration_h": 6}``). A relative trace or stream path given in
    ``overrides`` is relative to the working directory; inside a file, to the file."""

def sweep(
    scenario: Union[str, os.PathLike[str], Mapping[str, Any]],
    grid: Optional[Mapping[str, Sequence[Any]]] = None,
    replications: int = 1,
    seed: int = 1,
    threads: int = 0,
) -> pyarrow.Table:
    """Every combination of ``grid`` (dotted key → values) × ``replications`` on ``threads``
    threads (0: every core); replication ``r`` runs with seed ``seed + r`` in every cell. One row
    per run, in cell and replication order: the cell's values, seed, and the figures (efficiency,
    fill_rate, deadline_miss_rate, time to match, revenue_gini, volatility_mean, deals,
    requester_payments, conservation_ok)."""
