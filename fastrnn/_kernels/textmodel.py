"""Character language models on any text: stacked layers, output layer, optimizers, sampling.

The cells are the step-by-step kernels' (:mod:`.rnn`, :mod:`.lstm`,
:mod:`.gru`), called with no output layer (``n_y = 0``); this module adds
what a stacked language model needs around them.  Parameters are kept in
kernel layout, per layer ``Wx (G n_a, n_in)``, ``Wa (G n_a, n_a)``, ``b (G
n_a,)`` with ``G`` gate blocks (RNN 1, LSTM 4 ``[f; i; cc; o]``, GRU 3 ``[r;
u; c]``: for the GRU the rows ``2 n_a:`` of ``Wa`` act on ``r * a<t-1>``), and
an output layer ``Wy (V, n_a)``, ``by (V,)``; all are views of one flat
array, as are their gradients, so the optimizers and the norm are one loop.
Every function writes into arrays its caller allocated once per model.
"""
import numpy as np

from ._jit import inlined_kernel, kernel, threaded_kernel
from .activations import softmax_rows
from .gru import gru_backward_steps, gru_forward, gru_weight_gradients
from .intrinsics import view_as
from .layout import transpose_into
from .lstm import lstm_backward_steps, lstm_forward, lstm_weight_gradients
from .products import column_sums, matmul, matmul_tn
from .rnn import rnn_backward_steps, rnn_forward, rnn_weight_gradients


@kernel
def fill_chunk(codes, starts, t0, inputs, targets):
    """``inputs`` and ``targets (L, B)`` (the next characters) of the chunk at offset ``t0`` of
    the ``B`` streams starting at ``starts (B,)`` of ``codes`` (the text as integers)."""
    L, B = inputs.shape
    for t in range(L):
        for s in range(B):
            at = starts[s] + t0 + t
            inputs[t, s] = codes[at]
            targets[t, s] = codes[at + 1]


@kernel
def gather_rows(codes, WT, out):
    """``out[t, s] = WT[codes[t, s]]``: the input projection of one-hot inputs, a row of the
    transposed input weights ``WT (V, n)`` per character (instead of a product with zeros)."""
    L, B = codes.shape
    n = WT.shape[1]
    for t in range(L):
        for s in range(B):
            src, dst = WT[codes[t, s]], out[t, s]
            for j in range(n):
                dst[j] = src[j]


@kernel
def scatter_rows(codes, grad, outT):
    """``outT (V, n)`` = the sum of ``grad[t, s]`` over the steps whose character is each row:
    the input weights' gradient (transposed) of one-hot inputs."""
    L, B = codes.shape
    n = outT.shape[1]
    for r in range(outT.shape[0]):
        row = outT[r]
        for j in range(n):
            row[j] = 0.0
    for t in range(L):
        for s in range(B):
            src, dst = grad[t, s], outT[codes[t, s]]
            for j in range(n):
                dst[j] += src[j]


@inlined_kernel
def _no_output(a_hist):
    """The empty output layer the cell kernels take for a hidden layer (``n_y = 0``)."""
    T1, m, n_a = a_hist.shape
    return np.empty((n_a, 0), a_hist.dtype), np.empty(0, a_hist.dtype), np.empty((T1 - 1, m, 0), a_hist.dtype)


# A layer runs in two or three calls: ``*_prepare`` (whole batch: the
# transposed weights into ``WxT``, ``WaT`` (``WcaT``), and for the first
# layer, ``first``, the gathered projection of its one-hot input, whose
# codes are ``codes (L, B)``), then ``*_recurrence`` for the batch rows
# ``lo:hi`` (``0, B``: all at once; the model runs parts of a large batch on
# several threads, see :mod:`fastrnn._threads`); backward ``*_steps`` for
# rows ``lo:hi``, then ``*_weights`` (whole batch; for the first layer the
# input weights' gradient is scattered from the codes, ``dWxT`` scratch).
# ``x (L, B, n_in)`` is the layer's input (not read for the first layer).

@kernel
def rnn_prepare(codes, first, Wx, Wa, a_hist, WxT, WaT):
    transpose_into(Wx, WxT)
    transpose_into(Wa, WaT)
    if first:
        gather_rows(codes, WxT, a_hist[1:])


@threaded_kernel
def rnn_recurrence(x, first, b, a_hist, WxT, WaT, lo, hi):
    """``a_hist (L + 1, B, n_a)`` (``a_hist[0]`` the carried state) of an RNN layer."""
    no_W, no_b, no_y = _no_output(a_hist)
    rnn_forward(x, WxT, WaT, b, no_W, no_b, a_hist, no_y, lo, hi, not first)


