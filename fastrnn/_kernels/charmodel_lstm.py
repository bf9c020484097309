"""Character-level LSTM: compiled loss and gradients, Adam steps and sampling.

The LSTM of :mod:`.lstm` with batch size 1 and one-hot inputs, an output
layer ``p<t> = softmax(Wy a<t> + by)`` and the loss
``-sum_t log p<t>[ys[t]]``.  Gate weights are stacked ``[Wf; Wi; Wc; Wo]``
and split into ``Wa (4 n_a, n_a)`` and ``Wx (4 n_a, n_x)`` as there.

Training state is one tuple of arrays, ``params = (Wa, Wx, b, Wy, by)``
(biases flattened), with Adam moments ``v`` and ``s`` of the same shapes.
"""
import numpy as np

from ._jit import inlined_kernel, kernel
from .charmodel import clipped, draw_index, load_example, longest_example
from .intrinsics import view_as
from .layout import copy_into
from .lstm import lstm_backward_steps, lstm_forward, lstm_weight_gradients


@kernel
def workspace(n_x, n_a, n_y, T_max):
    """Buffers for :func:`loss_and_gradients` with sequences up to ``T_max``."""
    return (np.zeros((T_max, 1, n_x)),                     # one-hot inputs
            np.empty((T_max + 1, 1, n_a)), np.empty((T_max + 1, 1, n_a)),  # a, c histories
            np.empty((T_max, 1, 4 * n_a)), np.empty((T_max, 1, n_y)),     # gates, outputs
            np.empty((T_max, 1, n_a)), np.empty((T_max, 1, 4 * n_a)),     # da, dgates
            np.empty((T_max, 1, n_x)), np.empty((1, n_a)), np.empty((1, n_a)),  # dx, da0, dc0
            np.empty(n_y))                                  # dy


@kernel
def transposed(params):
    """Contiguous ``WxT, WaT, WyT`` for the forward kernel."""
    Wa, Wx, _, Wy, _ = params
    return np.ascontiguousarray(Wx.T), np.ascontiguousarray(Wa.T), np.ascontiguousarray(Wy.T)


@inlined_kernel
def one_hot(xs, x):
    """``x[:T] (T, 1, n_x)`` set to the one-hot rows of ``xs (T,)`` (``-1``: a zero
    row, the course's ``None``); returns that view.  Shared with the GRU char model."""
    T = xs.shape[0]
    xT = x[:T]
    xT[:] = 0.0
    for t in range(T):
        if xs[t] >= 0:
            xT[t, 0, xs[t]] = 1.0
    return xT


@inlined_kernel
def output_layer_gradients(ys, y, a_hist, Wy, dWy, dby, da, dy):
    """The loss ``-sum_t log y[t, 0, ys[t]]`` of the softmax outputs ``y (>= T, 1,
    n_y)``; ``dWy``, ``dby`` receive its gradients, ``da[:T] (T, 1, n_a)`` its
    gradient with respect to ``a_hist[1:T + 1]``; ``dy (n_y,)`` is scratch.
    Shared with the GRU char model."""
    T, n_y, n_a = ys.shape[0], dy.shape[0], da.shape[2]
    loss = 0.0
    dWy[:] = 0.0
    dby[:] = 0.0
    for t in range(T):
        loss -= np.log(y[t, 0, ys[t]])
        copy_into(y[t, 0], dy)
        dy[ys[t]] -= 1.0
        a_t = a_hist[t + 1, 0]
        da_t = da[t, 0]
        da_t[:] = 0.0
        for k in range(n_y):
            dyk = dy[k]
            w_row = Wy[k]
            g_row = dWy[k]
            for i in range(n_a):
                da_t[i] += w_row[i] * dyk
                g_row[i] += dyk * a_t[i]
            dby[k] += dyk
    return loss


@kernel
def loss_and_gradients(xs, ys, a0, c0, params, WxT, WaT, WyT, grads, work):
    """Forward and backward over one example; returns the loss.

    ``a0, c0 (1, n_a)`` start the sequence; ``grads = (dWa, dWx, db, dWy, dby)``
    receive the gradients; ``work[1][T], work[2][T]`` are the last a and c.
    """
    Wa, Wx, b, Wy, by = params
    dWa, dWx, db, dWy, dby = grads
    x, a_hist, c_hist, gates, y, da, dgates, dx, da0, dc0, dy = work
    T = xs.shape[0]
    n_a = a0.shape[1]
    xT = one_hot(xs, x)
    copy_into(a0[0], a_hist[0, 0])
    copy_into(c0[0], c_hist[0, 0])
    lstm_forward(xT, WxT, WaT, b, WyT, by, a_hist[:T + 1], c_hist[:T + 1], gates[:T], y[:T], 0, 1)
    loss = output_layer_gradients(ys, y, a_hist, Wy, dWy, dby, da, dy)
    lstm_backward_steps(da[:T], np.zeros((1, n_a)), c_hist[1:T + 1], c_hist[:T], gates[:T], Wa, Wx,
                        dgates[:T], dx[:T], da0, dc0, 0, 1)
    lstm_weight_gradients(dgates[:T], a_hist[:T], xT, dWa, dWx, db)
    return loss


