"""Scratch memory of the backward passes: the pooled buffers and the kernels' own."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import fastrnn
import reference
from fastrnn import _buffers


def test_work_pools_large_requests_and_hands_out_a_placeholder_for_small_ones():
    f64 = np.dtype(np.float64)
    small = _buffers.work("test", 10, f64)
    assert small.shape == (0,) and small.dtype == f64
    assert _buffers.work("test", 10, np.dtype(np.float32)).dtype == np.float32
    n = _buffers.POOLED_MIN // 8
    big = _buffers.work("test", n + 1, f64)
    assert big.shape[0] >= n + 1 and big.dtype == f64
    assert _buffers.work("test", n, f64) is big  # kept and reused while large enough
    assert _buffers.work("test", 2 * n, f64).shape[0] >= 2 * n  # grown
    _buffers.release()
    assert _buffers.work("test", n, f64) is not big


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_backward_gives_the_same_gradients_with_pooled_or_own_scratch(model, monkeypatch):
    """Every scratch request from the pool, then none: bit-identical gradients,
    twice in a row (the second reuses a pooled buffer longer than it needs)."""
    rng = np.random.default_rng(3)
    n_x, n_a, n_y, m, T = 3, 6, 2, 4, 5
    p = getattr(reference, f"random_{model}_parameters")(rng, n_x, n_a, n_y)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    forward, backward = getattr(fastrnn, f"{model}_forward"), getattr(fastrnn, f"{model}_backward")
    caches = forward(x, a0, p)[-1]
    das = [rng.standard_normal((n_a, m, T)), rng.standard_normal((n_a, m, T - 2))]
    results = {}
    for pooled_min in (0, 1 << 40):
        monkeypatch.setattr(_buffers, "POOLED_MIN", pooled_min)
        _buffers.release()
        results[pooled_min] = [backward(da, caches) for da in das]
    _buffers.release()
    for pooled, own in zip(results[0], results[1 << 40]):
        for key in own:
            assert_array_equal(pooled[key], own[key], err_msg=key)
    expected = getattr(reference, f"{model}_backward")(das[1], caches)
    for key in expected:
        np.testing.assert_allclose(results[0][1][key], expected[key], rtol=1e-12, atol=1e-12, err_msg=key)
