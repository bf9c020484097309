"""What the LSTM and GRU char models share: parameters, checks, sampling and the Adam trainer.

A gated char model is described by a :class:`Cell`: its name, its gate
letters (in the stacking order of its kernels), the bias each gate starts
with, and its compiled kernels (:mod:`fastrnn._kernels.charmodel_lstm`,
:mod:`fastrnn._kernels.charmodel_gru`: ``train``, ``sample``).  Both keep
their weights in one layout, ``params = (Wa, Wx, b, Wy, by)`` with the gate
weights stacked and split into the columns acting on ``a<t-1>`` and on
``x<t>``, so the checks, the copy back into the course-style dict and the
trainer are written once, here.
"""
from collections import namedtuple

import numpy as np

from .._kernels._jit import load_blas
from .._validate import Dims, read_parameters
from .data import encode_examples
from .loop import check_finite, draw_sample, run_model
from .utils import get_initial_loss

#: ``name``; ``gates``: the gate letters; ``initial_bias``: gate letter -> its
#: starting bias (others start at 0); ``kernels``: the compiled module;
#: ``states``: how many ``(1, n_a)`` state arrays are carried (a, c for the LSTM).
Cell = namedtuple("Cell", "name gates initial_bias kernels states")

#: Adam's defaults for both (the course's, but a smaller step suits single names).
LEARNING_RATE, BETA1, BETA2, EPSILON = 0.005, 0.9, 0.999, 1e-8


def parameter_layouts(cell):
    """The dict keys of ``cell``'s parameters and their layouts (as :mod:`fastrnn._validate` reads them)."""
    return {**{key: layout for g in cell.gates for key, layout in
               ((f"W{g}", ("n_a", "n_a+n_x")), (f"b{g}", ("n_a", 1)))},
            "Wy": ("n_y", "n_a"), "by": ("n_y", 1)}


def initialize_parameters(cell, n_a, n_x, n_y, seed=1):
    """Seed numpy's global generator with ``seed``; weights ``randn / sqrt(fan-in)`` drawn
    gate by gate in ``cell.gates`` order, then ``Wy``; biases ``cell.initial_bias`` or 0."""
    np.random.seed(seed)
    p = {}
    for g in cell.gates:
        p[f"W{g}"] = np.random.randn(n_a, n_a + n_x) / np.sqrt(n_a + n_x)
        p[f"b{g}"] = np.full((n_a, 1), float(cell.initial_bias.get(g, 0.0)))
    p["Wy"] = np.random.randn(n_y, n_a) / np.sqrt(n_a)
    p["by"] = np.zeros((n_y, 1))
    return p


def check_parameters(cell, parameters):
    """Check ``parameters``; returns ``(params tuple for the kernels, n_a, n_x, n_y)`` (copies)."""
    load_blas()  # before the first kernel runs
    first = f"W{cell.gates[0]}"
    shape = np.shape(parameters.get(first)) if isinstance(parameters, dict) else ()
    if len(shape) != 2 or shape[1] <= shape[0]:
        raise ValueError(f"parameters['{first}'] must have shape (n_a, n_a + n_x) with n_x >= 1, got {shape}")
    dims = Dims(n_a=shape[0], n_x=shape[1] - shape[0])
    arrays = read_parameters(parameters, parameter_layouts(cell), dims)
    n_a, n_x, n_y = dims["n_a"], dims["n_x"], dims["n_y"]
    W = np.concatenate([np.asarray(arrays[f"W{g}"], np.float64) for g in cell.gates], axis=0)
    b = np.concatenate([np.asarray(arrays[f"b{g}"], np.float64) for g in cell.gates], axis=0).reshape(-1)
    params = (np.ascontiguousarray(W[:, :n_a]), np.ascontiguousarray(W[:, n_a:]), b,
              np.array(arrays["Wy"], np.float64, order="C"), np.array(arrays["by"], np.float64).reshape(-1))
    return params, n_a, n_x, n_y


