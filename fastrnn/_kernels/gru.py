"""GRU (the course's full GRU): fused forward recurrence and backpropagation through time.

The three gate weights are stacked in the order reset, update, candidate,
``W = [Wr; Wu; Wc]`` of shape ``(3 n_a, n_a + n_x)``, and split into the
columns acting on the recurrent input and on ``x<t>`` (``Wx``):

    r = sigmoid(Wr [a<t-1>; x<t>] + br),   u = sigmoid(Wu [a<t-1>; x<t>] + bu)
    cc = tanh(Wc [r * a<t-1>; x<t>] + bc)
    a<t> = u * cc + (1 - u) * a<t-1>
    y<t> = softmax(Wy a<t> + by)

``gates (T, m, 3 n_a)`` keeps r, u, cc of every step (columns ``[0:n_a]``,
``[n_a:2n_a]``, ``[2n_a:3n_a]``) and ``ra (T, m, n_a)`` the candidate's
recurrent input ``r * a<t-1>`` (for ``dWc``).  The candidate reads ``r``, so a
step makes two recurrent products, ``[r | u]`` from ``a<t-1>`` and the
candidate's from ``r * a<t-1>``; the input products of all steps are one
product, as for the LSTM.  The products read and write gate columns of the
wider ``gates`` rows in place (:func:`~.products.strided_block`).
"""
import numpy as np
from numba import types

from ._jit import entry_kernel, inlined_kernel, kernel
from .activations import sigmoid_range, softmax_rows, tanh_range
from .intrinsics import view_as
from .layout import rows_fit, to_time_major_rows, transpose_block, transpose_into, work_array
from .products import caller_thread_block, column_sums, gemm, matmul, matmul_block, matmul_tn, strided_block


@inlined_kernel
def gru_forward(x, WxT, WaT, WcaT, b, WyT, by, a_hist, ra_hist, gates, y_out, lo, hi, project=True):
    """Run the whole forward recurrence for the batch rows ``lo:hi``.

    Parameters
    ----------
    x : (T, m, n_x) inputs.
    WxT : (n_x, 3 n_a) transposed input columns of ``[Wr; Wu; Wc]``.
    WaT : (n_a, 2 n_a) transposed recurrent columns of ``[Wr; Wu]``.
    WcaT : (n_a, n_a) transposed recurrent columns of ``Wc``.
    b : (3 n_a,) stacked gate biases.
    WyT : (n_a, n_y), by : (n_y,) output layer.
    a_hist : (T + 1, m, n_a) holds a0 in step 0; receives a<1..T>.
    ra_hist : (T, m, n_a) receives ``r * a<t-1>``.
    gates : (T, m, 3 n_a) receives r, u, cc.
    y_out : (T, m, n_y) receives the softmax outputs (n_y = 0: no output layer is computed).
    lo, hi : the batch rows to run (``0, m``: all).  The rows are independent
        sequences: the API runs parts of a large batch on several threads.
    project : compute the input projection ``x WxT``; False: the gate rows (``a_hist[1:]`` for
        the RNN) already hold it (``x`` and ``WxT`` are not read: a one-hot input gathers rows).
    """
    T, m, n_x = x.shape
    n_a = a_hist.shape[2]
    n_g, n_ru = 3 * n_a, 2 * n_a
    n_y = by.shape[0]
    step, part = m * n_a, hi - lo  # one step's states; the rows run here
    x_flat, y_flat = view_as(x, T * m * n_x), view_as(y_out, T * m * n_y)
    a_flat, ra_flat = view_as(a_hist, (T + 1) * step), view_as(ra_hist, T * step)
    gates_flat = view_as(gates, T * m * n_g)
    whole = part == m  # then every step's rows make one matrix: one input product for all steps
    if whole and project:
        matmul_block(x_flat, 0, WxT, gates_flat, 0, T * m)
    rec = np.empty(part * n_ru, gates.dtype)  # the rows' [r | u] pre-activations, contiguous
    cand = np.empty(part * n_a, gates.dtype)  # the rows' candidate pre-activations
    row = np.empty(n_g + n_x, gates.dtype)  # scratch of the one-row product
    for t in range(T):
        g_at, a_at = (t * m + lo) * n_g, t * step + lo * n_a
        if not whole and project:
            strided_block(x_flat, (t * m + lo) * n_x, n_x, WxT, gates_flat, g_at, n_g, part, False, row, True)
        strided_block(a_flat, a_at, n_a, WaT, rec, 0, n_ru, part, False, row, not whole)
        g, a_prev, ra, a_t = gates[t], a_hist[t], ra_hist[t], a_hist[t + 1]
        for i in range(lo, hi):
            gi, ri = g[i], rec[(i - lo) * n_ru:(i - lo + 1) * n_ru]
            for j in range(n_ru):
                ri[j] += gi[j] + b[j]
        sigmoid_range(rec, 0, part * n_ru)  # r, u
        for i in range(lo, hi):
            gi, ri, ap, rai = g[i], rec[(i - lo) * n_ru:(i - lo + 1) * n_ru], a_prev[i], ra[i]
            for j in range(n_ru):
                gi[j] = ri[j]
            for j in range(n_a):
                rai[j] = ri[j] * ap[j]
        strided_block(ra_flat, a_at, n_a, WcaT, cand, 0, n_a, part, False, row, not whole)
        for i in range(lo, hi):
            gi, ci = g[i], cand[(i - lo) * n_a:(i - lo + 1) * n_a]
            for j in range(n_a):
                ci[j] += gi[n_ru + j] + b[n_ru + j]
        tanh_range(cand, 0, part * n_a)  # cc
        for i in range(lo, hi):
            gi, ci, ap, ai = g[i], cand[(i - lo) * n_a:(i - lo + 1) * n_a], a_prev[i], a_t[i]
            for j in range(n_a):
                u, cc = gi[n_a + j], ci[j]
                gi[n_ru + j] = cc
                ai[j] = u * cc + (1.0 - u) * ap[j]
        if not whole and n_y > 0:
            yt = (t * m + lo) * n_y
            caller_thread_block(a_flat, (t + 1) * step + lo * n_a, WyT, n_y, y_flat, yt, part, False)
            softmax_rows(view_as(y_flat[yt:yt + part * n_y], (part, n_y)), by)
    if whole and n_y > 0:  # n_y = 0: no output layer (a hidden layer of a stacked model)
        matmul_block(a_flat, step, WyT, y_flat, 0, T * m)
        softmax_rows(view_as(y_out, (T * m, n_y)), by)


