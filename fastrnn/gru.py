"""GRU: ``gru_cell_forward``, ``gru_forward``, ``gru_cell_backward``, ``gru_backward`` in the course's style.

The course lecture's full GRU (its memory cell ``c`` is ``a``), on
``concat = [a_prev; xt]`` as the course's LSTM:

    rt  = sigmoid(Wr concat + br)                 reset gate
    ut  = sigmoid(Wu concat + bu)                 update gate
    cct = tanh(Wc [rt * a_prev; xt] + bc)         candidate
    a_next = ut * cct + (1 - ut) * a_prev
    yt_pred = softmax(Wy a_next + by)

with ``Wr, Wu, Wc (n_a, n_a + n_x)``, ``br, bu, bc (n_a, 1)``, ``Wy (n_y,
n_a)``, ``by (n_y, 1)``.  This is not PyTorch's ``nn.GRU``: PyTorch applies
the reset gate after the recurrent product (``r * (W_hn h + b_hn)``), has
separate input and recurrent biases, and keeps the old state where the
update gate is 1 (``(1 - z) * n + z * h``).  The whole time loop, forward or
backward, runs in one compiled call (:mod:`fastrnn._kernels.gru`); the
checks, dtype rules and caches are the RNN's and LSTM's (:mod:`._validate`,
:mod:`._caches`).
"""
from operator import itemgetter

import numpy as np
from numpy import empty

from . import _threads
from ._background import answered_by_numpy
from ._buffers import work
from ._caches import GRUStepCaches, StepCaches, stack_user_steps
from ._kernels import gru as _kernels
from ._kernels._jit import NotReady
from ._validate import (NOT_AS_GIVEN, Dims, common_dtype, converted, ran, read_parameters,
                        recorded_inputs, sequence_inputs, split_caches, step_major, upstream_gradient,
                        validate)

GATES = ("r", "u", "c")  # reset, update, candidate: the stacking order

#: Keys and shapes the forward pass reads from ``parameters`` (in the kernel's argument order).
FORWARD_PARAMETERS = {
    **{f"W{g}": ("n_a", "n_a+n_x") for g in GATES},
    **{f"b{g}": ("n_a", 1) for g in GATES},
    "Wy": ("n_y", "n_a"),
    "by": ("n_y", 1),
}
#: Keys and shapes the backward pass reads.
BACKWARD_PARAMETERS = {f"W{g}": ("n_a", "n_a+n_x") for g in GATES}
FORWARD_ITEMS = itemgetter(*FORWARD_PARAMETERS)
BACKWARD_ITEMS = itemgetter(*BACKWARD_PARAMETERS)
#: Keys of each gate's weight and bias gradients, in stacking order.
GRADIENT_KEYS = tuple((f"dW{g}", f"db{g}") for g in GATES)

X_LAYOUT = ("n_x", "m", "T_x")
XT_LAYOUT = ("n_x", "m")
A_LAYOUT = ("n_a", "m")
DA_LAYOUT = ("n_a", "m", "T_x")
_FORWARD_ENTRY = _kernels.gru_forward_entry
_BACKWARD_ENTRY = _kernels.gru_backward_entry
_FORWARD_PART = _kernels.gru_forward_part_entry
_BACKWARD_PART = _kernels.gru_backward_part_entry
_WEIGHT_GRADIENTS = _kernels.gru_weight_gradients_entry
#: Position of each array in the step tuple ``(a_next, a_prev, rt, ut, cct, xt, parameters)``.
STEP_FIELDS = {name: (index, XT_LAYOUT if name == "xt" else A_LAYOUT) for index, name in
               enumerate(("a_next", "a_prev", "rt", "ut", "cct", "xt"))}


def _run_forward(x, a0, params):
    """Kernel call shared by the cell and the sequence, on the arrays as they are.

    ``x (n_x, m, T)``, ``a0 (n_a, m)`` and ``params`` (the arrays of
    FORWARD_PARAMETERS, in order).  Returns x_seq, a_hist, ra_hist, gates, y
    in kernel layout, or None when the kernel does not take the arrays as
    they are; raises one of NOT_AS_GIVEN for arguments that are not even
    arrays of the right dimensions (as :func:`fastrnn.lstm._run_forward`).
    """
    dtype = x.dtype
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    n_y = params[6].shape[0]
    x_seq = empty((T, m, n_x), dtype)
    a_hist = empty((T + 1, m, n_a), dtype)
    ra_hist = empty((T, m, n_a), dtype)
    gates = empty((T, m, 3 * n_a), dtype)
    y = empty((T, m, n_y), dtype)
    macs = T * m * n_a * (3 * (n_x + n_a) + n_y)
    count = 1 if macs < _threads.SPLIT_MIN_MACS else _threads.parts(m, macs, n_a * max(3 * n_x, 3 * n_a, n_y))
    args = (x, a0, *params, x_seq, a_hist, ra_hist, gates, y)
    if count == 1:
        ok = _FORWARD_ENTRY[dtype](*args)
    else:  # parts of the batch on several threads (see fastrnn._threads)
        ok = _threads.run_parts(_FORWARD_PART[dtype], args, m, count)
    return (x_seq, a_hist, ra_hist, gates, y) if ok else None


