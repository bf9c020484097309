"""What each graded course function is checked on: its inputs, its expected results, known mistakes.

A :class:`Spec` per course function: the argument names of the course's
signature, the names of its outputs, the cases (the course's own test
recipe, sizes where ``n_x``, ``n_a``, ``n_y`` differ, ``m = 1``, ``T = 1``, and
inputs where only one array is non-zero), fastrnn's function that gives the
expected result, and known mistakes: a function computing what a common
wrong version returns, with the cause to name when the learner's output
equals it.  The caches a backward function receives come from the course's
own numpy forward (plain lists and tuples, as in the notebook).
"""
import copy
from collections import namedtuple

import numpy as np

from ..course import dinosaurus, recipes
from ..course import step_by_step as course

#: ``name``: the course function; ``arguments``: its argument names;
#: ``outputs``: names of the returned tuple's items (None: one dict or list);
#: ``cases``: ``[(label, build)]``, ``build()`` returning fresh arguments;
#: ``expected``: fastrnn's function (called on copies); ``mistakes``:
#: ``[(cause, function of the arguments giving the wrong result)]``;
#: ``forward``: the forward function whose finite differences a backward
#: function is checked against (None for the others); ``mutates``: the
#: course's function writes into this argument (its result is compared too).
Spec = namedtuple("Spec", "name arguments outputs cases expected mistakes forward mutates")

#: (n_x, n_a, n_y, m, T_x) of the generated cases: a batch of one, a single step, and a case
#: where every size differs.
CASE_SIZES = ((4, 3, 2, 1, 3), (3, 5, 2, 4, 1), (2, 6, 5, 7, 5))


def _describe(n_x, n_a, n_y, m, T=None):
    return f"n_x={n_x}, n_a={n_a}, n_y={n_y}, m={m}" + ("" if T is None else f", T_x={T}")


def _rnn_parameters(rng, n_x, n_a, n_y):
    return {"Wax": rng.standard_normal((n_a, n_x)), "Waa": rng.standard_normal((n_a, n_a)) * 0.6,
            "Wya": rng.standard_normal((n_y, n_a)), "ba": rng.standard_normal((n_a, 1)),
            "by": rng.standard_normal((n_y, 1))}


def _lstm_parameters(rng, n_x, n_a, n_y):
    p = {}
    for g in "fico":
        p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) * 0.7
        p["b" + g] = rng.standard_normal((n_a, 1))
    p["Wy"], p["by"] = rng.standard_normal((n_y, n_a)), rng.standard_normal((n_y, 1))
    return p


def _inputs(model, n_x, n_a, n_y, m, T, seed, only=None):
    """``x (n_x, m, T), a0, c0 (n_a, m), parameters, da, dc`` drawn with ``seed``; with
    ``only`` ("x", "a", "b") every other one of x, a0 (and c0), the biases of the cell is zero."""
    rng = np.random.default_rng(seed)
    p = (_rnn_parameters if model == "rnn" else _lstm_parameters)(rng, n_x, n_a, n_y)
    x, a0, c0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))
    da, dc = rng.standard_normal((n_a, m, T)), rng.standard_normal((n_a, m))
    if only is not None:
        if only != "x":
            x[...] = 0.0
        if only != "a":
            a0[...] = 0.0
            c0[...] = 0.0
        if only != "b":
            for key in p:
                if key.startswith("b") and key != "by":
                    p[key][...] = 0.0
    return x, a0, c0, p, da, dc


ISOLATED = (("x", "only the input x non-zero (a_prev and the biases zero)"),
            ("a", "only the previous state non-zero (x and the biases zero)"),
            ("b", "only the biases non-zero (x and the previous state zero)"))


def _cases(model, make, course_label, course_build):
    """The course's recipe, then the sizes of CASE_SIZES, then the isolating cases."""
    cases = [(course_label, course_build)]
    for k, (n_x, n_a, n_y, m, T) in enumerate(CASE_SIZES):
        cases.append((_describe(n_x, n_a, n_y, m, T) + f", seed {10 + k}",
                      lambda dims=(n_x, n_a, n_y, m, T), seed=10 + k: make(*_inputs(model, *dims, seed))))
    for only, label in ISOLATED:
        cases.append((f"{label}; {_describe(3, 4, 2, 3, 2)}, seed 20",
                      lambda only=only: make(*_inputs(model, 3, 4, 2, 3, 2, 20, only))))
    return cases


