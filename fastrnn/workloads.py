"""Benchmark workloads shared by ``python -m fastrnn`` and ``bench/``.

A workload is a zero-argument callable running one pass (``forward`` or
``forward+backward``) of one model (``rnn``/``lstm``) with one implementation
(``fastrnn`` or ``numpy``, the course's code) on fixed random inputs.
"""
import time

import numpy as np

from . import lstm as _lstm
from . import numpy_course
from . import rnn as _rnn

#: (n_x, n_a, n_y, m, T_x) of the shapes the issues name.
SHAPES = {
    "notebook": (3, 5, 2, 10, 4),
    "char": (27, 50, 27, 1, 25),
    "medium": (64, 128, 64, 32, 100),
}
IMPLEMENTATIONS = {
    "fastrnn": {"rnn": (_rnn.rnn_forward, _rnn.rnn_backward), "lstm": (_lstm.lstm_forward, _lstm.lstm_backward)},
    "numpy": {"rnn": (numpy_course.rnn_forward, numpy_course.rnn_backward),
              "lstm": (numpy_course.lstm_forward, numpy_course.lstm_backward)},
}
PASSES = ("forward", "forward+backward")


def make_inputs(model, shape, dtype=np.float64, seed=0):
    """Random ``x, a0, parameters, da`` for ``model`` at ``shape`` (weights scaled 1/sqrt(fan-in))."""
    n_x, n_a, n_y, m, T = shape
    rng = np.random.default_rng(seed)
    if model == "rnn":
        p = {"Wax": rng.standard_normal((n_a, n_x)) / np.sqrt(n_x),
             "Waa": rng.standard_normal((n_a, n_a)) / np.sqrt(n_a),
             "Wya": rng.standard_normal((n_y, n_a)) / np.sqrt(n_a),
             "ba": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}
    else:
        p = {}
        for g in "fico":
            p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) / np.sqrt(n_a + n_x)
            p["b" + g] = np.zeros((n_a, 1))
        p["Wy"], p["by"] = rng.standard_normal((n_y, n_a)) / np.sqrt(n_a), np.zeros((n_y, 1))
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T))
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return cast(x), cast(a0), {k: cast(v) for k, v in p.items()}, cast(da)


def workload(model, impl, pass_, shape, dtype=np.float64):
    """The callable to time."""
    forward, backward = IMPLEMENTATIONS[impl][model]
    x, a0, p, da = make_inputs(model, SHAPES.get(shape, shape), dtype)
    if pass_ == "forward":
        return lambda: forward(x, a0, p)
    return lambda: backward(da, forward(x, a0, p)[-1])


def best_time(func, budget=0.2, repeat=5):
    """Best per-call time over ``repeat`` rounds of about ``budget / repeat`` seconds each."""
    func()
    t0 = time.perf_counter()
    func()
    once = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(budget / repeat / once))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - t0) / number)
    return best