def _run_backward(da, a_prev, ra, gates, x_seq, weights):
    """Kernel call shared by the cell and the sequence, on the arrays as they
    are: ``da`` in course layout ``(n_a, m, T)``, the sequences in kernel
    layout (at least T steps), ``weights`` Wr, Wu, Wc.

    Returns dx ``(n_x, m, T)``, da0 ``(n_a, m)`` and the gate gradients dict,
    or None as :func:`_run_forward`.
    """
    dtype = da.dtype
    n_a, m, T = da.shape
    n_x = x_seq.shape[2]
    dx = empty((T, m, n_x), dtype)
    da0 = empty((m, n_a), dtype)
    dW = empty((3 * n_a, n_a + n_x), dtype)
    db = empty((3 * n_a, 1), dtype)
    macs = T * m * 3 * n_a * (n_a + n_x)
    count = 1 if macs < _threads.SPLIT_MIN_MACS else _threads.parts(m, macs, 3 * n_a * max(n_a, n_x))
    if count == 1:
        ok = _BACKWARD_ENTRY[dtype](da, a_prev, ra, gates, x_seq, *weights,
                                    work("gru da, dgates", 4 * T * m * n_a, dtype), dx, da0, dW, db)
    else:  # the time loop on parts of the batch on several threads, then the weight gradients
        scratch = work("gru da, dgates", 4 * T * m * n_a, dtype, pooled=True)
        args = (da, a_prev, ra, gates, x_seq, *weights, scratch, dx, da0, dW, db)
        ok = _threads.run_parts(_BACKWARD_PART[dtype], args, m, count)
        if ok:
            _WEIGHT_GRADIENTS[dtype](da, a_prev, ra, x_seq, scratch, dW, db)
    if not ok:
        return None
    grads = {}
    for k, (dW_key, db_key) in enumerate(GRADIENT_KEYS):
        grads[dW_key] = dW[k * n_a:(k + 1) * n_a]
        grads[db_key] = db[k * n_a:(k + 1) * n_a]
    return dx.T, da0.T, grads


def gru_cell_forward(xt, a_prev, parameters):
    """One step of the GRU cell (the course's full GRU; see the module docstring).

    Parameters
    ----------
    xt : (n_x, m) input at step t.
    a_prev : (n_a, m) hidden state at step t-1.
    parameters : dict with ``Wr, Wu, Wc (n_a, n_a + n_x)``, ``br, bu, bc (n_a, 1)``,
        ``Wy (n_y, n_a)``, ``by (n_y, 1)``.

    Returns
    -------
    a_next : (n_a, m) next hidden state.
    yt_pred : (n_y, m) softmax prediction.
    cache : ``(a_next, a_prev, rt, ut, cct, xt, parameters)``: the state
        after and before the step, the reset and update gates, the
        candidate, the input and the parameters (what
        :func:`gru_cell_backward` needs, in the style of the course's LSTM cache).
    """
    try:
        (xt_arr, a_prev_arr), p, _, dtype = validate(
            "gru_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT)], parameters,
            FORWARD_PARAMETERS)
        x, a0, *params = converted([xt_arr[:, :, np.newaxis], a_prev_arr, *p.values()], dtype)
        _, a_hist, _, gates, y = ran("gru_cell_forward", _run_forward(x, a0, params))
        n_a = a_hist.shape[2]
        a_next = a_hist[1].T
        rt, ut, cct = (gates[0, :, k * n_a:(k + 1) * n_a].T for k in range(3))
        return a_next, y[0].T, (a_next, a_prev, rt, ut, cct, xt, parameters)
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().cell_forward(
            "gru_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT)], parameters,
            FORWARD_PARAMETERS)


