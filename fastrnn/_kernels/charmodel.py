"""Character-level RNN ("Dinosaurus Island"): compiled SGD steps and sampling.

One example is a sequence of character indices ``xs`` (``-1`` for the
course's ``None``, a zero input) with targets ``ys``, batch size 1:

    a<t> = tanh(Wax x<t> + Waa a<t-1> + b)      x<t> one-hot, so Wax x<t> = Wax[:, xs[t]]
    p<t> = softmax(Wya a<t> + by)
    loss = -sum_t log p<t>[ys[t]]

then BPTT as the course's ``rnn_backward``, clipping of every gradient to
``[-max_value, max_value]`` and the update ``W += -lr dW`` in place.

Weights are in the course layout, biases flattened to ``(n,)``.  Products
run as rows times scalars (contiguous, vectorised); ``WaaT`` and ``WyaT`` are
transposed copies kept in step with ``Waa`` and ``Wya`` for the forward
products.  Scratch comes from :func:`workspace`, made once per kernel call.
"""
import numpy as np

from ._jit import kernel
from .activations import exp_range, tanh_range
from .activations import workspace as activation_workspace


@kernel
def workspace(n_a, n_y, T_max):
    """Scratch for :func:`sgd_step`: a_hist (T_max+1, n_a), probs (T_max, n_y),
    dy (n_y,), da, da_next (n_a,), and the activation workspace."""
    return (np.empty((T_max + 1, n_a)), np.empty((T_max, n_y)), np.empty(n_y),
            np.empty(n_a), np.empty(n_a), activation_workspace())


@kernel
def transpose_into(src, dst):
    """``dst = src.T`` for ``src (r, c)``, ``dst (c, r)``.

    Writes run along contiguous rows of ``dst`` (measured at 100 x 100: 3 us,
    against 8.7 us for 8 x 8 tiles and 7.9 us for contiguous reads).
    """
    r, c = src.shape
    for j in range(c):
        row = dst[j]
        for i in range(r):
            row[i] = src[i, j]


@kernel
def add_vector_matrix(v, M, out):
    """``out += v @ M``: ``out[i] += sum_j v[j] M[j, i]`` for ``v (r,)``, ``M (r, n)``, ``out (n,)``.

    Rows four at a time, so that ``out`` is loaded and stored once per four
    rows (the inner loop vectorises over contiguous rows).
    """
    r, n = M.shape
    j = 0
    while j + 4 <= r:
        v0, v1, v2, v3 = v[j], v[j + 1], v[j + 2], v[j + 3]
        m0, m1, m2, m3 = M[j], M[j + 1], M[j + 2], M[j + 3]
        for i in range(n):
            out[i] += (m0[i] * v0 + m1[i] * v1) + (m2[i] * v2 + m3[i] * v3)
        j += 4
    while j < r:
        vj = v[j]
        mj = M[j]
        for i in range(n):
            out[i] += mj[i] * vj
        j += 1


@kernel
def add_outer(u, v, out):
    """``out += outer(u, v)`` for ``u (r,)``, ``v (n,)``, ``out (r, n)``."""
    for j in range(u.shape[0]):
        uj = u[j]
        row = out[j]
        for i in range(v.shape[0]):
            row[i] += uj * v[i]


@kernel
def softmax_inplace(z, ws):
    """``z = exp(z - max z) / sum`` over a 1-D contiguous ``z``."""
    top = z[0]
    for k in range(1, z.shape[0]):
        if z[k] > top:
            top = z[k]
    for k in range(z.shape[0]):
        z[k] = z[k] - top
    exp_range(z, 0, z.shape[0], 1.0, ws)
    total = 0.0
    for k in range(z.shape[0]):
        total += z[k]
    for k in range(z.shape[0]):
        z[k] = z[k] / total


@kernel
def cell_step(k, a_prev, Wax, WaaT, b, WyaT, by, a, p, ws):
    """One step: ``a = tanh(Wax[:, k] + Waa a_prev + b)`` (no input term for ``k < 0``),
    ``p = softmax(Wya a + by)``."""
    n_a = a.shape[0]
    a[:] = 0.0
    add_vector_matrix(a_prev, WaaT, a)
    if k >= 0:
        for i in range(n_a):
            a[i] = (Wax[i, k] + a[i]) + b[i]
    else:
        for i in range(n_a):
            a[i] = a[i] + b[i]
    tanh_range(a, 0, n_a, ws)
    p[:] = 0.0
    add_vector_matrix(a, WyaT, p)
    for c in range(p.shape[0]):
        p[c] += by[c]
    softmax_inplace(p, ws)


@kernel
def forward_pass(xs, ys, Wax, WaaT, WyaT, b, by, a_hist, probs, ws):
    """The course's ``rnn_forward`` over one example; returns the loss.

    ``a_hist[0]`` holds a0 on entry; ``a_hist[t + 1]`` receives a<t> and
    ``probs[t]`` the softmax output of step t.
    """
    loss = 0.0
    for t in range(xs.shape[0]):
        cell_step(xs[t], a_hist[t], Wax, WaaT, b, WyaT, by, a_hist[t + 1], probs[t], ws)
        loss -= np.log(probs[t, ys[t]])
    return loss


