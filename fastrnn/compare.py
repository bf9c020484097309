"""fastrnn beside the course's numpy code: the same values, timed in the same run.

The comparisons behind ``python -m fastrnn check`` (every function of the
step-by-step notebook on its recipes, and a speed table) and the speed line
of ``python -m fastrnn train``; ``bench/`` builds on the same workloads and
adds PyTorch.  A workload is a zero-argument callable running one pass
(``forward`` or ``forward+backward``) of one model (``rnn``/``lstm``/``gru``) with
one implementation (``fastrnn`` or ``numpy``, the course's code) on fixed
random inputs.  The backward pass starts from the same upstream gradient
``da`` with respect to the hidden states everywhere.

Not imported by ``import fastrnn``: it imports the course's code (:mod:`fastrnn.course`).
"""
import sys
import time

import numpy as np

from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from .charmodel import rnn as _char_rnn
from .course import dinosaurus, recipes, step_by_step

#: (n_x, n_a, n_y, m, T_x) of the shapes the speed tables use.
SHAPES = {
    "notebook": (3, 5, 2, 10, 4),
    "char": (27, 50, 27, 1, 25),
    "medium": (64, 128, 64, 32, 100),
    "large": (256, 512, 256, 64, 100),
}
IMPLEMENTATIONS = {
    "fastrnn": {"rnn": (_rnn.rnn_forward, _rnn.rnn_backward), "lstm": (_lstm.lstm_forward, _lstm.lstm_backward),
                "gru": (_gru.gru_forward, _gru.gru_backward)},
    "numpy": {"rnn": (step_by_step.rnn_forward, step_by_step.rnn_backward),
              "lstm": (step_by_step.lstm_forward, step_by_step.lstm_backward),
              "gru": (step_by_step.gru_forward, step_by_step.gru_backward)},
}
MODELS = ("rnn", "lstm", "gru")
#: The gate letters of the gated cells, in their stacking order.
GATES = {"lstm": "fico", "gru": "ruc"}
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
        for g in GATES[model]:
            p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) / np.sqrt(n_a + n_x)
            p["b" + g] = np.zeros((n_a, 1))
        p["Wy"], p["by"] = rng.standard_normal((n_y, n_a)) / np.sqrt(n_a), np.zeros((n_y, 1))
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T))
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return cast(x), cast(a0), {k: cast(v) for k, v in p.items()}, cast(da)


def workload(model, impl, pass_, shape, dtype=np.float64):
    """The callable to time: ``impl`` is ``fastrnn`` or ``numpy`` (``bench/workloads.py`` adds ``torch``)."""
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


def _max_difference(ours, theirs):
    """Largest absolute difference over the arrays of two results (tuples/dicts, caches skipped)."""
    if isinstance(ours, dict):
        return max(_max_difference(ours[k], theirs[k]) for k in theirs)
    if isinstance(ours, tuple):
        return max(_max_difference(o, t) for o, t in zip(ours, theirs) if not isinstance(t, (tuple, dict)))
    return float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))


def check_notebook(out=None):
    """Run each recipe through both implementations; return the worst difference."""
    import fastrnn

    out = out or sys.stdout
    worst = 0.0
    print("Notebook recipes (np.random.seed(1)), fastrnn vs the course's numpy code:", file=out)
    for name, build in recipes.RECIPES:
        ours = getattr(fastrnn, name)(*build(fastrnn))
        theirs = getattr(step_by_step, name)(*build(step_by_step))
        diff = _max_difference(ours, theirs)
        worst = max(worst, diff)
        print(f"  {name:<20} max |difference| = {diff:.1e}", file=out)
    return worst


def speed_table(shapes, budget, out=None):
    """Time both implementations in this run; print and return the rows."""
    out = out or sys.stdout
    rows = []
    print("\nSpeed (float64, best of 5 rounds, measured now):", file=out)
    print(f"  {'model':<5} {'shape (n_x,n_a,n_y,m,T)':<24} {'pass':<17} {'numpy':>10} {'fastrnn':>10} {'speedup':>8}",
          file=out)
    for model in MODELS:
        for shape in shapes:
            for pass_ in PASSES:
                t_np = best_time(workload(model, "numpy", pass_, shape), budget)
                t_fr = best_time(workload(model, "fastrnn", pass_, shape), budget)
                rows.append((model, shape, pass_, t_np, t_fr))
                print(f"  {model:<5} {shape + ' ' + str(SHAPES[shape]):<24} {pass_:<17} "
                      f"{_fmt(t_np):>10} {_fmt(t_fr):>10} {t_np / t_fr:>7.1f}x", file=out)
    return rows


def _fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def char_model_speed(examples, char_to_ix, iterations=300):
    """Seconds per training iteration, ``(fastrnn, the course's numpy code)``, measured now.

    Both run the course's loop (``optimize`` on examples in order, state
    carried) for ``iterations`` steps from the course's initial weights.
    """
    n_x = len(char_to_ix)
    newline = char_to_ix["\n"]
    trainer = _char_rnn.CharTrainer(examples, char_to_ix, _char_rnn.initialize_parameters(50, n_x, n_x), 0.0)
    trainer.run(1)
    t0 = time.perf_counter()
    trainer.run(iterations)
    fast = (time.perf_counter() - t0) / iterations
    parameters = dinosaurus.initialize_parameters(50, n_x, n_x)
    a_prev = np.zeros((50, 1))
    t0 = time.perf_counter()
    for j in range(iterations):
        X = [None] + [char_to_ix[c] for c in examples[j % len(examples)]]
        _, _, a_prev = dinosaurus.optimize(X, X[1:] + [newline], a_prev, parameters)
    slow = (time.perf_counter() - t0) / iterations
    return fast, slow
