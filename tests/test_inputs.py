"""Bad input gets a clear error naming the argument; odd-but-valid input works untouched."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import fastrnn
from fastrnn.course import recipes as nb


def rnn_case():
    return nb.rnn_forward_inputs()


def lstm_case():
    return nb.lstm_forward_inputs()


# ---------------------------------------------------------------- bad input
def with_param(parameters, key, value):
    return {**parameters, key: value}


RNN_FORWARD_ERRORS = [
    # (description, transform(x, a0, p) -> args, error type, words the message must contain)
    ("x 2-D", lambda x, a0, p: (x[:, :, 0], a0, p), ValueError, ["x", "3-D", "(n_x, m, T_x)", "(3, 10)"]),
    ("a0 3-D", lambda x, a0, p: (x, a0[:, :, None], p), ValueError, ["a0", "2-D", "(5, 10, 1)"]),
    ("m mismatch", lambda x, a0, p: (x, a0[:, :7], p), ValueError, ["a0", "(n_a, m) = (5, 10)", "(5, 7)"]),
    ("n_x mismatch", lambda x, a0, p: (x, a0, with_param(p, "Wax", p["Wax"][:, :2])), ValueError,
     ["parameters['Wax']", "(n_a, n_x) = (5, 3)", "(5, 2)"]),
    ("n_a mismatch", lambda x, a0, p: (x, a0, with_param(p, "Waa", p["Waa"][:4, :4])), ValueError,
     ["parameters['Waa']", "(n_a, n_a) = (5, 5)", "(4, 4)"]),
    ("bias 1-D", lambda x, a0, p: (x, a0, with_param(p, "ba", p["ba"].ravel())), ValueError,
     ["parameters['ba']", "2-D", "(n_a, 1)", "(5,)"]),
    ("by mismatch", lambda x, a0, p: (x, a0, with_param(p, "by", np.zeros((3, 1)))), ValueError,
     ["parameters['by']", "(n_y, 1) = (2, 1)", "(3, 1)"]),
    ("missing key", lambda x, a0, p: (x, a0, {k: v for k, v in p.items() if k != "Waa"}), KeyError,
     ["parameters", "'Waa'"]),
    ("not a dict", lambda x, a0, p: (x, a0, list(p.values())), TypeError, ["parameters", "dict", "list"]),
    ("complex x", lambda x, a0, p: (x + 1j, a0, p), TypeError, ["x", "real", "complex"]),
    ("string a0", lambda x, a0, p: (x, a0.astype(str), p), TypeError, ["a0", "numeric"]),
    ("object param", lambda x, a0, p: (x, a0, with_param(p, "Wya", p["Wya"].astype(object))), TypeError,
     ["parameters['Wya']", "numeric"]),
    ("empty T", lambda x, a0, p: (x[:, :, :0], a0, p), ValueError, ["x", "T_x = 0"]),
    ("empty m", lambda x, a0, p: (x[:, :0], a0[:, :0], p), ValueError, ["x", "m = 0"]),
    ("empty n_y", lambda x, a0, p: (x, a0, with_param(with_param(p, "Wya", np.zeros((0, 5))), "by", np.zeros((0, 1)))),
     ValueError, ["parameters['Wya']", "n_y = 0"]),
]


@pytest.mark.parametrize("desc,transform,error,words", RNN_FORWARD_ERRORS, ids=[c[0] for c in RNN_FORWARD_ERRORS])
def test_rnn_forward_rejects(desc, transform, error, words):
    with pytest.raises(error) as info:
        fastrnn.rnn_forward(*transform(*rnn_case()))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


LSTM_FORWARD_ERRORS = [
    ("gate weight width", lambda x, a0, p: (x, a0, with_param(p, "Wc", p["Wc"][:, :7])), ValueError,
     ["parameters['Wc']", "(n_a, n_a+n_x) = (5, 8)", "(5, 7)"]),
    ("missing bias", lambda x, a0, p: (x, a0, {k: v for k, v in p.items() if k != "bo"}), KeyError, ["'bo'"]),
    ("Wy mismatch", lambda x, a0, p: (x, a0, with_param(p, "Wy", p["Wy"][:, :4])), ValueError,
     ["parameters['Wy']", "(n_y, n_a) = (2, 5)", "(2, 4)"]),
    ("complex gate", lambda x, a0, p: (x, a0, with_param(p, "Wf", p["Wf"] * 1j)), TypeError, ["parameters['Wf']", "complex"]),
]


@pytest.mark.parametrize("desc,transform,error,words", LSTM_FORWARD_ERRORS, ids=[c[0] for c in LSTM_FORWARD_ERRORS])
def test_lstm_forward_rejects(desc, transform, error, words):
    with pytest.raises(error) as info:
        fastrnn.lstm_forward(*transform(*lstm_case()))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_cell_forward_errors_name_the_argument():
    xt, a_prev, p = nb.rnn_cell_forward_inputs()
    with pytest.raises(ValueError, match=r"a_prev must have shape \(n_a, m\) = \(5, 10\), got \(5, 9\)"):
        fastrnn.rnn_cell_forward(xt, a_prev[:, :9], p)
    with pytest.raises(ValueError, match=r"parameters\['Wax'\] must have shape \(n_a, n_x\) = \(5, 2\)"):
        fastrnn.rnn_cell_forward(xt[:2], a_prev, p)
    xt, a_prev, c_prev, q = nb.lstm_cell_forward_inputs()
    with pytest.raises(ValueError, match=r"c_prev must have shape \(n_a, m\) = \(5, 10\), got \(4, 10\)"):
        fastrnn.lstm_cell_forward(xt, a_prev, c_prev[:4], q)


def test_backward_errors():
    da, caches = nb.rnn_backward_inputs(fastrnn.rnn_forward)
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, 4\) = \(5, 10, 4\), got \(5, 9, 4\)"):
        fastrnn.rnn_backward(da[:, :9], caches)
    with pytest.raises(ValueError, match="da has T_x = 5 time steps but caches hold 4"):
        fastrnn.rnn_backward(np.concatenate([da, da[:, :, :1]], axis=2), caches)
    with pytest.raises(ValueError, match="da must have at least one time step"):
        fastrnn.rnn_backward(da[:, :, :0], caches)
    with pytest.raises(TypeError, match=r"caches must be the \(list_of_step_caches, x\) pair"):
        fastrnn.rnn_backward(da, caches[0])
    with pytest.raises(TypeError, match="da must be real"):
        fastrnn.rnn_backward(da * 1j, caches)
    lstm_da, lstm_caches = nb.lstm_backward_inputs(fastrnn.lstm_forward)
    with pytest.raises(TypeError, match="use lstm_backward"):
        fastrnn.rnn_backward(lstm_da, lstm_caches)
    with pytest.raises(TypeError, match="use rnn_backward"):
        fastrnn.lstm_backward(da, caches)
    # the user's own caches: a malformed step tuple, a mismatched state
    steps = list(caches[0])
    with pytest.raises(TypeError, match=r"caches\[0\]\[2\] must be the 4-tuple returned by rnn_cell_forward"):
        fastrnn.rnn_backward(da, (steps[:2] + [steps[2][:3]] + steps[3:], caches[1]))
    bad = steps[1][0][:4]
    with pytest.raises(ValueError, match=r"caches\[0\]\[1\]\[0\] \(a_next\) must have shape \(n_a, m\) = \(5, 10\)"):
        fastrnn.rnn_backward(da, (steps[:1] + [(bad,) + steps[1][1:]] + steps[2:], caches[1]))
    with pytest.raises(TypeError, match="cache must be the"):
        fastrnn.rnn_cell_backward(da[:, :, 0], steps[0][:3])
    with pytest.raises(TypeError, match="cache must be the 10-tuple"):
        fastrnn.lstm_cell_backward(da[:, :, 0], da[:, :, 0], steps[0])
    with pytest.raises(KeyError, match="'Waa'"):
        p = {k: v for k, v in steps[0][3].items() if k != "Waa"}
        fastrnn.rnn_cell_backward(da[:, :, 0], steps[0][:3] + (p,))


# ------------------------------------------------------------ odd but valid
def snapshot(*arrays):
    return [a.copy() for a in arrays]


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_layouts_readonly_integer_inputs_and_no_mutation(model):
    forward, backward = getattr(fastrnn, f"{model}_forward"), getattr(fastrnn, f"{model}_backward")
    x, a0, p = rnn_case() if model == "rnn" else lstm_case()
    expected = forward(x, a0, p)
    da = np.random.default_rng(0).standard_normal(expected[0].shape)
    expected_grads = backward(da, expected[-1])

    variants = {
        "fortran": (np.asfortranarray(x), np.asfortranarray(a0), {k: np.asfortranarray(v) for k, v in p.items()}),
        "strided": (np.repeat(x, 2, axis=1)[:, ::2], np.repeat(a0, 2, axis=1)[:, ::2], p),
    }
    ro = (x.copy(), a0.copy(), {k: v.copy() for k, v in p.items()})
    for arr in (ro[0], ro[1], *ro[2].values()):
        arr.flags.writeable = False
    variants["read-only"] = ro
    for name, (vx, va0, vp) in variants.items():
        before = snapshot(vx, va0, *vp.values())
        keys = list(vp)
        out = forward(vx, va0, vp)
        grads = backward(da, out[-1])
        for got, want in zip(out[:-1], expected[:-1]):
            assert_allclose(got, want, rtol=1e-13, atol=1e-15, err_msg=name)
        for key in expected_grads:
            assert_allclose(grads[key], expected_grads[key], rtol=1e-12, atol=1e-14, err_msg=f"{name} {key}")
        for a, b in zip(before, [vx, va0, *vp.values()]):
            assert_array_equal(a, b)
        assert list(vp) == keys

    # integer inputs are converted to float64, never modified
    xi, a0i = np.round(x * 3).astype(np.int64), np.round(a0 * 3).astype(np.int32)
    out = forward(xi, a0i, p)
    ref = forward(xi.astype(float), a0i.astype(float), p)
    assert out[0].dtype == np.float64
    assert_allclose(out[0], ref[0], rtol=1e-15)


def test_float32_and_mixed_dtypes():
    x, a0, p = rnn_case()
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    a32, y32, caches = fastrnn.rnn_forward(x.astype(np.float32), a0.astype(np.float32), p32)
    assert a32.dtype == y32.dtype == np.float32
    g = fastrnn.rnn_backward(np.ones(a32.shape, np.float32), caches)
    assert all(v.dtype == np.float32 for v in g.values())
    # one float64 array anywhere -> float64 results (numpy's promotion)
    a_mixed, _, caches = fastrnn.rnn_forward(x.astype(np.float32), a0, p32)
    assert a_mixed.dtype == np.float64
    # float64 da on float32 caches -> float64 gradients
    assert fastrnn.rnn_backward(np.ones(a32.shape), fastrnn.rnn_forward(x.astype(np.float32), a0.astype(np.float32), p32)[2])["dx"].dtype == np.float64


def test_step_caches_behave_like_the_course_list():
    x, a0, p = rnn_case()
    a, _, caches = fastrnn.rnn_forward(x, a0, p)
    steps = caches[0]
    assert len(steps) == 4 and len(list(steps)) == 4
    assert_array_equal(steps[-1][0], a[:, :, 3])
    assert_array_equal(steps[0][1], a0)
    assert_array_equal(steps[2][2], x[:, :, 2])
    assert [s[0][0, 0] for s in steps[1:3]] == [a[0, 0, 1], a[0, 0, 2]]
    assert all(s[3] is p for s in steps)
    with pytest.raises(IndexError):
        steps[4]
    assert "4 steps" in repr(steps)


def test_parameters_are_read_at_backward_time_like_the_course():
    """The course's step caches hold the dict: backward sees its current weights."""
    import reference
    x, a0, p = rnn_case()
    da = np.ones((5, 10, 4))
    _, _, ours = fastrnn.rnn_forward(x, a0, p)
    _, _, theirs = reference.rnn_forward(x, a0, p)
    p["Waa"] = p["Waa"] * 0.5
    got, want = fastrnn.rnn_backward(da, ours), reference.rnn_backward(da, theirs)
    for key in want:
        assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_checks_still_run_after_calls_took_the_fast_path(model):
    """Plain arrays run straight through the entry kernels without the Python
    checks (fastrnn._kernels._jit.EntryKernel): anything that changes must still be caught."""
    forward, backward = getattr(fastrnn, f"{model}_forward"), getattr(fastrnn, f"{model}_backward")
    x, a0, p = rnn_case() if model == "rnn" else lstm_case()
    key = "Waa" if model == "rnn" else "Wf"
    p = dict(p)
    for _ in range(2):  # the second round takes the fast path
        out = forward(x, a0, p)
        da = np.ones(out[0].shape)
        grads = backward(da, out[-1])
    with pytest.raises(ValueError, match=rf"parameters\['{key}'\]"):
        forward(x, a0, {**p, key: p[key][:, :-1]})
    with pytest.raises(ValueError, match="da"):
        backward(da[:, :-1], out[-1])
    with pytest.raises(KeyError, match=key):
        forward(x, a0, {k: v for k, v in p.items() if k != key})
    # the caches read the parameters dict as it is at backward time, as the course's loop does
    original = p[key]
    p[key] = original[:-1]
    with pytest.raises(ValueError, match=rf"parameters \(from caches\)\['{key}'\]"):
        backward(da, out[-1])
    p[key] = original
    # a read-only or Fortran-ordered array after fast calls: the same numbers, nothing modified
    read_only = x.copy()
    read_only.flags.writeable = False
    for variant in (np.asfortranarray(x), read_only):
        before = variant.copy()
        again = forward(variant, a0, p)
        assert_allclose(again[0], out[0], rtol=1e-14)
        assert_array_equal(variant, before)
    assert_allclose(backward(da, again[-1])["dx"], grads["dx"], rtol=1e-13)


