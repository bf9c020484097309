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
from name to name as the RNN model carries ``a``.  The code is shared with
the GRU char model (:mod:`.gated`).
"""
from .._kernels import charmodel_lstm as _kernels
from . import gated
from .gated import BETA1, BETA2, EPSILON, LEARNING_RATE

__all__ = ["initialize_parameters", "sample", "model", "make_trainer", "LSTMCharTrainer",
           "PARAMETERS", "GATES", "LEARNING_RATE", "BETA1", "BETA2", "EPSILON"]

#: Forget, update, candidate, output; the forget gate's bias starts at 1 (the usual
#: start that keeps the cell state).
CELL = gated.Cell("lstm", ("f", "i", "c", "o"), {"f": 1.0}, _kernels, states=2)
GATES = CELL.gates
PARAMETERS = gated.parameter_layouts(CELL)


def initialize_parameters(n_a, n_x, n_y, seed=1):
    """Seed numpy's global generator with ``seed``; weights ``randn / sqrt(fan-in)``.

    Biases are zero but for the forget gate's, 1.  Draw order: Wf, Wi, Wc, Wo, Wy.
    """
    return gated.initialize_parameters(CELL, n_a, n_x, n_y, seed)


def check_parameters(parameters):
    """Check ``parameters``; returns ``(params tuple for the kernels, n_a, n_x, n_y)`` (copies)."""
    return gated.check_parameters(CELL, parameters)


def sample(parameters, char_to_ix, seed):
    """Sample character indices as :func:`fastrnn.charmodel.sample` does, with the LSTM cell."""
    return gated.sample(CELL, parameters, char_to_ix, seed)


class LSTMCharTrainer(gated.GatedCharTrainer):
    """Many Adam steps per compiled call; the interface of :class:`fastrnn.charmodel.CharTrainer`.

    ``parameters`` (the course's LSTM keys) are updated in place after every
    :meth:`run`; ``v``, ``s`` are the Adam moments, ``step`` the step count,
    ``a_prev`` and ``c_prev`` the carried state.
    """

    CELL = CELL

    @property
    def c_prev(self):
        return self.states[1]


def make_trainer(examples, char_to_ix, n_a=50, seed=0, parameters=None):
    """An :class:`LSTMCharTrainer` seeded as :func:`fastrnn.charmodel.rnn.make_trainer`."""
    return gated.make_trainer(LSTMCharTrainer, examples, char_to_ix, n_a, seed, parameters)


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27,
          verbose=False):
    """Train the LSTM char model with the course's ``model`` loop and printing (``verbose`` as there).

    Returns ``(parameters, last_dino_name)``.
    """
    return gated.model(LSTMCharTrainer, sample, data_x, ix_to_char, char_to_ix, num_iterations, n_a, dino_names,
                       vocab_size, verbose)
