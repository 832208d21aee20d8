# %% [markdown]
# # The gridbook market, seen by an economist
#
# Two experiments on gridbook's own matching engine and simulator, driven from Python:
#
# 1. **Zero intelligence** (Gode and Sunder, 1993, "Allocative efficiency of markets with
#    zero-intelligence traders", *Journal of Political Economy* 101(1)). Traders who bid and
#    ask at random, only forbidden to trade at a loss (ZI-C), already extract nearly all the
#    surplus of a continuous double auction: the efficiency comes from the market's rules,
#    not from the traders' intelligence. Without the budget constraint (ZI-U) it does not.
#    Here the double auction is `gridbook.Market`: the same engine as the live node.
# 2. **The four pricing models** (`vwap`, `ewma`, `utilization`, `clearing`, docs/pricing.md)
#    on one market: the replay of the Alibaba GPU cluster trace
#    (`simulations/scenarios/alibaba-replay.toml`, docs/simulations.md), through
#    `gridbook.simulate`.
#
# This file is a script in "percent" format (`# %%` starts a cell) and the source of
# `economics.ipynb`, which `scripts/notebook` makes from it and runs (`scripts/notebook --check`
# fails when the two differ). As a script:
#
#     python examples/notebooks/economics.py [--trace-dir DIR] [--out DIR]
#
# `--trace-dir` holds the trace's `openb_node_list_all_node.csv` and
# `openb_pod_list_default.csv` (default: `../shared/data/alibaba-gpu-v2023` beside the
# repository), or the test fixture's `openb_node_list_fixture.csv` and
# `openb_pod_list_fixture.csv`. Charts go to `--out` (default `sim-out/notebook`).

# %%
import argparse
import math
import os
import random
import sys
import time
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import matplotlib

IN_NOTEBOOK = "ipykernel" in sys.modules
if not IN_NOTEBOOK:
    matplotlib.use("Agg")  # files only; a notebook keeps its inline backend
import matplotlib.pyplot as plt
import polars as pl

import gridbook

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
REPO = HERE.parents[1]

parser = argparse.ArgumentParser(description="gridbook's economics examples")
parser.add_argument(
    "--trace-dir",
    type=Path,
    default=Path(
        os.environ.get("GRIDBOOK_TRACE_DIR", REPO.parent / "shared/data/alibaba-gpu-v2023")
    ),
    help="folder of the Alibaba trace's CSV files (or of the test fixture's)",
)
parser.add_argument(
    "--out",
    type=Path,
    default=Path(os.environ.get("GRIDBOOK_NOTEBOOK_OUT", REPO / "sim-out/notebook")),
    help="folder for the charts",
)
# A kernel's own arguments are not ours: in a notebook, the defaults (or the environment).
args = parser.parse_args([] if IN_NOTEBOOK else None)
args.out.mkdir(parents=True, exist_ok=True)
started_s = time.monotonic()


def show(fig, name):
    """Saves a figure as OUT/name.png; shows it in a notebook."""
    fig.savefig(args.out / f"{name}.png", dpi=110, bbox_inches="tight")
    if IN_NOTEBOOK:
        from IPython.display import display

        display(fig)
    plt.close(fig)


