"""gridbook for Python: the exact, deterministic compute-market engine, its pricing models and its
market simulator, driven from Python, with results as Arrow tables.

The functions and the ``Market`` class come from the native module ``gridbook._native`` (Rust, the
same code as the ``gridbook`` command line and the live node). Tables are ``pyarrow.Table``s handed
over without copying (the Arrow C stream interface): ``polars.from_arrow(t)`` or ``t.to_pandas()``.
Money columns are ``decimal128(38, 9)`` — exact, never a float — and engine times are UTC
``timestamp[ms]``.

Quick start::

    import gridbook
    m = gridbook.Market(pricing="ewma")
    m.submit({"op": "ask", "id": "a1", "owner": "0x" + "1" * 40, "price": "2.50", "qty": 2,
              "tif": "gtc", "from": 0, "until": 86_400_000,
              "hw": {"cpu": 16, "mem": 128, "gpu": "A100-80GB", "gpus": 1, "gpu_mem": 80,
                     "tee": None, "region": "eu-west"}}, ts=0)

See ``help(gridbook.Market)`` and docs/python.md.
"""

from gridbook._native import (
    MODEL_NAMES,
    GridbookError,
    Market,
    SimResult,
    backtest,
    feeds,
    generate,
    replay,
    simulate,
    sweep,
)

__all__ = [
    "MODEL_NAMES",
    "GridbookError",
    "Market",
    "SimResult",
    "backtest",
    "feeds",
    "generate",
    "replay",
    "simulate",
    "sweep",
]
__version__ = "0.1.0"
