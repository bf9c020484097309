"""Random bad and odd inputs to every public function: a clear error (ValueError, TypeError,
KeyError) or a right answer, never another exception, and the caller's arrays never changed."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastrnn
from fastrnn.charmodel import rnn as char_rnn

CLEAR = (ValueError, TypeError, KeyError)

#: Values an argument may take instead of the right array.
odd_values = st.one_of(
    st.none(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=3),
    st.lists(st.floats(-1, 1), max_size=3),
    st.sampled_from(["complex", "object", "datetime", "bool", "int8", "float16", "empty", "0-d", "nan", "fortran",
                     "strided", "read-only", "broadcast", "matrix"]))


def odd(value, like):
    """``like`` turned into the odd value named by ``value`` (or ``value`` itself)."""
    if not isinstance(value, str) or value not in {"complex", "object", "datetime", "bool", "int8", "float16",
                                                     "empty", "0-d", "nan", "fortran", "strided", "read-only",
                                                     "broadcast", "matrix"}:
        return value
    return {
        "complex": lambda: like.astype(complex), "object": lambda: like.astype(object),
        "datetime": lambda: like.astype("datetime64[s]") if like.size else like.astype("datetime64[s]"),
        "bool": lambda: like > 0, "int8": lambda: like.astype(np.int8), "float16": lambda: like.astype(np.float16),
        "empty": lambda: np.empty((0,) + like.shape[1:]), "0-d": lambda: np.float64(1.0),
        "nan": lambda: np.full_like(like, np.nan), "fortran": lambda: np.asfortranarray(like),
        "strided": lambda: np.repeat(like, 2, axis=-1)[..., ::2], "read-only": lambda: _read_only(like),
        "broadcast": lambda: np.broadcast_to(like.ravel()[:1].reshape((1,) * like.ndim), like.shape),
        "matrix": lambda: np.asmatrix(like) if like.ndim == 2 else like,
    }[value]()


def _read_only(like):
    out = like.copy()
    out.setflags(write=False)
    return out


def rnn_case(seed, n_x=3, n_a=4, n_y=2, m=3, T=2):
    rng = np.random.default_rng(seed)
    p = {"Wax": rng.standard_normal((n_a, n_x)), "Waa": rng.standard_normal((n_a, n_a)),
         "ba": rng.standard_normal((n_a, 1)), "Wya": rng.standard_normal((n_y, n_a)),
         "by": rng.standard_normal((n_y, 1))}
    return rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), p, rng.standard_normal((n_a, m, T))


def lstm_case(seed, n_x=3, n_a=4, n_y=2, m=3, T=2):
    rng = np.random.default_rng(seed)
    p = {f"{w}{g}": rng.standard_normal((n_a, n_a + n_x) if w == "W" else (n_a, 1)) for g in "fico" for w in "Wb"}
    p.update(Wy=rng.standard_normal((n_y, n_a)), by=rng.standard_normal((n_y, 1)))
    return rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), p, rng.standard_normal((n_a, m, T))


def gru_case(seed, n_x=3, n_a=4, n_y=2, m=3, T=2):
    rng = np.random.default_rng(seed)
    p = {f"{w}{g}": rng.standard_normal((n_a, n_a + n_x) if w == "W" else (n_a, 1)) for g in "ruc" for w in "Wb"}
    p.update(Wy=rng.standard_normal((n_y, n_a)), by=rng.standard_normal((n_y, 1)))
    return rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), p, rng.standard_normal((n_a, m, T))


CASES = {"rnn": (rnn_case, fastrnn.rnn_forward, fastrnn.rnn_backward),
         "lstm": (lstm_case, fastrnn.lstm_forward, fastrnn.lstm_backward),
         "gru": (gru_case, fastrnn.gru_forward, fastrnn.gru_backward)}


def snapshot(*values):
    out = []
    for v in values:
        if isinstance(v, dict):
            out.extend(snapshot(*v.values()))
        elif isinstance(v, np.ndarray):
            out.append((v, v.copy()))
    return out


def unchanged(pairs):
    return all(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc") if a.dtype.kind in "fc" else np.array_equal(a, b)
               for a, b in pairs)


def call(function, *args):
    """Run ``function``: returns normally or raises one of CLEAR (anything else fails the test)."""
    try:
        function(*args)
    except CLEAR:
        pass


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@settings(max_examples=120, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.integers(0, 3), st.sampled_from(["x", "a0", "key", "da", "drop"]),
       odd_values, st.integers(0, 1000))
def test_sequence_functions_on_odd_inputs(model, which, where, value, seed):
    case, forward, backward = CASES[model]
    x, a0, p, da = case(seed)
    key = sorted(p)[which % len(p)]
    if where == "x":
        x = odd(value, x)
    elif where == "a0":
        a0 = odd(value, a0)
    elif where == "key":
        p[key] = odd(value, p[key])
    elif where == "drop":
        del p[key]
    before = snapshot(x, a0, p, da)
    try:
        caches = forward(x, a0, p)[-1]
    except CLEAR:
        caches = None
    if caches is not None:
        call(backward, odd(value, da) if where == "da" else da, caches)
    assert unchanged(before)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix's own
@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["Wax", "Waa", "Wya", "b", "by", "a_prev", "X", "Y"]), odd_values, st.integers(0, 1000))
def test_char_model_on_odd_inputs(where, value, seed):
    rng = np.random.default_rng(seed)
    p = {"Wax": rng.standard_normal((5, 27)) * 0.1, "Waa": rng.standard_normal((5, 5)) * 0.1,
         "Wya": rng.standard_normal((27, 5)) * 0.1, "b": np.zeros((5, 1)), "by": np.zeros((27, 1))}
    X, Y, a_prev = [None, 3, 4], [3, 4, 0], np.zeros((5, 1))
    if where in p:
        p[where] = odd(value, p[where])
    elif where == "a_prev":
        a_prev = odd(value, a_prev)
    elif where == "X":
        X = value
    else:
        Y = value
    before = snapshot(a_prev)
    call(char_rnn.sample, p, {"\n": 0}, seed)
    call(char_rnn.optimize, X, Y, a_prev, p)
    assert unchanged(before)