@kernel
def backward_pass(xs, ys, Waa, Wya, a_hist, probs, dWax, dWaa, dWya, db, dby, da_next, dy, da):
    """The course's ``rnn_backward``: the gradients (zeroed here) receive their
    sums over the steps, ``da_next`` the gradient reaching a0.  ``dy (n_y,)``
    and ``da (n_a,)`` are scratch."""
    n_a = Waa.shape[0]
    n_y = Wya.shape[0]
    dWax[:] = 0.0
    dWaa[:] = 0.0
    dWya[:] = 0.0
    db[:] = 0.0
    dby[:] = 0.0
    da_next[:] = 0.0
    for t in range(xs.shape[0] - 1, -1, -1):
        a = a_hist[t + 1]
        a_prev = a_hist[t]
        dy[:] = probs[t]
        dy[ys[t]] -= 1.0
        add_outer(dy, a, dWya)
        for c in range(n_y):
            dby[c] += dy[c]
        da[:] = 0.0
        add_vector_matrix(dy, Wya, da)
        for i in range(n_a):  # da becomes daraw, the gradient before tanh
            da[i] = (1.0 - a[i] * a[i]) * (da[i] + da_next[i])
            db[i] += da[i]
        k = xs[t]
        if k >= 0:
            for i in range(n_a):
                dWax[i, k] += da[i]
        add_outer(da, a_prev, dWaa)
        da_next[:] = 0.0
        add_vector_matrix(da, Waa, da_next)


@kernel
def forward_loss(xs, ys, a0, Wax, Waa, Wya, b, by, a_hist, probs):
    """:func:`forward_pass` on the course's weights (``a_hist[0]`` is set from ``a0``)."""
    WaaT = np.ascontiguousarray(Waa.T)
    WyaT = np.ascontiguousarray(Wya.T)
    a_hist[0, :] = a0
    return forward_pass(xs, ys, Wax, WaaT, WyaT, b, by, a_hist, probs, activation_workspace())


@kernel
def backward(xs, ys, Waa, Wya, a_hist, probs, dWax, dWaa, dWya, db, dby, da_next):
    """:func:`backward_pass` with its own scratch."""
    backward_pass(xs, ys, Waa, Wya, a_hist, probs, dWax, dWaa, dWya, db, dby, da_next,
                  np.empty(Wya.shape[0]), np.empty(Waa.shape[0]))


@kernel
def clip_inplace(g, max_value):
    """``np.clip(g, -max_value, max_value, out=g)`` for a contiguous ``g`` (NaN stays NaN)."""
    flat = g.reshape(g.size)
    for i in range(flat.shape[0]):
        v = flat[i]
        if v > max_value:
            flat[i] = max_value
        elif v < -max_value:
            flat[i] = -max_value


@kernel
def sgd_inplace(w, g, lr):
    """``w += -lr * g`` for contiguous ``w`` and ``g`` of the same shape."""
    wf = w.reshape(w.size)
    gf = g.reshape(g.size)
    for i in range(wf.shape[0]):
        wf[i] += -lr * gf[i]


@kernel
def sgd_step(xs, ys, a0, Wax, Waa, WaaT, Wya, WyaT, b, by,
             dWax, dWaa, dWya, db, dby, lr, max_value, work):
    """The course's ``optimize``: loss and gradients, clipping, update in place.

    ``WaaT``, ``WyaT`` must hold the transposes of ``Waa``, ``Wya`` on entry
    (they are not updated).  Returns the loss; ``work[0][len(xs)]`` is the
    last hidden state.
    """
    a_hist, probs, dy, da, da_next, ws = work
    a_hist[0, :] = a0
    loss = forward_pass(xs, ys, Wax, WaaT, WyaT, b, by, a_hist, probs, ws)
    backward_pass(xs, ys, Waa, Wya, a_hist, probs, dWax, dWaa, dWya, db, dby, da_next, dy, da)
    clip_inplace(dWax, max_value)
    clip_inplace(dWaa, max_value)
    clip_inplace(dWya, max_value)
    clip_inplace(db, max_value)
    clip_inplace(dby, max_value)
    sgd_inplace(Wax, dWax, lr)
    sgd_inplace(Waa, dWaa, lr)
    sgd_inplace(Wya, dWya, lr)
    sgd_inplace(b, db, lr)
    sgd_inplace(by, dby, lr)
    return loss


@kernel
def optimize_one(xs, ys, a0, Wax, Waa, Wya, b, by, lr, max_value,
                 dWax, dWaa, dWya, db, dby, a_last):
    """One :func:`sgd_step` on the caller's arrays; ``a_last`` receives the last state."""
    n_a = a0.shape[0]
    n_y = by.shape[0]
    work = workspace(n_a, n_y, xs.shape[0])
    WaaT = np.empty((n_a, n_a))
    WyaT = np.empty((n_a, n_y))
    transpose_into(Waa, WaaT)
    transpose_into(Wya, WyaT)
    loss = sgd_step(xs, ys, a0, Wax, Waa, WaaT, Wya, WyaT, b, by,
                    dWax, dWaa, dWya, db, dby, lr, max_value, work)
    a_last[:] = work[0][xs.shape[0]]
    return loss


