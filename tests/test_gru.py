"""The GRU: fused kernels against the reference written from the maths, finite differences,
the course-style baseline, bad inputs, no mutation, mixed caches, and an autograd engine."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import fastrnn
import reference as ref
from fastrnn.course import step_by_step as course
from test_fuzz import lstm_case
from test_gradients import check_all
from test_reference import check, draw_case

dims = st.integers(1, 6)
GRADIENT_KEYS = ["dx", "da0", "dWr", "dbr", "dWu", "dbu", "dWc", "dbc"]


def compare_sequences(x, a0, p, da, rx, ra0, rp, rda, dtype):
    a, y, caches = fastrnn.gru_forward(x, a0, p)
    want_a, want_y, want_caches = ref.gru_forward(rx, ra0, rp)
    check(a, want_a, dtype, "a")
    check(y, want_y, dtype, "y_pred")
    g = fastrnn.gru_backward(da, caches)
    assert list(g) == GRADIENT_KEYS
    want = ref.gru_backward(rda, want_caches)
    for key in want:
        check(g[key], want[key], dtype, key)
    return caches, want_caches


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_x=dims, n_a=dims, n_y=dims, m=dims, T=dims,
       dtype=st.sampled_from([np.float64, np.float32]))
def test_gru_forward_backward(seed, n_x, n_a, n_y, m, T, dtype):
    (x, a0, p, da), (rx, ra0, rp, rda) = draw_case(seed, n_x, n_a, n_y, m, T, ref.random_gru_parameters, dtype)
    caches, want_caches = compare_sequences(x, a0, p, da, rx, ra0, rp, rda, dtype)
    # the step caches hold the 7-tuple of the contract
    t = T - 1
    step, want_step = caches[0][t], want_caches[0][t]
    assert len(step) == 7 and step[6] is p and caches[1] is x
    for k, name in enumerate(("a_next", "a_prev", "rt", "ut", "cct", "xt")):
        assert step[k].shape == want_step[k].shape, name
        check(step[k], want_step[k], dtype, f"cache {name}")


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_x=dims, n_a=dims, n_y=dims, m=dims,
       dtype=st.sampled_from([np.float64, np.float32]))
def test_gru_cells(seed, n_x, n_a, n_y, m, dtype):
    (x, a0, p, da), (rx, ra0, rp, rda) = draw_case(seed, n_x, n_a, n_y, m, 1, ref.random_gru_parameters, dtype)
    a_next, yt, cache = fastrnn.gru_cell_forward(x[:, :, 0], a0, p)
    want_a, want_y, want_cache = ref.gru_cell_forward(rx[:, :, 0], ra0, rp)
    check(a_next, want_a, dtype, "a_next")
    check(yt, want_y, dtype, "yt_pred")
    assert len(cache) == 7 and cache[1] is a0 and cache[6] is p
    g = fastrnn.gru_cell_backward(da[:, :, 0], cache)
    want = ref.gru_cell_backward(rda[:, :, 0], want_cache)
    assert list(g) == ["dxt", "da_prev", "dWr", "dbr", "dWu", "dbu", "dWc", "dbc"]
    for key in want:
        check(g[key], want[key], dtype, key)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gru_at_blas_sizes(dtype):
    """Sizes where every product goes to BLAS and the rows span several vector tiles."""
    (x, a0, p, da), (rx, ra0, rp, rda) = draw_case(5, 37, 70, 29, 19, 6, ref.random_gru_parameters, dtype)
    for q in (p, rp):
        for k in q:
            q[k] *= 0.3
    compare_sequences(x, a0, p, da, rx, ra0, rp, rda, dtype)


def test_course_style_baseline_matches_the_reference():
    """The numpy GRU among the baselines (what `check` and the benchmarks use) is the same maths."""
    (x, a0, p, da), _ = draw_case(11, 3, 5, 2, 10, 4, ref.random_gru_parameters, np.float64)
    got, want = course.gru_forward(x, a0, p), ref.gru_forward(x, a0, p)
    for g, w in zip(got[:2], want[:2]):
        assert_allclose(g, w, rtol=1e-13, atol=1e-13)
    got, want = course.gru_backward(da, got[2]), ref.gru_backward(da, want[2])
    assert list(got) == GRADIENT_KEYS
    for key in want:
        assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_gru_backward_against_finite_differences():
    rng = np.random.default_rng(2)
    n_x, n_a, n_y, m, T = 3, 4, 2, 3, 4
    p = ref.random_gru_parameters(rng, n_x, n_a, n_y, scale=0.7)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    da = rng.standard_normal((n_a, m, T))

    def loss():
        return float(np.sum(da * fastrnn.gru_forward(x, a0, p)[0]))

    grads = fastrnn.gru_backward(da, fastrnn.gru_forward(x, a0, p)[2])
    wrt = {"x": (x, "dx"), "a0": (a0, "da0")}
    wrt.update({k: (p[k], "d" + k) for k in ("Wr", "br", "Wu", "bu", "Wc", "bc")})
    check_all(loss, grads, wrt)
    # and through fewer steps than the forward ran (da covers the first T - 1)
    short = da[:, :, :T - 1].copy()
    grads = fastrnn.gru_backward(short, fastrnn.gru_forward(x, a0, p)[2])
    check_all(lambda: float(np.sum(short * fastrnn.gru_forward(x, a0, p)[0][:, :, :T - 1])), grads,
              {"Wc": (p["Wc"], "dWc"), "a0": (a0, "da0")})


def test_gru_cell_backward_against_finite_differences():
    rng = np.random.default_rng(3)
    n_x, n_a, n_y, m = 4, 3, 2, 2
    p = ref.random_gru_parameters(rng, n_x, n_a, n_y, scale=0.7)
    xt, a_prev, da_next = rng.standard_normal((n_x, m)), rng.standard_normal((n_a, m)), rng.standard_normal((n_a, m))

    def loss():
        return float(np.sum(da_next * fastrnn.gru_cell_forward(xt, a_prev, p)[0]))

    grads = fastrnn.gru_cell_backward(da_next, fastrnn.gru_cell_forward(xt, a_prev, p)[2])
    wrt = {"xt": (xt, "dxt"), "a_prev": (a_prev, "da_prev")}
    wrt.update({k: (p[k], "d" + k) for k in ("Wr", "br", "Wu", "bu", "Wc", "bc")})
    check_all(loss, grads, wrt)


def test_mixed_caches():
    """The user's own numpy caches go to fastrnn's backward, and fastrnn's caches to a numpy loop."""
    (x, a0, p, da), _ = draw_case(4, 3, 5, 2, 4, 3, ref.random_gru_parameters, np.float64)
    want = ref.gru_backward(da, ref.gru_forward(x, a0, p)[2])
    from_user = fastrnn.gru_backward(da, course.gru_forward(x, a0, p)[2])
    from_fastrnn = course.gru_backward(da, fastrnn.gru_forward(x, a0, p)[2])
    cells = [fastrnn.gru_cell_forward(x[:, :, t], a0, p)[2] for t in range(1)]
    for key in want:
        assert_allclose(from_user[key], want[key], rtol=1e-12, atol=1e-12, err_msg=key)
        assert_allclose(from_fastrnn[key], want[key], rtol=1e-12, atol=1e-12, err_msg=key)
    one_step = fastrnn.gru_backward(da[:, :, :1], (cells, x))
    assert_allclose(one_step["dWc"], ref.gru_backward(da[:, :, :1], ref.gru_forward(x, a0, p)[2])["dWc"],
                    rtol=1e-12, atol=1e-12)


