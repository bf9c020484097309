"""Dinosaurus Island with a GRU cell, trained with Adam (beyond the course).

The API of :mod:`fastrnn.charmodel.lstm` with the course's full GRU
(:mod:`fastrnn.gru`): parameters ``Wr, Wu, Wc (n_a, n_a + n_x)`` acting on
``[a_prev; x]`` (the candidate on ``[r * a_prev; x]``), ``br, bu, bc (n_a,
1)``, ``Wy (n_y, n_a)``, ``by (n_y, 1)``, so :func:`fastrnn.gru_forward`
works on them too.  Each step clips the gradients to ``[-5, 5]`` and applies
the course's Adam update; the state ``a`` is carried from name to name.
The code is shared with the LSTM char model (:mod:`.gated`).
"""
from .._kernels import charmodel_gru as _kernels
from . import gated
from .gated import BETA1, BETA2, EPSILON, LEARNING_RATE

__all__ = ["initialize_parameters", "sample", "model", "make_trainer", "GRUCharTrainer",
           "PARAMETERS", "GATES", "LEARNING_RATE", "BETA1", "BETA2", "EPSILON"]

#: Reset, update, candidate; every bias starts at 0.
CELL = gated.Cell("gru", ("r", "u", "c"), {}, _kernels, states=1)
GATES = CELL.gates
PARAMETERS = gated.parameter_layouts(CELL)


def initialize_parameters(n_a, n_x, n_y, seed=1):
    """Seed numpy's global generator with ``seed``; weights ``randn / sqrt(fan-in)``,
    biases 0.  Draw order: Wr, Wu, Wc, Wy."""
    return gated.initialize_parameters(CELL, n_a, n_x, n_y, seed)


def check_parameters(parameters):
    """Check ``parameters``; returns ``(params tuple for the kernels, n_a, n_x, n_y)`` (copies)."""
    return gated.check_parameters(CELL, parameters)


def sample(parameters, char_to_ix, seed):
    """Sample character indices as :func:`fastrnn.charmodel.sample` does, with the GRU cell."""
    return gated.sample(CELL, parameters, char_to_ix, seed)


class GRUCharTrainer(gated.GatedCharTrainer):
    """Many Adam steps per compiled call; the interface of :class:`fastrnn.charmodel.CharTrainer`.

    ``parameters`` (the GRU keys) are updated in place after every
    :meth:`run`; ``v``, ``s`` are the Adam moments, ``step`` the step count,
    ``a_prev`` the carried state.
    """

    CELL = CELL


def make_trainer(examples, char_to_ix, n_a=50, seed=0, parameters=None):
    """A :class:`GRUCharTrainer` seeded as :func:`fastrnn.charmodel.rnn.make_trainer`."""
    return gated.make_trainer(GRUCharTrainer, examples, char_to_ix, n_a, seed, parameters)


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27,
          verbose=False):
    """Train the GRU char model with the course's ``model`` loop and printing (``verbose`` as there).

    Returns ``(parameters, last_dino_name)``.
    """
    return gated.model(GRUCharTrainer, sample, data_x, ix_to_char, char_to_ix, num_iterations, n_a, dino_names,
                       vocab_size, verbose)
