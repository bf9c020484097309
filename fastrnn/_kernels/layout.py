"""Layout copies: the course's ``(n, m, T)`` arrays into time-major buffers, transposes,
padded rows, and the small helpers the entry kernels share.

The kernels work on time-major buffers ``(T, m, n)`` (each step one
contiguous block) and read weights transposed where a loop walks them row by
row; the entry kernels make these layouts from the caller's arrays with the
copies here.  Square blocks of a transpose go through :mod:`.simd`.
"""
import numpy as np

from ._jit import inlined_kernel, kernel
from .simd import transpose_tiles
from .tuning import ROW_ALIGN


@kernel
def to_time_major(src, dst):
    """``dst[t, i, k] = src[k, i, t]``: course layout ``src (n, m, T)`` into
    kernel layout ``dst (T, m, n)``.  See :func:`to_time_major_rows`."""
    to_time_major_rows(src, dst, 0, src.shape[1])


@kernel
def to_time_major_rows(src, dst, lo, hi):
    """:func:`to_time_major` for the batch rows ``lo:hi`` (``i`` in ``lo:hi``) only.

    For each ``i``, eight rows ``src[k:k+8, i]`` are read side by side and
    written as eight adjacent values of each ``dst[t, i]`` (faster than
    square tiles at every benchmark shape).  Fewer than eight rows (the
    notebooks' n = 3 or 5) take the plain loop.
    """
    n, m, T = src.shape
    if n < 8:
        for t in range(T):
            for i in range(lo, hi):
                row = dst[t, i]
                for k in range(n):
                    row[k] = src[k, i, t]
        return
    n8 = n - n % 8
    for i in range(lo, hi):
        for k in range(0, n8, 8):
            s0, s1, s2, s3 = src[k, i], src[k + 1, i], src[k + 2, i], src[k + 3, i]
            s4, s5, s6, s7 = src[k + 4, i], src[k + 5, i], src[k + 6, i], src[k + 7, i]
            for t in range(T):
                row = dst[t, i]
                row[k] = s0[t]
                row[k + 1] = s1[t]
                row[k + 2] = s2[t]
                row[k + 3] = s3[t]
                row[k + 4] = s4[t]
                row[k + 5] = s5[t]
                row[k + 6] = s6[t]
                row[k + 7] = s7[t]
        for k in range(n8, n):
            s_k = src[k, i]
            for t in range(T):
                dst[t, i, k] = s_k[t]


@kernel
def transpose_block(src, i0, i1, j0, j1, dst, r0, c0):
    """``dst[r0 + j - j0, c0 + i - i0] = src[i, j]`` for ``i`` in ``i0:i1``,
    ``j`` in ``j0:j1``: a block of ``src (r, c)`` transposed into a block of
    ``dst`` (C-contiguous, one dtype; the blocks must fit: not checked).

    Square tiles of one vector's width (8 float64, 16 float32) go by
    :func:`.simd.transpose_tiles`; the edges left over (all of a block
    narrower than a tile) are copied along the rows of ``dst``.
    """
    lanes = 64 // src.itemsize
    i_end = i0 + (i1 - i0) // lanes * lanes
    j_end = j0 + (j1 - j0) // lanes * lanes
    transpose_tiles(src, i0, i_end, j0, j_end, dst, r0, c0)
    for j in range(j0, j1):
        row = dst[r0 + j - j0]
        for i in range(i_end if j < j_end else i0, i1):  # below the tiles, or every row right of them
            row[c0 + i - i0] = src[i, j]


@kernel
def transpose_into(src, dst):
    """``dst = src.T`` for ``src (r, c)``, ``dst (c, r)`` (:func:`transpose_block`)."""
    r, c = src.shape
    transpose_block(src, 0, r, 0, c, dst, 0, 0)


@inlined_kernel
def copy_into(src, dst):
    """``dst[:] = src`` for 1-D arrays of one length, as a loop: numba compiles a slice
    assignment through its general broadcasting copy, which costs compile time and,
    at small sizes, run time."""
    for k in range(dst.shape[0]):
        dst[k] = src[k]


@kernel
def padded_width(n, itemsize):
    """``n`` rounded up to whole ROW_ALIGN bytes of ``itemsize``-byte values:
    rows that long start ROW_ALIGN-aligned in an array that does (numba
    allocates at 32 bytes)."""
    lanes = ROW_ALIGN // itemsize
    return (n + lanes - 1) // lanes * lanes


@kernel
def rows_fit(lo, hi, m):
    """Whether ``lo:hi`` is a non-empty range of the ``m`` batch rows."""
    return 0 <= lo and lo < hi and hi <= m


@kernel
def work_array(work, n):
    """``work[:n]``, or fresh memory when ``work`` is shorter: the API passes
    an empty placeholder for small scratch (see :func:`fastrnn._buffers.work`)."""
    if work.shape[0] >= n:
        return work[:n]
    return np.empty(n, work.dtype)
