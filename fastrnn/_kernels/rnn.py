"""Basic RNN: fused forward recurrence and backpropagation through time.

Layout: ``x (T, m, n_x)``, states ``(T, m, n_a)``, outputs ``(T, m, n_y)``;
weights come transposed where the loop walks them row by row.  The ``*_entry``
kernels (what the API calls) take the course's layouts (``x (n_x, m, T)``,
weights as the course's, biases ``(n, 1)``), check that the shapes fit
together and make the kernel layouts themselves, so that the Python side only
allocates (and checks only what the entry kernels refuse).

    a<t> = tanh(Wax x<t> + Waa a<t-1> + ba)
    y<t> = softmax(Wya a<t> + by)
"""
import numpy as np

from ._jit import entry_kernel, kernel
from .activations import softmax_rows, tanh_range
from .linalg import (add_matmul_block, column_sums, matmul, matmul_block, matmul_tn,
                     to_time_major, transpose_into, view_as, work_array)


@kernel
def rnn_forward(x, WaxT, WaaT, ba, WyaT, by, a_hist, y_out):
    """Run the whole forward recurrence.

    Parameters
    ----------
    x : (T, m, n_x) inputs.
    WaxT : (n_x, n_a), WaaT : (n_a, n_a), WyaT : (n_a, n_y) transposed weights.
    ba : (n_a,), by : (n_y,) biases.
    a_hist : (T + 1, m, n_a) holds a0 in a_hist[0]; receives a<1..T>.
    y_out : (T, m, n_y) receives the softmax outputs.
    """
    T, m, n_x = x.shape
    n_a = a_hist.shape[2]
    n_y = by.shape[0]
    block = m * n_a  # one step's states
    a_flat = view_as(a_hist, (T + 1) * block)
    # Input projection of every step at once into a<1..T>; step t adds the
    # recurrent product to its block (a_flat[(t+1) block:]), then the bias, then tanh.
    matmul_block(view_as(x, T * m * n_x), 0, WaxT, a_flat, block, T * m)
    scratch = np.empty(block + n_a, a_hist.dtype)
    bias = scratch[:block]  # ba repeated for every row: the step's sum is one flat loop
    for i in range(m):
        for j in range(n_a):
            bias[i * n_a + j] = ba[j]
    row = scratch[block:]  # for the one-row product
    for t in range(T):
        at = (t + 1) * block
        add_matmul_block(a_flat, t * block, WaaT, a_flat, at, m, row)
        a_t = a_flat[at:at + block]  # loops over views from 0 vectorise (a_flat[at + k] does not: sign checks)
        for k in range(block):
            a_t[k] += bias[k]
        tanh_range(a_flat, at, at + block)
    matmul_block(a_flat, block, WyaT, view_as(y_out, T * m * n_y), 0, T * m)
    y2 = view_as(y_out, (T * m, n_y))
    softmax_rows(y2, by)


