"""Sweeps: configurations, the in-process run, a real two-worker Dask LocalCluster, restarts, failures."""
import json
import os
import sys

import numpy as np
import pytest

from fastrnn import sweep
from fastrnn.__main__ import main

NAMES = ["abc", "bcd", "cab", "dab", "abd", "bad", "cad", "dac", "acb", "bca", "cba", "dcb"] * 3
CONFIGS = sweep.expand({"hidden": [4, 6], "iterations": 40}, seeds=2)


def quiet(text):
    pass


def test_a_grid_expands_into_checked_configurations():
    assert len(CONFIGS) == 4 and {c["hidden"] for c in CONFIGS} == {4, 6} and {c["seed"] for c in CONFIGS} == {0, 1}
    assert all(c["lr"] == 0.01 and c["cell"] == "rnn" for c in CONFIGS)
    assert len({sweep.config_id(c) for c in CONFIGS}) == 4
    for bad, words in [({"cell": "tcn"}, "cell must be"), ({"hidden": 0}, "hidden must be"),
                       ({"lr": -1}, "lr must be"), ({"depth": 2}, "unknown configuration keys"),
                       ({"iterations": 2.5}, "iterations must be")]:
        with pytest.raises(sweep.SweepError, match=words):
            sweep.check_config(bad)


def test_configuration_files(tmp_path):
    (tmp_path / "grid.toml").write_text('seeds = 2\n[grid]\ncell = ["rnn", "lstm"]\nhidden = 8\n')
    assert len(sweep.read_configs(tmp_path / "grid.toml")) == 4
    (tmp_path / "list.json").write_text(json.dumps([{"hidden": 3}, {"cell": "lstm", "lr": 0.002}]))
    assert [c["hidden"] for c in sweep.read_configs(tmp_path / "list.json")] == [3, 50]
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(sweep.SweepError, match="cannot read --config"):
        sweep.read_configs(tmp_path / "bad.json")


def test_in_process_run_reports_a_failing_configuration_and_restarts_where_it_stopped(tmp_path):
    failing = sweep.check_config({"hidden": 10 ** 6, "iterations": 5})  # its weights do not fit in memory
    rows = sweep.run_sweep(CONFIGS[:2] + [failing], tmp_path, scheduler="none", names=NAMES, progress=quiet)
    by_id = {r["id"]: r for r in rows}
    assert "MemoryError" in by_id[sweep.config_id(failing)]["error"]
    good = [r for r in rows if r["error"] is None]
    assert len(good) == 2 and all(np.isfinite(r["validation_loss"]) for r in good)
    assert rows[0]["validation_loss"] == min(r["validation_loss"] for r in good)  # best first
    for name in ("results.csv", "results.md", "best.npz"):
        assert (tmp_path / name).exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]
    said = []
    again = sweep.run_sweep(CONFIGS[:2], tmp_path, scheduler="none", names=NAMES, progress=said.append)
    assert said[0] == "2 configurations: 2 done before, 0 to run"
    assert sorted(r["id"] for r in again) == sorted(r["id"] for r in good)


def test_without_dask_the_configurations_run_here(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    said = []
    rows = sweep.run_sweep(CONFIGS[:1], tmp_path, scheduler="local", names=NAMES, progress=said.append)
    assert rows[0]["error"] is None and any("Dask is not installed" in s for s in said)


def test_a_local_cluster_gives_the_results_of_the_in_process_run(tmp_path):
    pytest.importorskip("distributed")
    here = sweep.run_sweep(CONFIGS, tmp_path / "here", scheduler="none", names=NAMES, progress=quiet)
    failing = sweep.check_config({"hidden": 10 ** 6, "iterations": 5})
    there = sweep.run_sweep(CONFIGS + [failing], tmp_path / "cluster", scheduler="local", workers=2,
                            names=NAMES, progress=quiet)
    there_by_id = {r["id"]: r for r in there}
    assert "MemoryError" in there_by_id[sweep.config_id(failing)]["error"]
    for row in here:
        other = there_by_id[row["id"]]
        assert other["train_loss"] == pytest.approx(row["train_loss"], rel=1e-12, abs=1e-12)
        assert other["validation_loss"] == pytest.approx(row["validation_loss"], rel=1e-12, abs=1e-12)
        assert other["sample"] == row["sample"]


@pytest.mark.parametrize("args, words", [
    (["--hidden", "x"], "--hidden takes integers"),
    (["--lr", "fast"], "--lr takes numbers"),
    (["--cell", "tcn"], "cell must be"),
    (["--config", "/nonexistent.json"], "cannot read --config"),
])
def test_bad_sweep_arguments_are_one_line_and_exit_2(tmp_path, capsys, args, words):
    assert main(["sweep", "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_the_command_line_runs_a_sweep(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(NAMES))
    assert main(["sweep", "--out", str(tmp_path / "out"), "--hidden", "4", "--iterations", "20",
                 "--scheduler", "none", "--names", str(names)]) == 0
    assert "best rnn-h4-s0" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "out" / "best.npz")
    assert main(["sample", "--load", str(tmp_path / "out" / "best.npz"), "--count", "1"]) == 0
