"""The product and transpose helpers of the kernels against numpy, on both sides of their size switches."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastrnn._kernels import linalg


@pytest.mark.parametrize("r, m, n", [(7, 5, 3), (7, 3, 5), (80, 40, 40), (80, 64, 20), (80, 20, 64)])
def test_matmul_tn(r, m, n):
    rng = np.random.default_rng(r * m * n)
    a, b = rng.standard_normal((r, m)), rng.standard_normal((r, n))
    out = np.full((m, n), np.nan)
    linalg.matmul_tn(a, b, out)
    assert_allclose(out, a.T @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (100, 27), (300, 250), (512, 130)])
def test_transpose_into(shape):
    src = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    dst = np.full(shape[::-1], np.nan)
    linalg.transpose_into(src, dst)
    assert np.array_equal(dst, src.T)


@pytest.mark.parametrize("shape", [(5, 10, 4), (70, 9, 110)])
def test_to_time_major(shape):
    src = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    dst = np.full(shape[::-1], np.nan)
    linalg.to_time_major(src, dst)
    assert np.array_equal(dst, src.transpose(2, 1, 0))


@pytest.mark.parametrize("n", [2, 17])
@pytest.mark.parametrize("k", [1, 3, 4, 5, 8, 11])
def test_one_row_products_and_column_sums_add_in_order(k, n):
    """The one-row loop of matmul (below ONE_ROW_BLAS_MIN) adds the terms in
    the order of the inner index, four a pass: the same rounding as a plain
    sequential sum, bit for bit.  So does column_sums."""
    rng = np.random.default_rng(k)
    a, b = rng.standard_normal((1, k)), rng.standard_normal((k, n))
    want = np.zeros((1, n))
    for p in range(k):
        want = want + a[:, p:p + 1] * b[p]
    out = np.full((1, n), np.nan)
    linalg.matmul(a, b, out)
    assert np.array_equal(out, want)
    sums = np.full(n, np.nan)
    linalg.column_sums(b, sums)
    want = np.zeros(n)
    for row in b:
        want = want + row
    assert np.array_equal(sums, want)


@pytest.mark.parametrize("m, k, n", [(1, 50, 50), (10, 5, 5), (40, 3, 2), (1, 512, 1024)])
def test_matmul(m, k, n):
    """Both sides of the one-row switch, and BLAS for small products."""
    rng = np.random.default_rng(m * k * n)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out = np.full((m, n), np.nan)
    linalg.matmul(a, b, out)
    assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_a, n_x", [(5, 3), (50, 27), (200, 130)])  # the last one block by block
def test_stack_gate_weights_transposed(n_a, n_x):
    from fastrnn._kernels import lstm

    rng = np.random.default_rng(n_a)
    gates = [rng.standard_normal((n_a, n_a + n_x)) for _ in range(4)]
    WaT, WxT = np.full((n_a, 4 * n_a), np.nan), np.full((n_x, 4 * n_a), np.nan)
    lstm.stack_gate_weights_transposed(*gates, WaT, WxT)
    stacked = np.vstack(gates)
    assert np.array_equal(WaT, stacked[:, :n_a].T) and np.array_equal(WxT, stacked[:, n_a:].T)
