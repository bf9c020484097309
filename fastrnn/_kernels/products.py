"""Matrix products: BLAS calls on blocks of flat buffers, and the one-row product.

Every product of two rows or more goes to SciPy's OpenBLAS, even the
notebook's tiny ones: OpenBLAS runs small products on the calling thread
with kernels for small sizes, faster than a loop numba compiles.  BLAS is
called through numba's own helper (``numba_xxgemm``, the one behind its
``np.dot``) on raw addresses (:func:`gemm`): a time step reads and writes
its block at a flat offset of the whole buffer, with no array view per step
(each view is an atomic reference count update, and ``np.dot`` checks its
arguments and makes several), and can add its product to what the block
holds (BLAS ``beta = 1``).

A single row times a matrix (the char models' steps, batch size 1) is
fastrnn's own, below ONE_ROW_BLAS_MIN multiply-adds: :func:`row_times`, by
column tiles in vector registers (:mod:`.simd`) while the matrix fits in
the L1 cache, else by passes over the row.

The thresholds are in :mod:`.tuning`.  Zeroing is written as loops: numba's
``row[:] = 0.0`` goes through its generic broadcasting assignment, which
costs more than the product itself at the notebook shapes.
"""
import numpy as np
from numba import types

from ._jit import kernel, one_variant_kernel
from .intrinsics import address, scalar_address, view_as
from .layout import transpose_into
from .simd import row_times_by_tiles
from .tuning import (CALLER_THREAD_MACS, NARROW_FIRST_MIN, ONE_ROW_BLAS_MIN, ROW_TILE_MAX_BYTES,
                     WIDE_ROW_TILE_MAX_BYTES)


#: numba's BLAS helper (``numba_xxgemm`` in its ``_helperlib``): Fortran
#: ``?gemm`` of SciPy's BLAS, picked by ``kind`` (``ord("d")`` or ``ord("s")``),
#: on raw pointers.  Returns 0, or -1 when SciPy's BLAS cannot be loaded.
_xxgemm = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char, types.intp, types.intp, types.intp,  # kind, transa, transb, m, n, k
    types.voidptr, types.voidptr, types.intp, types.voidptr, types.intp,    # alpha, a, lda, b, ldb
    types.voidptr, types.voidptr, types.intp))                              # beta, c, ldc
_NOTRANS, _TRANS = ord("n"), ord("t")


@one_variant_kernel
def gemm(a, a_at, lda, trans_a, b, b_at, ldb, trans_b, c, c_at, ldc, rows, cols, inner, accumulate):
    """BLAS ``C = op(A) @ op(B)`` (``C += ...`` if ``accumulate``) on row-major blocks of flat offsets.

    ``C`` is the ``rows x cols`` block of ``c`` from element ``c_at``, rows
    ``ldc`` apart; ``op(A)`` is ``rows x inner``: the block of ``a`` at
    ``a_at`` with rows ``lda`` apart, read transposed (``inner x rows``
    stored) if ``trans_a``; ``op(B)`` (``inner x cols``) likewise.  The
    arrays must be contiguous, of one dtype (float64 or float32), and hold
    the blocks: nothing is checked.  No view is made (numba's ``np.dot``
    makes several, each an atomic reference count update, and checks its
    arguments, which at the notebook shapes costs more than the product).
    """
    kind = 115 if c.itemsize == 4 else 100  # "s" or "d"
    # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T
    status = _xxgemm(kind, _TRANS if trans_b else _NOTRANS, _TRANS if trans_a else _NOTRANS, cols, rows, inner,
                     scalar_address(c, 1.0), address(b, b_at), ldb, address(a, a_at), lda,
                     scalar_address(c, 1.0 if accumulate else 0.0), address(c, c_at), ldc)
    if status != 0:
        raise RuntimeError("fastrnn: SciPy's BLAS could not be loaded")


