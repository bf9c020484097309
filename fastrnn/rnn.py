"""Basic RNN: drop-in ``rnn_cell_forward``, ``rnn_forward``, ``rnn_cell_backward``, ``rnn_backward``.

Shapes follow the course: inputs ``x (n_x, m, T_x)``, states ``(n_a, m)``,
outputs ``(n_y, m, T_x)``, biases ``(n, 1)``.  The whole time loop, forward
or backward, runs in one compiled call (:mod:`fastrnn._kernels.rnn`).
"""
import numpy as np

from ._buffers import scratch
from ._caches import RNNRecord, RNNStepCaches, StepCaches, stack_user_steps
from ._kernels import rnn as _kernels
from ._validate import (Dims, common_dtype, converted, read_parameters, recorded_inputs,
                        recorded_plain, sequence_inputs, split_caches, step_major, upstream_gradient,
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

X_LAYOUT = ("n_x", "m", "T_x")
XT_LAYOUT = ("n_x", "m")
A_LAYOUT = ("n_a", "m")
DA_LAYOUT = ("n_a", "m", "T_x")


def _run_forward(x, a0, params, dtype):
    """Kernel call shared by the cell and the sequence.

    ``x (n_x, m, T)``, ``a0 (n_a, m)`` and ``params`` (the arrays of
    FORWARD_PARAMETERS, in order) are C-contiguous arrays of ``dtype``.
    Returns x_seq, a_hist, y in kernel layout.
    """
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    n_y = params[3].shape[0]
    x_seq = np.empty((T, m, n_x), dtype)
    a_hist = np.empty((T + 1, m, n_a), dtype)
    y = np.empty((T, m, n_y), dtype)
    _kernels.rnn_forward_course(x, a0, *params, x_seq, a_hist, y)
    return x_seq, a_hist, y


def _run_backward(da, a_next_seq, a_prev_seq, x_seq, Waa, Wax, dtype):
    """Kernel call shared by the cell and the sequence: C-contiguous arrays of
    ``dtype``, ``da`` in course layout ``(n_a, m, T)``, the rest in kernel layout.

    Returns dx ``(T, m, n_x)``, da0 ``(m, n_a)``, dWax, dWaa, dba ``(n_a, 1)``.
    """
    T, m, n_a = a_next_seq.shape
    n_x = x_seq.shape[2]
    dx = np.empty((T, m, n_x), dtype)
    da0 = np.empty((m, n_a), dtype)
    dWax = np.empty((n_a, n_x), dtype)
    dWaa = np.empty((n_a, n_a), dtype)
    dba = np.empty((n_a, 1), dtype)
    _kernels.rnn_backward_course(da, a_next_seq, a_prev_seq, x_seq, Waa, Wax,
                                 scratch("rnn dz", (T, m, n_a), dtype), dx, da0, dWax, dWaa, dba)
    return dx, da0, dWax, dWaa, dba


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
    (xt_arr, a_prev_arr), p, _, dtype = validate(
        "rnn_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT)],
        parameters, FORWARD_PARAMETERS)
    x, a0, *params = converted([xt_arr[:, :, np.newaxis], a_prev_arr, *p.values()], dtype)
    _, a_hist, y = _run_forward(x, a0, params, dtype)
    a_next = a_hist[1].T
    return a_next, y[0].T, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    """Forward pass of the basic RNN over all T_x steps (one compiled loop).

    Parameters
    ----------
    x : (n_x, m, T_x) inputs.
    a0 : (n_a, m) initial hidden state.
    parameters : dict as for :func:`rnn_cell_forward`.

    Returns
    -------
    a : (n_a, m, T_x) hidden states.
    y_pred : (n_y, m, T_x) softmax predictions.
    caches : ``(steps, x)``; ``steps[t]`` is step t's
        ``(a_next, a_prev, xt, parameters)``, built on access (a read-only
        sequence; ``list(steps)`` gives a list).
    """
    x_arr, x_c, a0_c, params, dtype = sequence_inputs(
        "rnn_forward", x, a0, parameters, FORWARD_PARAMETERS, X_LAYOUT, A_LAYOUT)
    x_seq, a_hist, y = _run_forward(x_c, a0_c, params, dtype)
    steps = RNNStepCaches(RNNRecord(a_hist, x_seq, x_arr, parameters))
    return a_hist[1:].transpose(2, 1, 0), y.transpose(2, 1, 0), (steps, x)


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
    if not isinstance(cache, (tuple, list)) or len(cache) != 4:
        raise TypeError("cache must be the (a_next, a_prev, xt, parameters) tuple "
                        "returned by rnn_cell_forward")
    a_next, a_prev, xt, parameters = cache
    (da_arr, a_next_arr, a_prev_arr, xt_arr), p, _, dtype = validate(
        "rnn_cell_backward",
        [("da_next", da_next, A_LAYOUT), ("cache[0] (a_next)", a_next, A_LAYOUT),
         ("cache[1] (a_prev)", a_prev, A_LAYOUT), ("cache[2] (xt)", xt, XT_LAYOUT)],
        parameters, BACKWARD_PARAMETERS, pname="cache[3] (parameters)")
    da3, a_next_seq, a_prev_seq, xt_seq, Waa, Wax = converted(
        [da_arr[:, :, np.newaxis], step_major(a_next_arr, dtype), step_major(a_prev_arr, dtype),
         step_major(xt_arr, dtype), p["Waa"], p["Wax"]], dtype)
    dx, da0, dWax, dWaa, dba = _run_backward(da3, a_next_seq, a_prev_seq, xt_seq, Waa, Wax, dtype)
    return {"dxt": dx[0].T, "da_prev": da0.T, "dWax": dWax, "dWaa": dWaa, "dba": dba}


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
    steps, _ = split_caches(caches, "rnn_forward")
    if isinstance(steps, RNNStepCaches):
        record = steps.record
        Waa_Wax = recorded_plain("rnn_backward", da, record, BACKWARD_PARAMETERS)
        if Waa_Wax is not None:  # float64 C-contiguous arrays in shapes seen before
            T = da.shape[2]
            dx, da0, dWax, dWaa, dba = _run_backward(
                da, record.a_hist[1:T + 1], record.a_hist[:T], record.x_seq[:T], *Waa_Wax, np.float64)
            return {"dx": dx.transpose(2, 1, 0), "da0": da0.T, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    da_arr, T = upstream_gradient(da, DA_LAYOUT)
    if isinstance(steps, RNNStepCaches):
        p, dtype = recorded_inputs("rnn_backward", da_arr, T, record, BACKWARD_PARAMETERS)
        a_next_seq, a_prev_seq, x_seq = record.a_hist[1:T + 1], record.a_hist[:T], record.x_seq[:T]
    elif isinstance(steps, StepCaches):
        raise TypeError("caches come from lstm_forward: use lstm_backward")
    else:
        dims = Dims()
        dims.bind("da", da_arr, DA_LAYOUT)
        fields = {"a_next": (0, A_LAYOUT), "a_prev": (1, A_LAYOUT), "xt": (2, XT_LAYOUT)}
        stacked, parameters = stack_user_steps(steps, T, fields, dims, "rnn_cell_forward")
        a_next_seq, a_prev_seq, x_seq = stacked["a_next"], stacked["a_prev"], stacked["xt"]
        p = read_parameters(parameters, BACKWARD_PARAMETERS, dims, name="parameters (from caches)")
        dtype = common_dtype([da_arr, a_next_seq, a_prev_seq, x_seq, *p.values()])
    arrays = converted([da_arr, a_next_seq, a_prev_seq, x_seq, p["Waa"], p["Wax"]], dtype)
    dx, da0, dWax, dWaa, dba = _run_backward(*arrays, dtype)
    return {"dx": dx.transpose(2, 1, 0), "da0": da0.T, "dWax": dWax, "dWaa": dWaa, "dba": dba}
