"""simulate and sweep: the simulator's run from Python gives the CLI's metrics and its rows as
tables; a bad scenario or override is refused naming the key."""

import polars as pl
import pytest

import gridbook

SMALL = {"pricing.model": "vwap", "duration_h": 6}


def test_a_run_gives_metrics_and_tables_that_agree(repo):
    run = gridbook.simulate(repo / "simulations/scenarios/baseline.toml", seed=1, overrides=SMALL)
    metrics = run.metrics
    assert metrics["conservation"]["ok"] is True
    assert metrics["pricing_model"] == "vwap" and metrics["duration_h"] == 6
    deals = pl.from_arrow(run.deals)
    assert deals.height == metrics["deals"]
    from decimal import Decimal
    assert sum(deals.get_column("payment").to_list(), Decimal(0)) == Decimal(
        metrics["money"]["requester_payments"])
    assert pl.from_arrow(run.jobs).height == metrics["jobs"]
    assert pl.from_arrow(run.timeseries).get_column("ts_ms").max() <= 6 * 3_600_000


def test_the_same_seed_gives_the_same_run_and_another_seed_another(repo):
    path = repo / "simulations/scenarios/baseline.toml"
    one = gridbook.simulate(path, seed=7, overrides=SMALL)
    again = gridbook.simulate(path, seed=7, overrides=SMALL)
    other = gridbook.simulate(path, seed=8, overrides=SMALL)
    assert one.deals.equals(again.deals) and one.metrics == again.metrics
    assert not one.deals.equals(other.deals)


def test_a_scenario_as_a_dict_or_text_runs_like_its_file(repo):
    path = repo / "simulations/scenarios/baseline.toml"
    text = path.read_text()
    import tomllib
    as_dict = tomllib.loads(text)
    as_dict["duration_h"] = 6
    from_dict = gridbook.simulate(as_dict, seed=2)
    from_file = gridbook.simulate(path, seed=2, overrides={"duration_h": 6})
    assert from_dict.deals.equals(from_file.deals)
    from_text = gridbook.simulate(text.replace("duration_h = 24", "duration_h = 6"), seed=2)
    assert from_text.deals.equals(from_file.deals)


def test_bad_scenarios_and_overrides_are_refused_naming_the_key(repo):
    path = repo / "simulations/scenarios/baseline.toml"
    with pytest.raises(gridbook.GridbookError, match="modle"):
        gridbook.simulate(path, overrides={"pricing.modle": "vwap"})
    with pytest.raises(gridbook.GridbookError, match="duration_h"):
        gridbook.simulate("name = 'x'\nduration_h = -1\n")
    with pytest.raises(gridbook.GridbookError, match="cannot read scenario"):
        gridbook.simulate(repo / "no-such-scenario.toml")


def test_a_trace_path_override_is_relative_to_the_working_directory(repo, monkeypatch):
    monkeypatch.chdir(repo)
    fixtures = "simulations/tests/fixtures/"
    run = gridbook.simulate("simulations/scenarios/alibaba-replay.toml", seed=1, overrides={
        "trace.nodes": fixtures + "openb_node_list_fixture.csv",
        "trace.pods": fixtures + "openb_pod_list_fixture.csv", "trace.from_h": 0,
        "duration_h": 24})
    assert run.metrics["conservation"]["ok"] is True


def test_a_sweep_gives_one_row_per_run_in_cell_and_replication_order(repo):
    runs = gridbook.sweep(repo / "simulations/scenarios/baseline.toml",
                          grid={"pricing.model": ["vwap", "ewma"], "duration_h": [3]},
                          replications=2, seed=5)
    frame = pl.from_arrow(runs)
    assert frame.get_column("pricing.model").to_list() == ["vwap", "vwap", "ewma", "ewma"]
    assert frame.get_column("seed").to_list() == [5, 6, 5, 6]
    assert frame.get_column("conservation_ok").all()
    single = gridbook.simulate(repo / "simulations/scenarios/baseline.toml", seed=6,
                               overrides={"pricing.model": "ewma", "duration_h": 3})
    assert frame.get_column("deals").to_list()[3] == single.metrics["deals"]