@kernel
def clip_and_adam_array(p, g, v, s, c1, c2, lr, beta1, beta2, epsilon, max_value):
    """:func:`clip_and_adam` for one array (all four of the same shape, contiguous)."""
    p, g, v, s = view_as(p, p.size), view_as(g, g.size), view_as(v, v.size), view_as(s, s.size)
    for i in range(p.shape[0]):
        gi = clipped(g[i], max_value)
        g[i] = gi
        v[i] = beta1 * v[i] + (1 - beta1) * gi
        s[i] = beta2 * s[i] + (1 - beta2) * gi ** 2
        p[i] = p[i] - lr * (v[i] / c1) / np.sqrt(s[i] / c2 + epsilon)


@kernel
def clip_and_adam(params, grads, v, s, step, lr, beta1, beta2, epsilon, max_value):
    """Clip every gradient to ``[-max_value, max_value]`` (in ``grads``), then one
    Adam step (the course's update, epsilon inside the square root), in place."""
    c1 = 1.0 - beta1 ** step
    c2 = 1.0 - beta2 ** step
    clip_and_adam_array(params[0], grads[0], v[0], s[0], c1, c2, lr, beta1, beta2, epsilon, max_value)
    clip_and_adam_array(params[1], grads[1], v[1], s[1], c1, c2, lr, beta1, beta2, epsilon, max_value)
    clip_and_adam_array(params[2], grads[2], v[2], s[2], c1, c2, lr, beta1, beta2, epsilon, max_value)
    clip_and_adam_array(params[3], grads[3], v[3], s[3], c1, c2, lr, beta1, beta2, epsilon, max_value)
    clip_and_adam_array(params[4], grads[4], v[4], s[4], c1, c2, lr, beta1, beta2, epsilon, max_value)


@kernel
def train(codes, starts, newline, first, count, a_prev, c_prev, params, v, s, step,
          lr, beta1, beta2, epsilon, max_value, smoothed, losses):
    """Iterations ``first .. first+count-1``: examples in order as the RNN's
    :func:`.charmodel.train`, states carried, one Adam step each (the step
    count continues from ``step``).  ``losses[i]`` receives the smoothed
    loss; returns the last one."""
    n_examples = starts.shape[0] - 1
    Wa, Wx, b, Wy, by = params
    n_a, n_x, n_y = Wa.shape[1], Wx.shape[1], Wy.shape[0]
    T_max = longest_example(starts)
    work = workspace(n_x, n_a, n_y, T_max)
    grads = (np.empty_like(Wa), np.empty_like(Wx), np.empty_like(b), np.empty_like(Wy), np.empty_like(by))
    xs_buf = np.empty(T_max, np.int64)
    ys_buf = np.empty(T_max, np.int64)
    for it in range(count):
        T = load_example(codes, starts, (first + it) % n_examples, newline, xs_buf, ys_buf)
        xs, ys = xs_buf[:T], ys_buf[:T]
        WxT, WaT, WyT = transposed(params)
        loss = loss_and_gradients(xs, ys, a_prev, c_prev, params, WxT, WaT, WyT, grads, work)
        copy_into(work[1][T, 0], a_prev[0])
        copy_into(work[2][T, 0], c_prev[0])
        clip_and_adam(params, grads, v, s, step + it + 1, lr, beta1, beta2, epsilon, max_value)
        smoothed = smoothed * 0.999 + loss * 0.001
        losses[it] = smoothed
    return smoothed


@kernel
def sample(params, newline, seed, max_length, out):
    """As :func:`.charmodel.sample`, with the LSTM cell (states start at zero)."""
    Wa, Wx, b, Wy, by = params
    n_a, n_x, n_y = Wa.shape[1], Wx.shape[1], Wy.shape[0]
    WxT, WaT, WyT = transposed(params)
    x = np.zeros((1, 1, n_x))
    a = np.zeros((2, 1, n_a))
    c = np.zeros((2, 1, n_a))
    gates = np.empty((1, 1, 4 * n_a))
    y = np.empty((1, 1, n_y))
    cdf = np.empty(n_y)
    idx = -1
    count = 0
    while idx != newline and count != max_length:
        x[:] = 0.0
        if idx >= 0:
            x[0, 0, idx] = 1.0
        lstm_forward(x, WxT, WaT, b, WyT, by, a, c, gates, y, 0, 1)
        idx = draw_index(y[0, 0], cdf, seed + 2 * count)
        if idx < 0:
            return -1
        out[count] = idx
        a[0] = a[1]
        c[0] = c[1]
        count += 1
    if count == max_length:
        out[count] = newline
        count += 1
    return count
