"""python -m fastrnn: the notebook check and speed table; bad arguments exit 2."""
import subprocess
import sys

from fastrnn.__main__ import check_notebook, main


def test_notebook_recipes_agree_with_the_numpy_code(capsys):
    assert check_notebook() < 1e-12
    assert "lstm_backward" in capsys.readouterr().out


def test_demo_quick_runs(monkeypatch, capsys):
    import fastrnn.workloads as w
    monkeypatch.setattr(w, "best_time", lambda func, budget=0.2, repeat=5: (func(), 1e-3)[1])
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "all outputs agree" in out and "char" in out and "medium" not in out


def test_bad_argument_exits_2_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "fastrnn", "--iterations"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
