"""The grader: the seeds' verdicts, deliberately broken course functions, misbehaving functions, the CLI."""
import inspect
import json
from pathlib import Path

import pytest

import fastrnn.grade
from fastrnn.__main__ import main
from fastrnn.course import dinosaurus, step_by_step

SEEDS = Path(__file__).parent / "data" / "seeds"


def seed(prefix):
    return str(next(SEEDS.glob(f"{prefix}_*.txt")))


def grade_json(path, capsys, *options):
    code = main(["grade", path, "--json", *options])
    return code, json.loads(capsys.readouterr().out)


def by_name(report):
    return {r["name"]: r for r in report["functions"]}


def test_canonical_notebook_passes(capsys):
    code, report = grade_json(seed("000"), capsys)
    assert code == 0 and report["passed"]
    assert set(by_name(report)) == {"rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "lstm_cell_forward",
                                    "lstm_forward"}


def test_seed_001_rnn_cell_backward_is_named_with_its_cause(capsys):
    code, report = grade_json(seed("001"), capsys)
    results = by_name(report)
    assert code == 1
    assert {k: v["status"] for k, v in results.items() if k != "rnn_cell_backward"} == dict.fromkeys(
        ["rnn_cell_forward", "rnn_forward", "lstm_cell_forward", "lstm_forward"], "pass")
    wrong = results["rnn_cell_backward"]
    assert wrong["status"] == "fail" and wrong["output"] == "dxt"
    assert "z*z" in wrong["diagnosis"][0]
    assert any(item.startswith("da_prev") for item in wrong["also_wrong"])
    assert any(item.startswith("dba") for item in wrong["also_wrong"])
    assert "forward is right" in " ".join(wrong["notes"])


def test_seed_002_renamed_parameters_get_a_clear_message(capsys):
    code, report = grade_json(seed("002"), capsys)
    results = by_name(report)
    assert code == 1 and set(results) == {"rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward"}
    assert "KeyError: 'U'" in results["rnn_cell_forward"]["problem"]
    assert "course's dicts" in results["rnn_cell_forward"]["problem"]
    assert all(r["status"] == "fail" for r in results.values())
    assert "printed" in " ".join(results["rnn_cell_backward"]["notes"])


def test_seed_003_latent_bugs_are_found(capsys):
    """003 prints the course's values, but its rnn_backward reads caches[1] (fails for T_x = 1)
    and its lstm_cell_backward reads the test cell's global weights."""
    code, report = grade_json(seed("003"), capsys)
    results = by_name(report)
    assert code == 1
    passing = {"rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_forward"}
    assert {k for k, v in results.items() if v["status"] == "pass"} == passing
    assert "T_x = 1" in results["rnn_backward"]["diagnosis"][0]
    assert "NameError" in results["lstm_cell_backward"]["problem"] and "global" in results["lstm_cell_backward"]["problem"]


def test_seed_004_char_model_functions(capsys):
    code, report = grade_json(seed("004"), capsys)
    results = by_name(report)
    assert code == 1
    assert "returns 2 value(s)" in results["rnn_cell_forward"]["problem"]
    for name in ("rnn_cell_backward", "rnn_backward", "sample"):
        assert results[name]["status"] == "skipped" and "course's" in results[name]["problem"]
    assert results["optimize"]["status"] == "fail"


def course_function(module, name, old, new, count=1):
    """The course's ``name`` with ``old`` replaced by ``new`` (in its source), in a namespace of
    the course module's other functions (as a notebook holds them)."""
    namespace = {}
    exec(compile(inspect.getsource(module), module.__name__, "exec"), namespace)
    source = inspect.getsource(getattr(module, name))
    assert source.count(old) >= count, (name, old)
    exec(compile(source.replace(old, new), "<mutant>", "exec"), namespace)
    return namespace


