"""Every value the canonical seed notebooks (000, 003) print, reproduced with fastrnn."""
import numpy as np
from numpy.testing import assert_allclose

import fastrnn
from fastrnn.course import recipes as nb


def close(actual, printed):
    """The notebooks print 8 significant digits for arrays, 16-17 for scalars."""
    printed = np.asarray(printed, dtype=float)
    assert_allclose(actual, printed, rtol=1e-7 if printed.ndim else 1e-13, atol=1e-8 if printed.ndim else 0)


def test_rnn_cell_forward():
    xt, a_prev, parameters = nb.rnn_cell_forward_inputs()
    a_next, yt_pred, cache = fastrnn.rnn_cell_forward(xt, a_prev, parameters)
    close(a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218, 0.85016201, 0.99980978,
                      -0.18887155, 0.99815551, 0.6531151, 0.82872037])
    close(yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467, 0.98988387, 0.88945212,
                       0.36920224, 0.9966312, 0.9982559, 0.17746526])
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    assert len(cache) == 4
    close(cache[0][0][:5], [0.95442347, -0.97959841, -0.77682357, -0.85960496, 0.2996283])
    assert cache[1] is a_prev and cache[2] is xt and cache[3] is parameters


def test_rnn_forward():
    x, a0, parameters = nb.rnn_forward_inputs()
    a, y_pred, caches = fastrnn.rnn_forward(x, a0, parameters)
    close(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267])
    close(y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947])
    close(caches[1][1][3], [-1.1425182, -0.34934272, -0.20889423, 0.58662319])
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4) and len(caches) == 2


def test_rnn_cell_backward():
    da_next, cache = nb.rnn_cell_backward_inputs(fastrnn.rnn_cell_forward)
    g = fastrnn.rnn_cell_backward(da_next, cache)
    close(g["dxt"][1][2], -0.4605641030588796)
    close(g["da_prev"][2][3], 0.08429686538067671)
    close(g["dWax"][3][1], 0.3930818739219304)
    close(g["dWaa"][1][2], -0.2848395578696066)
    close(g["dba"][4], [0.80517166])
    assert [g[k].shape for k in ("dxt", "da_prev", "dWax", "dWaa", "dba")] == \
        [(3, 10), (5, 10), (5, 3), (5, 5), (5, 1)]
    assert list(g) == ["dxt", "da_prev", "dWax", "dWaa", "dba"]


def test_rnn_backward():
    da, caches = nb.rnn_backward_inputs(fastrnn.rnn_forward)
    g = fastrnn.rnn_backward(da, caches)
    close(g["dx"][1][2], [-2.07101689, -0.59255627, 0.02466855, 0.01483317])
    close(g["da0"][2][3], -0.31494237512664996)
    close(g["dWax"][3][1], 11.264104496527777)
    close(g["dWaa"][1][2], 2.303333126579893)
    close(g["dba"][4], [-0.74747722])
    assert [g[k].shape for k in ("dx", "da0", "dWax", "dWaa", "dba")] == \
        [(3, 10, 4), (5, 10), (5, 3), (5, 5), (5, 1)]
    assert list(g) == ["dx", "da0", "dWax", "dWaa", "dba"]


def test_lstm_cell_forward():
    xt, a_prev, c_prev, parameters = nb.lstm_cell_forward_inputs()
    a_next, c_next, yt, cache = fastrnn.lstm_cell_forward(xt, a_prev, c_prev, parameters)
    close(a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339, 0.00138482,
                      0.76566531, 0.34631421, -0.00215674, 0.43827275])
    close(c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718, 0.11832942,
                      0.76449811, -0.0981561, -0.74348425, -0.26810932])
    close(yt[1], [0.79913913, 0.15986619, 0.22412122, 0.15606108, 0.97057211, 0.31146381,
                  0.00943007, 0.12666353, 0.39380172, 0.07828381])
    close(cache[1][3], [-0.16263996, 1.03729328, 0.72938082, -0.54101719, 0.02752074, -0.30821874,
                        0.07651101, -1.03752894, 1.41219977, -0.37647422])
    assert a_next.shape == c_next.shape == (5, 10) and yt.shape == (2, 10) and len(cache) == 10


def test_lstm_forward():
    x, a0, parameters = nb.lstm_forward_inputs()
    a, y, c, caches = fastrnn.lstm_forward(x, a0, parameters)
    close(a[4][3][6], 0.17211776753291672)
    close(y[1][4][3], 0.9508734618501101)
    close(caches[1][1][1], [0.82797464, 0.23009474, 0.76201118, -0.22232814, -0.20075807, 0.18656139,
                            0.41005165])
    close(c[1][2][1], -0.8555449167181982)
    assert a.shape == c.shape == (5, 10, 7) and y.shape == (2, 10, 7) and len(caches) == 2


def test_lstm_cell_backward():
    da_next, dc_next, cache = nb.lstm_cell_backward_inputs(fastrnn.lstm_cell_forward)
    g = fastrnn.lstm_cell_backward(da_next, dc_next, cache)
    close(g["dxt"][1][2], 3.230559115109188)
    close(g["da_prev"][2][3], -0.06396214197109233)
    close(g["dc_prev"][2][3], 0.7975220387970015)
    close(g["dWf"][3][1], -0.14795483816449675)
    close(g["dWi"][1][2], 1.0574980552259903)
    close(g["dWc"][3][1], 2.304562163687667)
    close(g["dWo"][1][2], 0.3313115952892109)
    close(g["dbf"][4], [0.18864637])
    close(g["dbi"][4], [-0.40142491])
    close(g["dbc"][4], [0.25587763])
    close(g["dbo"][4], [0.13893342])
    assert list(g) == ["dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    assert g["dxt"].shape == (3, 10) and g["dWf"].shape == (5, 8) and g["dbo"].shape == (5, 1)


def test_lstm_backward_notebook_recipe_matches_reference():
    """The notebook passes a da of 4 steps after a 7-step forward: the pass covers steps 0..3."""
    import reference
    da, caches = nb.lstm_backward_inputs(fastrnn.lstm_forward)
    g = fastrnn.lstm_backward(da, caches)
    ref = reference.lstm_backward(da, nb.lstm_backward_inputs(reference.lstm_forward)[1])
    assert list(g) == ["dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    assert g["dx"].shape == (3, 10, 4)
    for key in ref:
        assert_allclose(g[key], ref[key], rtol=1e-12, atol=1e-13, err_msg=key)