@threaded_kernel
def rnn_steps(da, first, a_hist, Wx, Wa, dx, da0, lo, hi):
    """An RNN layer's reverse loop from ``da (L, B, n_a)`` (overwritten with the gradient before
    tanh): ``dx (L, B, n_in)`` (not for the first layer) and ``da0 (B, n_a)`` (into the carried state)."""
    rnn_backward_steps(da, a_hist[1:], Wa, Wx, dx, da0, lo, hi, not first)


@kernel
def rnn_weights(da, codes, first, a_hist, x, dWx, dWa, db, dWxT):
    L = da.shape[0]
    rnn_weight_gradients(da, a_hist[:L], x, dWx, dWa, db, not first)
    if first:
        scatter_rows(codes, da, dWxT)
        transpose_into(dWxT, dWx)


@kernel
def lstm_prepare(codes, first, Wx, Wa, gates, WxT, WaT):
    transpose_into(Wx, WxT)
    transpose_into(Wa, WaT)
    if first:
        gather_rows(codes, WxT, gates)


@threaded_kernel
def lstm_recurrence(x, first, b, a_hist, c_hist, gates, WxT, WaT, lo, hi):
    """An LSTM layer: ``a_hist``, ``c_hist (L + 1, B, n_a)`` from their step 0 and ``gates (L, B, 4 n_a)``."""
    no_W, no_b, no_y = _no_output(a_hist)
    lstm_forward(x, WxT, WaT, b, no_W, no_b, a_hist, c_hist, gates, no_y, lo, hi, not first)


@threaded_kernel
def lstm_steps(da, first, c_hist, gates, Wx, Wa, dc_last, dgates, dx, da0, dc0, lo, hi):
    """An LSTM layer's reverse loop from ``da (L, B, n_a)`` and ``dc_last (B, n_a)`` (zero: the
    truncation): ``dgates``, ``dx``, ``da0``, ``dc0``."""
    L = da.shape[0]
    lstm_backward_steps(da, dc_last, c_hist[1:], c_hist[:L], gates, Wa, Wx, dgates, dx, da0, dc0, lo, hi,
                        not first)


@kernel
def lstm_weights(dgates, codes, first, a_hist, x, dWx, dWa, db, dWxT):
    L = dgates.shape[0]
    lstm_weight_gradients(dgates, a_hist[:L], x, dWa, dWx, db, not first)
    if first:
        scatter_rows(codes, dgates, dWxT)
        transpose_into(dWxT, dWx)


@kernel
def gru_prepare(codes, first, Wx, Wa, gates, WxT, WaT, WcaT):
    n_a = Wa.shape[1]
    transpose_into(Wx, WxT)
    transpose_into(Wa[:2 * n_a], WaT)
    transpose_into(Wa[2 * n_a:], WcaT)
    if first:
        gather_rows(codes, WxT, gates)


@threaded_kernel
def gru_recurrence(x, first, b, a_hist, ra_hist, gates, WxT, WaT, WcaT, lo, hi):
    """A GRU layer: ``a_hist (L + 1, B, n_a)`` from its step 0, ``ra_hist (L, B, n_a)``, ``gates (L, B, 3 n_a)``."""
    no_W, no_b, no_y = _no_output(a_hist)
    gru_forward(x, WxT, WaT, WcaT, b, no_W, no_b, a_hist, ra_hist, gates, no_y, lo, hi, not first)


@threaded_kernel
def gru_steps(da, first, a_hist, gates, Wx, Wa, dgates, dx, da0, lo, hi):
    """A GRU layer's reverse loop from ``da (L, B, n_a)``: ``dgates``, ``dx``, ``da0``."""
    L, n_a = da.shape[0], da.shape[2]
    gru_backward_steps(da, a_hist[:L], gates, Wa[:2 * n_a], Wa[2 * n_a:], Wx, dgates, dx, da0, lo, hi, not first)


@kernel
def gru_weights(dgates, codes, first, a_hist, ra_hist, x, dWx, dWa, db, dWxT):
    L, n_a = dgates.shape[0], a_hist.shape[2]
    gru_weight_gradients(dgates, a_hist[:L], ra_hist, x, dWa[:2 * n_a], dWa[2 * n_a:], dWx, db, not first)
    if first:
        scatter_rows(codes, dgates, dWxT)
        transpose_into(dWxT, dWx)


