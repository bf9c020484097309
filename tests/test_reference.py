"""Fused kernels against the naive numpy reference over hypothesis-drawn shapes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import fastrnn
import reference

dims = st.integers(1, 6)
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}


def draw_case(seed, n_x, n_a, n_y, m, T, make_parameters, dtype):
    rng = np.random.default_rng(seed)
    p = make_parameters(rng, n_x, n_a, n_y, scale=0.8)
    x = rng.standard_normal((n_x, m, T))
    a0 = rng.standard_normal((n_a, m))
    da = rng.standard_normal((n_a, m, T))
    cast = {k: v.astype(dtype) for k, v in p.items()}
    return (x.astype(dtype), a0.astype(dtype), cast, da.astype(dtype)), (x, a0, p, da)


def check(actual, expected, dtype, what):
    assert actual.dtype == dtype, what
    # scale atol by the magnitude of the reference so that gradients of any size compare alike
    tol = TOL[dtype]
    assert_allclose(actual, expected, rtol=tol["rtol"], atol=tol["atol"] * max(1.0, np.abs(expected).max()),
                    err_msg=what)


@given(seed=st.integers(0, 2**32 - 1), n_x=dims, n_a=dims, n_y=dims, m=dims, T=dims,
       dtype=st.sampled_from([np.float64, np.float32]))
def test_rnn_forward_backward(seed, n_x, n_a, n_y, m, T, dtype):
    ours, ref = draw_case(seed, n_x, n_a, n_y, m, T, reference.random_rnn_parameters, dtype)
    x, a0, p, da = ours
    a, y, caches = fastrnn.rnn_forward(x, a0, p)
    ra, ry, rcaches = reference.rnn_forward(*ref[:3])
    check(a, ra, dtype, "a")
    check(y, ry, dtype, "y_pred")
    g = fastrnn.rnn_backward(da, caches)
    rg = reference.rnn_backward(ref[3], rcaches)
    assert list(g) == ["dx", "da0", "dWax", "dWaa", "dba"]
    for key in rg:
        check(g[key], rg[key], dtype, key)
    # step caches carry the course's contents
    t = T - 1
    a_next, a_prev, xt, params = caches[0][t]
    check(a_next, ra[:, :, t], dtype, "cache a_next")
    check(a_prev, ra[:, :, t - 1] if t else ref[1], dtype, "cache a_prev")
    assert params is p and caches[1] is x and xt.shape == (n_x, m)


@given(seed=st.integers(0, 2**32 - 1), n_x=dims, n_a=dims, n_y=dims, m=dims, T=dims,
       dtype=st.sampled_from([np.float64, np.float32]))
def test_lstm_forward_backward(seed, n_x, n_a, n_y, m, T, dtype):
    ours, ref = draw_case(seed, n_x, n_a, n_y, m, T, reference.random_lstm_parameters, dtype)
    x, a0, p, da = ours
    a, y, c, caches = fastrnn.lstm_forward(x, a0, p)
    ra, ry, rc, rcaches = reference.lstm_forward(*ref[:3])
    for name, ours_, theirs in (("a", a, ra), ("y", y, ry), ("c", c, rc)):
        check(ours_, theirs, dtype, name)
    g = fastrnn.lstm_backward(da, caches)
    rg = reference.lstm_backward(ref[3], rcaches)
    assert list(g) == ["dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    for key in rg:
        check(g[key], rg[key], dtype, key)
    step = caches[0][T - 1]
    for ours_, theirs, name in zip(step[:8], rcaches[0][T - 1][:8], "a_next c_next a_prev c_prev ft it cct ot".split()):
        check(ours_, theirs, dtype, "cache " + name)


@given(seed=st.integers(0, 2**32 - 1), n_x=dims, n_a=dims, n_y=dims, m=dims,
       dtype=st.sampled_from([np.float64, np.float32]))
def test_cells(seed, n_x, n_a, n_y, m, dtype):
    rng = np.random.default_rng(seed)
    xt, a_prev, c_prev, da, dc = (rng.standard_normal(s) for s in
                                  [(n_x, m), (n_a, m), (n_a, m), (n_a, m), (n_a, m)])
    p = reference.random_rnn_parameters(rng, n_x, n_a, n_y)
    cast = lambda *arrs: [a.astype(dtype) for a in arrs]  # noqa: E731
    pc = {k: v.astype(dtype) for k, v in p.items()}
    out = fastrnn.rnn_cell_forward(*cast(xt, a_prev), pc)
    ref = reference.rnn_cell_forward(xt, a_prev, p)
    check(out[0], ref[0], dtype, "a_next")
    check(out[1], ref[1], dtype, "yt_pred")
    g, rg = fastrnn.rnn_cell_backward(da.astype(dtype), out[2]), reference.rnn_cell_backward(da, ref[2])
    assert list(g) == list(rg)
    for key in rg:
        check(g[key], rg[key], dtype, key)

    q = reference.random_lstm_parameters(rng, n_x, n_a, n_y)
    qc = {k: v.astype(dtype) for k, v in q.items()}
    out = fastrnn.lstm_cell_forward(*cast(xt, a_prev, c_prev), qc)
    ref = reference.lstm_cell_forward(xt, a_prev, c_prev, q)
    for k in range(3):
        check(out[k], ref[k], dtype, f"output {k}")
    for k in range(8):
        check(out[3][k], ref[3][k], dtype, f"cache {k}")
    g = fastrnn.lstm_cell_backward(*cast(da, dc), out[3])
    rg = reference.lstm_cell_backward(da, dc, ref[3])
    assert list(g) == ["dxt", "da_prev", "dc_prev", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"]
    for key in rg:
        check(g[key], rg[key], dtype, key)


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_backward_accepts_the_users_own_numpy_caches(model):
    """Notebooks mix cells: the user's numpy forward, fastrnn's backward, and the reverse."""
    rng = np.random.default_rng(7)
    n_x, n_a, n_y, m, T = 3, 5, 2, 4, 6
    make = getattr(reference, f"random_{model}_parameters")
    p = make(rng, n_x, n_a, n_y)
    x, a0, da = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m, T))
    ref_forward, ref_backward = getattr(reference, f"{model}_forward"), getattr(reference, f"{model}_backward")
    our_forward, our_backward = getattr(fastrnn, f"{model}_forward"), getattr(fastrnn, f"{model}_backward")
    users_caches = ref_forward(x, a0, p)[-1]
    expected = ref_backward(da, users_caches)
    for got in (our_backward(da, users_caches),                       # numpy caches -> fastrnn
                ref_backward(da, our_forward(x, a0, p)[-1]),           # fastrnn caches -> numpy
                our_backward(da[:, :, :4], users_caches)):             # shorter da
        for key in expected:
            want = expected[key] if got["dx"].shape[2] == T else None
            if want is None:
                want = ref_backward(da[:, :, :4], users_caches)[key]
            assert_allclose(got[key], want, rtol=1e-12, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("dims", [(20, 40, 10, 16, 5), (30, 128, 10, 4, 3), (8, 128, 4, 20, 2)],
                         ids=["blas", "tiled-transpose", "row-blocks"])
@pytest.mark.parametrize("model", ["rnn", "lstm"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sizes_that_take_blas(model, dims, dtype):
    """The shapes above stay mostly in small products; these reach the larger
    BLAS calls (per-step products that add into the input projection,
    weight gradients) and, for the LSTM at n_a = 128, the tiled transpose of
    the gradients and (m = 20) the gate activations in blocks of 16 rows and 4."""
    n_x, n_a, n_y, m, T = dims
    ours, ref = draw_case(11, n_x, n_a, n_y, m, T, getattr(reference, f"random_{model}_parameters"), dtype)
    forward, backward = getattr(fastrnn, f"{model}_forward"), getattr(fastrnn, f"{model}_backward")
    ref_forward, ref_backward = getattr(reference, f"{model}_forward"), getattr(reference, f"{model}_backward")
    out, ref_out = forward(*ours[:3]), ref_forward(*ref[:3])
    for k in range(len(out) - 1):
        check(out[k], ref_out[k], dtype, f"output {k}")
    g, rg = backward(ours[3], out[-1]), ref_backward(ref[3], ref_out[-1])
    for key in rg:
        check(g[key], rg[key], dtype, key)
