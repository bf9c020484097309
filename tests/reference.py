"""Naive numpy reference, written from the maths in the course's layout.

Independent of fastrnn: per-step loops over ``(n, m)`` slices, explicit
``concat = [a_prev; xt]`` for the LSTM, the course's softmax.  The fused
kernels must agree with it.
"""
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / e.sum(axis=0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rnn_cell_forward(xt, a_prev, p):
    a_next = np.tanh(p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"])
    return a_next, softmax(p["Wya"] @ a_next + p["by"]), (a_next, a_prev, xt, p)


def rnn_forward(x, a0, p):
    n_x, m, T = x.shape
    n_y, n_a = p["Wya"].shape
    a, y = np.zeros((n_a, m, T)), np.zeros((n_y, m, T))
    caches, a_t = [], a0
    for t in range(T):
        a_t, y[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_t, p)
        a[:, :, t] = a_t
        caches.append(cache)
    return a, y, (caches, x)


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, p = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": p["Wax"].T @ dz, "da_prev": p["Waa"].T @ dz, "dWax": dz @ xt.T,
            "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


def rnn_backward(da, caches):
    steps, x = caches
    n_a, m, T = da.shape
    n_x = steps[0][2].shape[0]
    g = {"dx": np.zeros((n_x, m, T)), "dWax": np.zeros((n_a, n_x)), "dWaa": np.zeros((n_a, n_a)),
         "dba": np.zeros((n_a, 1))}
    da_prev = np.zeros((n_a, m))
    for t in reversed(range(T)):
        step = rnn_cell_backward(da[:, :, t] + da_prev, steps[t])
        g["dx"][:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        for k in ("dWax", "dWaa", "dba"):
            g[k] += step[k]
    g["da0"] = da_prev
    return g


def lstm_cell_forward(xt, a_prev, c_prev, p):
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    a_next = ot * np.tanh(c_next)
    yt = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, c_next, yt, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)


def lstm_forward(x, a0, p):
    n_x, m, T = x.shape
    n_y, n_a = p["Wy"].shape
    a, c, y = np.zeros((n_a, m, T)), np.zeros((n_a, m, T)), np.zeros((n_y, m, T))
    caches, a_t, c_t = [], a0, np.zeros((n_a, m))
    for t in range(T):
        a_t, c_t, y[:, :, t], cache = lstm_cell_forward(x[:, :, t], a_t, c_t, p)
        a[:, :, t], c[:, :, t] = a_t, c_t
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    tc = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tc ** 2)
    d = {"f": dc * c_prev * ft * (1 - ft), "i": dc * cct * it * (1 - it),
         "c": dc * it * (1 - cct ** 2), "o": da_next * tc * ot * (1 - ot)}
    concat = np.concatenate([a_prev, xt], axis=0)
    dconcat = sum(p["W" + g].T @ d[g] for g in "fico")
    out = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc * ft}
    for g in "fico":
        out["dW" + g] = d[g] @ concat.T
        out["db" + g] = d[g].sum(axis=1, keepdims=True)
    return out


def lstm_backward(da, caches):
    steps, x = caches
    n_a, m, T = da.shape
    n_x = steps[0][8].shape[0]
    g = {"dx": np.zeros((n_x, m, T))}
    for k in "fico":
        g["dW" + k], g["db" + k] = np.zeros((n_a, n_a + n_x)), np.zeros((n_a, 1))
    da_prev, dc_prev = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T)):
        step = lstm_cell_backward(da[:, :, t] + da_prev, dc_prev, steps[t])
        g["dx"][:, :, t] = step["dxt"]
        da_prev, dc_prev = step["da_prev"], step["dc_prev"]
        for k in "fico":
            g["dW" + k] += step["dW" + k]
            g["db" + k] += step["db" + k]
    g["da0"] = da_prev
    return g


