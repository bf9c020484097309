"""Step caches that stay drop-in without one tuple per step.

``rnn_forward``/``lstm_forward``/``gru_forward`` return ``caches = (steps, x)`` where
``steps[t]`` is the course's step tuple.  ``steps`` is a read-only sequence
(``len``, indexing, slicing, iteration, as a list) that builds each tuple on
access from fastrnn's buffers; the fused backward reads the buffers directly.
Use ``list(steps)`` where a real list is needed.
"""
import operator
from collections.abc import Sequence

import numpy as np


class StepCaches(Sequence):
    """Base class: a sequence of T step tuples built from the buffers of one
    forward call, which it also holds (for the fused backward pass).

    a_hist : (T + 1, m, n_a), a_hist[0] = a0, a_hist[t + 1] = a<t+1>;
    a_next : a_hist[1:].  x_seq : (T, m, n_x).  x : the caller's x (for xt
    views), or None.  parameters : the dict the forward pass read.
    """

    __slots__ = ("a_hist", "a_next", "x_seq", "x", "parameters")
    CELL = None  # "rnn", "lstm", "gru": whose forward made them (for messages)

    def __init__(self, a_hist, x_seq, x, parameters):
        self.a_hist, self.x_seq, self.x, self.parameters = a_hist, x_seq, x, parameters
        self.a_next = a_hist[1:]

    @property
    def T(self):
        """Number of steps."""
        return self.x_seq.shape[0]

    def __len__(self):
        return self.x_seq.shape[0]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._step(t) for t in range(*index.indices(len(self)))]
        t = operator.index(index)
        if t < 0:
            t += len(self)
        if not 0 <= t < len(self):
            raise IndexError(f"step cache index {index} out of range for {len(self)} steps")
        return self._step(t)

    def __repr__(self):
        return f"<{type(self).__name__}: {len(self)} steps of {self.describe()}>"

    def xt(self, t):
        return self.x[:, :, t] if self.x is not None else self.x_seq[t].T


class RNNStepCaches(StepCaches):
    """``steps[t] = (a_next, a_prev, xt, parameters)``, each ``(n, m)``."""

    __slots__ = ()
    CELL = "rnn"

    def describe(self):
        T, m, n_x = self.x_seq.shape
        return f"(a_next, a_prev, xt, parameters), n_x={n_x}, n_a={self.a_hist.shape[2]}, m={m}"

    def _step(self, t):
        return (self.a_hist[t + 1].T, self.a_hist[t].T, self.xt(t), self.parameters)


class LSTMStepCaches(StepCaches):
    """``steps[t] = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)``.

    Also holds c_hist : (T + 1, m, n_a) like a_hist; c_next : c_hist[1:];
    gates : (T, m, 4 n_a) = f, i, cc, o.
    """

    __slots__ = ("c_hist", "c_next", "gates")
    CELL = "lstm"

    def __init__(self, a_hist, c_hist, gates, x_seq, x, parameters):
        super().__init__(a_hist, x_seq, x, parameters)
        self.c_hist, self.c_next, self.gates = c_hist, c_hist[1:], gates

    def describe(self):
        T, m, n_x = self.x_seq.shape
        return (f"(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters), "
                f"n_x={n_x}, n_a={self.a_hist.shape[2]}, m={m}")

    def _step(self, t):
        n_a = self.a_hist.shape[2]
        g = self.gates[t]
        return (self.a_hist[t + 1].T, self.c_hist[t + 1].T, self.a_hist[t].T, self.c_hist[t].T,
                g[:, :n_a].T, g[:, n_a:2 * n_a].T, g[:, 2 * n_a:3 * n_a].T, g[:, 3 * n_a:].T,
                self.xt(t), self.parameters)


class GRUStepCaches(StepCaches):
    """``steps[t] = (a_next, a_prev, rt, ut, cct, xt, parameters)``.

    Also holds ra_hist : (T, m, n_a) = r * a<t-1> of each step and gates :
    (T, m, 3 n_a) = r, u, cc.
    """

    __slots__ = ("ra_hist", "gates")
    CELL = "gru"

    def __init__(self, a_hist, ra_hist, gates, x_seq, x, parameters):
        super().__init__(a_hist, x_seq, x, parameters)
        self.ra_hist, self.gates = ra_hist, gates

    def describe(self):
        T, m, n_x = self.x_seq.shape
        return f"(a_next, a_prev, rt, ut, cct, xt, parameters), n_x={n_x}, n_a={self.a_hist.shape[2]}, m={m}"

    def _step(self, t):
        n_a = self.a_hist.shape[2]
        g = self.gates[t]
        return (self.a_hist[t + 1].T, self.a_hist[t].T, g[:, :n_a].T, g[:, n_a:2 * n_a].T, g[:, 2 * n_a:].T,
                self.xt(t), self.parameters)


def stack_user_steps(steps, T, fields, dims, producer):
    """Stack fields of the first ``T`` step tuples made by the user's own cell.

    Parameters
    ----------
    steps : sequence of tuples, e.g. the course's list of ``rnn_cell_forward`` caches.
    T : int, number of steps to read.
    fields : dict ``name -> (index in tuple, layout)``; layouts are 2-D ``(n, "m")``.
    dims : Dims bound so far (checked and extended).
    producer : str, the cell function that made the tuples (for messages).

    Returns
    -------
    stacked : dict ``name -> (T, m, n)`` array; ``parameters`` of the first step.
    """
    from ._validate import as_real_array

    length = max(index for index, _ in fields.values()) + 2
    if len(steps) < T:
        raise ValueError(f"da has T_x = {T} time steps but caches hold {len(steps)}")
    stacked = {name: [] for name in fields}
    parameters = None
    for t in range(T):
        item = steps[t]
        if not isinstance(item, (tuple, list)) or len(item) != length:
            raise TypeError(
                f"caches[0][{t}] must be the {length}-tuple returned by {producer}, "
                f"got {type(item).__name__}"
                + (f" of length {len(item)}" if isinstance(item, (tuple, list)) else "")
            )
        if t == 0:
            parameters = item[-1]
        elif item[-1] is not parameters:
            raise ValueError(
                f"caches[0][{t}] holds another parameters dict than caches[0][0]; "
                "every step must share the one used by the forward pass"
            )
        for name, (index, layout) in fields.items():
            label = f"caches[0][{t}][{index}] ({name})"
            arr = as_real_array(label, item[index], layout)
            dims.bind(label, arr, layout)
            stacked[name].append(arr.T)
    return {name: np.stack(arrs) for name, arrs in stacked.items()}, parameters
