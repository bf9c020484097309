"""LSTM: drop-in ``lstm_cell_forward``, ``lstm_forward``, ``lstm_cell_backward``, ``lstm_backward``.

Shapes follow the course: gates act on ``concat = [a_prev; xt]`` with weights
``Wf, Wi, Wc, Wo (n_a, n_a + n_x)`` and biases ``(n_a, 1)``; ``Wy (n_y, n_a)``,
``by (n_y, 1)``.  The whole time loop, forward or backward, runs in one
compiled call (:mod:`fastrnn._kernels.lstm`) with the four gate products
fused into one.
"""
from operator import itemgetter

import numpy as np
from numpy import empty, zeros

from . import _threads
from ._buffers import work
from ._caches import LSTMStepCaches, StepCaches, stack_user_steps
from ._kernels import lstm as _kernels
from ._background import answered_by_numpy
from ._kernels._jit import NotReady
from ._validate import (NOT_AS_GIVEN, Dims, common_dtype, converted, ran, read_parameters,
                        recorded_inputs, sequence_inputs, split_caches, step_major, upstream_gradient,
                        validate)

GATES = ("f", "i", "c", "o")  # forget, update, candidate, output: the stacking order

#: Keys and shapes the forward pass reads from ``parameters`` (in the kernel's argument order).
FORWARD_PARAMETERS = {
    **{f"W{g}": ("n_a", "n_a+n_x") for g in GATES},
    **{f"b{g}": ("n_a", 1) for g in GATES},
    "Wy": ("n_y", "n_a"),
    "by": ("n_y", 1),
}
#: Keys and shapes the backward pass reads.
BACKWARD_PARAMETERS = {f"W{g}": ("n_a", "n_a+n_x") for g in GATES}
#: ``parameters`` -> tuple of its arrays of FORWARD_PARAMETERS / BACKWARD_PARAMETERS (KeyError if one is missing).
FORWARD_ITEMS = itemgetter(*FORWARD_PARAMETERS)
BACKWARD_ITEMS = itemgetter(*BACKWARD_PARAMETERS)
#: Keys of each gate's weight and bias gradients, in stacking order.
GRADIENT_KEYS = tuple((f"dW{g}", f"db{g}") for g in GATES)

X_LAYOUT = ("n_x", "m", "T_x")
XT_LAYOUT = ("n_x", "m")
A_LAYOUT = ("n_a", "m")
DA_LAYOUT = ("n_a", "m", "T_x")
#: The compiled entry kernels by dtype (module globals: the hot path looks them up once).
_FORWARD_ENTRY = _kernels.lstm_forward_entry
_BACKWARD_ENTRY = _kernels.lstm_backward_entry
_FORWARD_PART = _kernels.lstm_forward_part_entry
_BACKWARD_PART = _kernels.lstm_backward_part_entry
_WEIGHT_GRADIENTS = _kernels.lstm_weight_gradients_entry
#: Position of each array in the course's step tuple
#: ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
STEP_FIELDS = {name: (index, XT_LAYOUT if name == "xt" else A_LAYOUT) for index, name in
               enumerate(("a_next", "c_next", "a_prev", "c_prev", "ft", "it", "cct", "ot", "xt"))}


