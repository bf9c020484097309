"""Dinosaurus Island, compiled: the course's character-level RNN as a drop-in.

Replaces the course's ``utils.py`` and the notebook's graded functions with
the same names, arguments and results (the 2021 course's versions)::

    from fastrnn.charmodel import *     # instead of: from utils import *

The package holds one module per concern:

- :mod:`.rnn` the course's model (``rnn_forward``, ``rnn_backward``, ``clip``,
  ``sample``, ``optimize``, ``model``, ...) and :class:`CharTrainer`;
- :mod:`.lstm` the same model with an LSTM cell, trained with Adam (also
  importable as ``fastrnn.charmodel_lstm``); :mod:`.gru` with a GRU cell;
  :mod:`.gated` what those two share;
- :mod:`.loop` the course's ``model`` loop and sampler, for either cell;
- :mod:`.data` names and vocabularies (``load_names()``: the bundled 1536
  dinosaur names); :mod:`.utils` the course's cell-independent helpers;
- :mod:`.saving` a trained model in one ``.npz`` file.

Numbers match the course's to rounding: the published run's losses and names
at iterations 0 .. 12000 are reproduced exactly (``tests/test_charmodel.py``).
"""
from .data import COURSE_CHARS, encode_examples, load_names, read_names, vocabulary, vocabulary_of
from .loop import MAX_SAMPLE_LENGTH, PRINT_EVERY
from .rnn import (GRADIENT_KEYS, PARAMETERS, CharTrainer, clip, initialize_parameters, make_trainer, model,
                  optimize, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward, sample,
                  update_parameters)
from .saving import Saved, load_parameters, save_parameters
from .utils import get_initial_loss, get_sample, print_sample, smooth, softmax

__all__ = [
    "softmax", "smooth", "get_initial_loss", "get_sample", "print_sample",
    "initialize_parameters", "rnn_step_forward", "rnn_step_backward", "update_parameters",
    "rnn_forward", "rnn_backward", "clip", "sample", "optimize", "model",
    "load_names", "vocabulary", "CharTrainer",
]