@one_variant_kernel
def row_times(a, a_at, b, n, out, out_at, accumulate, row, reverse):
    """``out[out_at:out_at + n] (+)= a[a_at:a_at + k] @ b[:, :n]`` for flat
    ``a``, ``out`` and ``b (k, >= n)`` (``+=`` if ``accumulate``): a one-row product.

    By column tiles held in vector registers (:func:`.simd.row_times_by_tiles`)
    when ``b[:, :n]`` fits in ROW_TILE_MAX_BYTES (WIDE_ROW_TILE_MAX_BYTES if
    ``n >= k``), else by :func:`row_times_by_passes` (into the scratch
    ``row (n,)``, then added, if ``accumulate``): out of the L1 cache the
    tiles fetch the lines they share twice.  ``reverse`` takes the tiles from
    the last (a time loop alternates, to find in cache what it read last).
    """
    k = b.shape[0]
    if k * n * b.itemsize > (WIDE_ROW_TILE_MAX_BYTES if n >= k else ROW_TILE_MAX_BYTES):
        a_row = view_as(a, a.size)[a_at:a_at + k]
        out_row = view_as(out, out.size)[out_at:out_at + n]
        row_times_by_passes(a_row, b, row if accumulate else out_row)
        if accumulate:
            for j in range(n):
                out_row[j] += row[j]
        return
    row_times_by_tiles(a, a_at, b, n, out, out_at, accumulate, reverse)


@kernel
def row_times_by_passes(a_row, b, out_row):
    """``out_row = a_row @ b[:, :n]`` for ``a_row (k,)``, ``b (k, >= n)``, ``out_row (n,)``, as a loop:
    ``out_row`` is updated with four rows of ``b`` a pass, the terms added in
    the order of ``k`` (the same sums as a sequential loop)."""
    k, n = b.shape[0], out_row.shape[0]
    for j in range(n):
        out_row[j] = 0.0
    k4 = k - k % 4
    for p in range(0, k4, 4):
        a0, a1, a2, a3 = a_row[p], a_row[p + 1], a_row[p + 2], a_row[p + 3]
        b0, b1, b2, b3 = b[p], b[p + 1], b[p + 2], b[p + 3]
        for j in range(n):
            out_row[j] = (((out_row[j] + a0 * b0[j]) + a1 * b1[j]) + a2 * b2[j]) + a3 * b3[j]
    for p in range(k4, k):
        ap = a_row[p]
        brow = b[p]
        for j in range(n):
            out_row[j] += ap * brow[j]


@kernel
def by_blas(rows, k, n):
    """Whether a ``rows x k`` times ``k x n`` product goes to BLAS (else :func:`row_times`)."""
    return rows > 1 or k * n >= ONE_ROW_BLAS_MIN


@kernel
def matmul(a, b, out):
    """``out = a @ b`` for ``a (m, k)``, ``b (k, n)``, ``out (m, n)`` (C-contiguous):
    BLAS, but for a single row below ONE_ROW_BLAS_MIN (:func:`row_times`)."""
    m, k = a.shape
    n = b.shape[1]
    if by_blas(m, k, n):
        gemm(a, 0, k, False, b, 0, n, False, out, 0, n, m, n, k, False)
    else:
        flat = view_as(out, out.size)
        row_times(view_as(a, a.size), 0, b, n, flat, 0, False, flat, False)


@one_variant_kernel
def matmul_block(a, a_at, b, out, out_at, rows):
    """:func:`matmul` on row-major blocks of flat offsets: the ``rows x n``
    block of ``out`` at ``out_at`` = the ``rows x k`` block of ``a`` at
    ``a_at`` times ``b (k, n)``.  For the time loops: no view per step."""
    k, n = b.shape
    if by_blas(rows, k, n):
        gemm(a, a_at, k, False, b, 0, n, False, out, out_at, n, rows, n, k, False)
    else:
        flat = view_as(out, out.size)
        row_times(view_as(a, a.size), a_at, b, n, flat, out_at, False, flat, False)


@kernel
def add_matmul_block(a, a_at, b, n, out, out_at, rows, row, reverse):
    """:func:`matmul_block` with the first ``n`` columns of ``b (k, >= n)``,
    added to the ``rows x n`` block of ``out`` (``out + a @ b``: BLAS with
    ``beta = 1``; a one-row product adds each term to ``out``'s values).
    ``row (n,)`` is scratch for a one-row product by passes, ``reverse`` its
    order of tiles (:func:`row_times`: a time loop alternates).  A ``b``
    with rows of :func:`padded_width` keeps a tile's loads within 32-byte
    lines (the RNN's recurrent weights)."""
    k = b.shape[0]
    if by_blas(rows, k, n):
        gemm(a, a_at, k, False, b, 0, b.shape[1], False, out, out_at, n, rows, n, k, True)
        return
    row_times(view_as(a, a.size), a_at, b, n, view_as(out, out.size), out_at, True, row, reverse)