def _run_forward(x, a0, c0, params):
    """Kernel call shared by the cell and the sequence, on the arrays as they are.

    ``x (n_x, m, T)``, ``a0``, ``c0 (n_a, m)`` (None for zeros) and
    ``params`` (the arrays of FORWARD_PARAMETERS, in order).  Returns x_seq,
    a_hist, c_hist, gates, y in kernel layout, or None when the kernel does
    not take the arrays as they are (see
    :class:`~fastrnn._kernels._jit.EntryKernel`); raises one of NOT_AS_GIVEN
    for arguments that are not even arrays of the right dimensions.
    """
    dtype = x.dtype
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    if c0 is None:
        c0 = zeros((n_a, m), dtype)
    x_seq = empty((T, m, n_x), dtype)
    a_hist = empty((T + 1, m, n_a), dtype)
    c_hist = empty((T + 1, m, n_a), dtype)
    gates = empty((T, m, 4 * n_a), dtype)
    n_y = params[8].shape[0]
    y = empty((T, m, n_y), dtype)
    macs = T * m * n_a * (4 * (n_x + n_a) + n_y)
    count = 1 if macs < _threads.SPLIT_MIN_MACS else _threads.parts(m, macs, n_a * max(4 * n_x, 4 * n_a, n_y))
    if count == 1:
        ok = _FORWARD_ENTRY[dtype](x, a0, c0, *params, x_seq, a_hist, c_hist, gates, y)
    else:  # parts of the batch on several threads (see fastrnn._threads)
        ok = _threads.run_parts(_FORWARD_PART[dtype], (x, a0, c0, *params, x_seq, a_hist, c_hist, gates, y), m, count)
    return (x_seq, a_hist, c_hist, gates, y) if ok else None


