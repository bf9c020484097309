"""The product, layout and transpose kernels against numpy, on both sides of their size switches
(and, under FASTRNN_SIMD=0, the plain loops that replace the vector code)."""
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastrnn._kernels import intrinsics, layout, products, tuning
from fastrnn._kernels._jit import SIMD_ENABLED


@pytest.mark.parametrize("r, m, n", [(7, 5, 3), (7, 3, 5), (80, 40, 40), (80, 64, 20), (80, 20, 64),
                                     (2048, 256, 128)])  # the last: narrower operand first (NARROW_FIRST_MIN)
def test_matmul_tn(r, m, n):
    rng = np.random.default_rng(r * m * n)
    a, b = rng.standard_normal((r, m)), rng.standard_normal((r, n))
    out = np.full((m, n), np.nan)
    products.matmul_tn(a, b, out)
    assert_allclose(out, a.T @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (8, 8), (16, 17), (100, 27), (300, 250), (512, 130)])
def test_transpose_into(shape, dtype):
    src = np.arange(np.prod(shape), dtype=dtype).reshape(shape)
    dst = np.full(shape[::-1], np.nan, dtype)
    layout.transpose_into(src, dst)
    assert np.array_equal(dst, src.T)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("block", [(0, 50, 0, 50), (3, 40, 50, 77), (1, 2, 5, 70), (0, 50, 60, 61)])
def test_transpose_block_writes_only_its_block(block, dtype):
    """A block of ``src`` into a block of ``dst`` at an offset (the LSTM's
    stacking): register tiles and every kind of edge; the rest of ``dst`` untouched."""
    i0, i1, j0, j1 = block
    src = np.random.default_rng(i1).standard_normal((50, 77)).astype(dtype)
    dst = np.full((j1 - j0 + 3, i1 - i0 + 20), np.nan, dtype)
    layout.transpose_block(src, i0, i1, j0, j1, dst, 2, 9)
    assert np.array_equal(dst[2:2 + j1 - j0, 9:9 + i1 - i0], src[i0:i1, j0:j1].T)
    inside = np.zeros(dst.shape, bool)
    inside[2:2 + j1 - j0, 9:9 + i1 - i0] = True
    assert np.isnan(dst[~inside]).all()


@pytest.mark.parametrize("shape", [(5, 10, 4), (8, 3, 5), (27, 1, 25), (70, 9, 110)])
def test_to_time_major(shape):
    src = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    dst = np.full(shape[::-1], np.nan)
    layout.to_time_major(src, dst)
    assert np.array_equal(dst, src.transpose(2, 1, 0))


def fused_multiply_add(x, y, z):
    """``x * y + z`` rounded once (float64 arrays), from exact rationals."""
    return np.array([float(Fraction(a) * Fraction(b) + Fraction(c)) for a, b, c in zip(x, y, z)])


@pytest.mark.parametrize("n", [2, 17, 40])
@pytest.mark.parametrize("k", [1, 3, 4, 5, 8, 11])
def test_one_row_products_and_column_sums_add_in_order(k, n):
    """The one-row product of matmul (below ONE_ROW_BLAS_MIN) adds the terms
    in the order of the inner index, each by a fused multiply-add (the
    column tiles, up to ROW_TILE_MAX_BYTES of ``b``), bit for bit; with or
    without a start value.  With FASTRNN_SIMD=0, a multiply then an add per
    term, in the same order.  column_sums adds the rows in order."""
    rng = np.random.default_rng(k)
    a, b = rng.standard_normal((1, k)), rng.standard_normal((k, n))
    step = fused_multiply_add if SIMD_ENABLED else (lambda x, y, z: x * y + z)
    want = np.zeros(n)
    for p in range(k):
        want = step(np.full(n, a[0, p]), b[p], want)
    out = np.full((1, n), np.nan)
    products.matmul(a, b, out)
    assert np.array_equal(out[0], want)
    start = rng.standard_normal(n + 1)
    want = start[1:]
    for p in range(k):
        want = step(np.full(n, a[0, p]), b[p], want)
    products.add_matmul_block(a[0], 0, b, n, start, 1, 1, np.empty(n), n % 2 == 0)
    assert np.array_equal(start[1:], want)
    sums = np.full(n, np.nan)
    products.column_sums(b, sums)
    want = np.zeros(n)
    for row in b:
        want = want + row
    assert np.array_equal(sums, want)


