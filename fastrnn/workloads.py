"""Benchmark workloads shared by ``python -m fastrnn check`` and ``bench/``.

A workload is a zero-argument callable running one pass (``forward`` or
``forward+backward``) of one model (``rnn``/``lstm``) with one implementation
(``fastrnn``, ``numpy`` (the course's code) or ``torch`` (``torch.nn.RNN``/
``LSTM`` with the output layer, when PyTorch is installed)) on fixed random
inputs.  The backward pass starts from the same upstream gradient ``da`` with
respect to the hidden states everywhere and computes the gradients of the
inputs, the initial state and the recurrent weights.
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
    "large": (256, 512, 256, 64, 100),
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


def flops(model, pass_, shape):
    """Floating-point operations of the matrix products of one pass (2 per multiply-add)."""
    n_x, n_a, n_y, m, T = SHAPES.get(shape, shape)
    g = 4 if model == "lstm" else 1  # gate blocks
    forward = 2 * T * m * (g * n_a * (n_x + n_a) + n_y * n_a)
    if pass_ == "forward":
        return forward
    # recurrence, dx, and the input and recurrent weight gradients
    return forward + 2 * T * m * (g * n_a * n_a + g * n_a * n_x + g * n_a * (n_x + n_a))


def torch_workload(model, pass_, shape, dtype=np.float64):
    """The same pass with ``torch.nn.RNN``/``LSTM`` (tanh), a Linear output layer and softmax.

    Raises ImportError without PyTorch.
    """
    import torch

    n_x, n_a, n_y, m, T = SHAPES.get(shape, shape)
    x_np, a0_np, _, da_np = make_inputs(model, (n_x, n_a, n_y, m, T), dtype)
    tdtype = torch.float32 if np.dtype(dtype) == np.float32 else torch.float64
    torch.manual_seed(0)
    cell = (torch.nn.LSTM if model == "lstm" else torch.nn.RNN)(n_x, n_a).to(tdtype)
    out_layer = torch.nn.Linear(n_a, n_y).to(tdtype)
    x = torch.from_numpy(np.ascontiguousarray(x_np.transpose(2, 1, 0))).requires_grad_(pass_ != "forward")
    h0 = torch.from_numpy(np.ascontiguousarray(a0_np.T))[None].requires_grad_(pass_ != "forward")
    da = torch.from_numpy(np.ascontiguousarray(da_np.transpose(2, 1, 0)))
    state = (h0, torch.zeros_like(h0)) if model == "lstm" else h0

    def forward():
        a, _ = cell(x, state)
        return a, torch.softmax(out_layer(a), dim=-1)

    if pass_ == "forward":
        def run():
            with torch.no_grad():
                return forward()
    else:
        def run():
            a, _ = forward()
            cell.zero_grad()
            a.backward(da)
    return run


def workload(model, impl, pass_, shape, dtype=np.float64):
    """The callable to time."""
    if impl == "torch":
        return torch_workload(model, pass_, shape, dtype)
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
