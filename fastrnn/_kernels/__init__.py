"""Numba kernels: plain functions over C-contiguous arrays and scalars.

Nothing here validates input, builds dictionaries or knows the course's
``(n, m, T)`` layout: the thin API in :mod:`fastrnn` does that.  Every kernel
works on time-major buffers ``(T, m, n)`` so that each time step is one
contiguous ``(m, n)`` block, and writes into output arrays its caller
allocated.

Every kernel module is imported here (a stale disk cache, see
:data:`._jit.SOURCES_DIGEST`, is removed for all of them at once in any case).
"""
import os

# numba's np.dot calls SciPy's OpenBLAS, whose threads spin for 2**28 cycles
# (about 0.1 s) after each call, taking the cores from numpy's own OpenBLAS
# threads: a user's numpy matrix code ran 3.3x slower when its calls
# alternated with fastrnn's (bench/test_neighbour.py).  Spinning for 2**18
# cycles (about 80 us) removes that, and still spans the gap between two time
# steps' products: with 2**16 (about 20 us) the threads slept between steps and
# each per-step product paid a wake-up (LSTM medium forward 18-21 -> 15-17.5 ms
# with 2**18; the neighbour's code is as fast with either).  SciPy's OpenBLAS reads
# this when it loads, which is when the first kernel needing BLAS compiles or
# loads from the cache; a value set by the user wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")

from . import activations, charmodel, charmodel_lstm, linalg, lstm, rnn  # noqa: E402

__all__ = ["activations", "charmodel", "charmodel_lstm", "linalg", "lstm", "rnn"]
