"""Character-level GRU: compiled loss and gradients, Adam steps and sampling.

The GRU of :mod:`.gru` with batch size 1 and one-hot inputs, and the output
layer, loss and Adam step of the LSTM char model (:mod:`.charmodel_lstm`,
whose helpers this reuses).  Gate weights are stacked ``[Wr; Wu; Wc]`` and
split into their recurrent columns ``Wa (3 n_a, n_a)`` (rows ``2 n_a:`` are
the candidate's, which act on ``r * a<t-1>``) and input columns ``Wx (3 n_a,
n_x)``.

Training state is one tuple of arrays, ``params = (Wa, Wx, b, Wy, by)``
(biases flattened), with Adam moments ``v`` and ``s`` of the same shapes:
the LSTM char model's layout, so its Adam step serves both.
"""
import numpy as np

from ._jit import kernel
from .charmodel import draw_index, load_example, longest_example
from .charmodel_lstm import clip_and_adam, one_hot, output_layer_gradients
from .gru import gru_backward_steps, gru_forward, gru_weight_gradients
from .layout import copy_into


@kernel
def workspace(n_x, n_a, n_y, T_max):
    """Buffers for :func:`loss_and_gradients` with sequences up to ``T_max``."""
    return (np.zeros((T_max, 1, n_x)),                                  # one-hot inputs
            np.empty((T_max + 1, 1, n_a)), np.empty((T_max, 1, n_a)),   # a history, r * a<t-1>
            np.empty((T_max, 1, 3 * n_a)), np.empty((T_max, 1, n_y)),   # gates, outputs
            np.empty((T_max, 1, n_a)), np.empty((T_max, 1, 3 * n_a)),   # da, dgates
            np.empty((T_max, 1, n_x)), np.empty((1, n_a)),               # dx, da0
            np.empty(n_y))                                               # dy


@kernel
def transposed(params):
    """Contiguous ``WxT (n_x, 3 n_a)``, ``WaT (n_a, 2 n_a)``, ``WcaT (n_a, n_a)``,
    ``WyT`` for the forward kernel."""
    Wa, Wx, _, Wy, _ = params
    n_a = Wa.shape[1]
    return (np.ascontiguousarray(Wx.T), np.ascontiguousarray(Wa[:2 * n_a].T),
            np.ascontiguousarray(Wa[2 * n_a:].T), np.ascontiguousarray(Wy.T))


@kernel
def loss_and_gradients(xs, ys, a0, params, WxT, WaT, WcaT, WyT, grads, work):
    """Forward and backward over one example; returns the loss.

    ``a0 (1, n_a)`` starts the sequence; ``grads = (dWa, dWx, db, dWy, dby)``
    receive the gradients; ``work[1][T]`` is the last state.
    """
    Wa, Wx, b, Wy, by = params
    dWa, dWx, db, dWy, dby = grads
    x, a_hist, ra_hist, gates, y, da, dgates, dx, da0, dy = work
    T = xs.shape[0]
    n_a = a0.shape[1]
    xT = one_hot(xs, x)
    copy_into(a0[0], a_hist[0, 0])
    gru_forward(xT, WxT, WaT, WcaT, b, WyT, by, a_hist[:T + 1], ra_hist[:T], gates[:T], y[:T], 0, 1)
    loss = output_layer_gradients(ys, y, a_hist, Wy, dWy, dby, da, dy)
    gru_backward_steps(da[:T], a_hist[:T], gates[:T], Wa[:2 * n_a], Wa[2 * n_a:], Wx, dgates[:T], dx[:T], da0,
                       0, 1)
    gru_weight_gradients(dgates[:T], a_hist[:T], ra_hist[:T], xT, dWa[:2 * n_a], dWa[2 * n_a:], dWx, db)
    return loss


@kernel
def train(codes, starts, newline, first, count, a_prev, params, v, s, step,
          lr, beta1, beta2, epsilon, max_value, smoothed, losses):
    """Iterations ``first .. first+count-1``, as the LSTM char model's
    :func:`.charmodel_lstm.train` (state ``a_prev (1, n_a)`` carried)."""
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
        WxT, WaT, WcaT, WyT = transposed(params)
        loss = loss_and_gradients(xs, ys, a_prev, params, WxT, WaT, WcaT, WyT, grads, work)
        copy_into(work[1][T, 0], a_prev[0])
        clip_and_adam(params, grads, v, s, step + it + 1, lr, beta1, beta2, epsilon, max_value)
        smoothed = smoothed * 0.999 + loss * 0.001
        losses[it] = smoothed
    return smoothed


@kernel
def sample(params, newline, seed, max_length, out):
    """As :func:`.charmodel.sample`, with the GRU cell (the state starts at zero)."""
    Wa, Wx, b, Wy, by = params
    n_a, n_x, n_y = Wa.shape[1], Wx.shape[1], Wy.shape[0]
    WxT, WaT, WcaT, WyT = transposed(params)
    x = np.zeros((1, 1, n_x))
    a = np.zeros((2, 1, n_a))
    ra = np.empty((1, 1, n_a))
    gates = np.empty((1, 1, 3 * n_a))
    y = np.empty((1, 1, n_y))
    cdf = np.empty(n_y)
    idx = -1
    count = 0
    while idx != newline and count != max_length:
        x[:] = 0.0
        if idx >= 0:
            x[0, 0, idx] = 1.0
        gru_forward(x, WxT, WaT, WcaT, b, WyT, by, a, ra, gates, y, 0, 1)
        idx = draw_index(y[0, 0], cdf, seed + 2 * count)
        if idx < 0:
            return -1
        out[count] = idx
        a[0] = a[1]
        count += 1
    if count == max_length:
        out[count] = newline
        count += 1
    return count