@one_variant_kernel
def caller_thread_block(a, a_at, b, n, out, out_at, rows, accumulate):
    """:func:`matmul_block` (``out +=`` if ``accumulate``) by BLAS, with the
    first ``n`` columns of ``b`` (as :func:`add_matmul_block`), in blocks of
    equal rows, each product at most CALLER_THREAD_MACS, so that OpenBLAS runs
    them all on the calling thread: for the parts of a split batch, which run
    on threads of their own (see :mod:`fastrnn._threads`)."""
    k = b.shape[0]
    blocks = (rows * k * n + CALLER_THREAD_MACS - 1) // CALLER_THREAD_MACS
    size = (rows + blocks - 1) // blocks
    for r0 in range(0, rows, size):
        gemm(a, a_at + r0 * k, k, False, b, 0, b.shape[1], False, out, out_at + r0 * n, n, min(size, rows - r0),
             n, k, accumulate)


@one_variant_kernel
def strided_block(a, a_at, lda, b, out, out_at, ldc, rows, accumulate, row, caller_thread):
    """``out (+)= a @ b`` on blocks whose rows lie ``lda`` and ``ldc`` apart:
    the ``rows x n`` block of ``out`` at ``out_at`` (rows ``ldc`` apart) is
    set to (``accumulate``: increased by) the ``rows x k`` block of ``a`` at
    ``a_at`` (rows ``lda`` apart) times ``b (k, n)``.  For products that read
    or write some columns of a wider buffer (the GRU's gate blocks).

    A single row below ONE_ROW_BLAS_MIN goes to :func:`row_times` (``row
    (n,)`` its scratch); with ``caller_thread`` BLAS runs in blocks of at
    most CALLER_THREAD_MACS, as :func:`caller_thread_block` (the parts of a
    split batch).
    """
    k, n = b.shape
    if not by_blas(rows, k, n):
        row_times(view_as(a, a.size), a_at, b, n, view_as(out, out.size), out_at, accumulate, row, False)
        return
    blocks = (rows * k * n + CALLER_THREAD_MACS - 1) // CALLER_THREAD_MACS if caller_thread else 1
    size = (rows + blocks - 1) // blocks
    for r0 in range(0, rows, size):
        gemm(a, a_at + r0 * lda, lda, False, b, 0, n, False, out, out_at + r0 * ldc, ldc, min(size, rows - r0),
             n, k, accumulate)


@kernel
def matmul_tn(a, b, out):
    """``out = a.T @ b`` for ``a (r, m)``, ``b (r, n)``, ``out (m, n)`` (C-contiguous), by BLAS."""
    r, m = a.shape
    n = b.shape[1]
    if n < m and r * m * n >= NARROW_FIRST_MIN:
        outT = np.empty((n, m), out.dtype)
        gemm(b, 0, n, True, a, 0, m, False, outT, 0, m, n, m, r, False)
        transpose_into(outT, out)
    else:
        gemm(a, 0, m, True, b, 0, n, False, out, 0, n, m, n, r, False)


@kernel
def column_sums(a, out):
    """``out = a.sum(axis=0)`` for ``a (r, n)``, ``out (n,)``, adding the rows in order."""
    r, n = a.shape
    for j in range(n):
        out[j] = 0.0
    r4 = r - r % 4
    for s in range(0, r4, 4):  # four rows a pass over out (the same sums in the same order)
        a0, a1, a2, a3 = a[s], a[s + 1], a[s + 2], a[s + 3]
        for j in range(n):
            out[j] = (((out[j] + a0[j]) + a1[j]) + a2[j]) + a3[j]
    for s in range(r4, r):
        row = a[s]
        for j in range(n):
            out[j] += row[j]
