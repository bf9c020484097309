"""Central finite differences of every gradient (float64).

Loss ``L = sum(da * a)`` over the steps da covers (for the cells
``sum(da_next * a_next) [+ sum(dc_next * c_next)]``): its gradient with
respect to every input and parameter is what the backward functions return.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import fastrnn

EPS = 1e-6


def numeric_gradient(loss, array):
    grad = np.zeros_like(array)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = array[i]
        array[i] = old + EPS
        up = loss()
        array[i] = old - EPS
        down = loss()
        array[i] = old
        grad[i] = (up - down) / (2 * EPS)
    return grad


def check_all(loss, analytic, wrt):
    for name, (array, key) in wrt.items():
        assert_allclose(analytic[key], numeric_gradient(loss, array), rtol=1e-5, atol=1e-7, err_msg=name)


def rnn_params(rng, n_x, n_a, n_y):
    return {"Wax": rng.standard_normal((n_a, n_x)), "Waa": rng.standard_normal((n_a, n_a)) * 0.5,
            "Wya": rng.standard_normal((n_y, n_a)), "ba": rng.standard_normal((n_a, 1)),
            "by": rng.standard_normal((n_y, 1))}


def lstm_params(rng, n_x, n_a, n_y):
    p = {}
    for g in "fico":
        p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) * 0.7
        p["b" + g] = rng.standard_normal((n_a, 1))
    p["Wy"], p["by"] = rng.standard_normal((n_y, n_a)), rng.standard_normal((n_y, 1))
    return p


@pytest.mark.parametrize("T_da", [5, 3])
def test_rnn_backward(T_da):
    rng = np.random.default_rng(0)
    n_x, n_a, n_y, m, T = 3, 4, 2, 3, 5
    p = rnn_params(rng, n_x, n_a, n_y)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    da = rng.standard_normal((n_a, m, T_da))

    def loss():
        return np.sum(da * fastrnn.rnn_forward(x, a0, p)[0][:, :, :T_da])

    g = fastrnn.rnn_backward(da, fastrnn.rnn_forward(x, a0, p)[2])
    # dx covers the steps da covers
    wrt = {"x": (x, "dx"), "a0": (a0, "da0"), "Wax": (p["Wax"], "dWax"), "Waa": (p["Waa"], "dWaa"),
           "ba": (p["ba"], "dba")}
    if T_da < T:
        g = dict(g, dx=np.concatenate([g["dx"], np.zeros((n_x, m, T - T_da))], axis=2))
    check_all(loss, g, wrt)


@pytest.mark.parametrize("T_da", [5, 2])
def test_lstm_backward(T_da):
    rng = np.random.default_rng(1)
    n_x, n_a, n_y, m, T = 3, 4, 2, 3, 5
    p = lstm_params(rng, n_x, n_a, n_y)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    da = rng.standard_normal((n_a, m, T_da))

    def loss():
        return np.sum(da * fastrnn.lstm_forward(x, a0, p)[0][:, :, :T_da])

    g = fastrnn.lstm_backward(da, fastrnn.lstm_forward(x, a0, p)[3])
    if T_da < T:
        g = dict(g, dx=np.concatenate([g["dx"], np.zeros((n_x, m, T - T_da))], axis=2))
    wrt = {"x": (x, "dx"), "a0": (a0, "da0")}
    for k in "fico":
        wrt["W" + k] = (p["W" + k], "dW" + k)
        wrt["b" + k] = (p["b" + k], "db" + k)
    check_all(loss, g, wrt)


def test_rnn_cell_backward():
    rng = np.random.default_rng(2)
    n_x, n_a, n_y, m = 3, 4, 2, 3
    p = rnn_params(rng, n_x, n_a, n_y)
    xt, a_prev, da = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))

    def loss():
        return np.sum(da * fastrnn.rnn_cell_forward(xt, a_prev, p)[0])

    g = fastrnn.rnn_cell_backward(da, fastrnn.rnn_cell_forward(xt, a_prev, p)[2])
    check_all(loss, g, {"xt": (xt, "dxt"), "a_prev": (a_prev, "da_prev"), "Wax": (p["Wax"], "dWax"),
                        "Waa": (p["Waa"], "dWaa"), "ba": (p["ba"], "dba")})


def test_lstm_cell_backward():
    rng = np.random.default_rng(3)
    n_x, n_a, n_y, m = 3, 4, 2, 3
    p = lstm_params(rng, n_x, n_a, n_y)
    xt, a_prev, c_prev = (rng.standard_normal(s) for s in [(n_x, m), (n_a, m), (n_a, m)])
    da, dc = rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))

    def loss():
        a_next, c_next, _, _ = fastrnn.lstm_cell_forward(xt, a_prev, c_prev, p)
        return np.sum(da * a_next) + np.sum(dc * c_next)

    g = fastrnn.lstm_cell_backward(da, dc, fastrnn.lstm_cell_forward(xt, a_prev, c_prev, p)[3])
    wrt = {"xt": (xt, "dxt"), "a_prev": (a_prev, "da_prev"), "c_prev": (c_prev, "dc_prev")}
    for k in "fico":
        wrt["W" + k] = (p["W" + k], "dW" + k)
        wrt["b" + k] = (p["b" + k], "db" + k)
    check_all(loss, g, wrt)
