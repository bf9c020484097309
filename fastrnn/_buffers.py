"""Reusable work buffers for the kernels' scratch space.

Fresh memory costs page faults (about 3 us per 4 KiB page on the CI
machine): at the medium shape a backward pass that allocated its scratch
anew spent more time faulting pages in than computing.  Scratch that does
not outlive a call (the time-major copy of ``da`` that the backward kernels
turn into the pre-activation gradient) comes from here instead: one buffer
per name, dtype and thread, grown as needed and kept.  Nothing returned to
the caller or kept in a cache lives here.
"""
import math
import threading

import numpy as np

_local = threading.local()
#: Requests from this many bytes on come from the pool.
POOLED_MIN = 64 * 1024


def scratch(name, shape, dtype):
    """A C-contiguous array of ``shape`` and ``dtype`` (a numpy dtype) with undefined contents.

    Valid until the next ``scratch(name, ...)`` in the same thread.  Small
    requests (under ``POOLED_MIN`` bytes, which fault at most a few pages)
    get fresh memory: cheaper than the pool's bookkeeping.
    """
    size = math.prod(shape)
    if size * dtype.itemsize < POOLED_MIN:
        return np.empty(shape, dtype)
    dtype = np.dtype(dtype)
    pool = _local.__dict__.setdefault("pool", {})
    key = (name, dtype)
    buf = pool.get(key)
    if buf is None or buf.size < size:
        buf = pool[key] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


def release():
    """Drop this thread's buffers (they are otherwise kept for reuse)."""
    _local.__dict__.pop("pool", None)
