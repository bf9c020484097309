"""Matrix products: explicit loops for small operands, BLAS for large ones.

Measured on the 2-core CI machine: a call into BLAS costs about 0.5 us, so
for the notebook and char-model shapes (a few thousand multiply-adds per
product) a loop whose inner axis is contiguous (and vectorised by LLVM) is
faster; from about 32x32x32 on, BLAS is 4-5x faster than the loop.
"""
import numpy as np

from ._jit import kernel

#: ``m * k * n`` from which a product goes to BLAS (``np.dot``).
BLAS_MIN_WORK = 1 << 15


@kernel
def matmul(a, b, out):
    """``out = a @ b`` for ``a (m, k)``, ``b (k, n)``, ``out (m, n)``."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n >= BLAS_MIN_WORK:
        np.dot(a, b, out)
        return
    for i in range(m):
        row = out[i]
        row[:] = 0.0
        for p in range(k):
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
        np.dot(a.T, b, out)
        return
    out[:] = 0.0
    for s in range(r):
        brow = b[s]
        for i in range(m):
            asi = a[s, i]
            row = out[i]
            for j in range(n):
                row[j] += asi * brow[j]


@kernel
def column_sums(a, out):
    """``out = a.sum(axis=0)`` for ``a (r, n)``, ``out (n,)``."""
    out[:] = 0.0
    for s in range(a.shape[0]):
        row = a[s]
        for j in range(a.shape[1]):
            out[j] += row[j]


@kernel
def add_row_vector(a, v):
    """``a += v`` in place, broadcasting ``v (n,)`` over the rows of ``a (r, n)``."""
    for s in range(a.shape[0]):
        row = a[s]
        for j in range(a.shape[1]):
            row[j] += v[j]