# -- the step-by-step notebook ---------------------------------------------------------------

def _z(cache):
    a_next, a_prev, xt, p = cache
    return p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"]


def _rnn_cell_backward_with(dtanh):
    """The course's cell backward with ``dtanh(da_next, cache)`` as the gradient before tanh."""
    def run(da_next, cache):
        a_next, a_prev, xt, p = cache
        d = dtanh(da_next, cache)
        return {"dxt": p["Wax"].T @ d, "da_prev": p["Waa"].T @ d, "dWax": d @ xt.T, "dWaa": d @ a_prev.T,
                "dba": d.sum(axis=1, keepdims=True)}
    return run


def _rnn_backward_with(step):
    """The course's rnn_backward with ``step(da, da_prevt, t)`` as what goes into the cell backward
    and ``accumulate`` of the weight gradients."""
    def run(da, caches, accumulate=True):
        steps, x = caches
        n_a, m, T = da.shape
        out = {"dx": np.zeros((x.shape[0], m, T)), "da0": None, "dWax": 0.0, "dWaa": 0.0, "dba": 0.0}
        da_prevt = np.zeros((n_a, m))
        for t in reversed(range(T)):
            g = course.rnn_cell_backward(step(da, da_prevt, t), steps[t])
            out["dx"][:, :, t] = g["dxt"]
            da_prevt = g["da_prev"]
            for k in ("dWax", "dWaa", "dba"):
                out[k] = out[k] + g[k] if accumulate else g[k]
        out["da0"] = da_prevt
        return out
    return run


def _rnn_specs(fastrnn):
    def cell_forward(x, a0, c0, p, da, dc):
        return x[:, :, 0], a0, p

    def cell_backward(x, a0, c0, p, da, dc):
        return da[:, :, 0], course.rnn_cell_forward(x[:, :, 0], a0, p)[2]

    def forward(x, a0, c0, p, da, dc):
        return x, a0, p

    def backward(x, a0, c0, p, da, dc):
        return da, course.rnn_forward(x, a0, p)[2]

    label = "the course's test (np.random.seed(1)), " + _describe(3, 5, 2, 10)
    return [
        Spec("rnn_cell_forward", ("xt", "a_prev", "parameters"), ("a_next", "yt_pred", "cache"),
             _cases("rnn", cell_forward, label, recipes.rnn_cell_forward_inputs), fastrnn.rnn_cell_forward,
             [], None, None),
        Spec("rnn_forward", ("x", "a0", "parameters"), ("a", "y_pred", "caches"),
             _cases("rnn", forward, label + ", T_x=4", recipes.rnn_forward_inputs), fastrnn.rnn_forward,
             [], None, None),
        Spec("rnn_cell_backward", ("da_next", "cache"), None,
             _cases("rnn", cell_backward, label,
                    lambda: recipes.rnn_cell_backward_inputs(course.rnn_cell_forward)),
             fastrnn.rnn_cell_backward,
             [("the derivative of tanh is taken at z*z: 1 - np.tanh(z*z) (or 1 - np.tanh(z**2)) instead of "
               "1 - np.tanh(z)**2, which is 1 - a_next**2",
               _rnn_cell_backward_with(lambda da, cache: (1 - np.tanh(_z(cache) * _z(cache))) * da)),
              ("the derivative of tanh is missing: da_next is used as the gradient of z; multiply it by "
               "(1 - a_next**2)", _rnn_cell_backward_with(lambda da, cache: da)),
              ("the derivative of tanh is taken as 1 - z**2 (z before tanh); use 1 - a_next**2",
               _rnn_cell_backward_with(lambda da, cache: (1 - _z(cache) ** 2) * da))],
             "rnn_cell_forward", None),
        Spec("rnn_backward", ("da", "caches"), None,
             _cases("rnn", backward, label + ", T_x=4", lambda: recipes.rnn_backward_inputs(course.rnn_forward)),
             fastrnn.rnn_backward,
             [("da[:, :, t] is not added: each step's gradient is da[:, :, t] + da_prevt",
               _rnn_backward_with(lambda da, da_prevt, t: da_prevt)),
              ("da_prevt is not carried to the previous step: each step's gradient is da[:, :, t] + da_prevt",
               _rnn_backward_with(lambda da, da_prevt, t: da[:, :, t])),
              ("the weight gradients are assigned, not summed over the steps (use +=)",
               lambda da, caches: _rnn_backward_with(lambda d, p, t: d[:, :, t] + p)(da, caches, False))],
             "rnn_forward", None),
    ]


