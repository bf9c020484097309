"""Basic RNN: drop-in ``rnn_cell_forward``, ``rnn_forward``, ``rnn_cell_backward``, ``rnn_backward``.

Shapes follow the course: inputs ``x (n_x, m, T_x)``, states ``(n_a, m)``,
outputs ``(n_y, m, T_x)``, biases ``(n, 1)``.  The whole time loop, forward
or backward, runs in one compiled call (:mod:`fastrnn._kernels.rnn`).
"""
from operator import itemgetter

import numpy as np
from numpy import empty

from . import _threads
from ._buffers import work
from ._caches import RNNStepCaches, StepCaches, stack_user_steps
from ._kernels import rnn as _kernels
from ._background import answered_by_numpy
from ._kernels._jit import NotReady
from ._validate import (NOT_AS_GIVEN, Dims, common_dtype, converted, ran, read_parameters,
                        recorded_inputs, sequence_inputs, split_caches, step_major, upstream_gradient,
                        validate)

#: Keys and shapes the forward pass reads from ``parameters`` (in the kernel's argument order).
FORWARD_PARAMETERS = {
    "Wax": ("n_a", "n_x"),
    "Waa": ("n_a", "n_a"),
    "ba": ("n_a", 1),
    "Wya": ("n_y", "n_a"),
    "by": ("n_y", 1),
}
#: Keys and shapes the backward pass reads (the output layer is not needed).
BACKWARD_PARAMETERS = {"Waa": ("n_a", "n_a"), "Wax": ("n_a", "n_x")}
#: ``parameters`` -> tuple of its arrays of FORWARD_PARAMETERS / BACKWARD_PARAMETERS (KeyError if one is missing).
FORWARD_ITEMS = itemgetter(*FORWARD_PARAMETERS)
BACKWARD_ITEMS = itemgetter(*BACKWARD_PARAMETERS)

X_LAYOUT = ("n_x", "m", "T_x")
XT_LAYOUT = ("n_x", "m")
A_LAYOUT = ("n_a", "m")
DA_LAYOUT = ("n_a", "m", "T_x")
#: Position and layout of each array in the course's step tuple ``(a_next, a_prev, xt, parameters)``.
STEP_FIELDS = {"a_next": (0, A_LAYOUT), "a_prev": (1, A_LAYOUT), "xt": (2, XT_LAYOUT)}
#: The compiled entry kernels by dtype (module globals: the hot path looks them up once).
_FORWARD_ENTRY = _kernels.rnn_forward_entry
_BACKWARD_ENTRY = _kernels.rnn_backward_entry
_FORWARD_PART = _kernels.rnn_forward_part_entry
_BACKWARD_PART = _kernels.rnn_backward_part_entry
_WEIGHT_GRADIENTS = _kernels.rnn_weight_gradients_entry


def _run_forward(x, a0, params):
    """Kernel call shared by the cell and the sequence, on the arrays as they are.

    ``x (n_x, m, T)``, ``a0 (n_a, m)`` and ``params`` (the arrays of
    FORWARD_PARAMETERS, in order, a sequence).  Returns x_seq, a_hist, y in kernel
    layout, or None when the kernel does not take the arrays as they are (see
    :class:`~fastrnn._kernels._jit.EntryKernel`); raises one of NOT_AS_GIVEN
    for arguments that are not even arrays of the right dimensions.
    """
    dtype = x.dtype
    n_x, m, T = x.shape
    n_a, n_y = a0.shape[0], params[3].shape[0]
    x_seq = empty((T, m, n_x), dtype)
    a_hist = empty((T + 1, m, n_a), dtype)
    y = empty((T, m, n_y), dtype)
    macs = T * m * n_a * (n_x + n_a + n_y)
    count = 1 if macs < _threads.SPLIT_MIN_MACS else _threads.parts(m, macs, n_a * max(n_x, n_a, n_y))
    if count == 1:
        ok = _FORWARD_ENTRY[dtype](x, a0, *params, x_seq, a_hist, y)
    else:  # parts of the batch on several threads (see fastrnn._threads)
        ok = _threads.run_parts(_FORWARD_PART[dtype], (x, a0, *params, x_seq, a_hist, y), m, count)
    return (x_seq, a_hist, y) if ok else None


