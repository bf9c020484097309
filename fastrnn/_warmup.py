"""``warmup()``: compile (or load from numba's disk cache) every kernel ahead of use."""
import time

import numpy as np


def warmup(dtypes=("float64", "float32"), char_models=True, progress=None):
    """Compile (or load from numba's disk cache) every kernel for ``dtypes``, in this thread.

    Runs each public function once on tiny inputs, and compiles the entry
    kernels that only large batches call (the batch split's parts); with
    ``char_models`` also the Dinosaurus Island kernels (RNN, LSTM and
    GRU, float64).  Numbers drawn here do not touch numpy's global generator.
    ``progress(label)``, if given, is called before each group of kernels.
    Returns the seconds spent.
    """
    from . import _background

    previous = _background.set_background_compile(False)  # eagerly, here
    try:
        return _warm(dtypes, char_models, progress or (lambda label: None))
    finally:
        _background.set_background_compile(previous)


def _warm(dtypes, char_models, progress):
    from . import gru, lstm, rnn

    t0 = time.perf_counter()
    for dtype in dtypes:
        dtype = np.dtype(dtype)
        progress(f"the RNN, LSTM and GRU kernels ({dtype})")
        _compile_entry_kernels(dtype)
        x, a0, da = _tiny(dtype, (2, 2, 2)), _tiny(dtype, (3, 2)), _tiny(dtype, (3, 2, 2))
        p = {"Wax": _tiny(dtype, (3, 2)), "Waa": _tiny(dtype, (3, 3)), "ba": _tiny(dtype, (3, 1)),
             "Wya": _tiny(dtype, (2, 3)), "by": _tiny(dtype, (2, 1))}
        rnn.rnn_backward(da, rnn.rnn_forward(x, a0, p)[2])
        rnn.rnn_cell_backward(da[:, :, 0], rnn.rnn_cell_forward(x[:, :, 0], a0, p)[2])
        p = {f"{w}{g}": _tiny(dtype, (3, 5) if w == "W" else (3, 1)) for g in "fico" for w in "Wb"}
        p.update(Wy=_tiny(dtype, (2, 3)), by=_tiny(dtype, (2, 1)))
        lstm.lstm_backward(da, lstm.lstm_forward(x, a0, p)[3])
        lstm.lstm_cell_backward(da[:, :, 0], da[:, :, 0], lstm.lstm_cell_forward(x[:, :, 0], a0, a0, p)[3])
        p = {f"{w}{g}": _tiny(dtype, (3, 5) if w == "W" else (3, 1)) for g in "ruc" for w in "Wb"}
        p.update(Wy=_tiny(dtype, (2, 3)), by=_tiny(dtype, (2, 1)))
        gru.gru_backward(da, gru.gru_forward(x, a0, p)[2])
        gru.gru_cell_backward(da[:, :, 0], gru.gru_cell_forward(x[:, :, 0], a0, p)[2])
    if char_models:
        progress("the character models' kernels")
        _warm_char_models()
    return time.perf_counter() - t0


def _tiny(dtype, shape):
    """A small array of distinct values (no random numbers: the global generator stays as it is)."""
    return (np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 7 / 10 - 0.3).astype(dtype)


def _compile_entry_kernels(dtype):
    from ._kernels import _jit, gru, lstm, rnn

    for module in (rnn, lstm, gru):
        for entry in vars(module).values():
            if isinstance(entry, _jit.EntryKernel):
                entry[dtype]


def _warm_char_models():
    from .charmodel import gru, lstm, rnn

    state = np.random.get_state()  # the char models reseed numpy's generator, as the course does
    char_to_ix = {"\n": 0, "a": 1}
    for module in (rnn, lstm, gru):
        p = module.initialize_parameters(2, 2, 2)
        trainer = module.make_trainer(["a"], char_to_ix, n_a=2, parameters=p)
        trainer.run(1)
        trainer.sample(0)
    p = rnn.initialize_parameters(2, 2, 2)
    rnn.optimize([None, 1], [1, 0], np.zeros((2, 1)), rnn.initialize_parameters(2, 27, 27))
    loss, cache = rnn.rnn_forward([None, 1], [1, 0], np.zeros((2, 1)), p, vocab_size=2)
    rnn.rnn_backward([None, 1], [1, 0], p, cache)
    np.random.set_state(state)