@kernel
def output_loss(a, Wy, by, targets, WyT, probs):
    """Mean cross-entropy (nats) of ``softmax(a Wy^T + by)`` against ``targets (L, B)``;
    ``a (L, B, n_a)``; ``probs (L, B, V)`` receives the probabilities."""
    L, B, n_a = a.shape
    V = Wy.shape[0]
    N = L * B
    transpose_into(Wy, WyT)
    p2 = view_as(probs, (N, V))
    matmul(view_as(a, (N, n_a)), WyT, p2)
    softmax_rows(p2, by)
    loss = 0.0
    t2 = view_as(targets, N)
    for r in range(N):
        loss -= np.log(max(p2[r, t2[r]], 1e-30))
    return loss / N


@kernel
def output_backward(a, Wy, targets, probs, dWy, dby, da):
    """Gradients of :func:`output_loss` (run first: ``probs`` holds its probabilities and is
    overwritten with the gradient of the logits): ``dWy (V, n_a)``, ``dby (V,)``, ``da (L, B, n_a)``."""
    L, B, n_a = a.shape
    V = Wy.shape[0]
    N = L * B
    p2 = view_as(probs, (N, V))
    t2 = view_as(targets, N)
    scale = 1.0 / N
    for r in range(N):
        row = p2[r]
        row[t2[r]] -= 1.0
        for k in range(V):
            row[k] *= scale
    matmul_tn(p2, view_as(a, (N, n_a)), dWy)
    column_sums(p2, dby)
    matmul(p2, Wy, view_as(da, (N, n_a)))


@kernel
def dropout_mask(mask, keep):
    """Uniform draws in ``mask`` (any shape, contiguous) into a dropout mask in place: ``1 / keep``
    where the draw is below ``keep``, else 0 (inverted dropout: the expectation is unchanged)."""
    m = view_as(mask, mask.size)
    scale = 1.0 / keep
    for k in range(m.shape[0]):
        m[k] = scale if m[k] < keep else 0.0


@kernel
def apply_mask(src, mask, dst):
    """``dst = src * mask`` elementwise (dropout between layers, and its gradient); same shapes."""
    s, m, d = view_as(src, src.size), view_as(mask, mask.size), view_as(dst, dst.size)
    for k in range(s.shape[0]):
        d[k] = s[k] * m[k]


@kernel
def clip_by_norm(g, max_norm):
    """Scale ``g`` (flat) by ``max_norm / (norm + 1e-6)`` when its 2-norm exceeds ``max_norm``
    (PyTorch's ``clip_grad_norm_``); returns the norm before clipping (in float64)."""
    total = 0.0
    for k in range(g.shape[0]):
        total += float(g[k]) * float(g[k])
    norm = np.sqrt(total)
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for k in range(g.shape[0]):
            g[k] = g[k] * scale
    return norm


@kernel
def clip_values(g, limit):
    """Clip every value of ``g`` to ``[-limit, limit]`` (the course's ``np.clip``), in place."""
    for k in range(g.shape[0]):
        v = g[k]
        g[k] = limit if v > limit else (-limit if v < -limit else v)


@kernel
def adam(p, g, m, v, step, lr, beta1, beta2, eps):
    """One Adam step (PyTorch's: ``p -= lr m_hat / (sqrt(v_hat) + eps)``), flat arrays, in place."""
    c1 = 1.0 - beta1 ** step
    c2 = 1.0 - beta2 ** step
    step_size = lr / c1
    root_c2 = np.sqrt(c2)
    for k in range(p.shape[0]):
        gk = g[k]
        m[k] = beta1 * m[k] + (1.0 - beta1) * gk
        v[k] = beta2 * v[k] + (1.0 - beta2) * gk * gk
        p[k] -= step_size * m[k] / (np.sqrt(v[k]) / root_c2 + eps)


@kernel
def sgd(p, g, lr):
    """``p -= lr g``, flat, in place."""
    for k in range(p.shape[0]):
        p[k] -= lr * g[k]


@kernel
def adagrad(p, g, memory, lr, eps):
    """min-char-rnn's Adagrad: ``memory += g**2``, ``p -= lr g / sqrt(memory + eps)``, flat, in place."""
    for k in range(p.shape[0]):
        memory[k] += g[k] * g[k]
        p[k] -= lr * g[k] / np.sqrt(memory[k] + eps)


