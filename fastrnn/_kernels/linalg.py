"""Matrix products (BLAS, but for one-row products), column sums, layout copies.

Measured on this session's machine (AMD EPYC Zen 4, SciPy's OpenBLAS through
numba's ``np.dot``): a small BLAS product costs 70-130 ns, and BLAS beats a
loop compiled by numba at every product of two rows or more, 10 x 5 x 5
(68 against 160 ns) and 40 x 3 x 5 (112 against 264 ns) included: OpenBLAS
runs such small products on the calling thread, with kernels for small
sizes.  A single row times a matrix (the char models' steps, batch size 1)
is faster as a loop over the row, up to about 2**19 multiply-adds (1 x 50 x
50: 0.23 against 0.39 us; 1 x 512 x 512: 25 against 29 us; 1 x 512 x 2048:
117 against 70 us).  (An earlier session measured 0.5 us a BLAS call on a
Zen 3 machine and used loops below 32 x 32 x 32.)

Zeroing is written as loops: numba's ``row[:] = 0.0`` goes through its
generic broadcasting assignment, which costs more than the product itself at
the notebook shapes.
"""
import numpy as np

from ._jit import kernel

#: ``k * n`` from which a one-row product ``(1, k) @ (k, n)`` goes to BLAS.
ONE_ROW_BLAS_MIN = 1 << 19
#: ``r * m * n`` from which :func:`matmul_tn` gives BLAS the narrower operand
#: first (then transposes the result).  Measured, direct against narrower
#: first: 25 x 50 x 27 1.5 against 2.2 us, 3200 x 128 x 64 0.72 against 0.77 ms;
#: 3200 x 512 x 64 4.1 against 2.9 ms, 6400 x 256 x 128 7.1 against 6.0 ms.
NARROW_FIRST_MIN = 1 << 26
#: Side of the square tiles in which large transposes are copied.
TILE = 16
#: From this many elements on, :func:`transpose_into` and :func:`to_time_major` go tile by tile.
TILED_MIN = 1 << 16


@kernel
def matmul(a, b, out):
    """``out = a @ b`` for ``a (m, k)``, ``b (k, n)``, ``out (m, n)``.

    BLAS, but for a single row below ONE_ROW_BLAS_MIN: there the row of
    ``out`` is updated with four rows of ``b`` a pass, the terms added in
    the order of ``k`` (the same sums as a sequential loop).
    """
    m, k = a.shape
    n = b.shape[1]
    if m > 1 or k * n >= ONE_ROW_BLAS_MIN:
        np.dot(a, b, out)
        return
    row = out[0]
    for j in range(n):
        row[j] = 0.0
    k4 = k - k % 4
    for p in range(0, k4, 4):
        a0, a1, a2, a3 = a[0, p], a[0, p + 1], a[0, p + 2], a[0, p + 3]
        b0, b1, b2, b3 = b[p], b[p + 1], b[p + 2], b[p + 3]
        for j in range(n):
            row[j] = (((row[j] + a0 * b0[j]) + a1 * b1[j]) + a2 * b2[j]) + a3 * b3[j]
    for p in range(k4, k):
        ap = a[0, p]
        brow = b[p]
        for j in range(n):
            row[j] += ap * brow[j]


@kernel
def matmul_tn(a, b, out):
    """``out = a.T @ b`` for ``a (r, m)``, ``b (r, n)``, ``out (m, n)``, by BLAS."""
    r, m = a.shape
    n = b.shape[1]
    if n < m and r * m * n >= NARROW_FIRST_MIN:
        outT = np.empty((n, m), out.dtype)
        np.dot(b.T, a, outT)
        transpose_into(outT, out)
    else:
        np.dot(a.T, b, out)


@kernel
def work_array(work, n):
    """``work[:n]``, or fresh memory when ``work`` is shorter: the API passes
    an empty placeholder for small scratch (see :func:`fastrnn._buffers.work`)."""
    if work.shape[0] >= n:
        return work[:n]
    return np.empty(n, work.dtype)


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


@kernel
def add_row_vector(a, v):
    """``a += v`` in place, broadcasting ``v (n,)`` over the rows of ``a (r, n)``."""
    for s in range(a.shape[0]):
        row = a[s]
        for j in range(a.shape[1]):
            row[j] += v[j]


@kernel
def to_time_major(src, dst):
    """``dst[t, i, k] = src[k, i, t]``: course layout ``src (n, m, T)`` into
    kernel layout ``dst (T, m, n)``.

    Large arrays go tile by tile over ``(t, k)`` for each ``i``, as
    :func:`transpose_into` (1.7x faster at the large benchmark shape).
    """
    n, m, T = src.shape
    if n * m * T < TILED_MIN:
        for t in range(T):
            for i in range(m):
                row = dst[t, i]
                for k in range(n):
                    row[k] = src[k, i, t]
        return
    for i in range(m):
        for k0 in range(0, n, TILE):
            k1 = min(k0 + TILE, n)
            for t0 in range(0, T, TILE):
                for t in range(t0, min(t0 + TILE, T)):
                    row = dst[t, i]
                    for k in range(k0, k1):
                        row[k] = src[k, i, t]



@kernel
def transpose_into(src, dst):
    """``dst = src.T`` for ``src (r, c)``, ``dst (c, r)``.

    Small matrices are written along the rows of ``dst`` (faster than tiles
    at the weight sizes of the notebooks); large ones tile by tile, so that
    the strided reads of a tile share cache lines (1.7x faster at 512 x 2048).
    """
    r, c = src.shape
    if r * c < TILED_MIN:
        for j in range(c):
            row = dst[j]
            for i in range(r):
                row[i] = src[i, j]
        return
    for j0 in range(0, c, TILE):
        j1 = min(j0 + TILE, c)
        for i0 in range(0, r, TILE):
            i1 = min(i0 + TILE, r)
            for j in range(j0, j1):
                row = dst[j]
                for i in range(i0, i1):
                    row[i] = src[i, j]