# %% [markdown]
# ## 1. A zero-intelligence double auction on `gridbook.Market`
#
# **The good.** One machine configuration: one slot of an A100-80GB in eu-west for one hour.
# Each period's delivery hour starts one hour after trading opens; every ask offers exactly
# that hour (`from`, `until`), every bid wants it (`duration` one hour, `not_before` and
# `deadline` its bounds). All orders are for 1 slot.
#
# **The traders.** 12 requesters (buyers) with private values and 12 providers (sellers)
# with private costs per slot-hour, drawn once from the seed: the induced demand and supply
# curves, the same in every period. Each period every trader holds one unit again (values
# and costs reset), and may trade it once.
#
# **The rules, and why they mirror Gode and Sunder's continuous double auction.** At each
# second a trader who has not traded yet this period is drawn at random and sends a new
# order for its unit, at a price drawn uniformly:
#
# - ZI-C (budget-constrained): a buyer bids in [floor, value], a seller asks in [cost, ceiling];
# - ZI-U (unconstrained): both draw from [floor, ceiling], ignoring their value or cost.
#
# A trader has one standing order: its new order **replaces** the previous one (`cancel`,
# then the new `bid` or `ask`, both `gtc`). The order trades at once with the best standing
# order of the other side if they cross, **at the standing order's price** (gridbook's rule 4,
# as in the CDA, where the earlier offer sets the price), else it stands in the book. Gode
# and Sunder also cleared the whole book after each trade; here the other standing orders
# stay (a real exchange's book), which changes little: the constraint that matters is that a
# ZI-C trader never offers beyond its value or cost. The book is emptied at the end of each
# period by a `tick` at the delivery hour's end, which expires every order still standing.
#
# Prices are exact: drawn in whole cents, sent as decimal strings, read back from the deal
# events as `decimal.Decimal`. Floats appear only in the statistics.

# %%
SEED = 1993
BUYERS = 12
SELLERS = 12
PERIODS = 6
STEPS_PER_PERIOD = 300  # one order a second, five minutes of trading
FLOOR_CENTS = 1  # 0.01, the smallest price we let a trader draw
CEILING_CENTS = 500  # 5.00, above every value
VALUE_CENTS = (100, 400)  # values per slot-hour, uniform in whole cents
COST_CENTS = (60, 340)  # costs per slot-hour

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: trading of period 0 opens
HW = {"cpu": 8, "mem": 64, "gpu": "A100-80GB", "gpus": 1, "gpu_mem": 80, "tee": None,
      "region": "eu-west"}
REQ = {"cpu": 8, "mem": 64, "gpu": ["A100-80GB"], "gpus": 1, "gpu_mem": 80, "tee": None,
       "regions": ["eu-west"]}


def cents_text(cents):
    """A price in whole cents as the order stream's decimal string ("1.05")."""
    return f"{cents // 100}.{cents % 100:02d}"


def owner(side, index):
    """Providers are 0x1…, requesters 0x2…: distinct addresses, so no self-trade."""
    return f"0x{1 if side == 'seller' else 2}{index + 1:039x}"


schedule_rng = random.Random(SEED)
values = [Decimal(schedule_rng.randint(*VALUE_CENTS)) / 100 for _ in range(BUYERS)]
costs = [Decimal(schedule_rng.randint(*COST_CENTS)) / 100 for _ in range(SELLERS)]


def competitive_equilibrium(values, costs):
    """Quantity, price range and maximum surplus of the induced unit demand and supply.

    Demand is the values sorted down, supply the costs sorted up; q units trade where the
    q-th value still covers the q-th cost. Any price p with v_q >= p >= c_q, and not so low
    that buyer q+1 would want a unit (p >= v_{q+1}) nor so high that seller q+1 would offer
    one (p <= c_{q+1}), clears the market.
    """
    demand = sorted(values, reverse=True)
    supply = sorted(costs)
    q = 0
    while q < min(len(demand), len(supply)) and demand[q] >= supply[q]:
        q += 1
    low = max([supply[q - 1]] + ([demand[q]] if q < len(demand) else []))
    high = min([demand[q - 1]] + ([supply[q]] if q < len(supply) else []))
    surplus = sum(demand[i] - supply[i] for i in range(q))
    return q, low, high, surplus


ce_qty, ce_low, ce_high, max_surplus = competitive_equilibrium(values, costs)
ce_price = (ce_low + ce_high) / 2
print(f"{BUYERS} buyers, {SELLERS} sellers; competitive equilibrium: {ce_qty} units a period "
      f"at a price in [{ce_low}, {ce_high}] (midpoint {ce_price}), maximum surplus "
      f"{max_surplus} per period")

# %% [markdown]
# The induced supply and demand, and the band of competitive equilibrium prices:

# %%
fig, ax = plt.subplots(figsize=(6, 4))
demand_curve = sorted(values, reverse=True)
supply_curve = sorted(costs)
ax.stairs([float(v) for v in demand_curve], range(BUYERS + 1), baseline=None, lw=2,
          label="demand (values)")
