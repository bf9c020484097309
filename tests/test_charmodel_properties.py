"""Property tests: the compiled char models against the course's code and the reference,
over hypothesis-drawn hidden sizes, vocabularies and sequence lengths."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import reference
from fastrnn import charmodel as cm
from fastrnn import charmodel_lstm as cl
from fastrnn.course import dinosaurus as course
from fastrnn import rnn_utils


@st.composite
def examples(draw):
    n_a = draw(st.integers(1, 9))
    vocab = draw(st.sampled_from([27, 2, 5]))
    length = draw(st.integers(0, 9))
    chars = draw(st.lists(st.integers(1, vocab - 1), min_size=length, max_size=length))
    scale = draw(st.sampled_from([0.01, 0.5, 2.0]))
    seed = draw(st.integers(0, 2**31))
    return n_a, vocab, chars, scale, seed


def random_parameters(rng, n_a, vocab, scale):
    return {"Wax": rng.standard_normal((n_a, vocab)) * scale, "Waa": rng.standard_normal((n_a, n_a)) * scale,
            "Wya": rng.standard_normal((vocab, n_a)) * scale, "b": rng.standard_normal((n_a, 1)) * scale,
            "by": rng.standard_normal((vocab, 1)) * scale}


@given(examples().filter(lambda case: case[1] == 27))  # the course's optimize assumes vocab_size=27
def test_optimize_equals_the_course_code(case):
    n_a, vocab, chars, scale, seed = case
    rng = np.random.default_rng(seed)
    p = random_parameters(rng, n_a, vocab, scale)
    X = [None] + chars
    Y = chars + [0]
    a_prev = rng.standard_normal((n_a, 1))
    ours, theirs = {k: v.copy() for k, v in p.items()}, {k: v.copy() for k, v in p.items()}
    loss, grads, a_last = cm.optimize(X, Y, a_prev, ours, learning_rate=0.03)
    want_loss, want_grads, want_a = course.optimize(X, Y, a_prev, theirs, learning_rate=0.03)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
    # a state whose pre-activation cancels to ~1e-2 keeps an error of a few ulp of its
    # summands (vectorised dot products against numpy's BLAS; seen: 1.4e-14 with
    # weights of scale 2 and n_a = 9), so atol follows the weights' scale
    np.testing.assert_allclose(a_last, want_a, rtol=1e-12, atol=1e-14 * max(1.0, scale) ** 2)
    for key in want_grads:
        # fused multiply-adds and vectorised dot products round differently from
        # numpy's BLAS: a gradient that cancels to ~1e-7 keeps an error of a few
        # ulp of its summands (seen: 1.3e-13 with weights of scale 2)
        np.testing.assert_allclose(grads[key], want_grads[key], rtol=1e-10, atol=1e-12)
    for key in theirs:
        # W - lr dW rounds at the scale of W: an updated weight that cancels to
        # ~1e-3 keeps an error of a few ulp of W (seen: 4.3e-15 with |W| up to 6,
        # the same with the previous session's kernels and with the course's
        # loop order), so atol follows the largest weight
        atol = 4e-15 * max(1.0, np.abs(theirs[key]).max())
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, atol=atol)


@given(examples())
def test_sample_equals_the_course_code(case):
    n_a, vocab, _, scale, seed = case
    p = random_parameters(np.random.default_rng(seed), n_a, vocab, scale)
    char_to_ix = {"\n": 0, **{chr(96 + i): i for i in range(1, vocab)}}
    assert cm.sample(p, char_to_ix, seed % 1000) == course.sample(p, char_to_ix, seed % 1000)


@given(examples())
def test_lstm_adam_step_equals_the_reference(case):
    n_a, vocab, chars, _, seed = case
    p = cl.initialize_parameters(n_a, vocab, vocab, seed=seed)
    X, Y = [None] + chars, chars + [0]
    x = np.zeros((vocab, 1, len(X)))
    for t, k in enumerate(X):
        if k is not None:
            x[k, 0, t] = 1.0
    a, y, _, caches = reference.lstm_forward(x, np.zeros((n_a, 1)), p)
    loss = -sum(np.log(y[k, 0, t]) for t, k in enumerate(Y))
    dy = y.copy()
    for t, k in enumerate(Y):
        dy[k, 0, t] -= 1.0
    g = reference.lstm_backward(np.einsum("ki,kmt->imt", p["Wy"], dy), caches)
    g["dWy"], g["dby"] = np.einsum("kmt,imt->ki", dy, a), dy.sum(axis=(1, 2))[:, None]
    grads = {k: np.clip(v, -5, 5) for k, v in g.items() if k not in ("dx", "da0")}
    expected = {k: v.copy() for k, v in p.items()}
    v, s = rnn_utils.initialize_adam(expected)
    expected, _, _ = rnn_utils.update_parameters_with_adam(expected, grads, v, s, 1, cl.LEARNING_RATE)
    names = ["".join(chr(96 + c) for c in chars)]
    char_to_ix = {"\n": 0, **{chr(96 + i): i for i in range(1, vocab)}}
    smoothed = cl.LSTMCharTrainer(names, char_to_ix, p, loss=0.0).run(1)
    np.testing.assert_allclose(smoothed[0], loss * 0.001, rtol=1e-11)
    for key in expected:
        np.testing.assert_allclose(p[key], expected[key], rtol=1e-9, atol=1e-12)
