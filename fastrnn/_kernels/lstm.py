"""LSTM: fused forward recurrence and backpropagation through time.

The four gate weights are stacked in the order forget, update, candidate,
output, ``W = [Wf; Wi; Wc; Wo]`` of shape ``(4 n_a, n_a + n_x)``, and split
into the part acting on ``a<t-1>`` (``Wa``) and on ``x<t>`` (``Wx``):

    f, i, o = sigmoid(...), cc = tanh(...)   of  W [a<t-1>; x<t>] + b
    c<t> = f * c<t-1> + i * cc
    a<t> = o * tanh(c<t>)
    y<t> = softmax(Wy a<t> + by)

``gates (T, m, 4 n_a)`` keeps the activations f, i, cc, o of every step
(columns ``[0:n_a]``, ``[n_a:2n_a]``, ``[2n_a:3n_a]``, ``[3n_a:4n_a]``).
The ``*_entry`` kernels (what the API calls) take the course's layouts and
per-gate parameters, check that the shapes fit together, and stack and
transpose them here.
"""
import numpy as np
from numba import types

from ._jit import entry_kernel, inlined_kernel, kernel, one_variant_kernel
from .activations import sigmoid_range, softmax_rows, tanh_range
from .intrinsics import view_as
from .layout import rows_fit, to_time_major_rows, transpose_block, transpose_into, work_array
from .products import add_matmul_block, caller_thread_block, column_sums, matmul, matmul_block, matmul_tn
from .tuning import BLOCK_VALUES


