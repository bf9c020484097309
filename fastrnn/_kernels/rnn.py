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
from numba import types

from ._jit import entry_kernel, inlined_kernel
from .activations import softmax_rows, tanh_range
from .intrinsics import view_as
from .layout import padded_width, rows_fit, to_time_major_rows, transpose_block, transpose_into, work_array
from .products import add_matmul_block, caller_thread_block, column_sums, matmul, matmul_block, matmul_tn


@inlined_kernel
def rnn_forward(x, WaxT, WaaT, ba, WyaT, by, a_hist, y_out, lo, hi, project=True):
    """Run the whole forward recurrence for the batch rows ``lo:hi``.

    Parameters
    ----------
    x : (T, m, n_x) inputs.
    WaxT : (n_x, n_a), WaaT : (n_a, >= n_a), WyaT : (n_a, n_y) transposed weights (WaaT's
        rows may be padded: its first n_a columns are used).
    ba : (n_a,), by : (n_y,) biases.
    a_hist : (T + 1, m, n_a) holds a0 in a_hist[0]; receives a<1..T>.
    y_out : (T, m, n_y) receives the softmax outputs (n_y = 0: no output layer is computed).
    lo, hi : the batch rows to run (``0, m``: all).  The rows are independent
        sequences: the API runs parts of a large batch on several threads.
    project : compute the input projection ``x WxT``; False: the gate rows (``a_hist[1:]`` for
        the RNN) already hold it (``x`` and ``WxT`` are not read: a one-hot input gathers rows).
    """
    T, m, n_x = x.shape
    n_a = a_hist.shape[2]
    n_y = by.shape[0]
    block, rows = m * n_a, hi - lo  # one step's states; the rows run here
    part = rows * n_a  # the states run here in one step: a contiguous part of its block
    x_flat, a_flat, y_flat = view_as(x, T * m * n_x), view_as(a_hist, (T + 1) * block), view_as(y_out, T * m * n_y)
    whole = rows == m  # then every step's rows make one matrix: one product for all steps
    # Input projection plus bias into a<t>'s rows; step t then adds the
    # recurrent product to them (a_flat[at:]), then takes tanh.
    scratch = np.empty(part + n_a, a_hist.dtype)
    bias = scratch[:part]  # ba repeated for every row: the step's sum is one flat loop
    for i in range(rows):
        for j in range(n_a):
            bias[i * n_a + j] = ba[j]
    row = scratch[part:]  # for the one-row product
    if whole:
        if project:
            matmul_block(x_flat, 0, WaxT, a_flat, block, T * m)
        for t in range(T):
            a_t = a_flat[(t + 1) * block:(t + 2) * block]  # views from 0 vectorise (a_flat[at + k] does not)
            for k in range(block):
                a_t[k] += bias[k]
    for t in range(T):
        at = (t + 1) * block + lo * n_a
        if not whole:
            if project:
                caller_thread_block(x_flat, (t * m + lo) * n_x, WaxT, n_a, a_flat, at, rows, False)
            a_t = a_flat[at:at + part]
            for k in range(part):
                a_t[k] += bias[k]
            caller_thread_block(a_flat, at - block, WaaT, n_a, a_flat, at, rows, True)
        else:
            add_matmul_block(a_flat, at - block, WaaT, n_a, a_flat, at, rows, row, t % 2 == 1)
        tanh_range(a_flat, at, at + part)
        if not whole and n_y > 0:
            yt = (t * m + lo) * n_y
            caller_thread_block(a_flat, at, WyaT, n_y, y_flat, yt, rows, False)
            softmax_rows(view_as(y_flat[yt:yt + rows * n_y], (rows, n_y)), by)
    if whole and n_y > 0:  # n_y = 0: no output layer (a hidden layer of a stacked model)
        matmul_block(a_flat, block, WyaT, y_flat, 0, T * m)
        softmax_rows(view_as(y_out, (T * m, n_y)), by)


