"""Character-level RNN ("Dinosaurus Island"): compiled SGD steps and sampling.

One example is a sequence of character indices ``xs`` (``-1`` for the
course's ``None``, a zero input) with targets ``ys``, batch size 1:

    a<t> = tanh(Wax x<t> + Waa a<t-1> + b)      x<t> one-hot, so Wax x<t> = Wax[:, xs[t]]
    p<t> = softmax(Wya a<t> + by)
    loss = -sum_t log p<t>[ys[t]]

then BPTT as the course's ``rnn_backward``, clipping of every gradient to
``[-max_value, max_value]`` and the update ``W += -lr dW`` in place.

Weights are in the course layout, biases flattened to ``(n,)``; no
transposed copies.  The forward products are row dot products
(:func:`dot_rows`).  The backward ones, a row times ``Wya`` and ``Waa``, go
by column tiles in registers (:func:`~fastrnn._kernels.products.row_times`)
while ``Waa`` fits in ROW_TILE_MAX_BYTES (n_a <= 64 in float64), else by
rows times scalars (:func:`add_vector_matrix`: out of the L1 cache the tiles
lose their advantage).  The reverse loop keeps only the per-step gradients ``dy<t>``
and ``daraw<t>``; the weight gradients are summed afterwards over the
steps in the course's (reverse) order, four steps a pass, and clipped and
applied in the last pass (:func:`weight_gradients`): every weight is read
and written once per step of SGD instead of once per character.  Scratch
comes from :func:`workspace`.
"""
import numpy as np
from numba import types

from ._jit import contracting_kernel, entry_kernel, inlined_kernel, kernel, one_variant_kernel, reassociating_kernel
from .activations import softmax_row, tanh_range
from .intrinsics import view_as
from .layout import copy_into
from .products import row_times
from .tuning import ROW_TILE_MAX_BYTES


@inlined_kernel
def workspace(n_a, n_y, T_max):
    """Scratch for :func:`sgd_step`, carved from one allocation: a_hist
    (T_max+1, n_a), probs (T_max, n_y), dys (T_max, n_y), das (T_max, n_a),
    da_next (n_a,)."""
    sizes = ((T_max + 1) * n_a, T_max * n_y, T_max * n_y, T_max * n_a, n_a)
    buf = np.empty(sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4])
    views = []
    start = 0
    for size in sizes:
        views.append(buf[start:start + size])
        start += size
    return (view_as(views[0], (T_max + 1, n_a)), view_as(views[1], (T_max, n_y)), view_as(views[2], (T_max, n_y)),
            view_as(views[3], (T_max, n_a)), views[4])


@reassociating_kernel
def dot_rows(M, v, out):
    """``out = M @ v``: ``out[i] = M[i] . v`` for ``M (r, n)``, ``v (n,)``, ``out (r,)``.

    Four rows at a time (each load of ``v`` serves four sums).  The only kernel that lets LLVM reassociate its sums, so that
    the dot products vectorise; they differ from sequential sums by rounding.
    """
    r, n = M.shape
    i = 0
    while i + 4 <= r:
        m0, m1, m2, m3 = M[i], M[i + 1], M[i + 2], M[i + 3]
        s0 = s1 = s2 = s3 = 0.0
        for j in range(n):
            vj = v[j]
            s0 += m0[j] * vj
            s1 += m1[j] * vj
            s2 += m2[j] * vj
            s3 += m3[j] * vj
        out[i], out[i + 1], out[i + 2], out[i + 3] = s0, s1, s2, s3
        i += 4
    while i < r:
        row = M[i]
        total = 0.0
        for j in range(n):
            total += row[j] * v[j]
        out[i] = total
        i += 1


@contracting_kernel
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


@inlined_kernel
def cell_step(k, a_prev, Wax, Waa, b, Wya, by, a, p):
    """One step: ``a = tanh(Wax[:, k] + Waa a_prev + b)`` (no input term for ``k < 0``),
    ``p = softmax(Wya a + by)``."""
    n_a = a.shape[0]
    dot_rows(Waa, a_prev, a)
    if k >= 0:
        for i in range(n_a):
            a[i] = (Wax[i, k] + a[i]) + b[i]
    else:
        for i in range(n_a):
            a[i] = a[i] + b[i]
    tanh_range(a, 0, n_a)
    dot_rows(Wya, a, p)
    for c in range(p.shape[0]):
        p[c] += by[c]
    softmax_row(p)


