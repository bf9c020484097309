"""Reusable work buffers for the kernels' scratch space.

Fresh memory costs page faults: at the medium shape a backward pass that
allocated its scratch anew spent more time faulting pages in than
computing (docs/performance.md).  Large scratch that
does not outlive a call (the time-major copy of ``da`` that the backward
kernels turn into the pre-activation gradient) comes from here instead: one
buffer per name, dtype and thread, grown as needed and kept; small scratch
the kernels allocate themselves.  Nothing returned to the caller or kept in
a cache lives here.
"""
import threading

import numpy as np

from ._kernels.tuning import POOLED_MIN

_local = threading.local()
#: The placeholder ``work`` hands out for small requests, per dtype (never written).
_NONE = {np.dtype(t): np.empty(0, t) for t in (np.float64, np.float32)}


def work(name, size, dtype, pooled=False):
    """A 1-D work buffer of at least ``size`` elements of ``dtype`` (a numpy dtype), contents undefined.

    Large requests (from ``POOLED_MIN`` bytes) get this thread's buffer for
    ``name``, grown as needed and kept: valid until the next
    ``work(name, ...)`` in the same thread.  Smaller ones get a shared empty
    array instead: the kernels then allocate the memory themselves
    (:func:`fastrnn._kernels.layout.work_array`), which costs less than an
    allocation here (fresh small blocks fault at most a few pages).
    ``pooled``: from the pool whatever the size (scratch that several
    kernel calls share).
    """
    if size * dtype.itemsize < POOLED_MIN and not pooled:
        return _NONE[dtype]
    pool = _local.__dict__.setdefault("pool", {})
    key = (name, dtype)
    buf = pool.get(key)
    if buf is None or buf.size < size:
        buf = pool[key] = np.empty(size, dtype)
    return buf


def release():
    """Drop this thread's buffers (they are otherwise kept for reuse)."""
    _local.__dict__.pop("pool", None)
