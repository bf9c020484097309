"""fastrnn: the course's numpy RNN, LSTM and GRU functions, compiled with Numba.

Replace the notebook's definitions with ``from fastrnn import *``: every
function keeps the course's name, arguments, return values, shapes, caches
and gradient dictionaries, and runs its whole time loop in one compiled call.
Nothing compiles at import; each kernel compiles on first use (and is cached
on disk), or all at once with :func:`warmup`.  On a machine where they are not
compiled yet, the step-by-step kernels compile in a background process while
the course's numpy code answers (:mod:`fastrnn._background`).  Large batches run in parts on
several threads: :func:`set_num_threads` (see :mod:`fastrnn._threads`).
"""
from . import _background, _threads
from ._warmup import warmup
from .gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward
from .lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward
from .rnn_utils import initialize_adam, sigmoid, softmax, update_parameters_with_adam

__version__ = "0.3.0"

# Not in __all__: a star import must not replace numba's functions of the same names.
get_num_threads, set_num_threads = _threads.get_num_threads, _threads.set_num_threads
# The first run (see fastrnn._background); not in __all__ either.
set_background_compile, wait_for_kernels = _background.set_background_compile, _background.wait

__all__ = [
    "rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
    "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward",
    "gru_cell_forward", "gru_forward", "gru_cell_backward", "gru_backward",
    "softmax", "sigmoid", "initialize_adam", "update_parameters_with_adam", "warmup",
]