@pytest.mark.parametrize("k, n", [(40, 500), (130, 33)])
def test_one_row_products_past_the_tiles_add_in_order(k, n):
    """Past ROW_TILE_MAX_BYTES (WIDE_ROW_TILE_MAX_BYTES for a ``b`` at least
    as wide as tall) the one-row product goes by passes over the
    row, four rows of ``b`` a pass, a multiply then an add per term in the
    order of the inner index: the same rounding as a plain sequential sum.
    add_matmul_block adds the product (from scratch) to the block."""
    assert k * n * 8 > (tuning.WIDE_ROW_TILE_MAX_BYTES if n >= k else tuning.ROW_TILE_MAX_BYTES)
    rng = np.random.default_rng(k)
    a, b = rng.standard_normal((1, k)), rng.standard_normal((k, n))
    want = np.zeros((1, n))
    for p in range(k):
        want = want + a[:, p:p + 1] * b[p]
    out = np.full((1, n), np.nan)
    products.matmul(a, b, out)
    assert np.array_equal(out, want)
    start = rng.standard_normal(n)
    total = start + want[0]
    products.add_matmul_block(a[0], 0, b, n, start, 0, 1, np.empty(n), False)
    assert np.array_equal(start, total)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 16, 31, 32, 33, 48, 50, 64, 65, 200])
def test_one_row_tiles_every_width(dtype, n):
    """Every count of tiles and of lanes in the last vector, at an offset of
    a flat buffer, set or added to, tiles in either order: the columns
    outside the product stay as they were."""
    rng = np.random.default_rng(n)
    k = 6
    a, b = rng.standard_normal(k + 2).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    buf = rng.standard_normal(n + 9).astype(dtype)
    before = buf.copy()
    products.matmul_block(a, 2, b, buf, 4, 1)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    product = buf[4:4 + n].copy()
    assert_allclose(product, a[2:].astype(np.float64) @ b.astype(np.float64), **tol)
    assert np.array_equal(buf[:4], before[:4]) and np.array_equal(buf[4 + n:], before[4 + n:])
    for reverse in (False, True):  # tiles taken from the first or the last: the same sums
        buf[:] = before
        products.add_matmul_block(a, 2, b, n, buf, 4, 1, np.empty(n, dtype), reverse)
        want = before[4:4 + n].astype(np.float64) + a[2:].astype(np.float64) @ b.astype(np.float64)
        assert_allclose(buf[4:4 + n], want, **tol)
        assert np.array_equal(buf[:4], before[:4]) and np.array_equal(buf[4 + n:], before[4 + n:])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows, k, n", [(1, 6, 50), (1, 80, 501), (3, 6, 50)], ids=["tiles", "passes", "BLAS"])
def test_products_with_the_first_columns_of_a_padded_matrix(dtype, rows, k, n):
    """add_matmul_block and caller_thread_block multiply by the first ``n``
    columns of a ``b`` whose rows are padded to padded_width (the RNN's
    recurrent weights): the padding (NaN here) is never read, and the sums
    are those of the unpadded ``b``."""
    width = layout.padded_width(n, np.dtype(dtype).itemsize)
    assert width > n and width * np.dtype(dtype).itemsize % tuning.ROW_ALIGN == 0 and width - n < 8
    rng = np.random.default_rng(n)
    a = rng.standard_normal(2 + rows * k).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    padded = np.full((k, width), np.nan, dtype)
    padded[:, :n] = b
    out = rng.standard_normal(4 + rows * n + 3).astype(dtype)
    before = out.copy()
    want = out.copy()
    products.add_matmul_block(a, 2, b, n, want, 4, rows, np.empty(n, dtype), False)
    products.add_matmul_block(a, 2, padded, n, out, 4, rows, np.empty(n, dtype), True)
    assert np.array_equal(out, want)
    if rows > 1:
        out[:] = before
        products.caller_thread_block(a, 2, padded, n, out, 4, rows, True)
        assert np.array_equal(out, want)
    assert np.array_equal(out[:4], before[:4]) and np.array_equal(out[4 + rows * n:], before[4 + rows * n:])


@pytest.mark.parametrize("m, k, n", [(1, 50, 50), (10, 5, 5), (40, 3, 2), (1, 512, 1024)])
def test_matmul(m, k, n):
    """Both sides of the one-row switch, and BLAS for small products."""
    rng = np.random.default_rng(m * k * n)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out = np.full((m, n), np.nan)
    products.matmul(a, b, out)
    assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_a, n_x", [(5, 3), (50, 27), (200, 130)])  # the first without register tiles