@kernel
def sample(cell, Wxs, Was, bs, Wy, by, prime, length, temperature, top_k, seed, out):
    """Generate ``length`` characters after feeding ``prime`` (codes, at least one), one compiled loop.

    ``cell``: 0 RNN, 1 LSTM, 2 GRU; ``Wxs``, ``Was``, ``bs``: typed lists of the
    layers' weights in kernel layout; the state starts at zero.  Each draw
    takes the logits of the last character fed divided by ``temperature``
    (0: the most likely character), keeps the ``top_k`` largest (0: all),
    and draws from their softmax with numba's generator seeded with
    ``seed``.  ``out (length,)`` receives the codes.
    """
    layers = len(Wxs)
    n_a = Was[0].shape[1]
    V = Wy.shape[0]
    dtype = Wy.dtype
    G = Was[0].shape[0] // n_a
    states = np.zeros((layers, 2, 1, n_a), dtype)
    cells = np.zeros((layers, 2, 1, n_a), dtype)
    gates = np.empty((1, 1, G * n_a), dtype)
    ra = np.empty((1, 1, n_a), dtype)
    x0 = np.zeros((1, 1, 0), dtype)  # the first layer's input is gathered: x is not read
    code_buf = np.zeros((1, 1), np.int64)
    WxTs, WaTs, WcaTs = [], [], []
    for layer in range(layers):
        WxTs.append(np.ascontiguousarray(Wxs[layer].T))
        if cell == 2:
            WaTs.append(np.ascontiguousarray(Was[layer][:2 * n_a].T))
        else:
            WaTs.append(np.ascontiguousarray(Was[layer].T))
        WcaTs.append(np.ascontiguousarray(Was[layer][2 * n_a:].T) if cell == 2 else np.empty((0, 0), dtype))
    no_W = np.empty((n_a, 0), dtype)
    no_b = np.empty(0, dtype)
    no_y = np.empty((1, 1, 0), dtype)
    WyT = np.ascontiguousarray(Wy.T)
    logits = np.empty(V, np.float64)
    order = np.empty(V, np.int64)
    np.random.seed(seed)
    code = prime[0]
    fed = 0
    written = 0
    while written < length:
        code_buf[0, 0] = code
        for layer in range(layers):
            first = layer == 0
            x = x0 if first else states[layer - 1][1:2]
            a_hist = states[layer]
            if cell == 0:
                if first:
                    gather_rows(code_buf, WxTs[0], a_hist[1:])
                rnn_forward(x, WxTs[layer], WaTs[layer], bs[layer], no_W, no_b, a_hist, no_y, 0, 1, not first)
            elif cell == 1:
                if first:
                    gather_rows(code_buf, WxTs[0], gates)
                lstm_forward(x, WxTs[layer], WaTs[layer], bs[layer], no_W, no_b, a_hist, cells[layer], gates,
                             no_y, 0, 1, not first)
            else:
                if first:
                    gather_rows(code_buf, WxTs[0], gates)
                gru_forward(x, WxTs[layer], WaTs[layer], WcaTs[layer], bs[layer], no_W, no_b, a_hist, ra,
                            gates, no_y, 0, 1, not first)
        for layer in range(layers):
            for j in range(n_a):
                states[layer, 0, 0, j] = states[layer, 1, 0, j]
                cells[layer, 0, 0, j] = cells[layer, 1, 0, j]
        fed += 1
        if fed < prime.shape[0]:
            code = prime[fed]
            continue
        top = states[layers - 1, 1, 0]
        for k in range(V):
            logits[k] = by[k]
        for j in range(n_a):  # logits += top @ WyT, along WyT's rows
            tj, row = float(top[j]), WyT[j]
            for k in range(V):
                logits[k] += tj * row[k]
        code = _draw(logits, order, temperature, top_k)
        out[written] = code
        written += 1
    return written


@inlined_kernel
def _draw(logits, order, temperature, top_k):
    """An index drawn from ``softmax(logits / temperature)`` restricted to the ``top_k``
    largest logits (0: all); ``temperature`` 0: the largest logit (ties: the first)."""
    V = logits.shape[0]
    best = 0
    for k in range(1, V):
        if logits[k] > logits[best]:
            best = k
    if temperature <= 0.0:
        return best
    keep = V if top_k <= 0 or top_k >= V else top_k
    if keep < V:
        ranked = np.argsort(-logits)
        for k in range(V):
            order[k] = ranked[k]
        threshold = logits[order[keep - 1]]
    else:
        threshold = -np.inf
    top = logits[best]
    total = 0.0
    for k in range(V):
        if logits[k] >= threshold:
            total += np.exp((logits[k] - top) / temperature)
    u = np.random.random() * total
    running = 0.0
    last = best
    for k in range(V):
        if logits[k] >= threshold:
            running += np.exp((logits[k] - top) / temperature)
            last = k
            if u < running:
                return k
    return last
