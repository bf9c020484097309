"""LSTM: drop-in ``lstm_cell_forward``, ``lstm_forward``, ``lstm_cell_backward``, ``lstm_backward``.

Shapes follow the course: gates act on ``concat = [a_prev; xt]`` with weights
``Wf, Wi, Wc, Wo (n_a, n_a + n_x)`` and biases ``(n_a, 1)``; ``Wy (n_y, n_a)``,
``by (n_y, 1)``.  The whole time loop, forward or backward, runs in one
compiled call (:mod:`fastrnn._kernels.lstm`) with the four gate products
fused into one.
"""
import numpy as np

from ._buffers import scratch
from ._caches import LSTMRecord, LSTMStepCaches, StepCaches, stack_user_steps
from ._kernels import lstm as _kernels
from ._validate import (Dims, as_real_array, column, common_dtype, kernel_array,
                        read_parameters, split_caches, step_major, time_major, validate)

GATES = ("f", "i", "c", "o")  # forget, update, candidate, output: the stacking order

#: Keys and shapes the forward pass reads from ``parameters``.
FORWARD_PARAMETERS = {
    **{key: layout for g in GATES
       for key, layout in ((f"W{g}", ("n_a", "n_a+n_x")), (f"b{g}", ("n_a", 1)))},
    "Wy": ("n_y", "n_a"),
    "by": ("n_y", 1),
}
#: Keys and shapes the backward pass reads.
BACKWARD_PARAMETERS = {f"W{g}": ("n_a", "n_a+n_x") for g in GATES}

X_LAYOUT = ("n_x", "m", "T_x")
XT_LAYOUT = ("n_x", "m")
A_LAYOUT = ("n_a", "m")
DA_LAYOUT = ("n_a", "m", "T_x")
#: Position of each array in the course's step tuple
#: ``(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.
STEP_FIELDS = {name: (index, XT_LAYOUT if name == "xt" else A_LAYOUT) for index, name in
               enumerate(("a_next", "c_next", "a_prev", "c_prev", "ft", "it", "cct", "ot", "xt"))}


def _stacked_weights(p, dtype):
    """``[Wf; Wi; Wc; Wo]`` as one ``(4 n_a, n_a + n_x)`` array of ``dtype``."""
    return np.concatenate([p[f"W{g}"] for g in GATES], axis=0).astype(dtype, copy=False)


def _run_forward(x_seq, a0, c0, p, dtype):
    """Kernel call shared by the cell and the sequence (kernel layout results).

    ``c0`` is ``(n_a, m)`` or None for zeros.  Returns a_hist, c_hist, gates, y.
    """
    T, m, _ = x_seq.shape
    n_a = a0.shape[0]
    n_y = p["Wy"].shape[0]
    W = _stacked_weights(p, dtype)
    a_hist = np.empty((T + 1, m, n_a), dtype)
    a_hist[0] = a0.T
    c_hist = np.empty((T + 1, m, n_a), dtype)
    c_hist[0] = 0.0 if c0 is None else c0.T
    gates = np.empty((T, m, 4 * n_a), dtype)
    y = np.empty((T, m, n_y), dtype)
    b = np.concatenate([p[f"b{g}"] for g in GATES], axis=0)
    _kernels.lstm_forward(
        x_seq, a_hist[0], c_hist[0],
        kernel_array(W[:, n_a:].T, dtype), kernel_array(W[:, :n_a].T, dtype), column(b, dtype),
        kernel_array(p["Wy"].T, dtype), column(p["by"], dtype),
        a_hist[1:], c_hist[1:], gates, y,
    )
    return a_hist, c_hist, gates, y


