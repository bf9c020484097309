"""The benchmark workloads: :mod:`fastrnn.compare`'s, plus PyTorch and flop counts.

``workload(model, impl, pass_, shape)`` takes ``impl`` ``fastrnn``,
``numpy`` (the course's code) or ``torch`` (``torch.nn.RNN``/``LSTM``/``GRU``
with the output layer, when PyTorch is installed; PyTorch's GRU is its own
variant of the cell, with the same products).
"""
import numpy as np

from fastrnn import compare
from fastrnn.compare import IMPLEMENTATIONS, MODELS, PASSES, SHAPES, best_time, make_inputs  # noqa: F401


def flops(model, pass_, shape):
    """Floating-point operations of the matrix products of one pass (2 per multiply-add)."""
    n_x, n_a, n_y, m, T = SHAPES.get(shape, shape)
    g = {"lstm": 4, "gru": 3}.get(model, 1)  # gate blocks
    forward = 2 * T * m * (g * n_a * (n_x + n_a) + n_y * n_a)
    if pass_ == "forward":
        return forward
    # recurrence, dx, and the input and recurrent weight gradients
    return forward + 2 * T * m * (g * n_a * n_a + g * n_a * n_x + g * n_a * (n_x + n_a))


def torch_workload(model, pass_, shape, dtype=np.float64):
    """The same pass with ``torch.nn.RNN``/``LSTM``/``GRU`` (tanh), a Linear output layer and softmax.

    Raises ImportError without PyTorch.
    """
    import torch

    n_x, n_a, n_y, m, T = SHAPES.get(shape, shape)
    x_np, a0_np, _, da_np = make_inputs(model, (n_x, n_a, n_y, m, T), dtype)
    tdtype = torch.float32 if np.dtype(dtype) == np.float32 else torch.float64
    torch.manual_seed(0)
    cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[model](n_x, n_a).to(tdtype)
    out_layer = torch.nn.Linear(n_a, n_y).to(tdtype)
    x = torch.from_numpy(np.ascontiguousarray(x_np.transpose(2, 1, 0))).requires_grad_(pass_ != "forward")
    h0 = torch.from_numpy(np.ascontiguousarray(a0_np.T))[None].requires_grad_(pass_ != "forward")
    da = torch.from_numpy(np.ascontiguousarray(da_np.transpose(2, 1, 0)))
    state = (h0, torch.zeros_like(h0)) if model == "lstm" else h0

    def forward():
        a, _ = cell(x, state)
        return a, torch.softmax(out_layer(a), dim=-1)

    if pass_ == "forward":
        def run():
            with torch.no_grad():
                return forward()
    else:
        def run():
            a, _ = forward()
            cell.zero_grad()
            a.backward(da)
    return run


def workload(model, impl, pass_, shape, dtype=np.float64):
    """The callable to time (:func:`fastrnn.compare.workload`, or PyTorch's for ``impl == "torch"``)."""
    if impl == "torch":
        return torch_workload(model, pass_, shape, dtype)
    return compare.workload(model, impl, pass_, shape, dtype)
