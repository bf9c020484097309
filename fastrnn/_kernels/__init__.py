"""Numba kernels: plain functions over C-contiguous arrays and scalars.

Nothing here validates input, builds dictionaries or knows the course's
``(n, m, T)`` layout beyond the entry kernels' copies: the thin API in
:mod:`fastrnn` does that.  Every kernel works on time-major buffers
``(T, m, n)``, so that each time step is one contiguous ``(m, n)`` block, and
writes into output arrays its caller allocated.

Modules, from the bottom up:

- :mod:`._jit` how kernels compile (decorators, cache guard, switches);
  :mod:`.tuning` every threshold;
- :mod:`.intrinsics` numba intrinsics (raw addresses, reshapes, bit casts);
  :mod:`.simd` the hand-written vector code (``FASTRNN_SIMD=0`` turns it off);
- :mod:`.layout` layout copies and transposes; :mod:`.products` BLAS calls
  and the one-row product; :mod:`.activations` exp, tanh, sigmoid, softmax;
- the models: :mod:`.rnn`, :mod:`.lstm`, :mod:`.gru`, :mod:`.charmodel`,
  :mod:`.charmodel_lstm`, :mod:`.charmodel_gru`, :mod:`.textmodel` (the text engine).

Every kernel module is imported here (a stale disk cache, see
:data:`._jit.SOURCES_DIGEST`, is removed for all of them at once in any case).
"""
from . import (activations, charmodel, charmodel_gru, charmodel_lstm, gru, intrinsics, layout, lstm, products, rnn,
               simd, textmodel, tuning)

__all__ = ["activations", "charmodel", "charmodel_gru", "charmodel_lstm", "gru", "intrinsics", "layout", "lstm",
           "products", "rnn", "simd", "textmodel", "tuning"]