def _run_backward(da, a_next, a_prev, x_seq, Waa, Wax):
    """Kernel call shared by the cell and the sequence, on the arrays as they
    are: ``da`` in course layout ``(n_a, m, T)``, the sequences in kernel
    layout (at least T steps), the weights as the course's.

    Returns the gradients dict of :func:`rnn_backward`, or None as
    :func:`_run_forward`.
    """
    dtype = da.dtype
    n_a, m, T = da.shape
    n_x = x_seq.shape[2]
    dx = empty((T, m, n_x), dtype)
    da0 = empty((m, n_a), dtype)
    dWax = empty((n_a, n_x), dtype)
    dWaa = empty((n_a, n_a), dtype)
    dba = empty((n_a, 1), dtype)
    macs = T * m * n_a * (n_a + n_x)
    count = 1 if macs < _threads.SPLIT_MIN_MACS else _threads.parts(m, macs, n_a * max(n_a, n_x))
    if count == 1:
        ok = _BACKWARD_ENTRY[dtype](da, a_next, a_prev, x_seq, Waa, Wax, work("rnn dz", T * m * n_a, dtype),
                                    dx, da0, dWax, dWaa, dba)
    else:  # the time loop on parts of the batch on several threads, then the weight gradients
        dz = work("rnn dz", T * m * n_a, dtype, pooled=True)
        args = (da, a_next, a_prev, x_seq, Waa, Wax, dz, dx, da0, dWax, dWaa, dba)
        ok = _threads.run_parts(_BACKWARD_PART[dtype], args, m, count)
        if ok:
            _WEIGHT_GRADIENTS[dtype](da, a_prev, x_seq, dz, dWax, dWaa, dba)
    return {"dx": dx.T, "da0": da0.T, "dWax": dWax, "dWaa": dWaa, "dba": dba} if ok else None