@inlined_kernel
def gru_backward_steps(da, a_prev, gates, Wa, Wca, Wx, dgates, dx, da0, lo, hi, input_gradient=True):
    """The reverse time loop of backpropagation for the batch rows ``lo:hi``.

    Parameters
    ----------
    da : (T, m, n_a) upstream gradient with respect to a<t>.
    a_prev : (T, m, n_a) the state before each step.
    gates : (T, m, 3 n_a) r, u, cc of each step.
    Wa : (2 n_a, n_a) recurrent columns of ``[Wr; Wu]``; Wca : (n_a, n_a)
        those of ``Wc``; Wx : (3 n_a, n_x) input columns of ``[Wr; Wu; Wc]``.
    dgates : (T, m, 3 n_a) receives the gradient before the gate nonlinearities.
    dx : (T, m, n_x), da0 : (m, n_a) receive those gradients.
    lo, hi : the batch rows to run, as :func:`gru_forward`.
    input_gradient : False: ``dx`` is not computed (an input that needs no gradient).
    """
    T, m, n_a = da.shape
    n_x = Wx.shape[1]
    n_g, n_ru = 3 * n_a, 2 * n_a
    step, part = m * n_a, hi - lo
    start = lo * n_a  # of the part in a step's block
    carry, carry_flat = da0, view_as(da0, step)
    for k in range(start, start + part * n_a):
        carry_flat[k] = 0.0
    dgates_flat = view_as(dgates, T * m * n_g)
    dx_flat = view_as(dx, T * m * n_x)
    dra = np.empty(part * n_a, da.dtype)  # gradient with respect to r * a<t-1>
    row = np.empty(n_g + n_x, da.dtype)  # scratch of the one-row product
    whole = part == m
    for t in range(T - 1, -1, -1):
        g, dg, ap = gates[t], dgates[t], a_prev[t]
        for i in range(lo, hi):
            for j in range(n_a):
                u, cc, p = g[i, n_a + j], g[i, n_ru + j], ap[i, j]
                d = da[t, i, j] + carry[i, j]
                dg[i, n_ru + j] = d * u * (1.0 - cc * cc)
                dg[i, n_a + j] = d * (cc - p) * u * (1.0 - u)
                carry[i, j] = d * (1.0 - u)
        g_at = (t * m + lo) * n_g
        strided_block(dgates_flat, g_at + n_ru, n_g, Wca, dra, 0, n_a, part, False, row, not whole)
        for i in range(lo, hi):
            for j in range(n_a):
                r, dr = g[i, j], dra[(i - lo) * n_a + j]
                dg[i, j] = dr * ap[i, j] * r * (1.0 - r)
                carry[i, j] += dr * r
        strided_block(dgates_flat, g_at, n_g, Wa, carry_flat, start, n_a, part, True, row, not whole)
        if not whole and input_gradient:
            strided_block(dgates_flat, g_at, n_g, Wx, dx_flat, (t * m + lo) * n_x, n_x, part, False, row, True)
    if whole and input_gradient:
        matmul(view_as(dgates, (T * m, n_g)), Wx, view_as(dx, (T * m, n_x)))