@kernel
def rnn_backward(dz, a_next, a_prev, x, Waa, Wax, dx, da0, dWax, dWaa, dba):
    """Backpropagate through the T steps described by the buffers.

    Parameters
    ----------
    dz : (T, m, n_a) on entry the upstream gradient of the loss with respect
        to a<t>; overwritten, step by step, with the gradient before tanh.
    a_next, a_prev : (T, m, n_a) the state after and before each step.
    x : (T, m, n_x) inputs.
    Waa : (n_a, n_a), Wax : (n_a, n_x) weights (course layout).
    dx : (T, m, n_x), da0 : (m, n_a), dWax : (n_a, n_x), dWaa : (n_a, n_a),
    dba : (n_a,) receive the gradients.
    """
    T, m, n_a = dz.shape
    n_x = x.shape[2]
    block = m * n_a  # one step's states
    dz_flat = view_as(dz, T * block)
    a_flat = view_as(a_next, T * block)
    carry = view_as(da0, block)  # gradient flowing into a<t-1>; ends as da0
    for k in range(block):
        carry[k] = 0.0
    for t in range(T - 1, -1, -1):
        at = t * block
        dz_t, a_t = dz_flat[at:at + block], a_flat[at:at + block]
        for k in range(block):
            dz_t[k] = (dz_t[k] + carry[k]) * (1.0 - a_t[k] ** 2)
        matmul_block(dz_flat, at, Waa, carry, 0, m)
    dz2 = view_as(dz, (T * m, n_a))
    matmul(dz2, Wax, view_as(dx, (T * m, n_x)))
    matmul_tn(dz2, view_as(x, (T * m, n_x)), dWax)
    matmul_tn(dz2, view_as(a_prev, (T * m, n_a)), dWaa)
    column_sums(dz2, dba)


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 3, 3, 3)
def rnn_forward_entry(x, a0, Wax, Waa, ba, Wya, by, x_seq, a_hist, y_out):
    """:func:`rnn_forward` from the course's layouts, if the shapes fit together.

    Parameters
    ----------
    x : (n_x, m, T) inputs; a0 : (n_a, m).
    Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1).
    x_seq : (T, m, n_x) receives x in kernel layout (kept for the backward pass).
    a_hist : (T + 1, m, n_a) receives a0, then a<1..T>.
    y_out : (T, m, n_y) receives the softmax outputs.

    Returns
    -------
    bool : False, without running, unless these shapes fit together and every size is at least 1.
    """
    n_x, m, T = x.shape
    n_a, n_y = Waa.shape[0], Wya.shape[0]
    if min(n_x, m, T, n_a, n_y) < 1 or a0.shape != (n_a, m):
        return False
    if Wax.shape != (n_a, n_x) or Waa.shape != (n_a, n_a) or ba.shape != (n_a, 1):
        return False
    if Wya.shape != (n_y, n_a) or by.shape != (n_y, 1):
        return False
    if x_seq.shape != (T, m, n_x) or a_hist.shape != (T + 1, m, n_a) or y_out.shape != (T, m, n_y):
        return False
    to_time_major(x, x_seq)
    transpose_into(a0, a_hist[0])
    weights = np.empty(n_a * (n_x + n_a + n_y), x_seq.dtype)  # one allocation for the three
    WaxT = view_as(weights[:n_x * n_a], (n_x, n_a))
    WaaT = view_as(weights[n_x * n_a:(n_x + n_a) * n_a], (n_a, n_a))
    WyaT = view_as(weights[(n_x + n_a) * n_a:], (n_a, n_y))
    transpose_into(Wax, WaxT)
    transpose_into(Waa, WaaT)
    transpose_into(Wya, WyaT)
    rnn_forward(x_seq, WaxT, WaaT, view_as(ba, n_a), WyaT, view_as(by, n_y), a_hist, y_out)
    return True


@entry_kernel(3, 3, 3, 3, 2, 2, 1, 3, 2, 2, 2, 2)
def rnn_backward_entry(da, a_next, a_prev, x, Waa, Wax, work, dx, da0, dWax, dWaa, dba):
    """:func:`rnn_backward` from the course's layout of ``da (n_a, m, T)``, if the shapes fit together.

    ``a_next``, ``a_prev (>= T, m, n_a)`` and ``x (>= T, m, n_x)`` hold at
    least T steps (the first T are used); ``work`` is scratch (used if it
    holds T m n_a values, else the kernel allocates its own);
    ``dba`` is ``(n_a, 1)``; the rest as :func:`rnn_backward`.  Returns False,
    without running, unless the shapes fit together.
    """
    n_a, m, T = da.shape
    n_x = x.shape[2]
    if min(n_a, m, T, n_x) < 1 or a_next.shape[0] < T or a_prev.shape[0] < T or x.shape[0] < T:
        return False
    if a_next.shape[1:] != (m, n_a) or a_prev.shape[1:] != (m, n_a) or x.shape[1] != m:
        return False
    if Waa.shape != (n_a, n_a) or Wax.shape != (n_a, n_x):
        return False
    if dx.shape != (T, m, n_x) or da0.shape != (m, n_a) or dWax.shape != (n_a, n_x):
        return False
    if dWaa.shape != (n_a, n_a) or dba.shape != (n_a, 1):
        return False
    dz = work_array(work, T * m * n_a).reshape(T, m, n_a)
    to_time_major(da, dz)
    rnn_backward(dz, a_next[:T], a_prev[:T], x[:T], Waa, Wax, dx, da0, dWax, dWaa, view_as(dba, n_a))
    return True