@kernel
def longest_example(starts):
    """The longest sequence, ``len(example) + 1``, of the examples delimited by ``starts``."""
    T_max = 1
    for e in range(starts.shape[0] - 1):
        T_max = max(T_max, starts[e + 1] - starts[e] + 1)
    return T_max


@kernel
def load_example(codes, starts, e, newline, xs_buf, ys_buf):
    """Inputs ``[-1] + example`` and targets ``example + [newline]`` of example ``e``
    into the buffers; returns their length T."""
    lo, hi = starts[e], starts[e + 1]
    T = hi - lo + 1
    xs_buf[0] = -1
    xs_buf[1:T] = codes[lo:hi]
    ys_buf[:T - 1] = codes[lo:hi]
    ys_buf[T - 1] = newline
    return T


@kernel
def train(codes, starts, newline, first, count, a_prev, Wax, Waa, Wya, b, by,
          lr, max_value, smoothed, losses):
    """Iterations ``first .. first+count-1`` of the course's ``model`` loop.

    Example ``j % n`` is ``codes[starts[j % n]:starts[j % n + 1]]``; its inputs
    are ``[-1] + example`` and targets ``example + [newline]``.  ``a_prev``
    (carried from example to example), the weights and biases are updated in
    place.  ``losses[i]`` receives the smoothed loss after iteration
    ``first + i``, starting from ``smoothed``; returns the last one.
    """
    n_examples = starts.shape[0] - 1
    n_a = a_prev.shape[0]
    n_y = by.shape[0]
    T_max = longest_example(starts)
    work = workspace(n_a, n_y, T_max)
    WaaT = np.empty((n_a, n_a))
    WyaT = np.empty((n_a, n_y))
    dWax, dWaa, dWya = np.empty_like(Wax), np.empty_like(Waa), np.empty_like(Wya)
    db, dby = np.empty_like(b), np.empty_like(by)
    xs_buf = np.empty(T_max, np.int64)
    ys_buf = np.empty(T_max, np.int64)
    for it in range(count):
        T = load_example(codes, starts, (first + it) % n_examples, newline, xs_buf, ys_buf)
        xs, ys = xs_buf[:T], ys_buf[:T]
        transpose_into(Waa, WaaT)
        transpose_into(Wya, WyaT)
        loss = sgd_step(xs, ys, a_prev, Wax, Waa, WaaT, Wya, WyaT, b, by,
                        dWax, dWaa, dWya, db, dby, lr, max_value, work)
        a_prev[:] = work[0][T]
        smoothed = smoothed * 0.999 + loss * 0.001
        losses[it] = smoothed
    return smoothed


@kernel
def draw_index(p, cdf, seed):
    """``np.random.choice(len(p), p=p)`` after ``np.random.seed(seed)``, on numba's generator.

    numba's generator is the same MT19937 as numpy's legacy one and gives
    the same numbers for the same seed.  As numpy: ``cdf`` is the cumulative
    sum divided by its last entry, the index the first ``i`` with
    ``u < cdf[i]``.  Returns -1 if a probability is not finite.
    """
    n = p.shape[0]
    total = 0.0
    for c in range(n):
        if not np.isfinite(p[c]):
            return -1
        total += p[c]
        cdf[c] = total
    for c in range(n):
        cdf[c] = cdf[c] / cdf[n - 1]
    np.random.seed(seed)
    u = np.random.random()
    idx = 0
    while idx < n - 1 and cdf[idx] <= u:
        idx += 1
    return idx


@kernel
def sample(Wax, Waa, Wya, b, by, newline, seed, max_length, out):
    """The course's ``sample``: indices into ``out``, returns how many.

    Draw ``k`` uses seed ``seed + 2 k``, as the course's
    ``np.random.seed(counter + seed)`` with both incremented each step.
    Stops after the newline or ``max_length`` draws (then appends a
    newline).  Returns -1 if a probability is not finite.
    """
    n_a = Waa.shape[0]
    n_y = by.shape[0]
    ws = activation_workspace()
    WaaT = np.empty((n_a, n_a))
    WyaT = np.empty((n_a, n_y))
    transpose_into(Waa, WaaT)
    transpose_into(Wya, WyaT)
    a_prev = np.zeros(n_a)
    a = np.empty(n_a)
    p = np.empty(n_y)
    cdf = np.empty(n_y)
    idx = -1
    count = 0
    while idx != newline and count != max_length:
        cell_step(idx, a_prev, Wax, WaaT, b, WyaT, by, a, p, ws)
        idx = draw_index(p, cdf, seed + 2 * count)
        if idx < 0:
            return -1
        out[count] = idx
        a_prev[:] = a
        count += 1
    if count == max_length:
        out[count] = newline
        count += 1
    return count