def store(cell, params, parameters):
    """Write the kernels' ``(Wa, Wx, b, Wy, by)`` back into the ``parameters`` dict's arrays."""
    Wa, Wx, b, Wy, by = params
    n_a = Wa.shape[1]
    for k, g in enumerate(cell.gates):
        rows = slice(k * n_a, (k + 1) * n_a)
        parameters[f"W{g}"][...] = np.concatenate([Wa[rows], Wx[rows]], axis=1)
        parameters[f"b{g}"][...] = b[rows].reshape(n_a, 1)
    parameters["Wy"][...] = Wy
    parameters["by"][...] = by.reshape(-1, 1)


def sample(cell, parameters, char_to_ix, seed):
    """Sample character indices as :func:`fastrnn.charmodel.sample` does, with ``cell``."""
    params, n_a, n_x, n_y = check_parameters(cell, parameters)
    if n_x != n_y:
        raise ValueError(f"sample feeds outputs back as inputs: n_x = {n_x} must equal n_y = {n_y}")
    check_finite({key: parameters[key] for key in parameter_layouts(cell)})
    return draw_sample(lambda s, m, out: cell.kernels.sample(params, char_to_ix["\n"], s, m, out),
                       char_to_ix, seed)


class GatedCharTrainer:
    """Many Adam steps per compiled call; the interface of :class:`fastrnn.charmodel.CharTrainer`.

    Subclasses set ``CELL``.  ``parameters`` (the course-style keys) are
    updated in place after every :meth:`run`; ``v``, ``s`` are the Adam
    moments, ``step`` the step count, ``states`` the carried ``(1, n_a)``
    state arrays (``a_prev`` is the first).
    """

    CELL = None

    def __init__(self, examples, char_to_ix, parameters, loss, learning_rate=LEARNING_RATE, max_value=5.0):
        self.params, self.n_a, n_x, n_y = check_parameters(self.CELL, parameters)
        self.codes, self.starts, self.newline = encode_examples(examples, char_to_ix, min(n_x, n_y))
        self.parameters = parameters
        self.v = tuple(np.zeros_like(p) for p in self.params)
        self.s = tuple(np.zeros_like(p) for p in self.params)
        self.step = 0
        self.states = tuple(np.zeros((1, self.n_a)) for _ in range(self.CELL.states))
        self.a_prev = self.states[0]
        self.loss = float(loss)
        self.learning_rate, self.max_value = float(learning_rate), float(max_value)
        self.iteration = 0

    def run(self, count):
        """Run ``count`` iterations; returns their smoothed losses ``(count,)``.

        ``run(0)`` only compiles the kernel (or loads it from numba's cache).
        """
        losses = np.empty(count)
        self.loss = self.CELL.kernels.train(self.codes, self.starts, self.newline, self.iteration, count,
                                            *self.states, self.params, self.v, self.s, self.step,
                                            self.learning_rate, BETA1, BETA2, EPSILON, self.max_value,
                                            self.loss, losses)
        store(self.CELL, self.params, self.parameters)
        self.iteration += count
        self.step += count
        return losses

    def sample(self, seed):
        """:func:`sample` from the current parameters."""
        return sample(self.CELL, self.parameters, {"\n": self.newline}, seed)


def make_trainer(trainer_class, examples, char_to_ix, n_a=50, seed=0, parameters=None):
    """A ``trainer_class`` seeded as :func:`fastrnn.charmodel.rnn.make_trainer`."""
    vocab_size = len(char_to_ix)
    if parameters is None:
        parameters = initialize_parameters(trainer_class.CELL, n_a, vocab_size, vocab_size, seed=seed + 1)
    examples = list(examples)
    np.random.seed(seed)
    np.random.shuffle(examples)
    return trainer_class(examples, char_to_ix, parameters, get_initial_loss(vocab_size, 7))


def model(trainer_class, sampler, data_x, ix_to_char, char_to_ix, num_iterations, n_a, dino_names, vocab_size,
          verbose):
    """The course's ``model`` loop and printing with ``trainer_class``; returns ``(parameters, last name)``."""
    cell = trainer_class.CELL
    return run_model(lambda: initialize_parameters(cell, n_a, vocab_size, vocab_size), trainer_class,
                     sampler, data_x, ix_to_char, char_to_ix, num_iterations, dino_names, vocab_size, verbose)