def _run_backward(da, dc_last, seqs, p, dtype):
    """Kernel call shared by the cell and the sequence.

    ``da`` is ``(n_a, m, T)`` (course layout), ``dc_last`` ``(m, n_a)`` or None;
    ``seqs`` holds a_prev, c_next, c_prev, gates, xt in kernel layout.
    Returns dx ``(T, m, n_x)``, da0, dc0 ``(m, n_a)`` and the gate gradients dict.
    """
    T, m, n_a = seqs["a_prev"].shape
    n_x = seqs["xt"].shape[2]
    W = _stacked_weights(p, dtype)
    dx = np.empty((T, m, n_x), dtype)
    da0 = np.empty((m, n_a), dtype)
    dc0 = np.empty((m, n_a), dtype)
    dWa = np.empty((4 * n_a, n_a), dtype)
    dWx = np.empty((4 * n_a, n_x), dtype)
    db = np.empty(4 * n_a, dtype)
    dc_last = np.zeros((m, n_a), dtype) if dc_last is None else kernel_array(dc_last, dtype)
    da_seq = scratch("lstm da", (T, m, n_a), dtype)
    np.copyto(da_seq, da.transpose(2, 1, 0))
    _kernels.lstm_backward(
        da_seq, dc_last,
        *(kernel_array(seqs[k], dtype) for k in ("a_prev", "c_next", "c_prev", "gates", "xt")),
        kernel_array(W[:, :n_a], dtype), kernel_array(W[:, n_a:], dtype),
        scratch("lstm dgates", (T, m, 4 * n_a), dtype), dx, da0, dc0, dWa, dWx, db,
    )
    dW = np.concatenate([dWa, dWx], axis=1)
    grads = {}
    for k, g in enumerate(GATES):
        grads[f"dW{g}"] = dW[k * n_a:(k + 1) * n_a]
        grads[f"db{g}"] = db[k * n_a:(k + 1) * n_a].reshape(n_a, 1)
    return dx, da0, dc0, grads


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
    (xt_arr, a_prev_arr, c_prev_arr), p, _, dtype = validate(
        "lstm_cell_forward", [("xt", xt, XT_LAYOUT), ("a_prev", a_prev, A_LAYOUT), ("c_prev", c_prev, A_LAYOUT)],
        parameters, FORWARD_PARAMETERS)
    a_hist, c_hist, gates, y = _run_forward(step_major(xt_arr, dtype), a_prev_arr, c_prev_arr, p, dtype)
    n_a = a_hist.shape[2]
    a_next, c_next = a_hist[1].T, c_hist[1].T
    ft, it, cct, ot = (gates[0, :, k * n_a:(k + 1) * n_a].T for k in range(4))
    return a_next, c_next, y[0].T, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)


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
    """
    (x_arr, a0_arr), p, _, dtype = validate(
        "lstm_forward", [("x", x, X_LAYOUT), ("a0", a0, A_LAYOUT)], parameters, FORWARD_PARAMETERS)
    x_seq = time_major(x_arr, dtype)
    a_hist, c_hist, gates, y = _run_forward(x_seq, a0_arr, None, p, dtype)
    steps = LSTMStepCaches(LSTMRecord(a_hist, c_hist, gates, x_seq, x_arr, parameters))
    return (a_hist[1:].transpose(2, 1, 0), y.transpose(2, 1, 0), c_hist[1:].transpose(2, 1, 0),
            (steps, x))


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
    if not isinstance(cache, (tuple, list)) or len(cache) != 10:
        raise TypeError("cache must be the 10-tuple (a_next, c_next, a_prev, c_prev, ft, it, cct, "
                        "ot, xt, parameters) returned by lstm_cell_forward")
    named = [("da_next", da_next, A_LAYOUT), ("dc_next", dc_next, A_LAYOUT)]
    named += [(f"cache[{index}] ({name})", cache[index], layout) for name, (index, layout) in STEP_FIELDS.items()]
    values, p, _, dtype = validate("lstm_cell_backward", named, cache[9], BACKWARD_PARAMETERS,
                                   pname="cache[9] (parameters)")
    arrays = dict(zip(["da_next", "dc_next", *STEP_FIELDS], values))
    seqs = {name: step_major(arrays[name], dtype) for name in ("a_prev", "c_next", "c_prev", "xt")}
    seqs["gates"] = np.concatenate([step_major(arrays[k], dtype) for k in ("ft", "it", "cct", "ot")], axis=2)
    dx, da0, dc0, grads = _run_backward(arrays["da_next"][:, :, np.newaxis], arrays["dc_next"].T,
                                        seqs, p, dtype)
    return {"dxt": dx[0].T, "da_prev": da0.T, "dc_prev": dc0.T, **grads}


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
    steps, _ = split_caches(caches, "lstm_forward")
    da_arr = as_real_array("da", da, DA_LAYOUT)
    T = da_arr.shape[2]
    if T == 0:
        raise ValueError(f"da must have at least one time step, got shape {da_arr.shape}")
    if isinstance(steps, LSTMStepCaches):
        r = steps.record
        if T > r.T:
            raise ValueError(f"da has T_x = {T} time steps but caches hold {r.T}")
        _, m, n_a = r.a_hist.shape
        dims = Dims(n_a=n_a, m=m, n_x=r.x_seq.shape[2])
        seqs = {"a_prev": r.a_hist[:T], "c_next": r.c_hist[1:T + 1], "c_prev": r.c_hist[:T],
                "gates": r.gates[:T], "xt": r.x_seq[:T]}
        (da_arr,), p, _, dtype = validate("lstm_backward", [("da", da_arr, ("n_a", "m", T))], r.parameters,
                                          BACKWARD_PARAMETERS, dims, extra=(r.a_hist,),
                                          pname="parameters (from caches)")
    elif isinstance(steps, StepCaches):
        raise TypeError("caches come from rnn_forward: use rnn_backward")
    else:
        dims = Dims()
        dims.bind("da", da_arr, DA_LAYOUT)
        fields = {k: v for k, v in STEP_FIELDS.items() if k != "a_next"}
        stacked, parameters = stack_user_steps(steps, T, fields, dims, "lstm_cell_forward")
        seqs = {k: stacked[k] for k in ("a_prev", "c_next", "c_prev", "xt")}
        seqs["gates"] = np.concatenate([stacked[k] for k in ("ft", "it", "cct", "ot")], axis=2)
        p = read_parameters(parameters, BACKWARD_PARAMETERS, dims, name="parameters (from caches)")
        dtype = common_dtype([da_arr, *seqs.values(), *p.values()])
    dx, da0, _, grads = _run_backward(da_arr, None, seqs, p, dtype)
    return {"dx": dx.transpose(2, 1, 0), "da0": da0.T, **grads}