@inlined_kernel
def gru_weight_gradients(dgates, a_prev, ra, x, dWa, dWca, dWx, db, input_weights=True):
    """``dWa (2 n_a, n_a)`` (recurrent columns of dWr, dWu), ``dWca (n_a, n_a)``
    (of dWc), ``dWx (3 n_a, n_x)`` and ``db (3 n_a,)`` from ``dgates (T, m,
    3 n_a)`` (:func:`gru_backward_steps`), ``a_prev``, ``ra (T, m, n_a)`` and
    ``x (T, m, n_x)``."""
    T, m, n_g = dgates.shape
    n_a, rows = n_g // 3, T * m
    dg2 = view_as(dgates, (rows, n_g))
    gemm(dg2, 0, n_g, True, view_as(a_prev, (rows, n_a)), 0, n_a, False, dWa, 0, n_a, 2 * n_a, n_a, rows, False)
    gemm(dg2, 2 * n_a, n_g, True, view_as(ra, (rows, n_a)), 0, n_a, False, dWca, 0, n_a, n_a, n_a, rows, False)
    if input_weights:
        matmul_tn(dg2, view_as(x, (rows, x.shape[2])), dWx)
    column_sums(dg2, db)


@inlined_kernel
def stacked_weight_gradients(dgates, a_prev, ra, x, dW, db):
    """:func:`gru_weight_gradients` into ``dW (3 n_a, n_a + n_x) = [dWr; dWu; dWc]`` and ``db (3 n_a, 1)``."""
    n_g, n_a, n_x = dgates.shape[2], a_prev.shape[2], x.shape[2]
    dWa = np.empty((2 * n_a, n_a), dgates.dtype)
    dWca = np.empty((n_a, n_a), dgates.dtype)
    dWx = np.empty((n_g, n_x), dgates.dtype)
    gru_weight_gradients(dgates, a_prev, ra, x, dWa, dWca, dWx, view_as(db, n_g))
    for r in range(n_g):
        out, rec = dW[r], dWa[r] if r < 2 * n_a else dWca[r - 2 * n_a]
        for j in range(n_a):
            out[j] = rec[j]
        for j in range(n_x):
            out[n_a + j] = dWx[r, j]


@kernel
def split_gate_weights(Wr, Wu, Wc, Wa, Wca, Wx):
    """``[Wr; Wu; Wc]`` split into ``Wa (2 n_a, n_a)`` (the recurrent columns of
    Wr and Wu), ``Wca (n_a, n_a)`` (of Wc) and ``Wx (3 n_a, n_x)`` (the input columns)."""
    n_a = Wr.shape[0]
    n_x = Wr.shape[1] - n_a
    for k, W in enumerate((Wr, Wu, Wc)):
        for j in range(n_a):
            row = W[j]
            wa = Wa[k * n_a + j] if k < 2 else Wca[j]
            wx = Wx[k * n_a + j]
            for c in range(n_a):
                wa[c] = row[c]
            for c in range(n_x):
                wx[c] = row[n_a + c]


