"""The economists' example, examples/notebooks/economics.py: it runs on the Alibaba trace's test
fixture and prints what it promises, and its notebook holds exactly its cells."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples/notebooks/economics.py"
FIXTURES = REPO / "simulations/tests/fixtures"
MODELS = ("vwap", "ewma", "utilization", "clearing")
RUN_TIMEOUT_S = 300  # about 10 s on the fixture; the script is meant to stay under 2 minutes
CHARTS = ("zi-supply-demand.png", "zi-prices.png", "pricing-models-reference.png")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """stdout of one run of the script on the fixture, from another folder, and its --out."""
    out = tmp_path_factory.mktemp("economics")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--trace-dir", str(FIXTURES), "--out", str(out)],
        cwd=out, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout, out


def test_zero_intelligence_traders_are_efficient_only_with_a_budget_constraint(run):
    stdout, _ = run
    found = dict(re.findall(r"^(ZI-[CU]) efficiency: (-?[0-9.]+) overall", stdout, re.M))
    assert set(found) == {"ZI-C", "ZI-U"}, stdout
    constrained, unconstrained = float(found["ZI-C"]), float(found["ZI-U"])
    # Gode and Sunder (1993): ZI-C traders reach nearly full efficiency; ZI-U traders trade
    # units that should not trade.
    assert 0.8 < constrained <= 1.0, stdout
    assert unconstrained < constrained, stdout
    assert re.search(r"competitive equilibrium: \d+ units a period at a price in \[", stdout)
    assert re.search(r"^ZI-C efficiency: .*Smith's alpha per period \(%\)( [0-9.]+){6}$",
                     stdout, re.M), stdout


def test_the_pricing_models_table_has_one_row_per_model_and_provider_strategy(run):
    stdout, _ = run
    # The summary table (markdown) follows its title line; the next title ends it.
    summary = stdout.split("pricing models on ", 1)[1].split("\n\n", 1)[0]
    summary = summary.split("every class", 1)[0].split("pegged providers, seeds", 1)[0]
    header = next(line for line in summary.splitlines() if line.startswith("| providers"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    rows = {}
    for line in summary.splitlines():
        cells = dict(zip(columns, (cell.strip() for cell in line.strip("|").split("|"))))
        if line.startswith("|") and cells.get("model") in MODELS:
            key = (cells["providers"], cells["model"])
            assert key not in rows, f"two rows for {key}:\n{summary}"
            rows[key] = cells
    assert sorted(rows) == sorted((p, m) for p in ("adaptive", "pegged") for m in MODELS), summary
    for key, row in rows.items():
        assert 0.0 <= float(row["efficiency"]) <= 1.0, (key, row)
        assert 0.0 <= float(row["fill_rate"]) <= 1.0, (key, row)
    # Nobody follows the reference of adaptive providers: every model gives the same market.
    adaptive = {tuple(row[c] for c in ("efficiency", "fill_rate", "deals"))
                for (providers, _), row in rows.items() if providers == "adaptive"}
    assert len(adaptive) == 1, summary


def test_the_charts_are_written(run):
    _, out = run
    for name in CHARTS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_the_notebook_holds_the_script_s_cells():
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts/notebook"), "--check"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
