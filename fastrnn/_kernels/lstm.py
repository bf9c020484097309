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
"""
import numpy as np

from ._jit import kernel
from .activations import sigmoid_range, softmax_rows, tanh_range, workspace
from .linalg import add_row_vector, column_sums, matmul, matmul_tn


@kernel
def lstm_forward(x, a0, c0, WxT, WaT, b, WyT, by, a_out, c_out, gates, y_out):
    """Run the whole forward recurrence.

    Parameters
    ----------
    x : (T, m, n_x) inputs.
    a0, c0 : (m, n_a) initial hidden and cell states.
    WxT : (n_x, 4 n_a), WaT : (n_a, 4 n_a) transposed stacked gate weights.
    b : (4 n_a,) stacked gate biases.
    WyT : (n_a, n_y), by : (n_y,) output layer.
    a_out, c_out : (T, m, n_a) receive a<1..T> and c<1..T>.
    gates : (T, m, 4 n_a) receives f, i, cc, o.
    y_out : (T, m, n_y) receives the softmax outputs.
    """
    T, m, n_x = x.shape
    n_a = a0.shape[1]
    n_g = 4 * n_a
    n_y = by.shape[0]
    matmul(x.reshape(T * m, n_x), WxT, gates.reshape(T * m, n_g))
    recur = np.empty((m, n_g), gates.dtype)
    ws = workspace()
    # gate-major scratch (f, i | cc | o blocks contiguous): 3 activation calls a step
    pre = np.empty((4, m, n_a), gates.dtype)
    pre_flat = pre.reshape(4 * m * n_a)
    block = m * n_a
    a_flat = a_out.reshape(T * m * n_a)
    for t in range(T):
        a_prev = a0 if t == 0 else a_out[t - 1]
        c_prev = c0 if t == 0 else c_out[t - 1]
        matmul(a_prev, WaT, recur)
        g = gates[t]
        a_t = a_out[t]
        c_t = c_out[t]
        for k in range(4):
            pk = pre[k]
            for i in range(m):
                for j in range(n_a):
                    col = k * n_a + j
                    pk[i, j] = (g[i, col] + recur[i, col]) + b[col]
        sigmoid_range(pre_flat, 0, 2 * block, ws)  # f, i
        tanh_range(pre_flat, 2 * block, 3 * block, ws)  # cc
        sigmoid_range(pre_flat, 3 * block, 4 * block, ws)  # o
        for k in range(4):
            pk = pre[k]
            for i in range(m):
                for j in range(n_a):
                    g[i, k * n_a + j] = pk[i, j]
        for i in range(m):
            for j in range(n_a):
                c = pre[0, i, j] * c_prev[i, j] + pre[1, i, j] * pre[2, i, j]
                c_t[i, j] = c
                a_t[i, j] = c
        tanh_range(a_flat, t * block, (t + 1) * block, ws)
        for i in range(m):
            for j in range(n_a):
                a_t[i, j] = pre[3, i, j] * a_t[i, j]
    y2 = y_out.reshape(T * m, n_y)
    matmul(a_out.reshape(T * m, n_a), WyT, y2)
    add_row_vector(y2, by)
    softmax_rows(y2, ws)


@kernel
def lstm_backward(da, dc_last, a_prev, c_next, c_prev, gates, x, Wa, Wx,
                  dgates, dx, da0, dc0, dWa, dWx, db):
    """Backpropagate through the T steps, in both ``a`` and ``c``.

    Parameters
    ----------
    da : (T, m, n_a) upstream gradient with respect to a<t>.
    dc_last : (m, n_a) gradient with respect to c<T> from beyond the sequence.
    a_prev, c_prev, c_next : (T, m, n_a) states before / after each step.
    gates : (T, m, 4 n_a) f, i, cc, o of each step.
    x : (T, m, n_x) inputs.
    Wa : (4 n_a, n_a), Wx : (4 n_a, n_x) stacked gate weights.
    dgates : (T, m, 4 n_a) scratch: the gradient before the gate nonlinearities.
    dx : (T, m, n_x), da0, dc0 : (m, n_a), dWa : (4 n_a, n_a),
    dWx : (4 n_a, n_x), db : (4 n_a,) receive the gradients.
    """
    T, m, n_a = da.shape
    n_x = x.shape[2]
    n_g = 4 * n_a
    carry_a = da0
    carry_a[:] = 0.0
    carry_c = dc0
    carry_c[:] = dc_last
    ws = workspace()
    tanh_c = np.empty(m * n_a, da.dtype)
    for t in range(T - 1, -1, -1):
        g = gates[t]
        dg = dgates[t]
        tanh_c[:] = c_next[t].reshape(m * n_a)
        tanh_range(tanh_c, 0, m * n_a, ws)
        for i in range(m):
            for j in range(n_a):
                ft = g[i, j]
                it = g[i, n_a + j]
                cct = g[i, 2 * n_a + j]
                ot = g[i, 3 * n_a + j]
                tc = tanh_c[i * n_a + j]
                da_ij = da[t, i, j] + carry_a[i, j]
                dc = carry_c[i, j] + da_ij * ot * (1.0 - tc * tc)
                dg[i, j] = dc * c_prev[t, i, j] * ft * (1.0 - ft)
                dg[i, n_a + j] = dc * cct * it * (1.0 - it)
                dg[i, 2 * n_a + j] = dc * it * (1.0 - cct * cct)
                dg[i, 3 * n_a + j] = da_ij * tc * ot * (1.0 - ot)
                carry_c[i, j] = dc * ft
        matmul(dg, Wa, carry_a)
    dg2 = dgates.reshape(T * m, n_g)
    matmul(dg2, Wx, dx.reshape(T * m, n_x))
    matmul_tn(dg2, a_prev.reshape(T * m, n_a), dWa)
    matmul_tn(dg2, x.reshape(T * m, n_x), dWx)
    column_sums(dg2, db)