@inlined_kernel
def forward_pass(xs, ys, Wax, Waa, Wya, b, by, a_hist, probs):
    """The course's ``rnn_forward`` over one example; returns the loss.

    ``a_hist[0]`` holds a0 on entry; ``a_hist[t + 1]`` receives a<t> and
    ``probs[t]`` the softmax output of step t.
    """
    loss = 0.0
    for t in range(xs.shape[0]):
        cell_step(xs[t], a_hist[t], Wax, Waa, b, Wya, by, a_hist[t + 1], probs[t])
        loss -= np.log(probs[t, ys[t]])
    return loss


@inlined_kernel
def backward_pass(xs, ys, Waa, Wya, a_hist, probs, dys, das, da_next, with_da0):
    """The course's ``rnn_backward`` without the weight gradients.

    For every step, in reverse: ``dys[t] = p<t> - onehot(ys[t])`` and
    ``das[t]``, the gradient before tanh (the course's ``daraw``); with
    ``with_da0``, ``da_next`` ends as the gradient reaching a0 (an SGD step
    does not need it, and skips that product).  The weight gradients are
    sums of products of these (:func:`weight_gradients`).
    """
    n_a = Waa.shape[0]
    n_y = Wya.shape[0]
    in_tiles = n_a * n_a * Waa.itemsize <= ROW_TILE_MAX_BYTES
    for i in range(n_a):
        da_next[i] = 0.0
    for t in range(xs.shape[0] - 1, -1, -1):
        a = a_hist[t + 1]
        dy = dys[t]
        p = probs[t]
        for c in range(n_y):
            dy[c] = p[c]
        dy[ys[t]] -= 1.0
        da = das[t]
        if in_tiles:
            row_times(dy, 0, Wya, n_a, da, 0, False, da, False)
        else:
            for i in range(n_a):
                da[i] = 0.0
            add_vector_matrix(dy, Wya, da)
        for i in range(n_a):  # da becomes daraw, the gradient before tanh
            da[i] = (1.0 - a[i] * a[i]) * (da[i] + da_next[i])
            da_next[i] = 0.0
        if t > 0 or with_da0:
            if in_tiles:
                row_times(da, 0, Waa, n_a, da_next, 0, False, da_next, t % 2 == 1)
            else:
                add_vector_matrix(da, Waa, da_next)


@inlined_kernel
def clipped(v, max_value):
    """``v`` clipped to ``[-max_value, max_value]`` (NaN stays NaN): the course's ``np.clip``
    of a gradient, for both char models."""
    v = max_value if v > max_value else v
    return -max_value if v < -max_value else v


@kernel
def clip_and_step(g, w, lr, max_value):
    """Clip ``g`` to ``[-max_value, max_value]`` in place (NaN stays NaN),
    then ``w += -lr * g``; ``g`` and ``w`` 1-D contiguous, of the same length."""
    for j in range(g.shape[0]):
        v = clipped(g[j], max_value)
        g[j] = v
        w[j] += -lr * v