def gru_forward(x, a0, parameters):
    """Forward pass of the GRU over all T_x steps (one compiled loop).

    Parameters
    ----------
    x : (n_x, m, T_x) inputs.
    a0 : (n_a, m) initial hidden state.
    parameters : dict as for :func:`gru_cell_forward`.

    Returns
    -------
    a : (n_a, m, T_x) hidden states.
    y : (n_y, m, T_x) softmax predictions.
    caches : ``(steps, x)``; ``steps[t]`` is step t's 7-tuple, built on access.

    ``a`` is a read-only view of a buffer the caches hold (writing into it
    would change what ``gru_backward`` computes; ``a.copy()`` gives an array
    to change).
    """
    try:
        try:  # plain arrays in shapes that fit run as they are
            x_arr, result = x, _run_forward(x, a0, FORWARD_ITEMS(parameters))
        except NOT_AS_GIVEN:
            result = None
        if result is None:  # arrays to convert, or an error to report
            x_arr, x_c, a0_c, params = sequence_inputs(
                "gru_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)
            result = ran("gru_forward", _run_forward(x_c, a0_c, params))
        x_seq, a_hist, ra_hist, gates, y = result
        steps = GRUStepCaches(a_hist, ra_hist, gates, x_seq, x_arr, parameters)
        a = steps.a_next.T
        a.setflags(write=False)  # it shares memory with the caches: a write would change the gradients
        return a, y.T, (steps, x)
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().sequence_forward(
            "gru_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)


def gru_cell_backward(da_next, cache):
    """Backward pass of one GRU step.

    Parameters
    ----------
    da_next : (n_a, m) gradient with respect to a_next.
    cache : the 7-tuple from :func:`gru_cell_forward` (or a numpy cell of the same contract).

    Returns
    -------
    gradients : dict with ``dxt (n_x, m)``, ``da_prev (n_a, m)``,
        ``dWr, dWu, dWc (n_a, n_a + n_x)``, ``dbr, dbu, dbc (n_a, 1)``.
    """
    try:
        if not isinstance(cache, (tuple, list)) or len(cache) != 7:
            raise TypeError("cache must be the 7-tuple (a_next, a_prev, rt, ut, cct, xt, parameters) "
                            "returned by gru_cell_forward")
        named = [("da_next", da_next, A_LAYOUT)]
        named += [(f"cache[{index}] ({name})", cache[index], layout) for name, (index, layout) in STEP_FIELDS.items()]
        values, p, _, dtype = validate("gru_cell_backward", named, cache[6], BACKWARD_PARAMETERS,
                                       pname="cache[6] (parameters)")
        arrays = dict(zip(["da_next", *STEP_FIELDS], values))
        da, *rest = converted([arrays["da_next"][:, :, np.newaxis],
                               *_kernel_sequences({k: step_major(arrays[k], dtype) for k in STEP_FIELDS}),
                               *p.values()], dtype)
        dx, da0, grads = ran("gru_cell_backward", _run_backward(da, *rest[:4], rest[4:]))
        return {"dxt": dx[:, :, 0], "da_prev": da0, **grads}
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().cell_backward("gru_cell_backward", (da_next,), cache, dtype)


def _kernel_sequences(stacked):
    """``a_prev, ra, gates, x_seq`` for the backward kernel from the step
    fields stacked in kernel layout ``(T, m, n)`` (caches that are not fastrnn's)."""
    a_prev = stacked["a_prev"]
    gates = np.concatenate([stacked["rt"], stacked["ut"], stacked["cct"]], axis=2)
    return a_prev, stacked["rt"] * a_prev, gates, stacked["xt"]


def gru_backward(da, caches):
    """Backpropagation through time for the GRU (one compiled loop).

    Parameters
    ----------
    da : (n_a, m, T) upstream gradients with respect to every hidden state;
        the pass covers steps ``0 .. T-1`` (T may be less than the forward's T_x).
    caches : ``(steps, x)`` from :func:`gru_forward`, or ``(list of
        gru_cell_forward caches, x)`` made by a numpy loop of the same contract.

    Returns
    -------
    gradients : dict with ``dx (n_x, m, T)``, ``da0 (n_a, m)``,
        ``dWr, dWu, dWc (n_a, n_a + n_x)``, ``dbr, dbu, dbc (n_a, 1)``.
    """
    try:
        try:  # fastrnn's caches and plain arrays in shapes that fit run as they are
            steps, _ = caches
            result = None if type(steps) is not GRUStepCaches else _run_backward(
                da, steps.a_hist, steps.ra_hist, steps.gates, steps.x_seq, BACKWARD_ITEMS(steps.parameters))
        except NOT_AS_GIVEN:
            result = None
        if result is not None:
            return {"dx": result[0], "da0": result[1], **result[2]}
        # other caches, arrays to convert, or an error to report
        steps, _ = split_caches(caches, "gru_forward")
        da_arr, T = upstream_gradient(da, DA_LAYOUT)
        if isinstance(steps, GRUStepCaches):
            p, dtype = recorded_inputs("gru_backward", da_arr, T, steps, BACKWARD_PARAMETERS)
            seqs = [steps.a_hist, steps.ra_hist, steps.gates, steps.x_seq]
        elif isinstance(steps, StepCaches):
            raise TypeError(f"caches come from {steps.CELL}_forward: use {steps.CELL}_backward")
        else:
            dims = Dims()
            dims.bind("da", da_arr, DA_LAYOUT)
            fields = {k: v for k, v in STEP_FIELDS.items() if k != "a_next"}
            stacked, parameters = stack_user_steps(steps, T, fields, dims, "gru_cell_forward")
            seqs = list(_kernel_sequences(stacked))
            p = read_parameters(parameters, BACKWARD_PARAMETERS, dims, name="parameters (from caches)")
            dtype = common_dtype([da_arr, *seqs, *p.values()])
        da_c, *rest = converted([da_arr, *seqs, *p.values()], dtype)
        dx, da0, grads = ran("gru_backward", _run_backward(da_c, *rest[:4], rest[4:]))
        return {"dx": dx, "da0": da0, **grads}
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().sequence_backward(
            "gru_backward", da, caches, BACKWARD_PARAMETERS, STEP_FIELDS, "gru_cell_forward", DA_LAYOUT)