def _run_backward(da, dc_last, a_prev, c_next, c_prev, gates, x_seq, weights):
    """Kernel call shared by the cell and the sequence, on the arrays as they
    are: ``da`` in course layout ``(n_a, m, T)``, ``dc_last (m, n_a)`` (None
    for zeros), the sequences in kernel layout (at least T steps), ``weights``
    Wf, Wi, Wc, Wo.

    Returns dx ``(n_x, m, T)``, da0, dc0 ``(n_a, m)`` and the gate gradients
    dict, or None as :func:`_run_forward`.
    """
    dtype = da.dtype
    n_a, m, T = da.shape
    n_x = x_seq.shape[2]
    if dc_last is None:
        dc_last = zeros((m, n_a), dtype)
    dx = empty((T, m, n_x), dtype)
    da0 = empty((m, n_a), dtype)
    dc0 = empty((m, n_a), dtype)
    dW = empty((4 * n_a, n_a + n_x), dtype)
    db = empty((4 * n_a, 1), dtype)
    macs = T * m * 4 * n_a * (n_a + n_x)
    count = 1 if macs < _threads.SPLIT_MIN_MACS else _threads.parts(m, macs, 4 * n_a * max(n_a, n_x))
    if count == 1:
        ok = _BACKWARD_ENTRY[dtype](da, dc_last, a_prev, c_next, c_prev, gates, x_seq, *weights,
                                    work("lstm da, dgates", 5 * T * m * n_a, dtype), dx, da0, dc0, dW, db)
    else:  # the time loop on parts of the batch on several threads, then the weight gradients
        scratch = work("lstm da, dgates", 5 * T * m * n_a, dtype, pooled=True)
        args = (da, dc_last, a_prev, c_next, c_prev, gates, x_seq, *weights, scratch, dx, da0, dc0, dW, db)
        ok = _threads.run_parts(_BACKWARD_PART[dtype], args, m, count)
        if ok:
            _WEIGHT_GRADIENTS[dtype](da, a_prev, x_seq, scratch, dW, db)
    if not ok:
        return None
    grads = {}
    for k, (dW_key, db_key) in enumerate(GRADIENT_KEYS):
        grads[dW_key] = dW[k * n_a:(k + 1) * n_a]
        grads[db_key] = db[k * n_a:(k + 1) * n_a]
    return dx.T, da0.T, dc0.T, grads


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One step of the LSTM cell.

    Parameters
    ----------
    xt : (n_x, m) input at step t.
    a_prev, c_prev : (n_a, m) hidden and cell state at step t-1.
    parameters : dict with ``Wf, Wi, Wc, Wo (n_a, n_a + n_x)``,
        ``bf, bi, bc, bo (n_a, 1)``, ``Wy (n_y, n_a)``, ``by (n_y, 1)``.

    Returns
    -------
    a_next, c_next : (n_a, m) next hidden and cell state.
    yt_pred : (n_y, m) softmax prediction.
    cache : ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
    """
    try:
        (xt_arr, a_prev_arr, c_prev_arr), p, _, dtype = validate(
            "lstm_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT), ("c_prev", c_prev, A_LAYOUT)],
            parameters, FORWARD_PARAMETERS)
        x, a0, c0, *params = converted([xt_arr[:, :, np.newaxis], a_prev_arr, c_prev_arr, *p.values()], dtype)
        _, a_hist, c_hist, gates, y = ran("lstm_cell_forward", _run_forward(x, a0, c0, params))
        n_a = a_hist.shape[2]
        a_next, c_next = a_hist[1].T, c_hist[1].T
        ft, it, cct, ot = (gates[0, :, k * n_a:(k + 1) * n_a].T for k in range(4))
        return a_next, c_next, y[0].T, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().cell_forward(
            "lstm_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT), ("c_prev", c_prev, A_LAYOUT)],
            parameters, FORWARD_PARAMETERS)


def lstm_forward(x, a0, parameters):
    """Forward pass of the LSTM over all T_x steps (one compiled loop); c starts at zero.

    Parameters
    ----------
    x : (n_x, m, T_x) inputs.
    a0 : (n_a, m) initial hidden state.
    parameters : dict as for :func:`lstm_cell_forward`.

    Returns
    -------
    a : (n_a, m, T_x) hidden states.
    y : (n_y, m, T_x) softmax predictions.
    c : (n_a, m, T_x) cell states.
    caches : ``(steps, x)``; ``steps[t]`` is step t's 10-tuple, built on access.

    ``a`` and ``c`` are read-only views of the buffers the caches hold
    (writing into them would change what ``lstm_backward`` computes;
    ``a.copy()`` gives an array to change).
    """
    try:
        try:  # plain arrays in shapes that fit run as they are
            x_arr, result = x, _run_forward(x, a0, None, FORWARD_ITEMS(parameters))
        except NOT_AS_GIVEN:
            result = None
        if result is None:  # arrays to convert, or an error to report
            x_arr, x_c, a0_c, params = sequence_inputs(
                "lstm_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)
            result = ran("lstm_forward", _run_forward(x_c, a0_c, None, params))
        x_seq, a_hist, c_hist, gates, y = result
        steps = LSTMStepCaches(a_hist, c_hist, gates, x_seq, x_arr, parameters)
        a, c = steps.a_next.T, steps.c_next.T
        a.setflags(write=False)  # they share memory with the caches: a write would change the gradients
        c.setflags(write=False)
        return a, y.T, c, (steps, x)
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().sequence_forward(
            "lstm_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)


def lstm_cell_backward(da_next, dc_next, cache):
    """Backward pass of one LSTM step.

    Parameters
    ----------
    da_next, dc_next : (n_a, m) gradients with respect to a_next and c_next.
    cache : the 10-tuple from :func:`lstm_cell_forward` (or the course's cell).

    Returns
    -------
    gradients : dict with ``dxt (n_x, m)``, ``da_prev``, ``dc_prev (n_a, m)``,
        ``dWf, dWi, dWc, dWo (n_a, n_a + n_x)``, ``dbf, dbi, dbc, dbo (n_a, 1)``.
    """
    try:
        if not isinstance(cache, (tuple, list)) or len(cache) != 10:
            raise TypeError("cache must be the 10-tuple (a_next, c_next, a_prev, c_prev, ft, it, cct, "
                            "ot, xt, parameters) returned by lstm_cell_forward")
        named = [("da_next", da_next, A_LAYOUT), ("dc_next", dc_next, A_LAYOUT)]
        named += [(f"cache[{index}] ({name})", cache[index], layout) for name, (index, layout) in STEP_FIELDS.items()]
        values, p, _, dtype = validate("lstm_cell_backward", named, cache[9], BACKWARD_PARAMETERS,
                                       pname="cache[9] (parameters)")
        arrays = dict(zip(["da_next", "dc_next", *STEP_FIELDS], values))
        seqs = [step_major(arrays[name], dtype) for name in ("a_prev", "c_next", "c_prev")]
        gates = np.concatenate([step_major(arrays[k], dtype) for k in ("ft", "it", "cct", "ot")], axis=2)
        da, dc_last, *rest = converted([arrays["da_next"][:, :, np.newaxis], arrays["dc_next"].T,
                                        *seqs, gates, step_major(arrays["xt"], dtype), *p.values()], dtype)
        dx, da0, dc0, grads = ran("lstm_cell_backward", _run_backward(da, dc_last, *rest[:5], rest[5:]))
        return {"dxt": dx[:, :, 0], "da_prev": da0, "dc_prev": dc0, **grads}
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().cell_backward("lstm_cell_backward", (da_next, dc_next), cache, dtype)


def lstm_backward(da, caches):
    """Backpropagation through time for the LSTM, in both a and c (one compiled loop).

    Parameters
    ----------
    da : (n_a, m, T) upstream gradients with respect to every hidden state;
        the pass covers steps ``0 .. T-1`` (T may be less than the forward's T_x).
    caches : ``(steps, x)`` from :func:`lstm_forward`, or the course's own
        ``(list of lstm_cell_forward caches, x)``.

    Returns
    -------
    gradients : dict with ``dx (n_x, m, T)``, ``da0 (n_a, m)``,
        ``dWf, dWi, dWc, dWo (n_a, n_a + n_x)``, ``dbf, dbi, dbc, dbo (n_a, 1)``.
    """
    try:
        try:  # fastrnn's caches and plain arrays in shapes that fit run as they are
            steps, _ = caches
            result = None if type(steps) is not LSTMStepCaches else _run_backward(
                da, None, steps.a_hist, steps.c_next, steps.c_hist, steps.gates, steps.x_seq,
                BACKWARD_ITEMS(steps.parameters))
        except NOT_AS_GIVEN:
            result = None
        if result is not None:
            return {"dx": result[0], "da0": result[1], **result[3]}
        # other caches, arrays to convert, or an error to report
        steps, _ = split_caches(caches, "lstm_forward")
        da_arr, T = upstream_gradient(da, DA_LAYOUT)
        if isinstance(steps, LSTMStepCaches):
            p, dtype = recorded_inputs("lstm_backward", da_arr, T, steps, BACKWARD_PARAMETERS)
            seqs = [steps.a_hist, steps.c_next, steps.c_hist, steps.gates, steps.x_seq]
        elif isinstance(steps, StepCaches):
            raise TypeError(f"caches come from {steps.CELL}_forward: use {steps.CELL}_backward")
        else:
            dims = Dims()
            dims.bind("da", da_arr, DA_LAYOUT)
            fields = {k: v for k, v in STEP_FIELDS.items() if k != "a_next"}
            stacked, parameters = stack_user_steps(steps, T, fields, dims, "lstm_cell_forward")
            seqs = [stacked[k] for k in ("a_prev", "c_next", "c_prev")]
            seqs.append(np.concatenate([stacked[k] for k in ("ft", "it", "cct", "ot")], axis=2))
            seqs.append(stacked["xt"])
            p = read_parameters(parameters, BACKWARD_PARAMETERS, dims, name="parameters (from caches)")
            dtype = common_dtype([da_arr, *seqs, *p.values()])
        da_c, *rest = converted([da_arr, *seqs, *p.values()], dtype)
        dx, da0, _, grads = ran("lstm_backward", _run_backward(da_c, None, *rest[:5], rest[5:]))
        return {"dx": dx, "da0": da0, **grads}
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().sequence_backward(
            "lstm_backward", da, caches, BACKWARD_PARAMETERS, STEP_FIELDS, "lstm_cell_forward", DA_LAYOUT)