def case():
    (x, a0, p, da), _ = draw_case(6, 3, 5, 2, 4, 3, ref.random_gru_parameters, np.float64)
    return x, a0, p, da


@pytest.mark.parametrize("change, error, words", [
    (lambda x, a0, p: p.pop("Wr"), KeyError, ["Wr"]),
    (lambda x, a0, p: p.update(Wc=np.zeros((5, 7))), ValueError, ["Wc", "(5, 8)", "(5, 7)"]),
    (lambda x, a0, p: p.update(bu=np.zeros((4, 1))), ValueError, ["bu", "n_a"]),
    (lambda x, a0, p: p.update(Wy=np.zeros((2, 6))), ValueError, ["Wy", "n_a"]),
    (lambda x, a0, p: p.update(br="zeros"), TypeError, ["br"]),
])
def test_bad_parameters_are_named(change, error, words):
    x, a0, p, _ = case()
    change(x, a0, p)
    with pytest.raises(error) as info:
        fastrnn.gru_forward(x, a0, p)
    for word in words:
        assert word in str(info.value)
    with pytest.raises(error):
        fastrnn.gru_cell_forward(x[:, :, 0], a0, p)


def test_bad_arrays_and_caches_are_named():
    x, a0, p, da = case()
    with pytest.raises(ValueError, match="a0"):
        fastrnn.gru_forward(x, a0[:4], p)
    with pytest.raises(ValueError, match="xt"):
        fastrnn.gru_cell_forward(x[:2, :, 0], a0, p)
    caches = fastrnn.gru_forward(x, a0, p)[2]
    with pytest.raises(ValueError, match="da"):
        fastrnn.gru_backward(da[:4], caches)
    with pytest.raises(ValueError, match="T_x = 4"):
        fastrnn.gru_backward(np.zeros((5, 4, 4)), caches)
    with pytest.raises(TypeError, match="7-tuple"):
        fastrnn.gru_cell_backward(da[:, :, 0], caches[0][0][:6])
    lx, la0, lp, lda = lstm_case(0, 3, 5, 2, 4, 3)
    with pytest.raises(TypeError, match="use lstm_backward"):
        fastrnn.gru_backward(lda, fastrnn.lstm_forward(lx, la0, lp)[3])
    with pytest.raises(TypeError, match="use gru_backward"):
        fastrnn.lstm_backward(da, caches)
    with pytest.raises(TypeError, match="7-tuple returned by gru_cell_forward"):
        fastrnn.gru_backward(da[:, :, :1], ([(1, 2, 3)], x))