@kernel
def split_gate_weights_transposed(Wr, Wu, Wc, WaT, WcaT, WxT):
    """The transposes of :func:`split_gate_weights`' blocks: ``WaT (n_a, 2 n_a)``,
    ``WcaT (n_a, n_a)``, ``WxT (n_x, 3 n_a)`` (:func:`~.layout.transpose_block`)."""
    n_a = Wr.shape[0]
    n_x = Wr.shape[1] - n_a
    transpose_block(Wr, 0, n_a, 0, n_a, WaT, 0, 0)
    transpose_block(Wu, 0, n_a, 0, n_a, WaT, 0, n_a)
    transpose_block(Wc, 0, n_a, 0, n_a, WcaT, 0, 0)
    for k, W in enumerate((Wr, Wu, Wc)):
        transpose_block(W, 0, n_a, n_a, n_a + n_x, WxT, 0, k * n_a)


@inlined_kernel
def forward_from_course(x, a0, Wr, Wu, Wc, br, bu, bc, Wy, by, x_seq, a_hist, ra_hist, gates, y_out, lo, hi):
    """:func:`gru_forward` from the course's layouts, if the shapes fit together.

    Parameters
    ----------
    x : (n_x, m, T) inputs; a0 : (n_a, m).
    Wr, Wu, Wc : (n_a, n_a + n_x); br, bu, bc : (n_a, 1); Wy (n_y, n_a), by (n_y, 1).
    x_seq : (T, m, n_x) receives x in kernel layout (kept for the backward pass).
    a_hist : (T + 1, m, n_a) receives a0, then the states of every step.
    ra_hist, gates, y_out : as :func:`gru_forward`.
    lo, hi : the batch rows to run (``0, m``: all); only their parts of the
        outputs are written.

    Returns
    -------
    bool : False, without running, unless these shapes fit together and every size is at least 1.
    """
    n_x, m, T = x.shape
    n_a, n_y = a0.shape[0], Wy.shape[0]
    if min(n_x, m, T, n_a, n_y) < 1 or a0.shape != (n_a, m) or not rows_fit(lo, hi, m):
        return False
    for W in (Wr, Wu, Wc):
        if W.shape != (n_a, n_a + n_x):
            return False
    for bias in (br, bu, bc):
        if bias.shape != (n_a, 1):
            return False
    if Wy.shape != (n_y, n_a) or by.shape != (n_y, 1) or x_seq.shape != (T, m, n_x):
        return False
    if a_hist.shape != (T + 1, m, n_a) or ra_hist.shape != (T, m, n_a):
        return False
    if gates.shape != (T, m, 3 * n_a) or y_out.shape != (T, m, n_y):
        return False
    dtype = x_seq.dtype
    to_time_major_rows(x, x_seq, lo, hi)
    a_first = a_hist[0]
    for i in range(lo, hi):
        for j in range(n_a):
            a_first[i, j] = a0[j, i]
    b = np.empty(3 * n_a, dtype)
    for k, bias in enumerate((br, bu, bc)):
        for j in range(n_a):
            b[k * n_a + j] = bias[j, 0]
    WaT = np.empty((n_a, 2 * n_a), dtype)
    WcaT = np.empty((n_a, n_a), dtype)
    WxT = np.empty((n_x, 3 * n_a), dtype)
    WyT = np.empty((n_a, n_y), dtype)
    split_gate_weights_transposed(Wr, Wu, Wc, WaT, WcaT, WxT)
    transpose_into(Wy, WyT)
    gru_forward(x_seq, WxT, WaT, WcaT, b, WyT, view_as(by, n_y), a_hist, ra_hist, gates, y_out, lo, hi)
    return True


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3)
def gru_forward_entry(x, a0, Wr, Wu, Wc, br, bu, bc, Wy, by, x_seq, a_hist, ra_hist, gates, y_out):
    """:func:`forward_from_course` for the whole batch (what the API calls)."""
    return forward_from_course(x, a0, Wr, Wu, Wc, br, bu, bc, Wy, by, x_seq, a_hist, ra_hist, gates, y_out,
                               0, x.shape[1])


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, types.int64, types.int64, nogil=True)
def gru_forward_part_entry(x, a0, Wr, Wu, Wc, br, bu, bc, Wy, by, x_seq, a_hist, ra_hist, gates, y_out, lo, hi):
    """:func:`forward_from_course` for the batch rows ``lo:hi`` (the API runs
    the parts of a large batch on several threads)."""
    return forward_from_course(x, a0, Wr, Wu, Wc, br, bu, bc, Wy, by, x_seq, a_hist, ra_hist, gates, y_out, lo, hi)


