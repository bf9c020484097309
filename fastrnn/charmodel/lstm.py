"""Dinosaurus Island with an LSTM cell, trained with Adam (beyond the course).

The same API style as :mod:`fastrnn.charmodel` (and importable as
``fastrnn.charmodel_lstm``): ``initialize_parameters``,
``sample(parameters, char_to_ix, seed)`` (seeded as the course's sampler),
``model(data_x, ix_to_char, char_to_ix, ...)`` printing every 2000
iterations, and a trainer for many iterations per compiled call.

Parameters use the course's LSTM keys, ``Wf, Wi, Wc, Wo (n_a, n_a + n_x)``
acting on ``[a_prev; x]``, ``bf, bi, bc, bo (n_a, 1)``, ``Wy (n_y, n_a)``,
``by (n_y, 1)``, so :func:`fastrnn.lstm_forward` and
:func:`fastrnn.rnn_utils.update_parameters_with_adam` work on them too.
Each step clips the gradients to ``[-5, 5]`` and applies the course's Adam
update (epsilon inside the square root); the state ``(a, c)`` is carried
from name to name as the RNN model carries ``a``.
"""
import numpy as np

from .._kernels import charmodel_lstm as _kernels
from .._kernels._jit import load_blas
from .._validate import Dims, read_parameters
from .data import encode_examples
from .loop import check_finite, draw_sample, run_model
from .utils import get_initial_loss

__all__ = ["initialize_parameters", "sample", "model", "make_trainer", "LSTMCharTrainer",
           "PARAMETERS", "GATES", "LEARNING_RATE", "BETA1", "BETA2", "EPSILON"]

GATES = ("f", "i", "c", "o")
PARAMETERS = {**{key: layout for g in GATES for key, layout in
                 ((f"W{g}", ("n_a", "n_a+n_x")), (f"b{g}", ("n_a", 1)))},
              "Wy": ("n_y", "n_a"), "by": ("n_y", 1)}
#: Adam's defaults here (the course's, but a smaller step suits single names).
LEARNING_RATE, BETA1, BETA2, EPSILON = 0.005, 0.9, 0.999, 1e-8


def initialize_parameters(n_a, n_x, n_y, seed=1):
    """Seed numpy's global generator with ``seed``; weights ``randn / sqrt(fan-in)``.

    Biases are zero but for the forget gate's, 1 (the usual start that
    keeps the cell state).  Draw order: Wf, Wi, Wc, Wo, Wy.
    """
    np.random.seed(seed)
    p = {}
    for g in GATES:
        p[f"W{g}"] = np.random.randn(n_a, n_a + n_x) / np.sqrt(n_a + n_x)
        p[f"b{g}"] = np.full((n_a, 1), 1.0 if g == "f" else 0.0)
    p["Wy"] = np.random.randn(n_y, n_a) / np.sqrt(n_a)
    p["by"] = np.zeros((n_y, 1))
    return p


def check_parameters(parameters):
    """Check ``parameters``; returns ``(params tuple for the kernels, n_a, n_x, n_y)`` (copies)."""
    load_blas()  # before the first kernel runs
    shape = np.shape(parameters.get("Wf")) if isinstance(parameters, dict) else ()
    if len(shape) != 2 or shape[1] <= shape[0]:
        raise ValueError(f"parameters['Wf'] must have shape (n_a, n_a + n_x) with n_x >= 1, got {shape}")
    dims = Dims(n_a=shape[0], n_x=shape[1] - shape[0])
    arrays = read_parameters(parameters, PARAMETERS, dims)
    n_a, n_x, n_y = dims["n_a"], dims["n_x"], dims["n_y"]
    W = np.concatenate([np.asarray(arrays[f"W{g}"], np.float64) for g in GATES], axis=0)
    b = np.concatenate([np.asarray(arrays[f"b{g}"], np.float64) for g in GATES], axis=0).reshape(-1)
    params = (np.ascontiguousarray(W[:, :n_a]), np.ascontiguousarray(W[:, n_a:]), b,
              np.array(arrays["Wy"], np.float64, order="C"), np.array(arrays["by"], np.float64).reshape(-1))
    return params, n_a, n_x, n_y