ax.stairs([float(c) for c in supply_curve], range(SELLERS + 1), baseline=None, lw=2,
          label="supply (costs)")
ax.axhspan(float(ce_low), float(ce_high), color="tab:green", alpha=0.25, label="equilibrium band")
ax.set_xlabel("units (slots of one A100-hour)")
ax.set_ylabel("price per slot-hour")
ax.set_title("Induced supply and demand")
ax.legend()
show(fig, "zi-supply-demand")

# %% [markdown]
# The market itself. `run_zi` plays `PERIODS` periods of one kind of trader on a fresh
# `gridbook.Market` (no pricing model: no reference prices are needed), and returns every
# deal with the buyer's value and the seller's cost behind it.


# %%
@dataclass
class Trade:
    period: int
    second: int  # since the period's trading opened
    price: Decimal
    value: Decimal  # the buyer's
    cost: Decimal  # the seller's


@dataclass
class ZiRun:
    kind: str
    trades: list = field(default_factory=list)
    orders: int = 0

    def period_trades(self, period):
        return [t for t in self.trades if t.period == period]


def run_zi(kind, seed):
    """Runs PERIODS periods of ZI-C ("zi-c") or ZI-U ("zi-u") traders on a gridbook market."""
    assert kind in ("zi-c", "zi-u")
    rng = random.Random(seed)
    market = gridbook.Market()
    run = ZiRun(kind)
    order_no = 0
    for period in range(PERIODS):
        open_ms = START_MS + period * DAY_MS
        delivery_ms = open_ms + HOUR_MS  # the hour every order of this period is about
        traders = [("buyer", i) for i in range(BUYERS)] + [("seller", i) for i in range(SELLERS)]
        standing = {}  # trader -> id of its standing order
        of_order = {}  # order id -> trader
        for second in range(STEPS_PER_PERIOD):
            if not traders:
                break
            ts = open_ms + second * 1000
            trader = traders[rng.randrange(len(traders))]
            side, index = trader
            if kind == "zi-c" and side == "buyer":
                cents = rng.randint(FLOOR_CENTS, int(values[index] * 100))
            elif kind == "zi-c":
                cents = rng.randint(int(costs[index] * 100), CEILING_CENTS)
            else:
                cents = rng.randint(FLOOR_CENTS, CEILING_CENTS)
            events = []
            if trader in standing:  # the new order replaces the trader's standing one
                events += market.submit({"op": "cancel", "id": standing.pop(trader),
                                         "owner": owner(side, index)}, ts=ts)
            order_no += 1
            order_id = f"{kind}-{period}-{order_no}"
            if side == "buyer":
                command = {"op": "bid", "id": order_id, "owner": owner(side, index),
                           "limit": cents_text(cents), "qty": 1, "tif": "gtc", "req": REQ,
                           "duration": HOUR_MS, "not_before": delivery_ms,
                           "deadline": delivery_ms + HOUR_MS}
            else:
                command = {"op": "ask", "id": order_id, "owner": owner(side, index),
                           "price": cents_text(cents), "qty": 1, "tif": "gtc", "hw": HW,
                           "from": delivery_ms, "until": delivery_ms + HOUR_MS}
            events += market.submit(command, ts=ts)
            run.orders += 1
            standing[trader] = order_id
            of_order[order_id] = trader
            for event in events:
                if event["type"] == "rejected":
                    raise RuntimeError(f"gridbook refused a command: {event}")
                if event["type"] != "deal":
                    continue
                buyer, seller = of_order[event["bid"]], of_order[event["ask"]]
                assert buyer[0] == "buyer" and seller[0] == "seller"
                run.trades.append(Trade(period, second, Decimal(event["price"]),
                                        values[buyer[1]], costs[seller[1]]))
                for t in (buyer, seller):  # each has traded its one unit this period
                    standing.pop(t, None)
                    traders.remove(t)
        # The delivery hour is over: whatever still stands expires.
        for event in market.submit({"op": "tick"}, ts=delivery_ms + HOUR_MS):
            assert event["type"] == "expired", event
    return run