SBS, DINO = step_by_step, dinosaurus
#: (function, module, old, new, the wrong output, words of the cause) for 25 broken versions.
MUTANTS = [
    ("rnn_cell_backward", SBS, "dtanh = (1 - a_next ** 2) * da_next",
     "dtanh = (1 - np.tanh((np.dot(Wax, xt) + np.dot(Waa, a_prev) + parameters['ba']) ** 2)) * da_next", "dxt", "z*z"),
    ("rnn_cell_backward", SBS, "dtanh = (1 - a_next ** 2) * da_next", "dtanh = da_next", "dxt", "derivative of tanh is missing"),
    ("rnn_cell_backward", SBS, "dba = np.sum(dtanh, axis=1, keepdims=True)", "dba = np.sum(dtanh, axis=1)", "dba", "keepdims"),
    ("rnn_cell_backward", SBS, "dWax = np.dot(dtanh, xt.T)", "dWax = np.dot(xt, dtanh.T)", "dWax", "transposed"),
    ("rnn_cell_backward", SBS, "da_prev = np.dot(Waa.T, dtanh)", "da_prev = -np.dot(Waa.T, dtanh)", "da_prev", "sign"),
    ("rnn_cell_backward", SBS, "dWaa = np.dot(dtanh, a_prev.T)", "dWaa = 2 * np.dot(dtanh, a_prev.T)", "dWaa", "factor"),
    ("rnn_cell_backward", SBS, "dWaa = np.dot(dtanh, a_prev.T)", "dWaa = np.dot(a_prev, dtanh.T)", "dWaa", "transposed"),
    ("rnn_cell_backward", SBS, "dxt = np.dot(Wax.T, dtanh)", "dxt = np.dot(Wax.T, dtanh) * 0", "dxt", "zero everywhere"),
    ("rnn_backward", SBS, "rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])",
     "rnn_cell_backward(da_prevt, caches[t])", "dx", "da[:, :, t] is not added"),
    ("rnn_backward", SBS, "rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])",
     "rnn_cell_backward(da[:, :, t], caches[t])", "dx", "not carried"),
    ("rnn_backward", SBS, 'dWax += gradients["dWax"]', 'dWax = gradients["dWax"]', "dWax", "summed"),
    ("rnn_backward", SBS, "dx = np.zeros((n_x, m, T_x))", "dx = np.zeros((n_x, 1, T_x))", None, "m = 1"),
    ("rnn_cell_forward", SBS, "a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)",
     "a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev))", "a_next", None),
    ("rnn_cell_forward", SBS, "yt_pred = softmax(np.dot(Wya, a_next) + by)", "yt_pred = softmax(np.dot(Wya, a_next))",
     "yt_pred", None),
    ("rnn_cell_forward", SBS, "Wax, Waa, Wya = ", "Wax, Waa, Wya = parameters_tmp['Wax'], ", None, "global"),
    ("rnn_forward", SBS, "rnn_cell_forward(x[:, :, t], a_next, parameters)",
     "rnn_cell_forward(x[:, :, t], a0, parameters)", "a", "T_x = 1"),
    ("rnn_forward", SBS, "    return a, y_pred, (caches, x)", "    x[:, :, 0] = 0\n    return a, y_pred, (caches, x)",
     "argument 1", "modified"),
    ("lstm_cell_forward", SBS, "c_next = ft * c_prev + it * cct", "c_next = ft * c_prev + cct", "a_next", None),
    ("lstm_cell_forward", SBS, "a_next = ot * np.tanh(c_next)", "a_next = ot * c_next", "a_next", None),
    ("lstm_cell_backward", SBS, "[:, n_a:]", "", "dxt", "last n_x columns"),
    ("lstm_cell_backward", SBS, "dot = da_next * np.tanh(c_next) * ot * (1 - ot)",
     "dot = np.dot(da_next, np.tanh(c_next).T) * ot * (1 - ot)", None, "np.dot where an element-wise"),
    ("lstm_cell_backward", SBS, "dc_prev = dc_next * ft + ", "dc_prev = ", "dc_prev", None),
    ("lstm_backward", SBS, 'da_prevt, dc_prevt = gradients["da_prev"], gradients["dc_prev"]',
     'da_prevt = gradients["da_prev"]', "dx", None),
    ("clip", DINO, "np.clip(gradient, -maxValue, maxValue, out=gradient)",
     "gradient = np.clip(gradient, -maxValue, maxValue)", "dWaa", "not written back"),
    ("clip", DINO, "np.clip(gradient, -maxValue, maxValue, out=gradient)",
     "np.clip(gradient, -maxValue, 0, out=gradient)", "dWaa", None),
    ("optimize", DINO, "    parameters = update_parameters(parameters, gradients, learning_rate)\n", "", "parameters",
     "in place"),
    ("sample", DINO, "np.random.seed(counter + seed)", "np.random.seed(seed)", "sample", "position"),
]


@pytest.mark.parametrize("name, module, old, new, output, words", MUTANTS,
                         ids=[f"{m[0]}-{k}" for k, m in enumerate(MUTANTS)])