def gru_cell_forward(xt, a_prev, p):
    n_a = a_prev.shape[0]
    Wr_a, Wr_x = p["Wr"][:, :n_a], p["Wr"][:, n_a:]
    Wu_a, Wu_x = p["Wu"][:, :n_a], p["Wu"][:, n_a:]
    Wc_a, Wc_x = p["Wc"][:, :n_a], p["Wc"][:, n_a:]
    rt = sigmoid(Wr_a @ a_prev + Wr_x @ xt + p["br"])
    ut = sigmoid(Wu_a @ a_prev + Wu_x @ xt + p["bu"])
    cct = np.tanh(Wc_a @ (rt * a_prev) + Wc_x @ xt + p["bc"])
    a_next = a_prev + ut * (cct - a_prev)
    yt = softmax(p["Wy"] @ a_next + p["by"])
    return a_next, yt, (a_next, a_prev, rt, ut, cct, xt, p)


def gru_forward(x, a0, p):
    n_x, m, T = x.shape
    n_y, n_a = p["Wy"].shape
    a, y = np.zeros((n_a, m, T)), np.zeros((n_y, m, T))
    caches, a_t = [], a0
    for t in range(T):
        a_t, y[:, :, t], cache = gru_cell_forward(x[:, :, t], a_t, p)
        a[:, :, t] = a_t
        caches.append(cache)
    return a, y, (caches, x)


def gru_cell_backward(da_next, cache):
    a_next, a_prev, rt, ut, cct, xt, p = cache
    n_a = a_prev.shape[0]
    zc = da_next * ut * (1 - cct ** 2)  # gradient before the candidate's tanh
    zu = da_next * (cct - a_prev) * ut * (1 - ut)
    d_ra = p["Wc"][:, :n_a].T @ zc  # with respect to rt * a_prev
    zr = d_ra * a_prev * rt * (1 - rt)
    inputs = {"r": np.vstack([a_prev, xt]), "u": np.vstack([a_prev, xt]), "c": np.vstack([rt * a_prev, xt])}
    z = {"r": zr, "u": zu, "c": zc}
    out = {"dxt": sum(p["W" + g][:, n_a:].T @ z[g] for g in "ruc"),
           "da_prev": da_next * (1 - ut) + d_ra * rt + p["Wr"][:, :n_a].T @ zr + p["Wu"][:, :n_a].T @ zu}
    for g in "ruc":
        out["dW" + g] = z[g] @ inputs[g].T
        out["db" + g] = z[g].sum(axis=1, keepdims=True)
    return out


def gru_backward(da, caches):
    steps, x = caches
    n_a, m, T = da.shape
    n_x = steps[0][5].shape[0]
    g = {"dx": np.zeros((n_x, m, T))}
    for k in "ruc":
        g["dW" + k], g["db" + k] = np.zeros((n_a, n_a + n_x)), np.zeros((n_a, 1))
    da_prev = np.zeros((n_a, m))
    for t in reversed(range(T)):
        step = gru_cell_backward(da[:, :, t] + da_prev, steps[t])
        g["dx"][:, :, t] = step["dxt"]
        da_prev = step["da_prev"]
        for k in "ruc":
            g["dW" + k] += step["dW" + k]
            g["db" + k] += step["db" + k]
    g["da0"] = da_prev
    return g


def random_rnn_parameters(rng, n_x, n_a, n_y, scale=1.0):
    return {"Wax": rng.standard_normal((n_a, n_x)) * scale, "Waa": rng.standard_normal((n_a, n_a)) * scale,
            "Wya": rng.standard_normal((n_y, n_a)) * scale, "ba": rng.standard_normal((n_a, 1)) * scale,
            "by": rng.standard_normal((n_y, 1)) * scale}


def random_lstm_parameters(rng, n_x, n_a, n_y, scale=1.0):
    p = {}
    for g in "fico":
        p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) * scale
        p["b" + g] = rng.standard_normal((n_a, 1)) * scale
    p["Wy"] = rng.standard_normal((n_y, n_a)) * scale
    p["by"] = rng.standard_normal((n_y, 1)) * scale
    return p


def random_gru_parameters(rng, n_x, n_a, n_y, scale=1.0):
    p = {}
    for g in "ruc":
        p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) * scale
        p["b" + g] = rng.standard_normal((n_a, 1)) * scale
    p["Wy"] = rng.standard_normal((n_y, n_a)) * scale
    p["by"] = rng.standard_normal((n_y, 1)) * scale
    return p