def test_no_input_is_modified_and_a_is_read_only():
    x, a0, p, da = case()
    before = {k: v.copy() for k, v in {"x": x, "a0": a0, "da": da, **p}.items()}
    a, y, caches = fastrnn.gru_forward(x, a0, p)
    fastrnn.gru_backward(da, caches)
    step = fastrnn.gru_cell_forward(x[:, :, 0], a0, p)
    fastrnn.gru_cell_backward(da[:, :, 0], step[2])
    fastrnn.gru_backward(da, course.gru_forward(x, a0, p)[2])
    for key, value in {"x": x, "a0": a0, "da": da, **p}.items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert not a.flags.writeable


def test_float32_and_integer_inputs_follow_the_dtype_rule():
    x, a0, p, da = case()
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    a, y, caches = fastrnn.gru_forward(x.astype(np.float32), a0.astype(np.float32), p32)
    assert a.dtype == y.dtype == np.float32
    assert fastrnn.gru_backward(da.astype(np.float32), caches)["dWr"].dtype == np.float32
    a, _, _ = fastrnn.gru_forward(x.astype(np.float32), a0, p32)  # one float64 input: float64
    assert a.dtype == np.float64
    a, _, _ = fastrnn.gru_forward(np.ones((3, 4, 3), dtype=int), a0, p)
    assert_allclose(a, ref.gru_forward(np.ones((3, 4, 3)), a0, p)[0], rtol=1e-13, atol=1e-13)


def test_against_an_autograd_engine():
    """PyTorch's autograd through the course's formula (not nn.GRU, which is another GRU)."""
    torch = pytest.importorskip("torch")
    (x, a0, p, da), _ = draw_case(8, 3, 5, 2, 4, 3, ref.random_gru_parameters, np.float64)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    tx, ta0 = torch.tensor(x, requires_grad=True), torch.tensor(a0, requires_grad=True)
    n_a = a0.shape[0]
    a, outs = ta0, []
    for t in range(x.shape[2]):
        xt = tx[:, :, t]
        concat = torch.cat([a, xt])
        r = torch.sigmoid(tp["Wr"] @ concat + tp["br"])
        u = torch.sigmoid(tp["Wu"] @ concat + tp["bu"])
        cc = torch.tanh(tp["Wc"][:, :n_a] @ (r * a) + tp["Wc"][:, n_a:] @ xt + tp["bc"])
        a = u * cc + (1 - u) * a
        outs.append(a)
    (torch.stack(outs, dim=2) * torch.tensor(da)).sum().backward()
    ours = fastrnn.gru_backward(da, fastrnn.gru_forward(x, a0, p)[2])
    assert_allclose(ours["dx"], tx.grad.numpy(), rtol=1e-11, atol=1e-12)
    assert_allclose(ours["da0"], ta0.grad.numpy(), rtol=1e-11, atol=1e-12)
    for key in ("Wr", "br", "Wu", "bu", "Wc", "bc"):
        assert_allclose(ours["d" + key], tp[key].grad.numpy(), rtol=1e-11, atol=1e-12, err_msg=key)