def test_broken_versions_are_caught_and_named(name, module, old, new, output, words):
    namespace = course_function(module, name, old, new, count=1)
    report = fastrnn.grade.check({name: namespace[name], **{k: v for k, v in namespace.items()
                                                               if k.endswith("forward") and k != name}})
    result = report.verdicts()
    assert result[name] == "fail", str(report)
    block = next(r for r in report.results if r["name"] == name)
    if output is not None:
        assert (block.get("output") or "").startswith(output), str(report)
    if words is not None:
        text = " ".join([block.get("problem") or ""] + (block.get("diagnosis") or []))
        assert words in text, str(report)
    assert not report.passed


def test_the_course_functions_pass():
    namespace = {}
    exec(compile(inspect.getsource(step_by_step), "course", "exec"), namespace)
    report = fastrnn.grade.check(namespace)
    assert report.passed and len(report.results) == 8, str(report)
    namespace = {}
    exec(compile(inspect.getsource(dinosaurus), "course", "exec"), namespace)
    report = fastrnn.grade.check({k: namespace[k] for k in ("clip", "sample", "optimize")})
    assert report.passed, str(report)


BAD_FUNCTIONS = '''
import numpy as np
import os

def rnn_cell_forward(xt, a_prev, parameters):
    while True:
        pass

def rnn_forward(x, a0, parameters):
    os._exit(3)

def rnn_cell_backward(da_next, cache):
    raise RuntimeError("not done yet")

def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    print("hello")
    return 1
'''


def test_hanging_crashing_raising_and_printing_functions_are_reported(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text(BAD_FUNCTIONS + "\nprint('this top-level line never runs')\nraise SystemExit(9)\n")
    code, report = grade_json(str(path), capsys, "--timeout", "8")
    results = by_name(report)
    assert code == 1
    assert "did not finish within 8 s" in results["rnn_cell_forward"]["problem"]
    assert "ended without a result (exit code 3" in results["rnn_forward"]["problem"]
    assert "RuntimeError: not done yet" in results["rnn_cell_backward"]["problem"]
    assert "printed" in " ".join(results["lstm_cell_forward"]["notes"])


def test_notebook_and_cli_give_the_same_verdicts(tmp_path, capsys):
    source = inspect.getsource(step_by_step).replace("dba = np.sum(dtanh, axis=1, keepdims=True)",
                                                     "dba = np.sum(dtanh, axis=1)")
    notebook = {"cells": [{"cell_type": "code", "source": source.splitlines(True)},
                          {"cell_type": "code", "source": ["%matplotlib inline\n", "train_forever()\n"]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(notebook))
    code, report = grade_json(str(path), capsys)
    namespace = {}
    exec(compile(source, "mine", "exec"), namespace)
    assert code == 1
    verdicts = fastrnn.grade.check(namespace).verdicts()
    assert {r["name"]: r["status"] for r in report["functions"]} == verdicts
    assert [k for k, v in verdicts.items() if v == "fail"] == ["rnn_cell_backward", "rnn_backward"]  # it calls the cell
    assert main(["grade", str(path)]) == 1
    text = capsys.readouterr().out
    assert "rnn_cell_backward    FAIL" in text and "keepdims" in text and "Summary: 6 passed, 2 failed" in text


@pytest.mark.parametrize("make, words", [
    (lambda tmp: tmp / "missing.ipynb", "no such file"),
    (lambda tmp: tmp, "is a directory"),
    (lambda tmp: (tmp / "x.ipynb").write_text("{not json") and tmp / "x.ipynb", "not a Jupyter notebook"),
    (lambda tmp: (tmp / "x.py").write_text("def helper():\n    pass\n") and tmp / "x.py", "looked for rnn_cell_forward"),
    (lambda tmp: (tmp / "x.csv").write_text("a,b\n") and tmp / "x.csv", "expected a notebook"),
])
def test_bad_paths_exit_2_with_one_line(tmp_path, capsys, make, words):
    assert main(["grade", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1


def test_check_raises_only_on_misuse():
    with pytest.raises(ValueError, match="course's functions"):
        fastrnn.grade.check(lambda: None)
    with pytest.raises(ValueError, match="no course function"):
        fastrnn.grade.check({"helper": print})
    with pytest.raises(TypeError):
        fastrnn.grade.check(42)


def test_speed_option(capsys):
    code = main(["grade", seed("000"), "--speed"])
    out = capsys.readouterr().out
    assert code == 0 and "faster on the course's test" in out