def test_stack_gate_weights_transposed(n_a, n_x):
    from fastrnn._kernels import lstm

    rng = np.random.default_rng(n_a)
    gates = [rng.standard_normal((n_a, n_a + n_x)) for _ in range(4)]
    WaT, WxT = np.full((n_a, 4 * n_a), np.nan), np.full((n_x, 4 * n_a), np.nan)
    lstm.stack_gate_weights_transposed(*gates, WaT, WxT)
    stacked = np.vstack(gates)
    assert np.array_equal(WaT, stacked[:, :n_a].T) and np.array_equal(WxT, stacked[:, n_a:].T)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gemm_on_offset_blocks(dtype):
    """``gemm`` reads and writes row-major blocks inside flat buffers (rows
    further apart than the block is wide), transposed or not, and adds to
    the block when asked; nothing outside the block changes."""
    rng = np.random.default_rng(5)
    rows, cols, inner = 4, 3, 6
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    for trans_a in (False, True):
        for trans_b in (False, True):
            for accumulate in (False, True):
                a_shape = (inner, rows) if trans_a else (rows, inner)
                b_shape = (cols, inner) if trans_b else (inner, cols)
                lda, ldb, ldc = a_shape[1] + 2, b_shape[1] + 1, cols + 3
                a_buf = rng.standard_normal(3 + a_shape[0] * lda).astype(dtype)
                b_buf = rng.standard_normal(5 + b_shape[0] * ldb).astype(dtype)
                c_buf = rng.standard_normal(7 + rows * ldc).astype(dtype)
                view = lambda buf, at, shape, ld: buf[at:at + shape[0] * ld].reshape(shape[0], ld)[:, :shape[1]]  # noqa: E731
                A, B = view(a_buf, 3, a_shape, lda), view(b_buf, 5, b_shape, ldb)
                opA, opB = (A.T if trans_a else A), (B.T if trans_b else B)
                before = c_buf.copy()
                want = opA.astype(np.float64) @ opB.astype(np.float64)
                if accumulate:
                    want = want + view(before, 7, (rows, cols), ldc)
                products.gemm(a_buf, 3, lda, trans_a, b_buf, 5, ldb, trans_b, c_buf, 7, ldc,
                            rows, cols, inner, accumulate)
                got = view(c_buf, 7, (rows, cols), ldc)
                assert_allclose(got, want, **tol, err_msg=f"{trans_a} {trans_b} {accumulate}")
                untouched = np.ones(c_buf.shape, bool)
                view(untouched, 7, (rows, cols), ldc)[:] = False
                assert np.array_equal(c_buf[untouched], before[untouched])


@pytest.mark.parametrize("rows, k, n", [(1, 5, 7), (3, 5, 7)], ids=["one-row loop", "BLAS"])
def test_products_on_blocks_of_flat_buffers(rows, k, n):
    """matmul_block and add_matmul_block at offsets of flat buffers, on both
    sides of the one-row switch (the sum of add_matmul_block is ``out + a @ b``
    up to rounding: the one-row tiles add each term to ``out``'s value)."""
    rng = np.random.default_rng(rows)
    a, b = rng.standard_normal(2 + rows * k), rng.standard_normal((k, n))
    out = rng.standard_normal(4 + rows * n + 3)
    block = a[2:2 + rows * k].reshape(rows, k)
    product = np.empty((rows, n))
    products.matmul(block.copy(), b, product)  # the same products as the kernels' matmul
    before = out.copy()
    products.matmul_block(a, 2, b, out, 4, rows)
    assert np.array_equal(out[4:4 + rows * n].reshape(rows, n), product)
    assert np.array_equal(out[:4], before[:4]) and np.array_equal(out[4 + rows * n:], before[4 + rows * n:])
    out[:] = before
    products.add_matmul_block(a, 2, b, n, out, 4, rows, np.empty(n), False)
    assert_allclose(out[4:4 + rows * n].reshape(rows, n), before[4:4 + rows * n].reshape(rows, n) + product,
                    rtol=1e-14, atol=1e-14)
    assert np.array_equal(out[:4], before[:4]) and np.array_equal(out[4 + rows * n:], before[4 + rows * n:])


def test_view_as_shares_memory_with_any_shape_of_the_same_size():
    from numba import njit

    @njit
    def views(a):
        return intrinsics.view_as(a, a.size), intrinsics.view_as(a, (a.shape[0] * a.shape[1], a.shape[2]))

    a = np.arange(24.0).reshape(2, 3, 4)
    flat, rows = views(a)
    assert flat.shape == (24,) and flat.strides == (8,) and np.array_equal(flat, a.ravel())
    assert rows.shape == (6, 4) and rows.strides == (32, 8) and np.array_equal(rows, a.reshape(6, 4))
    flat[5] = -1.0
    assert a[0, 1, 1] == -1.0