def rnn_cell_forward(xt, a_prev, parameters):
    """One step of the basic RNN cell.

    Parameters
    ----------
    xt : (n_x, m) input at step t.
    a_prev : (n_a, m) hidden state at step t-1.
    parameters : dict with ``Wax (n_a, n_x)``, ``Waa (n_a, n_a)``,
        ``Wya (n_y, n_a)``, ``ba (n_a, 1)``, ``by (n_y, 1)``.

    Returns
    -------
    a_next : (n_a, m) ``tanh(Wax xt + Waa a_prev + ba)``.
    yt_pred : (n_y, m) ``softmax(Wya a_next + by)`` (over axis 0).
    cache : ``(a_next, a_prev, xt, parameters)``, with the caller's objects.
    """
    try:
        (xt_arr, a_prev_arr), p, _, dtype = validate(
            "rnn_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT)],
            parameters, FORWARD_PARAMETERS)
        x, a0, *params = converted([xt_arr[:, :, np.newaxis], a_prev_arr, *p.values()], dtype)
        _, a_hist, y = ran("rnn_cell_forward", _run_forward(x, a0, params))
        a_next = a_hist[1].T
        return a_next, y[0].T, (a_next, a_prev, xt, parameters)
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().cell_forward(
            "rnn_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT)], parameters, FORWARD_PARAMETERS)


def rnn_forward(x, a0, parameters):
    """Forward pass of the basic RNN over all T_x steps (one compiled loop).

    Parameters
    ----------
    x : (n_x, m, T_x) inputs.
    a0 : (n_a, m) initial hidden state.
    parameters : dict as for :func:`rnn_cell_forward`.

    Returns
    -------
    a : (n_a, m, T_x) hidden states, a read-only view of the buffer the
        caches hold (writing into it would change what ``rnn_backward``
        computes; ``a.copy()`` gives an array to change).
    y_pred : (n_y, m, T_x) softmax predictions.
    caches : ``(steps, x)``; ``steps[t]`` is step t's
        ``(a_next, a_prev, xt, parameters)``, built on access (a read-only
        sequence; ``list(steps)`` gives a list).
    """
    try:
        try:  # plain arrays in shapes that fit run as they are
            x_arr, result = x, _run_forward(x, a0, FORWARD_ITEMS(parameters))
        except NOT_AS_GIVEN:
            result = None
        if result is None:  # arrays to convert, or an error to report
            x_arr, x_c, a0_c, params = sequence_inputs(
                "rnn_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)
            result = ran("rnn_forward", _run_forward(x_c, a0_c, params))
        x_seq, a_hist, y = result
        steps = RNNStepCaches(a_hist, x_seq, x_arr, parameters)
        a = steps.a_next.T
        a.setflags(write=False)  # it shares memory with the caches: a write would change the gradients
        return a, y.T, (steps, x)
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().sequence_forward(
            "rnn_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)


def rnn_cell_backward(da_next, cache):
    """Backward pass of one RNN step.

    Parameters
    ----------
    da_next : (n_a, m) gradient of the loss with respect to a_next.
    cache : ``(a_next, a_prev, xt, parameters)`` from :func:`rnn_cell_forward`
        (or the course's own cell).

    Returns
    -------
    gradients : dict with ``dxt (n_x, m)``, ``da_prev (n_a, m)``,
        ``dWax (n_a, n_x)``, ``dWaa (n_a, n_a)``, ``dba (n_a, 1)``.
    """
    try:
        if not isinstance(cache, (tuple, list)) or len(cache) != 4:
            raise TypeError("cache must be the (a_next, a_prev, xt, parameters) tuple "
                            "returned by rnn_cell_forward")
        a_next, a_prev, xt, parameters = cache
        (da_arr, a_next_arr, a_prev_arr, xt_arr), p, _, dtype = validate(
            "rnn_cell_backward",
            [("da_next", da_next, A_LAYOUT), ("cache[0] (a_next)", a_next, A_LAYOUT),
             ("cache[1] (a_prev)", a_prev, A_LAYOUT), ("cache[2] (xt)", xt, XT_LAYOUT)],
            parameters, BACKWARD_PARAMETERS, pname="cache[3] (parameters)")
        arrays = converted([da_arr[:, :, np.newaxis], step_major(a_next_arr, dtype), step_major(a_prev_arr, dtype),
                            step_major(xt_arr, dtype), p["Waa"], p["Wax"]], dtype)
        grads = ran("rnn_cell_backward", _run_backward(*arrays))
        return {"dxt": grads.pop("dx")[:, :, 0], "da_prev": grads.pop("da0"), **grads}
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().cell_backward("rnn_cell_backward", (da_next,), cache, dtype)


def rnn_backward(da, caches):
    """Backpropagation through time for the basic RNN (one compiled loop).

    Parameters
    ----------
    da : (n_a, m, T) upstream gradients with respect to every hidden state;
        the pass covers steps ``0 .. T-1`` (T may be less than the forward's T_x).
    caches : ``(steps, x)`` from :func:`rnn_forward`, or the course's own
        ``(list of rnn_cell_forward caches, x)``.

    Returns
    -------
    gradients : dict with ``dx (n_x, m, T)``, ``da0 (n_a, m)``,
        ``dWax (n_a, n_x)``, ``dWaa (n_a, n_a)``, ``dba (n_a, 1)``.

    Notes
    -----
    With fastrnn's caches the pass reads the states and inputs from the
    forward's buffers and the weights from the ``parameters`` dict as it is
    now, as the course's loop over step caches does.
    """
    try:
        try:  # fastrnn's caches and plain arrays in shapes that fit run as they are
            steps, _ = caches
            grads = None if type(steps) is not RNNStepCaches else _run_backward(
                da, steps.a_next, steps.a_hist, steps.x_seq, *BACKWARD_ITEMS(steps.parameters))
        except NOT_AS_GIVEN:
            grads = None
        if grads is not None:
            return grads
        # other caches, arrays to convert, or an error to report
        steps, _ = split_caches(caches, "rnn_forward")
        da_arr, T = upstream_gradient(da, DA_LAYOUT)
        if isinstance(steps, RNNStepCaches):
            p, dtype = recorded_inputs("rnn_backward", da_arr, T, steps, BACKWARD_PARAMETERS)
            seqs = [steps.a_next, steps.a_hist, steps.x_seq]
        elif isinstance(steps, StepCaches):
            raise TypeError(f"caches come from {steps.CELL}_forward: use {steps.CELL}_backward")
        else:
            dims = Dims()
            dims.bind("da", da_arr, DA_LAYOUT)
            stacked, parameters = stack_user_steps(steps, T, STEP_FIELDS, dims, "rnn_cell_forward")
            seqs = [stacked["a_next"], stacked["a_prev"], stacked["xt"]]
            p = read_parameters(parameters, BACKWARD_PARAMETERS, dims, name="parameters (from caches)")
            dtype = common_dtype([da_arr, *seqs, *p.values()])
        return ran("rnn_backward", _run_backward(*converted([da_arr, *seqs, p["Waa"], p["Wax"]], dtype)))
    except NotReady:  # the kernels are being compiled in the background
        return answered_by_numpy().sequence_backward(
            "rnn_backward", da, caches, BACKWARD_PARAMETERS, STEP_FIELDS, "rnn_cell_forward", DA_LAYOUT)
