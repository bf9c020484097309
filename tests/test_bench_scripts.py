"""The documented benchmark scripts still run: report.py on the committed results, and one
quick round of interleaved.py (the timings themselves are not checked: speed is never a test)."""
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_report_turns_the_committed_results_into_tables():
    out = subprocess.run([sys.executable, str(BENCH / "report.py"), str(BENCH / "results.json")],
                         capture_output=True, text=True, check=True).stdout
    assert "| model | shape (n_x, n_a, n_y, m, T) |" in out
    assert "optimize step" in out and "dgemm rate in this run" in out


def test_interleaved_runs_one_round():
    out = subprocess.run([sys.executable, str(BENCH / "interleaved.py"), "--rounds", "1", "--budget", "0.001",
                          "--shapes", "notebook", "--pause", "0"], capture_output=True, text=True, check=True).stdout
    rows = [line for line in out.splitlines() if line.startswith("| ") and "group" not in line]
    assert len(rows) == 7  # optimize, and forward / forward+backward of the RNN, the LSTM and the GRU
    assert all("x [" in row for row in rows)


def test_split_runs_one_round():
    out = subprocess.run([sys.executable, str(BENCH / "split.py"), "--rounds", "1", "--budget", "0.0001"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line for line in out.splitlines() if line.startswith(("| rnn", "| lstm", "| gru"))]
    assert len(rows) >= 6 and all(row.endswith(" |") for row in rows)


def test_sweep_runs_a_small_sweep():
    pytest.importorskip("distributed")
    out = subprocess.run([sys.executable, str(BENCH / "sweep.py"), "--iterations", "200"],
                         capture_output=True, text=True, check=True).stdout
    assert "LocalCluster of 2 workers" in out and out.count("first task on a worker") == 2
