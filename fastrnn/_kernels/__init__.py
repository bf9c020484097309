"""Numba kernels: plain functions over C-contiguous arrays and scalars.

Nothing here validates input, builds dictionaries or knows the course's
``(n, m, T)`` layout: the thin API in :mod:`fastrnn` does that.  Every kernel
works on time-major buffers ``(T, m, n)`` so that each time step is one
contiguous ``(m, n)`` block, and writes into output arrays its caller
allocated.

Every kernel module is imported here, so that a stale disk cache (see
:data:`._jit.SOURCES_DIGEST`) is flushed for all of them at once.
"""
from . import activations, charmodel, charmodel_lstm, linalg, lstm, rnn

__all__ = ["activations", "charmodel", "charmodel_lstm", "linalg", "lstm", "rnn"]
