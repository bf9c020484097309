"""fastrnn: the course's numpy RNN and LSTM functions, compiled with Numba.

Replace the notebook's definitions with ``from fastrnn import *``: every
function keeps the course's name, arguments, return values, shapes, caches
and gradient dictionaries, and runs its whole time loop in one compiled call.
Nothing compiles at import; each kernel compiles on first use (and is cached
on disk), or all at once with :func:`warmup`.  Large batches run in parts on
several threads: :func:`set_num_threads` (see :mod:`fastrnn._threads`).
"""
import numpy as np

from . import _threads
from .lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward
from .rnn_utils import initialize_adam, sigmoid, softmax, update_parameters_with_adam

__version__ = "0.1.0"

# Not in __all__: a star import must not replace numba's functions of the same names.
get_num_threads, set_num_threads = _threads.get_num_threads, _threads.set_num_threads

__all__ = [
    "rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
    "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward",
    "softmax", "sigmoid", "initialize_adam", "update_parameters_with_adam", "warmup",
]


def warmup(dtypes=("float64", "float32"), char_models=True):
    """Compile (or load from numba's disk cache) every kernel for ``dtypes``.

    Runs each public function once on tiny inputs; with ``char_models`` also
    the Dinosaurus Island kernels (RNN and LSTM, float64).  Returns the
    seconds spent.
    """
    import time

    from .workloads import make_inputs

    t0 = time.perf_counter()
    for dtype in dtypes:
        _compile_entry_kernels(np.dtype(dtype))  # also those that only large batches call
        for model, (forward, backward, cell_forward, cell_backward) in (
                ("rnn", (rnn_forward, rnn_backward, rnn_cell_forward, rnn_cell_backward)),
                ("lstm", (lstm_forward, lstm_backward, lstm_cell_forward, lstm_cell_backward))):
            x, a0, p, da = make_inputs(model, (2, 3, 2, 2, 2), np.dtype(dtype))
            backward(da, forward(x, a0, p)[-1])
            if model == "rnn":
                cell_backward(da[:, :, 0], cell_forward(x[:, :, 0], a0, p)[2])
            else:
                cell_backward(da[:, :, 0], da[:, :, 0], cell_forward(x[:, :, 0], a0, a0, p)[3])
    if char_models:
        _warm_char_models()
    return time.perf_counter() - t0


def _compile_entry_kernels(dtype):
    from ._kernels import _jit, lstm, rnn

    for module in (rnn, lstm):
        for entry in vars(module).values():
            if isinstance(entry, _jit.EntryKernel):
                entry[dtype]


def _warm_char_models():
    from . import charmodel, charmodel_lstm

    state = np.random.get_state()  # the char models reseed numpy's generator, as the course does
    char_to_ix = {"\n": 0, "a": 1}
    for module in (charmodel, charmodel_lstm):
        p = module.initialize_parameters(2, 2, 2)
        trainer = module.make_trainer(["a"], char_to_ix, n_a=2, parameters=p)
        trainer.run(1)
        trainer.sample(0)
    p = charmodel.initialize_parameters(2, 2, 2)
    charmodel.optimize([None, 1], [1, 0], np.zeros((2, 1)), p)
    loss, cache = charmodel.rnn_forward([None, 1], [1, 0], np.zeros((2, 1)), p, vocab_size=2)
    charmodel.rnn_backward([None, 1], [1, 0], p, cache)
    np.random.set_state(state)
