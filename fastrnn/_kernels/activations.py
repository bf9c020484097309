"""Elementwise activations used inside the recurrences."""
import numpy as np

from ._jit import kernel


@kernel
def sigmoid(x):
    """Scalar logistic function ``1 / (1 + exp(-x))`` (the course's formula)."""
    return 1.0 / (1.0 + np.exp(-x))


@kernel
def softmax_rows(z):
    """Softmax of every row of ``z (r, n)``, in place.

    The row maximum is subtracted before ``exp`` (the course subtracts the
    maximum of the whole array: the same values, but a column far below the
    global maximum would underflow to 0/0 there).
    """
    for s in range(z.shape[0]):
        row = z[s]
        top = row[0]
        for j in range(1, row.shape[0]):
            if row[j] > top:
                top = row[j]
        total = 0.0
        for j in range(row.shape[0]):
            e = np.exp(row[j] - top)
            row[j] = e
            total += e
        for j in range(row.shape[0]):
            row[j] = row[j] / total
