"""python -m fastrnn: train, sample, check; bad arguments exit 2 with one line."""
import subprocess
import sys

import pytest

from fastrnn import __main__ as cli
from fastrnn.__main__ import main
from fastrnn.compare import check_notebook


def test_notebook_recipes_agree_with_the_numpy_code(capsys):
    assert check_notebook() < 1e-12
    assert "lstm_backward" in capsys.readouterr().out


def test_check_quick_runs(monkeypatch, capsys):
    import fastrnn.compare as w
    monkeypatch.setattr(w, "best_time", lambda func, budget=0.2, repeat=5: (func(), 1e-3)[1])
    assert main(["check", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "all outputs agree" in out and "char" in out and "medium" not in out


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_train_save_and_sample(tmp_path, capsys, cell):
    path = tmp_path / "params.npz"
    assert main(["--cell", cell, "--iterations", "600", "--compare", "20", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"character-level {cell.upper()}" in out and "Trained 600 iterations" in out
    assert ("x\n" in out) == (cell == "rnn")  # the speedup line
    trained = [line.strip() for line in out.split("Sampled names")[1].split("\n")[1:8]]
    assert main(["sample", "--load", str(path)]) == 0
    assert capsys.readouterr().out.split() == trained
    assert main(["--load", str(path), "--iterations", "10", "--compare", "0"]) == 0  # training resumes


def test_default_run_is_the_course_run(capsys):
    assert main(["--iterations", "1", "--compare", "0", "--count", "2"]) == 0
    out = capsys.readouterr().out
    assert "Nkzxwtdmfqoeyhsqwasjkjvu" in out and "Kneb" in out  # the course's names after one step


def test_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    assert main(["--iterations", "50", "--compare", "0", "--plot", str(path)]) == 0
    assert path.stat().st_size > 1000


def test_plot_without_matplotlib(monkeypatch, capsys):
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    assert main(["--iterations", "5", "--plot", "x.png"]) == 2
    assert "needs matplotlib" in capsys.readouterr().err


@pytest.mark.parametrize("args, words", [
    (["--iterations", "-1"], "must be non-negative"),
    (["--iterations", "many"], "non-negative integer"),
    (["--names", "/nonexistent/names.txt"], "cannot read --names"),
    (["--names", "{empty}"], "it is empty"),
    (["--names", "{digits}"], "character '7'"),
    (["--load", "{not_npz}"], "cannot load"),
    (["sample"], "required"),
    (["--cell", "tcn"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, words):
    files = {"empty": "", "digits": "abc\nrex7\n", "not_npz": "hello"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    args = [a.format(**{k: str(tmp_path / k) for k in files}) for a in args]
    try:
        code = main(args if args[0] == "sample" else [*args, "--compare", "0"])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_bad_argument_in_a_real_process_prints_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "fastrnn", "--names", "/nonexistent"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "cannot read --names" in proc.stderr