def test_entry_kernels_take_only_plain_arrays_in_shapes_that_fit():
    """The fast path's guard: an entry kernel compiled for float64 refuses other
    array types with TypeError (no new variant), and shapes that do not fit
    together with False, writing nothing."""
    from fastrnn._kernels import rnn as kernels
    from fastrnn._kernels._jit import EntryKernel

    x, a0, p = rnn_case()
    params = [p[k] for k in ("Wax", "Waa", "ba", "Wya", "by")]
    T, m, n_x, n_a, n_y = x.shape[2], x.shape[1], x.shape[0], a0.shape[0], 2
    outs = [np.full((T, m, n_x), 7.0), np.full((T + 1, m, n_a), 7.0), np.full((T, m, n_y), 7.0)]
    run = kernels.rnn_forward_entry[np.dtype(np.float64)]
    assert run(x, a0, *params, *outs)
    before = len(run.signatures)
    read_only = x.copy()
    read_only.flags.writeable = False
    for bad_x in (np.asfortranarray(x), x.astype(np.float32), x.astype(np.int64), read_only,
                  np.repeat(x, 2, axis=2)[:, :, ::2]):
        with pytest.raises(TypeError):
            run(bad_x, a0, *params, *outs)
    assert len(run.signatures) == before
    outs = [np.full(o.shape, 7.0) for o in outs]
    cut = np.ascontiguousarray
    for bad in ([cut(x[:, :, :2]), a0], [x, cut(a0[:, :4])], [x, np.zeros((n_a, 0))]):
        assert not run(*bad, *params, *outs)
    assert not run(x, a0, cut(params[0][:, :2]), *params[1:], *outs)
    assert not run(x, a0, *params, cut(outs[0][:, :, :2]), *outs[1:])
    assert all((o == 7.0).all() for o in outs)
    with pytest.raises(TypeError, match="no variant for dtype int64"):
        kernels.rnn_forward_entry[np.dtype(np.int64)]
    assert isinstance(kernels.rnn_forward_entry, EntryKernel)


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_fast_path_keeps_the_dtype_rule(model):
    """float32 throughout gives float32 on the fast path too; one float64 array
    (or a float64 da over float32 caches) gives float64, as the checked path says."""
    forward, backward = getattr(fastrnn, f"{model}_forward"), getattr(fastrnn, f"{model}_backward")
    x, a0, p = rnn_case() if model == "rnn" else lstm_case()
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    x32, a32 = x.astype(np.float32), a0.astype(np.float32)
    out32 = forward(x32, a32, p32)
    assert out32[0].dtype == np.float32
    da = np.ones(out32[0].shape)
    assert backward(da.astype(np.float32), out32[-1])["dx"].dtype == np.float32
    assert backward(da, out32[-1])["dx"].dtype == np.float64
    mixed = forward(x32, a0, p32)
    assert mixed[0].dtype == np.float64
    assert_allclose(mixed[0], forward(x, a0, p)[0], rtol=1e-5, atol=1e-6)  # float32-rounded inputs