@inlined_kernel
def backward_from_course(da, a_prev, ra, gates, x, Wr, Wu, Wc, work, dx, da0, dW, db, lo, hi):
    """:func:`gru_backward_steps`, then :func:`stacked_weight_gradients`, from the
    course's layout of ``da (n_a, m, T)`` and its per-gate weights, if the
    shapes fit together.

    The sequences (kernel layout) hold at least T steps (the first T are
    used); ``work`` is scratch (used if it holds 4 T m n_a values, else the
    kernel allocates its own); ``dW (3 n_a, n_a + n_x)`` receives ``[dWr;
    dWu; dWc]`` and ``db (3 n_a, 1)`` the stacked bias gradients.  Returns
    False, without running, unless the shapes fit together.

    With ``lo, hi`` other than ``0, m`` only the batch rows ``lo:hi`` of
    ``dx`` and ``da0`` are computed, and their part of the gate gradients
    left in ``work`` (which must then hold them): the API runs the parts of
    a large batch on several threads, then :func:`gru_weight_gradients_entry`.
    """
    n_a, m, T = da.shape
    n_x = x.shape[2]
    if min(n_a, m, T, n_x) < 1 or not rows_fit(lo, hi, m):
        return False
    for seq in (a_prev, ra):
        if seq.shape[0] < T or seq.shape[1:] != (m, n_a):
            return False
    if gates.shape[0] < T or gates.shape[1:] != (m, 3 * n_a) or x.shape[0] < T or x.shape[1] != m:
        return False
    for W in (Wr, Wu, Wc):
        if W.shape != (n_a, n_a + n_x):
            return False
    if dx.shape != (T, m, n_x) or da0.shape != (m, n_a):
        return False
    if dW.shape != (3 * n_a, n_a + n_x) or db.shape != (3 * n_a, 1):
        return False
    size = T * m * n_a
    if hi - lo < m and work.shape[0] < 4 * size:
        return False
    dtype = dx.dtype
    scratch = work_array(work, 4 * size)
    da_seq = view_as(scratch[:size], (T, m, n_a))
    dgates = view_as(scratch[size:], (T, m, 3 * n_a))
    to_time_major_rows(da, da_seq, lo, hi)
    Wa = np.empty((2 * n_a, n_a), dtype)
    Wca = np.empty((n_a, n_a), dtype)
    Wx = np.empty((3 * n_a, n_x), dtype)
    split_gate_weights(Wr, Wu, Wc, Wa, Wca, Wx)
    gru_backward_steps(da_seq, a_prev[:T], gates[:T], Wa, Wca, Wx, dgates, dx, da0, lo, hi)
    if hi - lo == m:
        stacked_weight_gradients(dgates, a_prev[:T], ra[:T], x[:T], dW, db)
    return True


@entry_kernel(3, 3, 3, 3, 3, 2, 2, 2, 1, 3, 2, 2, 2)
def gru_backward_entry(da, a_prev, ra, gates, x, Wr, Wu, Wc, work, dx, da0, dW, db):
    """:func:`backward_from_course` for the whole batch (what the API calls)."""
    return backward_from_course(da, a_prev, ra, gates, x, Wr, Wu, Wc, work, dx, da0, dW, db, 0, da.shape[1])


@entry_kernel(3, 3, 3, 3, 3, 2, 2, 2, 1, 3, 2, 2, 2, types.int64, types.int64, nogil=True)
def gru_backward_part_entry(da, a_prev, ra, gates, x, Wr, Wu, Wc, work, dx, da0, dW, db, lo, hi):
    """:func:`backward_from_course` for the batch rows ``lo:hi`` (the API runs
    the parts of a large batch on several threads)."""
    return backward_from_course(da, a_prev, ra, gates, x, Wr, Wu, Wc, work, dx, da0, dW, db, lo, hi)


@entry_kernel(3, 3, 3, 3, 1, 2, 2)
def gru_weight_gradients_entry(da, a_prev, ra, x, work, dW, db):
    """:func:`stacked_weight_gradients` after :func:`gru_backward_part_entry` ran
    on every part of the batch (same arguments; ``work`` holds the gate gradients)."""
    n_a, m, T = da.shape
    size = T * m * n_a
    dgates = view_as(work[size:4 * size], (T, m, 3 * n_a))
    stacked_weight_gradients(dgates, a_prev[:T], ra[:T], x[:T], dW, db)
