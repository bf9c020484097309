"""The first run: kernels compile in a background process while the course's numpy code answers.

Compiling the step-by-step kernels takes seconds; loading them from numba's
disk cache takes a fraction of that.  So that a notebook's first run is
never slower than the numpy code it replaces, the first call of a sequence
or cell function whose kernels this process has not loaded:

- when they are in the disk cache (a marker file the compiling process
  writes says so), loads them in a thread of this process;
- otherwise starts one background process (:func:`compile_step_kernels`)
  that compiles them into the disk cache, once per machine and dtype, and
  loads them here when it has finished;

and meanwhile answers with the course's numpy code
(:mod:`fastrnn._fallback`), after fastrnn's own input checks.  Later calls
use the kernels as soon as they are loaded.  The background process
finishes on its own (it outlives a short script, so that the next run starts
warm); numba writes the cache files atomically.

``FASTRNN_BACKGROUND=0`` or :func:`set_background_compile` (False) turns
this off: the first call then compiles in the calling thread, after one line
on stderr.  :func:`fastrnn.warmup` compiles everything eagerly either way.
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np

from ._kernels import _cache, _jit

#: The entry kernels compiled in the background: those of every sequence and cell function.
STEP_ENTRIES = ("rnn_forward_entry", "rnn_backward_entry", "lstm_forward_entry", "lstm_backward_entry",
                "gru_forward_entry", "gru_backward_entry")
MARKER = "fastrnn-step-kernels-{dtype}.ready"

_enabled = os.environ.get("FASTRNN_BACKGROUND", "1").strip().lower() not in ("0", "off", "false", "no")
_lock = threading.Lock()
_workers = {}  # dtype -> Popen of the compiling process
_loaders = {}  # dtype -> thread loading the kernels from the disk cache
_said = set()


def set_background_compile(enabled):
    """Turn the background compile on or off for this process; returns the previous setting."""
    global _enabled
    previous, _enabled = _enabled, bool(enabled)
    return previous


def _entries():
    from ._kernels import gru, lstm, rnn

    return [getattr(module, name) for module in (rnn, lstm, gru) for name in STEP_ENTRIES
            if name.startswith(module.__name__.rsplit(".", 1)[1] + "_")]


def _marker_paths(dtype):
    chosen = _cache.places(_jit.SOURCES_DIGEST)
    return [os.path.join(path, MARKER.format(dtype=dtype)) for path in chosen.read]


def cached(dtype):
    """Whether the step kernels of ``dtype`` are in the disk cache (a finished compile left its marker)."""
    for path in _marker_paths(dtype):
        try:
            with open(path) as f:
                if f.read().strip() == _jit.SOURCES_DIGEST:
                    return True
        except OSError:
            pass
    return False


def _say(text):
    if text not in _said:
        _said.add(text)
        print(f"fastrnn: {text}", file=sys.stderr, flush=True)


def before_compile(entry, dtype):
    """:data:`fastrnn._kernels._jit.EntryKernel` hook: return to compile or load
    ``entry`` for ``dtype`` in this thread now, or raise NotReady (the caller
    answers with numpy)."""
    if not _enabled or entry.__name__ not in STEP_ENTRIES:
        return
    if threading.current_thread() is _loaders.get(dtype):
        return  # the loader itself
    loader = _loader(dtype)
    if loader is not None and loader.is_alive():
        raise _jit.NotReady
    # loaded, the loader failed on this entry, or the background compile failed: finish here


def _loader(dtype):
    """The thread that loads the step kernels of ``dtype`` into this process, started once
    they are in the disk cache; raises NotReady while the background compile (started here
    on the first call) runs; None when this thread should compile them instead."""
    with _lock:
        loader = _loaders.get(dtype)
        if loader is not None:
            return loader
        worker = _workers.get(dtype)
        if not cached(dtype):
            if worker is None:
                try:
                    _workers[dtype] = _start_worker(dtype)
                except OSError:  # no way to start a process here: compile in this thread
                    set_background_compile(False)
                    return None
                _say(f"compiling the step-by-step kernels ({dtype}) in the background, once per machine; "
                     "until they are ready the course's numpy code answers")
                raise _jit.NotReady
            if worker.poll() is None:
                raise _jit.NotReady
            if worker.returncode != 0 or not cached(dtype):
                return None  # the background compile failed: compile here
        loader = _loaders[dtype] = threading.Thread(target=_load, args=(dtype,), daemon=True,
                                                    name=f"fastrnn-load-{dtype}")
        loader.start()
        return loader


def _load(dtype):
    for entry in _entries():
        try:
            entry[np.dtype(dtype)]
        except Exception:  # the caller's thread compiles it then, and reports any error
            pass


def _start_worker(dtype):
    return compile_elsewhere(f"from fastrnn._background import compile_step_kernels; "
                             f"compile_step_kernels({str(dtype)!r})")


def answered_by_numpy():
    """:mod:`fastrnn._fallback` (imported on first use: it imports the course's code), which
    answers the public functions' calls while their kernels are not ready."""
    from . import _fallback

    return _fallback


def compile_elsewhere(code):
    """Run ``code`` (Python that calls kernels, filling the disk cache) in a background
    process now, so that it compiles on another core while this process compiles something
    else.  Returns the process (it finishes on its own)."""
    env = dict(os.environ, FASTRNN_BACKGROUND="0")
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait(timeout=None):
    """Wait until every background compile and load of this process has finished; returns
    whether all did within ``timeout`` seconds (for tests and scripts that must not exit early)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for worker in list(_workers.values()):
        try:
            worker.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
    for dtype in list(_workers):
        try:
            _loader(dtype)
        except _jit.NotReady:
            pass
    for loader in list(_loaders.values()):
        loader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if loader.is_alive():
            return False
    return True


def compile_step_kernels(dtype):
    """The background process: compile the step kernels of ``dtype`` into the disk cache, then
    leave the marker (written atomically, in every writable place)."""
    dtype = np.dtype(dtype)
    for entry in _entries():
        entry[dtype]
    chosen = _cache.places(_jit.SOURCES_DIGEST)
    if chosen.write:
        path = os.path.join(chosen.write, MARKER.format(dtype=dtype))
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as f:
            f.write(_jit.SOURCES_DIGEST + "\n")
        os.replace(temporary, path)


_jit.EntryKernel.before_compile = staticmethod(before_compile)
