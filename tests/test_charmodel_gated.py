"""The LSTM and GRU char models: one compiled Adam step against the numpy reference, sampling, model."""
import contextlib
import io

import numpy as np
import pytest

import reference
from fastrnn import charmodel as cm
from fastrnn import charmodel_lstm
from fastrnn import rnn_utils
from fastrnn.charmodel import gru as charmodel_gru

CHAR_TO_IX, IX_TO_CHAR = cm.vocabulary_of("\nabcd")
MODULES = {"lstm": charmodel_lstm, "gru": charmodel_gru}
TRAINERS = {"lstm": charmodel_lstm.LSTMCharTrainer, "gru": charmodel_gru.GRUCharTrainer}


@pytest.fixture(params=["lstm", "gru"])
def cell(request):
    return request.param


def run_reference(cell, x, a0, p):
    """``a, y, caches`` of tests/reference.py's sequence function of ``cell``."""
    if cell == "lstm":
        a, y, _, caches = reference.lstm_forward(x, a0, p)
        return a, y, caches
    return reference.gru_forward(x, a0, p)


def reference_loss_and_gradients(cell, X, Y, p):
    """Loss and gradients of one example from zero states, with tests/reference.py's cell."""
    n_x = len(CHAR_TO_IX)
    n_a = p["Wy"].shape[1]
    x = np.zeros((n_x, 1, len(X)))
    for t, k in enumerate(X):
        if k is not None:
            x[k, 0, t] = 1.0
    a, y, caches = run_reference(cell, x, np.zeros((n_a, 1)), p)
    loss = -sum(np.log(y[Y[t], 0, t]) for t in range(len(X)))
    dy = y.copy()
    for t, k in enumerate(Y):
        dy[k, 0, t] -= 1.0
    da = np.einsum("ki,kmt->imt", p["Wy"], dy)
    g = (reference.lstm_backward if cell == "lstm" else reference.gru_backward)(da, caches)
    g["dWy"] = np.einsum("kmt,imt->ki", dy, a)
    g["dby"] = dy.sum(axis=(1, 2))[:, None]
    return loss, g


def test_one_adam_step_equals_the_numpy_reference(cell):
    cl = MODULES[cell]
    p = cl.initialize_parameters(3, 5, 5, seed=2)
    names = ["abca"]
    X = [None] + [CHAR_TO_IX[c] for c in names[0]]
    Y = X[1:] + [CHAR_TO_IX["\n"]]
    loss, grads = reference_loss_and_gradients(cell, X, Y, {k: v.copy() for k, v in p.items()})
    grads = {k: np.clip(v, -5, 5) for k, v in grads.items() if k != "dx" and k != "da0"}
    expected = {k: v.copy() for k, v in p.items()}
    v, s = rnn_utils.initialize_adam(expected)
    expected, _, _ = rnn_utils.update_parameters_with_adam(expected, grads, v, s, 1, learning_rate=cl.LEARNING_RATE)

    trainer = TRAINERS[cell](names, CHAR_TO_IX, p, loss=0.0)
    smoothed = trainer.run(1)
    np.testing.assert_allclose(smoothed[0], loss * 0.001, rtol=1e-12)
    for key in expected:
        np.testing.assert_allclose(p[key], expected[key], rtol=1e-10, atol=1e-13)


def test_gradients_match_finite_differences(cell):
    """The reference the compiled step is checked against, itself against finite differences."""
    p = MODULES[cell].initialize_parameters(2, 5, 5, seed=3)
    X, Y = [None, 1, 3], [1, 3, 0]
    _, grads = reference_loss_and_gradients(cell, X, Y, p)
    h = 1e-6
    for key in p:
        numeric = np.zeros_like(p[key])
        for index in np.ndindex(p[key].shape):
            plus = {k: v.copy() for k, v in p.items()}
            minus = {k: v.copy() for k, v in p.items()}
            plus[key][index] += h
            minus[key][index] -= h
            numeric[index] = (reference_loss_and_gradients(cell, X, Y, plus)[0]
                              - reference_loss_and_gradients(cell, X, Y, minus)[0]) / (2 * h)
        np.testing.assert_allclose(grads["d" + key], numeric, rtol=1e-6, atol=1e-8)


def reference_sample(cell, p, seed):
    """The course's sampling loop with the cell of tests/reference.py."""
    n_a, n_x = p["Wy"].shape[1], p["Wy"].shape[0]
    x, a, c = np.zeros((n_x, 1)), np.zeros((n_a, 1)), np.zeros((n_a, 1))
    indices, idx, counter = [], -1, 0
    while idx != CHAR_TO_IX["\n"] and counter != 50:
        if cell == "lstm":
            a, c, y, _ = reference.lstm_cell_forward(x, a, c, p)
        else:
            a, y, _ = reference.gru_cell_forward(x, a, p)
        np.random.seed(counter + seed)
        idx = np.random.choice(list(range(n_x)), p=y.ravel())
        indices.append(idx)
        x = np.zeros((n_x, 1))
        x[idx] = 1
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(CHAR_TO_IX["\n"])
    return indices


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_sample_equals_the_reference_loop(cell, seed):
    cl = MODULES[cell]
    p = cl.initialize_parameters(4, 5, 5, seed=seed)
    p["by"][0] = -3.0  # longer names
    got = cl.sample(p, CHAR_TO_IX, seed)
    after = np.random.random_sample()
    assert got == reference_sample(cell, p, seed)
    assert after == np.random.random_sample()


def test_model_prints_and_learns(cell):
    cl = MODULES[cell]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        parameters, last = cl.model(cm.load_names(), *cm.vocabulary(cm.load_names())[::-1], num_iterations=2001)
    printed = out.getvalue()
    losses = [float(line.split()[-1]) for line in printed.split("\n") if line.startswith("Iteration")]
    assert len(losses) == 2 and losses[1] < 30
    assert set(parameters) == set(cl.PARAMETERS) and last


def test_bad_parameters(cell):
    cl = MODULES[cell]
    p = cl.initialize_parameters(3, 5, 5)
    first = "W" + cl.GATES[0]
    with pytest.raises(ValueError, match=rf"parameters\['{first}'\]"):
        cl.sample({**p, first: np.zeros(3)}, CHAR_TO_IX, 0)
    with pytest.raises(KeyError, match="Wy"):
        cl.sample({k: v for k, v in p.items() if k != "Wy"}, CHAR_TO_IX, 0)