def _lstm_specs(fastrnn):
    def cell_forward(x, a0, c0, p, da, dc):
        return x[:, :, 0], a0, c0, p

    def cell_backward(x, a0, c0, p, da, dc):
        return da[:, :, 0], dc, course.lstm_cell_forward(x[:, :, 0], a0, c0, p)[3]

    def forward(x, a0, c0, p, da, dc):
        return x, a0, p

    def backward(x, a0, c0, p, da, dc):
        return da, course.lstm_forward(x, a0, p)[3]

    label = "the course's test (np.random.seed(1)), " + _describe(3, 5, 2, 10)
    return [
        Spec("lstm_cell_forward", ("xt", "a_prev", "c_prev", "parameters"), ("a_next", "c_next", "yt_pred", "cache"),
             _cases("lstm", cell_forward, label, recipes.lstm_cell_forward_inputs), fastrnn.lstm_cell_forward,
             [], None, None),
        Spec("lstm_forward", ("x", "a0", "parameters"), ("a", "y", "c", "caches"),
             _cases("lstm", forward, label + ", T_x=7", recipes.lstm_forward_inputs), fastrnn.lstm_forward,
             [], None, None),
        Spec("lstm_cell_backward", ("da_next", "dc_next", "cache"), None,
             _cases("lstm", cell_backward, label,
                    lambda: recipes.lstm_cell_backward_inputs(course.lstm_cell_forward)),
             fastrnn.lstm_cell_backward, [], "lstm_cell_forward", None),
        Spec("lstm_backward", ("da", "caches"), None,
             _cases("lstm", backward, label + ", T_x=7 (da covers 4 steps)",
                    lambda: recipes.lstm_backward_inputs(course.lstm_forward)),
             fastrnn.lstm_backward, [], "lstm_forward", None),
    ]


# -- Dinosaurus Island --------------------------------------------------------------------------

def _char_parameters(seed, n_a, vocab_size):
    np.random.seed(seed)
    Wax, Waa, Wya = (np.random.randn(n_a, vocab_size), np.random.randn(n_a, n_a),
                     np.random.randn(vocab_size, n_a))
    b, by = np.random.randn(n_a, 1), np.random.randn(vocab_size, 1)
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}


def _clip_case(seed, shapes, max_value):
    np.random.seed(seed)
    keys = ("dWax", "dWaa", "dWya", "db", "dby")
    return {k: np.random.randn(*s) * 10 for k, s in zip(keys, shapes)}, max_value


def _optimize_case(seed, n_a, vocab_size, X):
    np.random.seed(seed)
    a_prev = np.random.randn(n_a, 1)
    p = _char_parameters(seed + 100, n_a, vocab_size)
    Y = X[1:] + [0]
    return X, Y, a_prev, p, 0.01


def _optimize_recipe():
    """The course's test of optimize (np.random.seed(1), vocab_size 27, n_a 100)."""
    np.random.seed(1)
    vocab_size, n_a = 27, 100
    a_prev = np.random.randn(n_a, 1)
    Wax, Waa, Wya = np.random.randn(n_a, vocab_size), np.random.randn(n_a, n_a), np.random.randn(vocab_size, n_a)
    b, by = np.random.randn(n_a, 1), np.random.randn(vocab_size, 1)
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}
    return [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26], a_prev, parameters, 0.01


def _not_written_back(gradients, max_value):
    return copy.deepcopy(gradients)


CHAR_TO_IX = {c: i for i, c in enumerate("\nabcdefghijklmnopqrstuvwxyz")}