@contracting_kernel
def sum_outer_products(coef, rows, step, out, w, lr, max_value):
    """``out = sum over t = T-1 .. 0 of outer(coef[t], rows[t])`` (the course's
    order) for ``coef (T, r)``, ``rows (>= T, n)``, ``out (r, n)``; with
    ``step``, each row of ``out`` is then clipped and applied to ``w (r, n)``
    as :func:`clip_and_step` does.

    Each pass over ``out`` adds four steps to every row, one at a time in the
    same order (the same sums as one step per pass); the first pass takes the
    1 to 4 steps left over, the last one also clips and applies.  (Passes over
    all of ``out``, not all passes over one row then the next: LLVM compiles
    these simpler loops into faster code.)
    """
    T = coef.shape[0]
    r, n = out.shape
    head = T - 4 * ((T - 1) // 4)  # steps in the first pass
    t = T - 1
    if head == 1:
        r0 = rows[t]
        for i in range(r):
            o, c0 = out[i], coef[t, i]
            for j in range(n):
                o[j] = 0.0 + c0 * r0[j]
    elif head == 2:
        r0, r1 = rows[t], rows[t - 1]
        for i in range(r):
            o, c0, c1 = out[i], coef[t, i], coef[t - 1, i]
            for j in range(n):
                o[j] = (0.0 + c0 * r0[j]) + c1 * r1[j]
    elif head == 3:
        r0, r1, r2 = rows[t], rows[t - 1], rows[t - 2]
        for i in range(r):
            o, c0, c1, c2 = out[i], coef[t, i], coef[t - 1, i], coef[t - 2, i]
            for j in range(n):
                o[j] = ((0.0 + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]
    else:
        r0, r1, r2, r3 = rows[t], rows[t - 1], rows[t - 2], rows[t - 3]
        for i in range(r):
            o, c0, c1, c2, c3 = out[i], coef[t, i], coef[t - 1, i], coef[t - 2, i], coef[t - 3, i]
            for j in range(n):
                o[j] = (((0.0 + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j]
    for t in range(T - 1 - head, 2, -4):
        r0, r1, r2, r3 = rows[t], rows[t - 1], rows[t - 2], rows[t - 3]
        if step and t == 3:  # last pass: clip and apply (not a pass of its own over out)
            for i in range(r):
                o, wi = out[i], w[i]
                c0, c1, c2, c3 = coef[t, i], coef[t - 1, i], coef[t - 2, i], coef[t - 3, i]
                for j in range(n):
                    v = clipped((((o[j] + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j], max_value)
                    o[j] = v
                    wi[j] += -lr * v
        else:
            for i in range(r):
                o = out[i]
                c0, c1, c2, c3 = coef[t, i], coef[t - 1, i], coef[t - 2, i], coef[t - 3, i]
                for j in range(n):
                    o[j] = (((o[j] + c0 * r0[j]) + c1 * r1[j]) + c2 * r2[j]) + c3 * r3[j]
    if step and T <= 4:
        for i in range(r):
            clip_and_step(out[i], w[i], lr, max_value)


@one_variant_kernel
def weight_gradients(xs, a_hist, dys, das, dWax, dWaa, dWya, db, dby,
                     step, Wax, Waa, Wya, b, by, lr, max_value):
    """The course's sums of the gradients over the ``len(xs)`` steps, from :func:`backward_pass`.

    ``dWya = sum dy<t> a<t>^T``, ``dby = sum dy<t>``, ``dWaa = sum daraw<t> a<t-1>^T``,
    ``dWax[:, xs[t]] += daraw<t>``, ``db = sum daraw<t>``, each summed from the
    last step to the first as the course does.  With ``step``, every row is
    then clipped and applied (:func:`clip_and_step`) in the last pass over it.
    """
    T = xs.shape[0]
    n_a = dWaa.shape[0]
    n_y = dWya.shape[0]
    sum_outer_products(dys[:T], a_hist[1:], step, dWya, Wya, lr, max_value)
    sum_outer_products(das[:T], a_hist, step, dWaa, Waa, lr, max_value)
    dWax_flat = view_as(dWax, dWax.size)
    for i in range(dWax_flat.shape[0]):
        dWax_flat[i] = 0.0
    for i in range(n_a):
        db[i] = 0.0
    for c in range(n_y):
        dby[c] = 0.0
    for t in range(T - 1, -1, -1):
        da = das[t]
        dy = dys[t]
        for i in range(n_a):
            db[i] += da[i]
        for c in range(n_y):
            dby[c] += dy[c]
        k = xs[t]
        if k >= 0:
            for i in range(n_a):
                dWax[i, k] += da[i]
    if step:
        clip_and_step(dWax_flat, view_as(Wax, Wax.size), lr, max_value)
        clip_and_step(db, b, lr, max_value)
        clip_and_step(dby, by, lr, max_value)


@kernel
def forward_loss(xs, ys, a0, Wax, Waa, Wya, b, by, a_hist, probs):
    """:func:`forward_pass` (``a_hist[0]`` is set from ``a0``)."""
    copy_into(a0, a_hist[0])
    return forward_pass(xs, ys, Wax, Waa, Wya, b, by, a_hist, probs)


@kernel
def backward(xs, ys, Waa, Wya, a_hist, probs, dWax, dWaa, dWya, db, dby, da_next):
    """The course's ``rnn_backward``: the gradients receive their sums over the
    steps, ``da_next`` the gradient reaching a0."""
    T = xs.shape[0]
    dys = np.empty((T, Wya.shape[0]))
    das = np.empty((T, Waa.shape[0]))
    backward_pass(xs, ys, Waa, Wya, a_hist, probs, dys, das, da_next, True)
    weight_gradients(xs, a_hist, dys, das, dWax, dWaa, dWya, db, dby,
                     False, dWax, dWaa, dWya, db, dby, 0.0, 0.0)


@inlined_kernel
def sgd_step(xs, ys, a0, Wax, Waa, Wya, b, by, dWax, dWaa, dWya, db, dby, lr, max_value, work):
    """The course's ``optimize``: loss and gradients, clipping, update in place.

    Returns the loss; ``work[0][len(xs)]`` is the last hidden state.
    """
    a_hist, probs, dys, das, da_next = work
    copy_into(a0, a_hist[0])
    loss = forward_pass(xs, ys, Wax, Waa, Wya, b, by, a_hist, probs)
    backward_pass(xs, ys, Waa, Wya, a_hist, probs, dys, das, da_next, False)
    weight_gradients(xs, a_hist, dys, das, dWax, dWaa, dWya, db, dby,
                     True, Wax, Waa, Wya, b, by, lr, max_value)
    return loss


@entry_kernel(types.int64[::1], 2, 2, 2, 2, 2, 2, types.float64, types.float64, 2, 2, 2, 2, 2, 2)
def optimize_entry(seqs, a0, Wax, Waa, Wya, b, by, lr, max_value, dWax, dWaa, dWya, db, dby, a_last):
    """One :func:`sgd_step` on the caller's arrays, in the course's shapes, if they fit together.

    ``seqs (2 T,)`` holds the inputs (``-1`` for no input), then the
    targets; ``a0``, ``b``, ``db``, ``a_last`` are ``(n_a, 1)``, ``by``,
    ``dby`` ``(n_y, 1)``, the weights and their gradients as the course's;
    ``a_last`` receives the last state.  Returns the loss, or -1.0 without
    running (nothing written) unless the shapes fit together and every index
    is in range.
    """
    n_a, n_x = Wax.shape
    n_y = Wya.shape[0]
    T = seqs.shape[0] // 2
    if n_a < 1 or n_x < 1 or n_y < 1 or T < 1 or seqs.shape[0] != 2 * T:
        return -1.0
    if Waa.shape != (n_a, n_a) or Wya.shape != (n_y, n_a) or b.shape != (n_a, 1) or by.shape != (n_y, 1):
        return -1.0
    if a0.shape != (n_a, 1) or a_last.shape != (n_a, 1) or dWax.shape != (n_a, n_x):
        return -1.0
    if dWaa.shape != (n_a, n_a) or dWya.shape != (n_y, n_a) or db.shape != (n_a, 1) or dby.shape != (n_y, 1):
        return -1.0
    for t in range(T):
        if seqs[t] < -1 or seqs[t] >= n_x or seqs[T + t] < 0 or seqs[T + t] >= n_y:
            return -1.0
    work = workspace(n_a, n_y, T)
    loss = sgd_step(seqs[:T], seqs[T:], view_as(a0, n_a), Wax, Waa, Wya, view_as(b, n_a), view_as(by, n_y),
                    dWax, dWaa, dWya, view_as(db, n_a), view_as(dby, n_y), lr, max_value, work)
    copy_into(work[0][T], view_as(a_last, n_a))
    return loss


@inlined_kernel
def longest_example(starts):
    """The longest sequence, ``len(example) + 1``, of the examples delimited by ``starts``."""
    T_max = 1
    for e in range(starts.shape[0] - 1):
        T = starts[e + 1] - starts[e] + 1
        if T > T_max:
            T_max = T
    return T_max


@inlined_kernel
def load_example(codes, starts, e, newline, xs_buf, ys_buf):
    """Inputs ``[-1] + example`` and targets ``example + [newline]`` of example ``e``
    into the buffers; returns their length T."""
    lo, hi = starts[e], starts[e + 1]
    T = hi - lo + 1
    xs_buf[0] = -1
    for k in range(T - 1):  # loops: a slice assignment compiles numba's general broadcasting copy
        xs_buf[k + 1] = codes[lo + k]
        ys_buf[k] = codes[lo + k]
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
    dWax, dWaa, dWya = np.empty_like(Wax), np.empty_like(Waa), np.empty_like(Wya)
    db, dby = np.empty_like(b), np.empty_like(by)
    xs_buf = np.empty(T_max, np.int64)
    ys_buf = np.empty(T_max, np.int64)
    for it in range(count):
        T = load_example(codes, starts, (first + it) % n_examples, newline, xs_buf, ys_buf)
        xs, ys = xs_buf[:T], ys_buf[:T]
        loss = sgd_step(xs, ys, a_prev, Wax, Waa, Wya, b, by, dWax, dWaa, dWya, db, dby, lr, max_value, work)
        copy_into(work[0][T], a_prev)
        smoothed = smoothed * 0.999 + loss * 0.001
        losses[it] = smoothed
    return smoothed


@inlined_kernel
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
    a_prev = np.zeros(n_a)
    a = np.empty(n_a)
    p = np.empty(n_y)
    cdf = np.empty(n_y)
    idx = -1
    count = 0
    while idx != newline and count != max_length:
        cell_step(idx, a_prev, Wax, Waa, b, Wya, by, a, p)
        idx = draw_index(p, cdf, seed + 2 * count)
        if idx < 0:
            return -1
        out[count] = idx
        copy_into(a, a_prev)
        count += 1
    if count == max_length:
        out[count] = newline
        count += 1
    return count