@inlined_kernel
def rnn_backward_steps(dz, a_next, Waa, Wax, dx, da0, lo, hi, input_gradient=True):
    """The reverse time loop of backpropagation, for the batch rows ``lo:hi``.

    Parameters
    ----------
    dz : (T, m, n_a) on entry the upstream gradient of the loss with respect
        to a<t>; overwritten, step by step, with the gradient before tanh.
    a_next : (T, m, n_a) the state after each step.
    Waa : (n_a, n_a), Wax : (n_a, n_x) weights (course layout).
    dx : (T, m, n_x), da0 : (m, n_a) receive those gradients.
    lo, hi : the batch rows to run, as :func:`rnn_forward`.
    input_gradient : False: ``dx`` is not computed (an input that needs no gradient).
    """
    T, m, n_a = dz.shape
    n_x = Wax.shape[1]
    block, rows = m * n_a, hi - lo
    part = rows * n_a
    dz_flat, a_flat, dx_flat = view_as(dz, T * block), view_as(a_next, T * block), view_as(dx, T * m * n_x)
    da0_flat = view_as(da0, block)
    carry = da0_flat[lo * n_a:lo * n_a + part]  # gradient flowing into a<t-1>; ends as da0
    for k in range(part):
        carry[k] = 0.0
    whole = rows == m
    for t in range(T - 1, -1, -1):
        at = t * block + lo * n_a
        dz_t, a_t = dz_flat[at:at + part], a_flat[at:at + part]
        for k in range(part):
            dz_t[k] = (dz_t[k] + carry[k]) * (1.0 - a_t[k] ** 2)
        if whole:
            matmul_block(dz_flat, at, Waa, da0_flat, 0, m)
        else:
            caller_thread_block(dz_flat, at, Waa, n_a, da0_flat, lo * n_a, rows, False)
            if input_gradient:
                caller_thread_block(dz_flat, at, Wax, n_x, dx_flat, (t * m + lo) * n_x, rows, False)
    if whole and input_gradient:
        matmul(view_as(dz, (T * m, n_a)), Wax, view_as(dx, (T * m, n_x)))


@inlined_kernel
def rnn_weight_gradients(dz, a_prev, x, dWax, dWaa, dba, input_weights=True):
    """``dWax``, ``dWaa (n_a, n)`` and ``dba (n_a,)`` from ``dz (T, m, n_a)``
    (:func:`rnn_backward_steps`), ``a_prev (T, m, n_a)`` and ``x (T, m, n_x)``."""
    T, m, n_a = dz.shape
    dz2 = view_as(dz, (T * m, n_a))
    if input_weights:
        matmul_tn(dz2, view_as(x, (T * m, x.shape[2])), dWax)
    matmul_tn(dz2, view_as(a_prev, (T * m, n_a)), dWaa)
    column_sums(dz2, dba)


@inlined_kernel
def forward_from_course(x, a0, Wax, Waa, ba, Wya, by, x_seq, a_hist, y_out, lo, hi):
    """:func:`rnn_forward` from the course's layouts, if the shapes fit together.

    Parameters
    ----------
    x : (n_x, m, T) inputs; a0 : (n_a, m).
    Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1).
    x_seq : (T, m, n_x) receives x in kernel layout (kept for the backward pass).
    a_hist : (T + 1, m, n_a) receives a0, then a<1..T>.
    y_out : (T, m, n_y) receives the softmax outputs.
    lo, hi : the batch rows to run (``0, m``: all); only their parts of
        ``x_seq``, ``a_hist`` and ``y_out`` are written.

    Returns
    -------
    bool : False, without running, unless these shapes fit together and every size is at least 1.
    """
    n_x, m, T = x.shape
    n_a, n_y = Waa.shape[0], Wya.shape[0]
    if min(n_x, m, T, n_a, n_y) < 1 or a0.shape != (n_a, m) or not rows_fit(lo, hi, m):
        return False
    if Wax.shape != (n_a, n_x) or Waa.shape != (n_a, n_a) or ba.shape != (n_a, 1):
        return False
    if Wya.shape != (n_y, n_a) or by.shape != (n_y, 1):
        return False
    if x_seq.shape != (T, m, n_x) or a_hist.shape != (T + 1, m, n_a) or y_out.shape != (T, m, n_y):
        return False
    to_time_major_rows(x, x_seq, lo, hi)
    a_first = a_hist[0]
    for i in range(lo, hi):
        for j in range(n_a):
            a_first[i, j] = a0[j, i]
    # One allocation for the three; WaaT first and its rows padded (the step
    # products walk it by column tiles: see layout.padded_width).
    width = padded_width(n_a, x_seq.itemsize)
    weights = np.empty(n_a * (width + n_x + n_y), x_seq.dtype)
    WaaT = view_as(weights[:n_a * width], (n_a, width))
    WaxT = view_as(weights[n_a * width:n_a * (width + n_x)], (n_x, n_a))
    WyaT = view_as(weights[n_a * (width + n_x):], (n_a, n_y))
    transpose_into(Wax, WaxT)
    transpose_block(Waa, 0, n_a, 0, n_a, WaaT, 0, 0)
    transpose_into(Wya, WyaT)
    rnn_forward(x_seq, WaxT, WaaT, view_as(ba, n_a), WyaT, view_as(by, n_y), a_hist, y_out, lo, hi)
    return True


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 3, 3, 3)
def rnn_forward_entry(x, a0, Wax, Waa, ba, Wya, by, x_seq, a_hist, y_out):
    """:func:`forward_from_course` for the whole batch (what the API calls)."""
    return forward_from_course(x, a0, Wax, Waa, ba, Wya, by, x_seq, a_hist, y_out, 0, x.shape[1])


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 3, 3, 3, types.int64, types.int64, nogil=True)
def rnn_forward_part_entry(x, a0, Wax, Waa, ba, Wya, by, x_seq, a_hist, y_out, lo, hi):
    """:func:`forward_from_course` for the batch rows ``lo:hi`` (the API runs
    the parts of a large batch on several threads)."""
    return forward_from_course(x, a0, Wax, Waa, ba, Wya, by, x_seq, a_hist, y_out, lo, hi)