def _char_specs(fastrnn):
    from .. import charmodel

    def char_forward_case(seed, n_a, X):
        X = list(X)
        return X, X[1:] + [0], np.random.RandomState(seed).randn(n_a, 1), _char_parameters(seed, n_a, 27), 27

    def char_backward_case(seed, n_a, X):
        X, Y, a0, p, _ = char_forward_case(seed, n_a, X)
        return X, Y, p, dinosaurus.rnn_forward(X, Y, a0, p)[1]

    words = ([None, 12, 3, 5, 11, 22, 3], [None, 1], [None, 4, 9, 14, 15, 19, 1, 21, 18, 21, 19])
    return [
        Spec("clip", ("gradients", "maxValue"), None,
             [("the course's test (np.random.seed(3)), maxValue 10",
               lambda: _clip_case(3, ((5, 3), (5, 5), (2, 5), (5, 1), (2, 1)), 10)),
              ("maxValue 5, np.random.seed(3)", lambda: _clip_case(3, ((5, 3), (5, 5), (2, 5), (5, 1), (2, 1)), 5)),
              ("n_a=7, n_x=n_y=4, maxValue 1.5, seed 4",
               lambda: _clip_case(4, ((7, 4), (7, 7), (4, 7), (7, 1), (4, 1)), 1.5))],
             charmodel.clip,
             [("the clipped values are not written back: np.clip returns a new array unless given "
               "out=gradient", _not_written_back)], None, None),
        Spec("sample", ("parameters", "char_to_ix", "seed"), None,
             [("the course's test (np.random.seed(2), n_a 100, vocab 27), seed 0",
               lambda: (_char_parameters(2, 100, 27), dict(CHAR_TO_IX), 0)),
              ("n_a 7, seed 5", lambda: (_char_parameters(5, 7, 27), dict(CHAR_TO_IX), 5)),
              ("n_a 30, seed 11", lambda: (_char_parameters(11, 30, 27), dict(CHAR_TO_IX), 11))],
             # A draw is discrete: a last-digit difference in a probability can flip one at a knife
             # edge (the course's own test case has one, at position 43), so a learner's numpy
             # sampler is compared with the course's numpy sampler.
             dinosaurus.sample, [], None, None),
        Spec("optimize", ("X", "Y", "a_prev", "parameters", "learning_rate"), ("loss", "gradients", "a_last"),
             [("the course's test (np.random.seed(1), n_a 100, vocab 27)", _optimize_recipe),
              ("a one-character name, n_a 5, seed 6", lambda: _optimize_case(6, 5, 27, [None, 3])),
              ("an 11-character name, n_a 12, seed 7", lambda: _optimize_case(7, 12, 27, list(words[2])))],
             charmodel.optimize, [], None, "parameters"),
        Spec("rnn_forward", ("X", "Y", "a0", "parameters", "vocab_size"), ("loss", "cache"),
             [(f"a {len(w) - 1}-character name, n_a {n_a}, seed {seed}", lambda w=w, n_a=n_a, seed=seed:
               char_forward_case(seed, n_a, w)) for w, n_a, seed in zip(words, (100, 5, 12), (1, 2, 3))],
             charmodel.rnn_forward, [], None, None),
        Spec("rnn_backward", ("X", "Y", "parameters", "cache"), ("gradients", "a"),
             [(f"a {len(w) - 1}-character name, n_a {n_a}, seed {seed}", lambda w=w, n_a=n_a, seed=seed:
               char_backward_case(seed, n_a, w)) for w, n_a, seed in zip(words, (100, 5, 12), (1, 2, 3))],
             charmodel.rnn_backward, [], None, None),
    ]


def step_by_step_specs():
    """The specs of the step-by-step notebook's functions, by name."""
    import fastrnn

    return {spec.name: spec for spec in _rnn_specs(fastrnn) + _lstm_specs(fastrnn)}


def char_model_specs():
    """The specs of Dinosaurus Island's functions, by name (``rnn_forward``, ``rnn_backward`` are its own)."""
    import fastrnn

    return {spec.name: spec for spec in _char_specs(fastrnn)}


#: Every name looked for, for the message when none is found.
NAMES = ("rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward", "lstm_cell_forward",
         "lstm_forward", "lstm_cell_backward", "lstm_backward", "clip", "sample", "optimize")
