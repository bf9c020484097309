"""The step-by-step notebook's test recipes: its inputs, drawn after
``np.random.seed(1)`` in the notebook's order.

Each ``*_inputs`` function returns the arguments of one course function;
those of a backward function take the forward function that makes the
caches (fastrnn's or the course's), so that both implementations can be run
on the same recipe.  :data:`RECIPES` lists them for ``python -m fastrnn
check``; the tests use them for the notebooks' printed values.
"""
import numpy as np


def rnn_cell_forward_inputs():
    np.random.seed(1)
    xt = np.random.randn(3, 10)
    a_prev = np.random.randn(5, 10)
    Waa = np.random.randn(5, 5)
    Wax = np.random.randn(5, 3)
    Wya = np.random.randn(2, 5)
    ba = np.random.randn(5, 1)
    by = np.random.randn(2, 1)
    return xt, a_prev, {"Waa": Waa, "Wax": Wax, "Wya": Wya, "ba": ba, "by": by}


def rnn_forward_inputs():
    np.random.seed(1)
    x = np.random.randn(3, 10, 4)
    a0 = np.random.randn(5, 10)
    Waa = np.random.randn(5, 5)
    Wax = np.random.randn(5, 3)
    Wya = np.random.randn(2, 5)
    ba = np.random.randn(5, 1)
    by = np.random.randn(2, 1)
    return x, a0, {"Waa": Waa, "Wax": Wax, "Wya": Wya, "ba": ba, "by": by}


def rnn_cell_backward_inputs(cell_forward):
    """Seed 000/003: ``b`` is drawn but the dict uses ``ba`` left by the rnn_forward cell."""
    ba = rnn_forward_inputs()[2]["ba"]
    np.random.seed(1)
    xt = np.random.randn(3, 10)
    a_prev = np.random.randn(5, 10)
    Wax = np.random.randn(5, 3)
    Waa = np.random.randn(5, 5)
    Wya = np.random.randn(2, 5)
    np.random.randn(5, 1)  # b, unused by the notebook
    by = np.random.randn(2, 1)
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "ba": ba, "by": by}
    _, _, cache = cell_forward(xt, a_prev, parameters)
    da_next = np.random.randn(5, 10)
    return da_next, cache


def rnn_backward_inputs(forward):
    np.random.seed(1)
    x = np.random.randn(3, 10, 4)
    a0 = np.random.randn(5, 10)
    Wax = np.random.randn(5, 3)
    Waa = np.random.randn(5, 5)
    Wya = np.random.randn(2, 5)
    ba = np.random.randn(5, 1)
    by = np.random.randn(2, 1)
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "ba": ba, "by": by}
    _, _, caches = forward(x, a0, parameters)
    da = np.random.randn(5, 10, 4)
    return da, caches


def _lstm_parameters():
    Wf = np.random.randn(5, 5 + 3)
    bf = np.random.randn(5, 1)
    Wi = np.random.randn(5, 5 + 3)
    bi = np.random.randn(5, 1)
    Wo = np.random.randn(5, 5 + 3)
    bo = np.random.randn(5, 1)
    Wc = np.random.randn(5, 5 + 3)
    bc = np.random.randn(5, 1)
    Wy = np.random.randn(2, 5)
    by = np.random.randn(2, 1)
    return {"Wf": Wf, "Wi": Wi, "Wo": Wo, "Wc": Wc, "Wy": Wy, "bf": bf, "bi": bi, "bo": bo, "bc": bc, "by": by}


def lstm_cell_forward_inputs():
    np.random.seed(1)
    xt = np.random.randn(3, 10)
    a_prev = np.random.randn(5, 10)
    c_prev = np.random.randn(5, 10)
    return xt, a_prev, c_prev, _lstm_parameters()


def lstm_cell_backward_inputs(cell_forward):
    xt, a_prev, c_prev, parameters = lstm_cell_forward_inputs()
    _, _, _, cache = cell_forward(xt, a_prev, c_prev, parameters)
    da_next = np.random.randn(5, 10)
    dc_next = np.random.randn(5, 10)
    return da_next, dc_next, cache


def lstm_forward_inputs():
    np.random.seed(1)
    x = np.random.randn(3, 10, 7)
    a0 = np.random.randn(5, 10)
    return x, a0, _lstm_parameters()


def lstm_backward_inputs(forward):
    """The notebook's lstm_backward recipe: da covers 4 of the 7 forward steps."""
    x, a0, parameters = lstm_forward_inputs()
    _, _, _, caches = forward(x, a0, parameters)
    da = np.random.randn(5, 10, 4)
    return da, caches


#: ``(function name, inputs(module))`` for every function of the notebook;
#: ``module`` is ``fastrnn`` or :mod:`fastrnn.course.step_by_step`.
RECIPES = (
    ("rnn_cell_forward", lambda module: rnn_cell_forward_inputs()),
    ("rnn_forward", lambda module: rnn_forward_inputs()),
    ("rnn_cell_backward", lambda module: rnn_cell_backward_inputs(module.rnn_cell_forward)),
    ("rnn_backward", lambda module: rnn_backward_inputs(module.rnn_forward)),
    ("lstm_cell_forward", lambda module: lstm_cell_forward_inputs()),
    ("lstm_forward", lambda module: lstm_forward_inputs()),
    ("lstm_cell_backward", lambda module: lstm_cell_backward_inputs(module.lstm_cell_forward)),
    ("lstm_backward", lambda module: lstm_backward_inputs(module.lstm_forward)),
)
