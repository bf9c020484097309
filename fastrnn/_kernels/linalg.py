"""Matrix products: explicit loops for small operands, BLAS for large ones.

Zeroing is written as loops too: numba's ``row[:] = 0.0`` goes through its
generic broadcasting assignment, which costs more than the product itself at
the notebook shapes.

Measured on the 2-core CI machine: a call into BLAS costs about 0.5 us, so
for the notebook and char-model shapes (a few thousand multiply-adds per
product) a loop whose inner axis is contiguous (and vectorised by LLVM) is
faster; from about 32x32x32 on, BLAS is 4-5x faster than the loop.
"""
import numpy as np

from ._jit import kernel

#: ``m * k * n`` from which a product goes to BLAS (``np.dot``).
BLAS_MIN_WORK = 1 << 15
#: Below this many output columns the loops compute one dot product per
#: output (the same sums in the same order): a row update of 5 columns does
#: not vectorise, and costs twice as much at the notebook shapes.
NARROW = 8
NARROW_TN = 4
#: Side of the square tiles in which large transposes are copied.
TILE = 16
#: From this many elements on, :func:`transpose_into` and :func:`to_time_major` go tile by tile.
TILED_MIN = 1 << 16


@kernel
def matmul(a, b, out):
    """``out = a @ b`` for ``a (m, k)``, ``b (k, n)``, ``out (m, n)``."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n >= BLAS_MIN_WORK:
        np.dot(a, b, out)
        return
    if n < NARROW:  # a few output columns: one short dot product each, four rows at a time
        m4 = m - m % 4
        for i in range(0, m4, 4):
            for j in range(n):
                t0 = t1 = t2 = t3 = 0.0
                for p in range(k):
                    bpj = b[p, j]
                    t0 += a[i, p] * bpj
                    t1 += a[i + 1, p] * bpj
                    t2 += a[i + 2, p] * bpj
                    t3 += a[i + 3, p] * bpj
                out[i, j], out[i + 1, j], out[i + 2, j], out[i + 3, j] = t0, t1, t2, t3
        for i in range(m4, m):
            for j in range(n):
                total = 0.0
                for p in range(k):
                    total += a[i, p] * b[p, j]
                out[i, j] = total
        return
    k4 = k - k % 4
    for i in range(m):
        row = out[i]
        for j in range(n):
            row[j] = 0.0
        for p in range(0, k4, 4):  # four rows of b a pass over the output row (the same sums in the same order)
            a0, a1, a2, a3 = a[i, p], a[i, p + 1], a[i, p + 2], a[i, p + 3]
            b0, b1, b2, b3 = b[p], b[p + 1], b[p + 2], b[p + 3]
            for j in range(n):
                row[j] = (((row[j] + a0 * b0[j]) + a1 * b1[j]) + a2 * b2[j]) + a3 * b3[j]
        for p in range(k4, k):
            aip = a[i, p]
            brow = b[p]
            for j in range(n):
                row[j] += aip * brow[j]


@kernel
def matmul_tn(a, b, out):
    """``out = a.T @ b`` for ``a (r, m)``, ``b (r, n)``, ``out (m, n)``."""
    r, m = a.shape
    n = b.shape[1]
    if r * m * n >= BLAS_MIN_WORK:
        if n < m:  # BLAS is 10-30% faster with the narrower operand first (the weight-gradient shapes)
            outT = np.empty((n, m), out.dtype)
            np.dot(b.T, a, outT)
            transpose_into(outT, out)
        else:
            np.dot(a.T, b, out)
        return
    if n < NARROW_TN:  # one dot product per output, four rows of out at a time
        m4 = m - m % 4
        for i in range(0, m4, 4):
            for j in range(n):
                t0 = t1 = t2 = t3 = 0.0
                for s in range(r):
                    bsj = b[s, j]
                    t0 += a[s, i] * bsj
                    t1 += a[s, i + 1] * bsj
                    t2 += a[s, i + 2] * bsj
                    t3 += a[s, i + 3] * bsj
                out[i, j], out[i + 1, j], out[i + 2, j], out[i + 3, j] = t0, t1, t2, t3
        for i in range(m4, m):
            for j in range(n):
                total = 0.0
                for s in range(r):
                    total += a[s, i] * b[s, j]
                out[i, j] = total
        return
    for i in range(m):
        row = out[i]
        for j in range(n):
            row[j] = 0.0
    r4 = r - r % 4
    for s in range(0, r4, 4):  # four rows of a and b a pass over out (the same sums in the same order)
        b0, b1, b2, b3 = b[s], b[s + 1], b[s + 2], b[s + 3]
        for i in range(m):
            a0, a1, a2, a3 = a[s, i], a[s + 1, i], a[s + 2, i], a[s + 3, i]
            row = out[i]
            for j in range(n):
                row[j] = (((row[j] + a0 * b0[j]) + a1 * b1[j]) + a2 * b2[j]) + a3 * b3[j]
    for s in range(r4, r):
        brow = b[s]
        for i in range(m):
            asi = a[s, i]
            row = out[i]
            for j in range(n):
                row[j] += asi * brow[j]


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