@inlined_kernel
def backward_from_course(da, a_next, a_prev, x, Waa, Wax, work, dx, da0, dWax, dWaa, dba, lo, hi):
    """:func:`rnn_backward` from the course's layout of ``da (n_a, m, T)``, if the shapes fit together.

    ``a_next``, ``a_prev (>= T, m, n_a)`` and ``x (>= T, m, n_x)`` hold at
    least T steps (the first T are used); ``work`` is scratch (used if it
    holds T m n_a values, else the kernel allocates its own);
    ``dba`` is ``(n_a, 1)``; the rest as :func:`rnn_backward`.  Returns False,
    without running, unless the shapes fit together.

    With ``lo, hi`` other than ``0, m`` only the batch rows ``lo:hi`` of
    ``dx`` and ``da0`` are computed, and their part of the pre-activation
    gradient left in ``work`` (which must then hold it): the API runs the
    parts of a large batch on several threads, then
    :func:`rnn_weight_gradients_entry`.
    """
    n_a, m, T = da.shape
    n_x = x.shape[2]
    if min(n_a, m, T, n_x) < 1 or a_next.shape[0] < T or a_prev.shape[0] < T or x.shape[0] < T:
        return False
    if a_next.shape[1:] != (m, n_a) or a_prev.shape[1:] != (m, n_a) or x.shape[1] != m:
        return False
    if Waa.shape != (n_a, n_a) or Wax.shape != (n_a, n_x) or not rows_fit(lo, hi, m):
        return False
    if dx.shape != (T, m, n_x) or da0.shape != (m, n_a) or dWax.shape != (n_a, n_x):
        return False
    if dWaa.shape != (n_a, n_a) or dba.shape != (n_a, 1):
        return False
    if hi - lo < m and work.shape[0] < T * m * n_a:
        return False
    dz = work_array(work, T * m * n_a).reshape(T, m, n_a)
    to_time_major_rows(da, dz, lo, hi)
    rnn_backward_steps(dz, a_next[:T], Waa, Wax, dx, da0, lo, hi)
    if hi - lo == m:
        rnn_weight_gradients(dz, a_prev[:T], x[:T], dWax, dWaa, view_as(dba, n_a))
    return True


@entry_kernel(3, 3, 3, 3, 2, 2, 1, 3, 2, 2, 2, 2)
def rnn_backward_entry(da, a_next, a_prev, x, Waa, Wax, work, dx, da0, dWax, dWaa, dba):
    """:func:`backward_from_course` for the whole batch (what the API calls)."""
    return backward_from_course(da, a_next, a_prev, x, Waa, Wax, work, dx, da0, dWax, dWaa, dba, 0, da.shape[1])


@entry_kernel(3, 3, 3, 3, 2, 2, 1, 3, 2, 2, 2, 2, types.int64, types.int64, nogil=True)
def rnn_backward_part_entry(da, a_next, a_prev, x, Waa, Wax, work, dx, da0, dWax, dWaa, dba, lo, hi):
    """:func:`backward_from_course` for the batch rows ``lo:hi`` (the API runs
    the parts of a large batch on several threads)."""
    return backward_from_course(da, a_next, a_prev, x, Waa, Wax, work, dx, da0, dWax, dWaa, dba, lo, hi)


@entry_kernel(3, 3, 3, 1, 2, 2, 2)
def rnn_weight_gradients_entry(da, a_prev, x, work, dWax, dWaa, dba):
    """:func:`rnn_weight_gradients` after :func:`rnn_backward_part_entry` ran
    on every part of the batch (same arguments; ``work`` holds ``dz``)."""
    n_a, m, T = da.shape
    dz = work[:T * m * n_a].reshape(T, m, n_a)
    rnn_weight_gradients(dz, a_prev[:T], x[:T], dWax, dWaa, view_as(dba, n_a))