zi_runs = {kind: run_zi(kind, SEED + 1) for kind in ("zi-c", "zi-u")}

# %% [markdown]
# **Efficiency** is the realised surplus (Σ over trades of the buyer's value − the seller's
# cost; the price only moves surplus between the two) divided by the maximum surplus of the
# induced curves. **Smith's alpha** is the root mean square deviation of the deal prices
# from the competitive equilibrium price (the band's midpoint), as a percentage of it: how
# far prices are from equilibrium, whichever way.


# %%
def alpha_pct(prices):
    if not prices:
        return float("nan")
    p0 = float(ce_price)
    return 100 * math.sqrt(sum((float(p) - p0) ** 2 for p in prices) / len(prices)) / p0


def zi_table(run):
    rows = []
    for period in range(PERIODS):
        trades = run.period_trades(period)
        surplus = sum((t.value - t.cost for t in trades), Decimal(0))
        prices = [t.price for t in trades]
        rows.append({
            "period": period + 1,
            "trades": len(trades),
            "surplus": float(surplus),
            "efficiency": float(surplus / max_surplus),
            "mean_price": sum(float(p) for p in prices) / len(prices) if prices else None,
            "alpha_pct": alpha_pct(prices),
        })
    return pl.DataFrame(rows)


zi_tables = {kind: zi_table(run) for kind, run in zi_runs.items()}
zi_efficiency = {}
for kind, run in zi_runs.items():
    surplus = sum((t.value - t.cost for t in run.trades), Decimal(0))
    zi_efficiency[kind] = float(surplus / (max_surplus * PERIODS))

with pl.Config(tbl_hide_dataframe_shape=True, float_precision=3):
    for kind, table in zi_tables.items():
        print(f"{kind.upper()}: {zi_runs[kind].orders} orders, {len(zi_runs[kind].trades)} trades "
              f"(competitive equilibrium: {ce_qty} a period)")
        print(table)

for kind in zi_runs:
    per_period = " ".join(f"{e:.3f}" for e in zi_tables[kind]["efficiency"])
    alphas = " ".join(f"{a:.1f}" for a in zi_tables[kind]["alpha_pct"])
    print(f"{kind.upper()} efficiency: {zi_efficiency[kind]:.4f} overall; per period {per_period}; "
          f"Smith's alpha per period (%) {alphas}")

# %% [markdown]
# Deal prices in the order they happened, period after period, against the equilibrium band:

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, (kind, run) in zip(axes, zi_runs.items()):
    for period in range(PERIODS):  # one line per period: the book starts empty each time
        trades = run.period_trades(period)
        ax.plot([period + t.second / STEPS_PER_PERIOD for t in trades],
                [float(t.price) for t in trades], "o-", ms=3, lw=0.8, color="tab:blue",
                label="deal price" if period == 0 else None)
    ax.axhspan(float(ce_low), float(ce_high), color="tab:green", alpha=0.25,
               label="equilibrium band")
    for period in range(1, PERIODS):
        ax.axvline(period, color="grey", lw=0.5)
    ax.set_title(f"{kind.upper()}: efficiency {zi_efficiency[kind]:.3f}")
    ax.set_xlabel("period (trading time within it)")
    ax.set_xlim(0, PERIODS)
axes[0].set_ylabel("price per slot-hour")
axes[0].legend(loc="upper right")
show(fig, "zi-prices")

# %% [markdown]
# Do prices tighten within a period, as the keenest buyers and cheapest sellers trade first
# and leave traders who can only trade in a narrower range? Smith's alpha over the first and
# the second half of each period's trades, all periods together:

# %%
for kind, run in zi_runs.items():
    halves = ([], [])
    for period in range(PERIODS):
        prices = [t.price for t in run.period_trades(period)]
        halves[0].extend(prices[: len(prices) // 2])
        halves[1].extend(prices[len(prices) // 2:])
    print(f"{kind.upper()} Smith's alpha (%): first half of each period's trades "
          f"{alpha_pct(halves[0]):.1f}, second half {alpha_pct(halves[1]):.1f}")

# %% [markdown]
# **Reading it.** Gode and Sunder's point holds on gridbook's engine: the budget constraint
# alone takes the ZI-C market most of the way to full efficiency (0.93 with this seed), with
# no learning, strategy or memory. Surplus is lost when an extra-marginal trader (whose value
# or cost lies beyond the equilibrium) trades in place of an intra-marginal one, or when an
# intra-marginal unit finds no partner before the period ends. ZI-U traders trade every unit
# every period (so their efficiency is the same each period: all values minus all costs),
# including units that should not trade, and lose that surplus (0.65). Efficiency comes
# from the rules plus the constraint, not from the traders.
#
# Prices are another matter. ZI-C prices stay around the equilibrium band but scatter
# (alpha about 20 %) and, with this seed, do not tighten from the first half of a period to
# the second; ZI-U prices are far more dispersed. Cliff and Bruten (1997, "Zero is not
# enough", HP Labs HPL-97-141) showed that whatever convergence ZI-C prices show depends on
# the shape of supply and demand: price discovery takes more than zero intelligence.
#
# ## 2. The four pricing models on the Alibaba trace
#
# `gridbook.simulate` runs `simulations/scenarios/alibaba-replay.toml` (the trace's busy last
# month on 1/128 of its nodes; docs/simulations.md) once per pricing model with the same seed:
# the same machines, costs, jobs and values, so the models are compared on the same draws.
# The trace's files are given as absolute paths.
#
# In that scenario providers are **adaptive** (+5 % after a fill, −5 % after an idle posting
# period, never below cost) and requesters bid their value: no order follows the reference,
# so every model gives the same deals, and the models differ only in the reference price they
# publish. A second run per model overrides `providers.strategy = "pegged"`: each provider
# asks the class reference (never below its cost), so the model now sets the asking prices
# and shapes who trades at what price.

# %%
SCENARIO = REPO / "simulations/scenarios/alibaba-replay.toml"
MODELS = ["vwap", "ewma", "utilization", "clearing"]
PROVIDERS = ["adaptive", "pegged"]


def trace_files(folder):
    """The trace's node and pod lists in `folder`: the real trace's, else the fixture's."""
    for nodes, pods in [("openb_node_list_all_node.csv", "openb_pod_list_default.csv"),
                        ("openb_node_list_fixture.csv", "openb_pod_list_fixture.csv")]:
        if (folder / nodes).is_file() and (folder / pods).is_file():
            return (folder / nodes).resolve(), (folder / pods).resolve()
    sys.exit(f"{folder}: no Alibaba trace (openb_node_list_all_node.csv and "
             "openb_pod_list_default.csv) nor its test fixture; give --trace-dir")


nodes_csv, pods_csv = trace_files(args.trace_dir)
overrides = {"trace.nodes": str(nodes_csv), "trace.pods": str(pods_csv)}

# The scenario replays trace hours 2856-3586 on 1/128 of the nodes. A trace that ends before
# hour 2856 (the test fixture: 12 pods in its first hour, on 6 nodes) would leave no pod at
# all; then replay it from hour 0 on every node, for as long as its pods run.
scenario = tomllib.loads(SCENARIO.read_text())
pods = pl.read_csv(pods_csv, columns=["creation_time", "deletion_time"])
last_pod_h = pods["creation_time"].max() / 3600
if last_pod_h < scenario["trace"]["from_h"]:
    end_h = math.ceil(pods["deletion_time"].max() / 3600)
    overrides |= {"trace.from_h": 0, "trace.node_share": 1.0, "duration_h": end_h + 1,
                  "interval_min": 15}
    print(f"{pods_csv.name}: pods arrive up to trace hour {last_pod_h:.1f}, before the "
          f"scenario's from_h {scenario['trace']['from_h']}: replaying it from hour 0 on every "
          f"node for {end_h + 1} hours")

runs = {}
t0 = time.monotonic()
for providers in PROVIDERS:
    for model in MODELS:
        runs[providers, model] = gridbook.simulate(
            SCENARIO, seed=1,
            overrides=overrides | {"pricing.model": model, "providers.strategy": providers})
print(f"{len(runs)} simulations in {time.monotonic() - t0:.1f} s")

# %% [markdown]
# One row per provider strategy and model:
#
# - **efficiency**: realised surplus over the simulator's dual upper bound (docs/simulations.md,
#   "Metrics": compare models of one market, not absolute values), **fill_rate**: slots leased
#   over slots requested, **miss_rate**: jobs that missed their deadline;
# - for the main GPU class (the GPU class with the most slots): the volume-weighted
#   **deal_price** per GPU-hour (exact, shown to 4 decimals), its **volatility** (standard
#   deviation of the interval-to-interval log change of the closing deal price), and
#   **ref_error**: how far the reference published at the end of an interval was from the
#   next interval's volume-weighted deal price, as a mean share of that price (intervals with
#   deals), i.e. how well the reference predicts what the class trades at.


# %%
def classes_of(run):
    return {c["class"]: c for c in run.metrics["classes"]}


first = classes_of(runs[PROVIDERS[0], MODELS[0]])
main_class = max((c for c in first.values() if c["class"].startswith("gpu.")),
                 key=lambda c: (c["slots"], c["class"]))["class"]


def price4(text):
    """Exact decimal text to 4 decimals for display (None stays None)."""
    return None if text is None else Decimal(text).quantize(Decimal("0.0001"))


def class_series(run, name):
    return pl.from_arrow(run.timeseries).filter(pl.col("class") == name).sort("ts_ms")


def reference_error(run, name):
    """Mean |next interval's deal price - reference| / that price, over intervals with deals."""
    errors = (
        class_series(run, name)
        .with_columns(pl.col("reference").shift(1).alias("published"))
        .filter(pl.col("vwap").is_not_null() & pl.col("published").is_not_null())
        .select(((pl.col("vwap").cast(pl.Float64) - pl.col("published").cast(pl.Float64)).abs()
                 / pl.col("vwap").cast(pl.Float64)).alias("error"))
    )
    return errors["error"].mean() if errors.height else None


summary = pl.DataFrame(
    [
        {
            "providers": providers,
            "model": model,
            "efficiency": run.metrics["efficiency"]["ratio"],
            "fill_rate": run.metrics["fill_rate"],
            "miss_rate": run.metrics["deadline_miss_rate"],
            "deals": run.metrics["deals"],
            "deal_price": price4(classes_of(run)[main_class]["deal_price"]),
            "volatility": classes_of(run)[main_class]["volatility"],
            "ref_error": reference_error(run, main_class),
        }
        for (providers, model), run in runs.items()
    ],
    schema_overrides={"deal_price": pl.Decimal(38, 4)},
)
per_class = pl.DataFrame(
    [
        {
            "providers": providers,
            "model": model,
            "class": c["class"],
            "slots": c["slots"],
            "volume_slots": c["volume_slots"],
            "deal_price": price4(c["deal_price"]),
            "unit": c["unit"],
            "volatility": c["volatility"],
            "utilisation": c["utilisation"],
            "trace_utilisation": c.get("trace_utilisation"),
        }
        for (providers, model), run in runs.items()
        for c in run.metrics["classes"]
    ],
    schema_overrides={"deal_price": pl.Decimal(38, 4)},
)
table_style = dict(tbl_formatting="ASCII_MARKDOWN", tbl_hide_dataframe_shape=True,
                   tbl_hide_column_data_types=True, float_precision=4, tbl_rows=200,
                   tbl_cols=20, tbl_width_chars=200)
with pl.Config(**table_style):
    print(f"pricing models on {pods_csv.name}, seed 1; main GPU class {main_class} "
          f"({first[main_class]['slots']} slots)")
    print(summary)

# %% [markdown]
# Every class, per model, with pegged providers: the volume, the volume-weighted deal price
# per class unit, its volatility, and the market's utilisation beside what the trace's own
# pods occupied (docs/simulations.md, "The trace's own load").

# %%
with pl.Config(**table_style):
    print(per_class.filter(pl.col("providers") == "pegged").drop("providers")
          .sort("class", "model"))

# %% [markdown]
# Each model's reference price for the main GPU class over the run (`r.timeseries`: one row
# per class and interval), beside the class's deal prices (volume-weighted per interval),
# with adaptive providers (left: the reference only watches the market) and pegged providers
# (right: asks follow the reference). The reference is what a pegged order follows and what
# `gridbook price` suggests to a provider.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
for ax, providers in zip(axes, PROVIDERS):
    for model in MODELS:
        series = class_series(runs[providers, model], main_class)
        line, = ax.plot(series["ts_ms"] / HOUR_MS, series["reference"].cast(pl.Float64), lw=1,
                        label=f"{model} reference")
        deals = series.filter(pl.col("vwap").is_not_null())
        if providers == "pegged" or model == MODELS[0]:  # adaptive: the same deals every model
            ax.scatter(deals["ts_ms"] / HOUR_MS, deals["vwap"].cast(pl.Float64), s=5,
                       color="black" if providers == "adaptive" else line.get_color(),
                       alpha=0.35, label="deal price" if providers == "adaptive" else None)
    ax.set_title(f"{main_class}, {providers} providers")
    ax.set_xlabel("hour of the run")
axes[0].set_ylabel(f"price per {first[main_class]['unit']}")
axes[0].legend(ncols=2, fontsize=8)
show(fig, "pricing-models-reference")

# %% [markdown]
# One seed is one draw of costs and values. The same comparison over seeds 1 to 5 (common
# random numbers: every model sees the same draws for a seed), with pegged providers, where
# the model matters: the mean and the range over the seeds.

# %%
SEEDS = range(1, 6)
# gridbook.sweep runs the grid x seeds on every core: one row per run, seed = 1 + replication.
runs = gridbook.sweep(
    SCENARIO,
    grid={key: [value] for key, value in overrides.items()}
    | {"pricing.model": list(MODELS), "providers.strategy": ["pegged"]},
    replications=len(SEEDS),
    seed=SEEDS.start,
)
replications = pl.from_arrow(runs).select(
    pl.col("pricing.model").alias("model"),
    "seed",
    "efficiency",
    "fill_rate",
    pl.col("deadline_miss_rate").alias("miss_rate"),
)
over_seeds = replications.group_by("model", maintain_order=True).agg(
    [pl.col(name).mean().alias(f"{name}_mean") for name in ("efficiency", "fill_rate", "miss_rate")]
    + [pl.col("efficiency").min().alias("efficiency_min"),
       pl.col("efficiency").max().alias("efficiency_max")]
)
with pl.Config(**table_style):
    print(f"pegged providers, seeds {SEEDS.start}-{SEEDS.stop - 1}")
    print(over_seeds)
print(f"charts in {args.out}; {time.monotonic() - started_s:.1f} s in all")

# %% [markdown]
# **Reading it.** With adaptive providers the four rows are identical but for `ref_error`:
# nobody follows the reference, so the model changes nothing in the market and is judged
# only as a forecast of the next interval's deal price. The deal-driven models (vwap, ewma)
# and clearing miss it by about 6-7 % on average; `utilization` does not: its reference falls to
# the floor of 1 nano-token and stays there. That model (EIP-1559 applied to compute,
# docs/pricing.md) raises the price when the resting demand at the price exceeds 80 % of the
# slots offered and lowers it by up to 1/8 a minute otherwise; here most jobs fill on arrival
# and leased slots do not count as demand, so its utilisation signal stays below target.
#
# With pegged providers the model sets the asks, and the market changes with it. Most deals
# are at a resting pegged ask, max(reference, cost) (a bid sets the price only when its job
# waited in the book), so a model that learns from deals or from the asks mostly sees its
# own price back: ewma's and clearing's references rise only when the
# machines left to sell cost more than the reference, and otherwise hold flat for days (the
# steps in the chart); vwap's one-hour window empties between deals, when it falls back to
# the book's mid, so it moves more. A high reference prices out jobs whose value lies below
# it: lower fill rates and more missed deadlines for ewma and clearing. Under `utilization`,
# whose reference is at the floor, pegged providers ask their cost: the market runs on costs
# and truthful bids and fills the most jobs, at the lowest prices. The pricing model is not
# a neutral observer once orders follow it.