def _store(params, parameters):
    """Write the kernels' ``(Wa, Wx, b, Wy, by)`` back into the ``parameters`` dict's arrays."""
    Wa, Wx, b, Wy, by = params
    n_a = Wa.shape[1]
    for k, g in enumerate(GATES):
        rows = slice(k * n_a, (k + 1) * n_a)
        parameters[f"W{g}"][...] = np.concatenate([Wa[rows], Wx[rows]], axis=1)
        parameters[f"b{g}"][...] = b[rows].reshape(n_a, 1)
    parameters["Wy"][...] = Wy
    parameters["by"][...] = by.reshape(-1, 1)


def sample(parameters, char_to_ix, seed):
    """Sample character indices as :func:`fastrnn.charmodel.sample` does, with the LSTM cell."""
    params, n_a, n_x, n_y = check_parameters(parameters)
    if n_x != n_y:
        raise ValueError(f"sample feeds outputs back as inputs: n_x = {n_x} must equal n_y = {n_y}")
    check_finite({key: parameters[key] for key in PARAMETERS})
    return draw_sample(lambda s, m, out: _kernels.sample(params, char_to_ix["\n"], s, m, out),
                       char_to_ix, seed)


class LSTMCharTrainer:
    """Many Adam steps per compiled call; the interface of :class:`fastrnn.charmodel.CharTrainer`.

    ``parameters`` (the course's LSTM keys) are updated in place after every
    :meth:`run`; ``v``, ``s`` are the Adam moments and ``step`` the step count.
    """

    def __init__(self, examples, char_to_ix, parameters, loss, learning_rate=LEARNING_RATE, max_value=5.0):
        self.params, self.n_a, n_x, n_y = check_parameters(parameters)
        self.codes, self.starts, self.newline = encode_examples(examples, char_to_ix, min(n_x, n_y))
        self.parameters = parameters
        self.v = tuple(np.zeros_like(p) for p in self.params)
        self.s = tuple(np.zeros_like(p) for p in self.params)
        self.step = 0
        self.a_prev = np.zeros((1, self.n_a))
        self.c_prev = np.zeros((1, self.n_a))
        self.loss = float(loss)
        self.learning_rate, self.max_value = float(learning_rate), float(max_value)
        self.iteration = 0

    def run(self, count):
        """Run ``count`` iterations; returns their smoothed losses ``(count,)``.

        ``run(0)`` only compiles the kernel (or loads it from numba's cache).
        """
        losses = np.empty(count)
        self.loss = _kernels.train(self.codes, self.starts, self.newline, self.iteration, count,
                                   self.a_prev, self.c_prev, self.params, self.v, self.s, self.step,
                                   self.learning_rate, BETA1, BETA2, EPSILON, self.max_value,
                                   self.loss, losses)
        _store(self.params, self.parameters)
        self.iteration += count
        self.step += count
        return losses

    def sample(self, seed):
        """:func:`sample` from the current parameters."""
        return sample(self.parameters, {"\n": self.newline}, seed)


def make_trainer(examples, char_to_ix, n_a=50, seed=0, parameters=None):
    """An :class:`LSTMCharTrainer` seeded as :func:`fastrnn.charmodel.rnn.make_trainer`."""
    vocab_size = len(char_to_ix)
    if parameters is None:
        parameters = initialize_parameters(n_a, vocab_size, vocab_size, seed=seed + 1)
    examples = list(examples)
    np.random.seed(seed)
    np.random.shuffle(examples)
    return LSTMCharTrainer(examples, char_to_ix, parameters, get_initial_loss(vocab_size, 7))


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27,
          verbose=False):
    """Train the LSTM char model with the course's ``model`` loop and printing (``verbose`` as there).

    Returns ``(parameters, last_dino_name)``.
    """
    return run_model(lambda: initialize_parameters(n_a, vocab_size, vocab_size), LSTMCharTrainer,
                     sample, data_x, ix_to_char, char_to_ix, num_iterations, dino_names, vocab_size, verbose)