@inlined_kernel
def lstm_forward(x, WxT, WaT, b, WyT, by, a_hist, c_hist, gates, y_out, lo, hi, project=True):
    """Run the whole forward recurrence for the batch rows ``lo:hi``.

    Parameters
    ----------
    x : (T, m, n_x) inputs.
    WxT : (n_x, 4 n_a), WaT : (n_a, 4 n_a) transposed stacked gate weights.
    b : (4 n_a,) stacked gate biases.
    WyT : (n_a, n_y), by : (n_y,) output layer.
    a_hist, c_hist : (T + 1, m, n_a) hold a0 and c0 in step 0; receive a<1..T> and c<1..T>.
    gates : (T, m, 4 n_a) receives f, i, cc, o.
    y_out : (T, m, n_y) receives the softmax outputs (n_y = 0: no output layer is computed).
    lo, hi : the batch rows to run (``0, m``: all).  The rows are independent
        sequences: the API runs parts of a large batch on several threads.
    project : compute the input projection ``x WxT``; False: the gate rows (``a_hist[1:]`` for
        the RNN) already hold it (``x`` and ``WxT`` are not read: a one-hot input gathers rows).
    """
    T, m, n_x = x.shape
    n_a = a_hist.shape[2]
    n_g = 4 * n_a
    n_y = by.shape[0]
    step, part = m * n_a, hi - lo  # one step's states; the rows run here
    x_flat, y_flat = view_as(x, T * m * n_x), view_as(y_out, T * m * n_y)
    a_flat = view_as(a_hist, (T + 1) * step)
    gates_flat = view_as(gates, T * m * n_g)
    whole = part == m  # then every step's rows make one matrix: one product for all steps
    # Input projection into the gates; step t adds its recurrent product to its block.
    if whole and project:
        matmul_block(x_flat, 0, WxT, gates_flat, 0, T * m)
    row = np.empty(n_g, gates.dtype)
    # The gate activations of a step go through a gate-major scratch (f, i |
    # cc | o blocks contiguous: 3 activation calls) a block of rows at a time,
    # small enough to stay in cache (a whole step is 1 MB at the large shape);
    # a block of one row (batch size 1) is activated in place.
    rows = max(1, min(part, BLOCK_VALUES // n_g))
    scratch = np.empty(4 * rows * n_a, gates.dtype)
    for t in range(T):
        g_at = (t * m + lo) * n_g
        if whole:
            add_matmul_block(a_flat, t * step, WaT, n_g, gates_flat, g_at, m, row, t % 2 == 1)
        else:
            if project:
                caller_thread_block(x_flat, (t * m + lo) * n_x, WxT, n_g, gates_flat, g_at, part, False)
            caller_thread_block(a_flat, t * step + lo * n_a, WaT, n_g, gates_flat, g_at, part, True)
        c_prev = c_hist[t]
        g = gates[t]
        a_t = a_hist[t + 1]
        c_t = c_hist[t + 1]
        for i0 in range(lo, hi, rows):
            i1 = min(i0 + rows, hi)
            block = (i1 - i0) * n_a
            if block == n_a:  # one row: its gates are gate-major already, activated in place
                act, base = gates_flat, g_at + (i0 - lo) * n_g
                row_gates = gates_flat[base:base + n_g]
                for j in range(n_g):
                    row_gates[j] += b[j]
                pre = view_as(row_gates, (4, 1, n_a))
            else:
                act, base = scratch, 0
                pre = view_as(scratch[:4 * block], (4, i1 - i0, n_a))
                move_gates(g, pre, b, i0, True)
            sigmoid_range(act, base, base + 2 * block)  # f, i
            tanh_range(act, base + 2 * block, base + 3 * block)  # cc
            sigmoid_range(act, base + 3 * block, base + 4 * block)  # o
            if block != n_a:
                move_gates(g, pre, b, i0, False)
            for i in range(i0, i1):
                f, u, cc = pre[0, i - i0], pre[1, i - i0], pre[2, i - i0]
                cp, ct, at = c_prev[i], c_t[i], a_t[i]
                for j in range(n_a):
                    c = f[j] * cp[j] + u[j] * cc[j]
                    ct[j] = c
                    at[j] = c
            start = (t + 1) * step + i0 * n_a
            tanh_range(a_flat, start, start + block)
            for i in range(i0, i1):
                o, at = pre[3, i - i0], a_t[i]
                for j in range(n_a):
                    at[j] = o[j] * at[j]
        if not whole and n_y > 0:
            yt = (t * m + lo) * n_y
            caller_thread_block(a_flat, (t + 1) * step + lo * n_a, WyT, n_y, y_flat, yt, part, False)
            softmax_rows(view_as(y_flat[yt:yt + part * n_y], (part, n_y)), by)
    if whole and n_y > 0:  # n_y = 0: no output layer (a hidden layer of a stacked model)
        matmul_block(a_flat, step, WyT, y_flat, 0, T * m)
        softmax_rows(view_as(y_out, (T * m, n_y)), by)


@one_variant_kernel
def move_gates(g, pre, b, i0, into_scratch):
    """Between a step's gate rows ``g (m, 4 n_a)`` (f, i, cc, o side by side)
    and the gate-major scratch ``pre (4, r, n_a)`` of rows ``i0:i0 + r``:
    ``pre[k, i - i0] = g[i, k-th block] + b[k-th block]`` if ``into_scratch``,
    else the activated values back into ``g``."""
    n_a, rows = pre.shape[2], pre.shape[1]
    for k in range(4):
        pk = pre[k]
        bk = b[k * n_a:(k + 1) * n_a]
        for i in range(i0, i0 + rows):
            gk = g[i, k * n_a:(k + 1) * n_a]
            pki = pk[i - i0]
            if into_scratch:
                for j in range(n_a):
                    pki[j] = gk[j] + bk[j]
            else:
                for j in range(n_a):
                    gk[j] = pki[j]


@inlined_kernel
def lstm_backward_steps(da, dc_last, c_next, c_prev, gates, Wa, Wx, dgates, dx, da0, dc0, lo, hi,
                        input_gradient=True):
    """The reverse time loop of backpropagation, in both ``a`` and ``c``, for the batch rows ``lo:hi``.

    Parameters
    ----------
    da : (T, m, n_a) upstream gradient with respect to a<t>.
    dc_last : (m, n_a) gradient with respect to c<T> from beyond the sequence.
    c_prev, c_next : (T, m, n_a) cell states before / after each step.
    gates : (T, m, 4 n_a) f, i, cc, o of each step.
    Wa : (4 n_a, n_a), Wx : (4 n_a, n_x) stacked gate weights.
    dgates : (T, m, 4 n_a) receives the gradient before the gate nonlinearities.
    dx : (T, m, n_x), da0, dc0 : (m, n_a) receive those gradients.
    lo, hi : the batch rows to run, as :func:`lstm_forward`.
    input_gradient : False: ``dx`` is not computed (an input that needs no gradient).
    """
    T, m, n_a = da.shape
    n_x = Wx.shape[1]
    n_g = 4 * n_a
    step, part = m * n_a, hi - lo
    start = lo * n_a  # of the part in a step's block
    carry_a, carry_c = da0, dc0
    carry_a_flat, carry_c_flat, dc_last_flat = view_as(da0, step), view_as(dc0, step), view_as(dc_last, step)
    for k in range(start, start + part * n_a):  # loops: numba's ``carry[:] = ...`` costs more at small sizes
        carry_a_flat[k] = 0.0
        carry_c_flat[k] = dc_last_flat[k]
    dgates_flat = view_as(dgates, T * m * n_g)
    c_next_flat = view_as(c_next, T * step)
    dx_flat = view_as(dx, T * m * n_x)
    tanh_c = np.empty(part * n_a, da.dtype)
    whole = part == m
    for t in range(T - 1, -1, -1):
        g = gates[t]
        dg = dgates[t]
        c_t = c_next_flat[t * step + start:t * step + start + part * n_a]
        for k in range(part * n_a):
            tanh_c[k] = c_t[k]
        tanh_range(tanh_c, 0, part * n_a)
        for i in range(lo, hi):
            for j in range(n_a):
                ft = g[i, j]
                it = g[i, n_a + j]
                cct = g[i, 2 * n_a + j]
                ot = g[i, 3 * n_a + j]
                tc = tanh_c[(i - lo) * n_a + j]
                da_ij = da[t, i, j] + carry_a[i, j]
                dc = carry_c[i, j] + da_ij * ot * (1.0 - tc * tc)
                dg[i, j] = dc * c_prev[t, i, j] * ft * (1.0 - ft)
                dg[i, n_a + j] = dc * cct * it * (1.0 - it)
                dg[i, 2 * n_a + j] = dc * it * (1.0 - cct * cct)
                dg[i, 3 * n_a + j] = da_ij * tc * ot * (1.0 - ot)
                carry_c[i, j] = dc * ft
        g_at = (t * m + lo) * n_g
        if whole:
            matmul_block(dgates_flat, g_at, Wa, carry_a_flat, 0, m)
        else:
            caller_thread_block(dgates_flat, g_at, Wa, n_a, carry_a_flat, start, part, False)
            if input_gradient:
                caller_thread_block(dgates_flat, g_at, Wx, n_x, dx_flat, (t * m + lo) * n_x, part, False)
    if whole and input_gradient:
        matmul(view_as(dgates, (T * m, n_g)), Wx, view_as(dx, (T * m, n_x)))


@inlined_kernel
def lstm_weight_gradients(dgates, a_prev, x, dWa, dWx, db, input_weights=True):
    """``dWa (4 n_a, n_a)``, ``dWx (4 n_a, n_x)`` and ``db (4 n_a,)`` from
    ``dgates (T, m, 4 n_a)`` (:func:`lstm_backward_steps`), ``a_prev (T, m,
    n_a)`` and ``x (T, m, n_x)``."""
    T, m, n_g = dgates.shape
    dg2 = view_as(dgates, (T * m, n_g))
    matmul_tn(dg2, view_as(a_prev, (T * m, a_prev.shape[2])), dWa)
    if input_weights:
        matmul_tn(dg2, view_as(x, (T * m, x.shape[2])), dWx)
    column_sums(dg2, db)


@inlined_kernel
def stacked_weight_gradients(dgates, a_prev, x, dW, db):
    """:func:`lstm_weight_gradients` into ``dW (4 n_a, n_a + n_x) = [dWa | dWx]`` and ``db (4 n_a, 1)``."""
    n_g, n_a, n_x = dgates.shape[2], a_prev.shape[2], x.shape[2]
    dWa = np.empty((n_g, n_a), dgates.dtype)
    dWx = np.empty((n_g, n_x), dgates.dtype)
    lstm_weight_gradients(dgates, a_prev, x, dWa, dWx, view_as(db, n_g))
    for r in range(n_g):
        row = dW[r]
        for j in range(n_a):
            row[j] = dWa[r, j]
        for j in range(n_x):
            row[n_a + j] = dWx[r, j]


@kernel
def stack_gate_weights(Wf, Wi, Wc, Wo, Wa, Wx):
    """``[Wf; Wi; Wc; Wo]`` split into ``Wa (4 n_a, n_a)`` (the columns acting
    on a<t-1>) and ``Wx (4 n_a, n_x)`` (on x<t>)."""
    n_a = Wf.shape[0]
    n_x = Wf.shape[1] - n_a
    for k, W in enumerate((Wf, Wi, Wc, Wo)):
        for j in range(n_a):
            row = W[j]
            wa = Wa[k * n_a + j]
            wx = Wx[k * n_a + j]
            for r in range(n_a):
                wa[r] = row[r]
            for r in range(n_x):
                wx[r] = row[n_a + r]


@kernel
def stack_gate_weights_transposed(Wf, Wi, Wc, Wo, WaT, WxT):
    """The transposes of :func:`stack_gate_weights`' ``Wa`` and ``Wx``, in one
    pass: ``WaT (n_a, 4 n_a)``, ``WxT (n_x, 4 n_a)``.

    Each gate's two blocks go by :func:`~fastrnn._kernels.layout.transpose_block`
    (register tiles); below one tile's width (the notebook's n_a = 5) one
    loop over the four gates, along the rows of the outputs (eight calls of
    transpose_block cost more than the copy there).
    """
    n_a = Wf.shape[0]
    n_x = Wf.shape[1] - n_a
    if n_a < 64 // Wf.itemsize:
        for k, W in enumerate((Wf, Wi, Wc, Wo)):
            off = k * n_a
            for r in range(n_a):
                dst = WaT[r]
                for j in range(n_a):
                    dst[off + j] = W[j, r]
            for r in range(n_x):
                dst = WxT[r]
                for j in range(n_a):
                    dst[off + j] = W[j, n_a + r]
        return
    for k, W in enumerate((Wf, Wi, Wc, Wo)):
        transpose_block(W, 0, n_a, 0, n_a, WaT, 0, k * n_a)
        transpose_block(W, 0, n_a, n_a, n_a + n_x, WxT, 0, k * n_a)


@kernel
def stack_gate_biases(bf, bi, bc, bo, b):
    """``b (4 n_a,) = [bf; bi; bc; bo]`` from four ``(n_a, 1)`` columns."""
    n_a = bf.shape[0]
    for k, bk in enumerate((bf, bi, bc, bo)):
        for j in range(n_a):
            b[k * n_a + j] = bk[j, 0]


@inlined_kernel
def forward_from_course(x, a0, c0, Wf, Wi, Wc, Wo, bf, bi, bc, bo, Wy, by, x_seq, a_hist, c_hist, gates, y_out,
                        lo, hi):
    """:func:`lstm_forward` from the course's layouts, if the shapes fit together.

    Parameters
    ----------
    x : (n_x, m, T) inputs; a0, c0 : (n_a, m).
    Wf, Wi, Wc, Wo : (n_a, n_a + n_x); bf, bi, bc, bo : (n_a, 1); Wy (n_y, n_a), by (n_y, 1).
    x_seq : (T, m, n_x) receives x in kernel layout (kept for the backward pass).
    a_hist, c_hist : (T + 1, m, n_a) receive a0, c0, then the states of every step.
    gates : (T, m, 4 n_a), y_out : (T, m, n_y) as :func:`lstm_forward`.
    lo, hi : the batch rows to run (``0, m``: all); only their parts of the
        outputs are written.

    Returns
    -------
    bool : False, without running, unless these shapes fit together and every size is at least 1.
    """
    n_x, m, T = x.shape
    n_a, n_y = a0.shape[0], Wy.shape[0]
    if min(n_x, m, T, n_a, n_y) < 1 or a0.shape != (n_a, m) or c0.shape != (n_a, m) or not rows_fit(lo, hi, m):
        return False
    for W in (Wf, Wi, Wc, Wo):
        if W.shape != (n_a, n_a + n_x):
            return False
    for bias in (bf, bi, bc, bo):
        if bias.shape != (n_a, 1):
            return False
    if Wy.shape != (n_y, n_a) or by.shape != (n_y, 1) or x_seq.shape != (T, m, n_x):
        return False
    if a_hist.shape != (T + 1, m, n_a) or c_hist.shape != (T + 1, m, n_a):
        return False
    if gates.shape != (T, m, 4 * n_a) or y_out.shape != (T, m, n_y):
        return False
    dtype = x_seq.dtype
    to_time_major_rows(x, x_seq, lo, hi)
    a_first, c_first = a_hist[0], c_hist[0]
    for i in range(lo, hi):
        for j in range(n_a):
            a_first[i, j] = a0[j, i]
            c_first[i, j] = c0[j, i]
    b = np.empty(4 * n_a, dtype)
    stack_gate_biases(bf, bi, bc, bo, b)
    WaT = np.empty((n_a, 4 * n_a), dtype)
    WxT = np.empty((n_x, 4 * n_a), dtype)
    WyT = np.empty((n_a, n_y), dtype)
    stack_gate_weights_transposed(Wf, Wi, Wc, Wo, WaT, WxT)
    transpose_into(Wy, WyT)
    lstm_forward(x_seq, WxT, WaT, b, WyT, view_as(by, n_y), a_hist, c_hist, gates, y_out, lo, hi)
    return True


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3)
def lstm_forward_entry(x, a0, c0, Wf, Wi, Wc, Wo, bf, bi, bc, bo, Wy, by, x_seq, a_hist, c_hist, gates, y_out):
    """:func:`forward_from_course` for the whole batch (what the API calls)."""
    return forward_from_course(x, a0, c0, Wf, Wi, Wc, Wo, bf, bi, bc, bo, Wy, by, x_seq, a_hist, c_hist, gates,
                               y_out, 0, x.shape[1])


@entry_kernel(3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, types.int64, types.int64, nogil=True)
def lstm_forward_part_entry(x, a0, c0, Wf, Wi, Wc, Wo, bf, bi, bc, bo, Wy, by, x_seq, a_hist, c_hist, gates, y_out,
                            lo, hi):
    """:func:`forward_from_course` for the batch rows ``lo:hi`` (the API runs
    the parts of a large batch on several threads)."""
    return forward_from_course(x, a0, c0, Wf, Wi, Wc, Wo, bf, bi, bc, bo, Wy, by, x_seq, a_hist, c_hist, gates,
                               y_out, lo, hi)


@inlined_kernel
def backward_from_course(da, dc_last, a_prev, c_next, c_prev, gates, x, Wf, Wi, Wc, Wo,
                         work, dx, da0, dc0, dW, db, lo, hi):
    """:func:`lstm_backward_steps`, then :func:`stacked_weight_gradients`, from the
    course's layout of ``da (n_a, m, T)`` and its per-gate weights, if the
    shapes fit together.

    The sequences (kernel layout) hold at least T steps (the first T are
    used); ``work`` is scratch (used if it holds 5 T m n_a values, else the
    kernel allocates its own);
    ``dW (4 n_a, n_a + n_x)`` receives ``[dWf; dWi; dWc; dWo]`` and
    ``db (4 n_a, 1)`` the stacked bias gradients; the rest as
    :func:`lstm_backward_steps`.  Returns False, without running, unless the
    shapes fit together.

    With ``lo, hi`` other than ``0, m`` only the batch rows ``lo:hi`` of
    ``dx``, ``da0`` and ``dc0`` are computed, and their part of the gate
    gradients left in ``work`` (which must then hold them): the API runs the
    parts of a large batch on several threads, then
    :func:`lstm_weight_gradients_entry`.
    """
    n_a, m, T = da.shape
    n_x = x.shape[2]
    if min(n_a, m, T, n_x) < 1 or dc_last.shape != (m, n_a) or not rows_fit(lo, hi, m):
        return False
    for seq in (a_prev, c_next, c_prev):
        if seq.shape[0] < T or seq.shape[1:] != (m, n_a):
            return False
    if gates.shape[0] < T or gates.shape[1:] != (m, 4 * n_a) or x.shape[0] < T or x.shape[1] != m:
        return False
    for W in (Wf, Wi, Wc, Wo):
        if W.shape != (n_a, n_a + n_x):
            return False
    if dx.shape != (T, m, n_x):
        return False
    if da0.shape != (m, n_a) or dc0.shape != (m, n_a):
        return False
    if dW.shape != (4 * n_a, n_a + n_x) or db.shape != (4 * n_a, 1):
        return False
    size = T * m * n_a
    if hi - lo < m and work.shape[0] < 5 * size:
        return False
    dtype = dx.dtype
    scratch = work_array(work, 5 * size)
    da_seq = view_as(scratch[:size], (T, m, n_a))
    dgates = view_as(scratch[size:], (T, m, 4 * n_a))
    to_time_major_rows(da, da_seq, lo, hi)
    Wa = np.empty((4 * n_a, n_a), dtype)
    Wx = np.empty((4 * n_a, n_x), dtype)
    stack_gate_weights(Wf, Wi, Wc, Wo, Wa, Wx)
    lstm_backward_steps(da_seq, dc_last, c_next[:T], c_prev[:T], gates[:T], Wa, Wx, dgates, dx, da0, dc0, lo, hi)
    if hi - lo == m:
        stacked_weight_gradients(dgates, a_prev[:T], x[:T], dW, db)
    return True


@entry_kernel(3, 2, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 3, 2, 2, 2, 2)
def lstm_backward_entry(da, dc_last, a_prev, c_next, c_prev, gates, x, Wf, Wi, Wc, Wo,
                        work, dx, da0, dc0, dW, db):
    """:func:`backward_from_course` for the whole batch (what the API calls)."""
    return backward_from_course(da, dc_last, a_prev, c_next, c_prev, gates, x, Wf, Wi, Wc, Wo,
                                work, dx, da0, dc0, dW, db, 0, da.shape[1])


@entry_kernel(3, 2, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 3, 2, 2, 2, 2, types.int64, types.int64, nogil=True)
def lstm_backward_part_entry(da, dc_last, a_prev, c_next, c_prev, gates, x, Wf, Wi, Wc, Wo,
                             work, dx, da0, dc0, dW, db, lo, hi):
    """:func:`backward_from_course` for the batch rows ``lo:hi`` (the API runs
    the parts of a large batch on several threads)."""
    return backward_from_course(da, dc_last, a_prev, c_next, c_prev, gates, x, Wf, Wi, Wc, Wo,
                                work, dx, da0, dc0, dW, db, lo, hi)


@entry_kernel(3, 3, 3, 1, 2, 2)
def lstm_weight_gradients_entry(da, a_prev, x, work, dW, db):
    """:func:`stacked_weight_gradients` after :func:`lstm_backward_part_entry` ran
    on every part of the batch (same arguments; ``work`` holds the gate gradients)."""
    n_a, m, T = da.shape
    size = T * m * n_a
    dgates = view_as(work[size:5 * size], (T, m, 4 * n_a))
    stacked_weight_gradients(dgates, a_prev[:T], x[:T], dW, db)
