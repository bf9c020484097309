"""The batch split: the one place where fastrnn uses threads of its own.

The rows of a batch are independent sequences, so the time loop of a large
batch can run as parts of the batch on several threads at once, each part
through every step, with no synchronisation between steps.  A call splits
its batch when :func:`parts` says so: the calling thread runs the first part,
worker threads the others (a pool of ``get_num_threads() - 1`` threads,
started on first use; idle workers block, they do not spin).  The kernels
release the GIL.  Each part makes its per-step products in blocks small
enough for OpenBLAS to run them on the thread that calls it, so no BLAS
thread pool is involved in the time loop (products that span the whole
batch, such as the weight gradients, still go to OpenBLAS's pool after the
parts join).

The parts compute every value as the whole batch does, except that the
products which the whole batch makes once for all steps (input and output
projections, ``dx``) are made step by step, and OpenBLAS may round a
product of fewer rows differently (the tests allow 1e-12).

The thresholds (SPLIT_MIN_MACS, PRODUCT_ROWS_MIN, PART_ROWS_MIN) are in
:mod:`fastrnn._kernels.tuning`.  Each model's ``_run_forward`` and
``_run_backward`` (:mod:`fastrnn.rnn`, :mod:`fastrnn.lstm`) allocate their
own outputs and choose between the whole-batch entry kernel and
:func:`run_parts` in three lines of their own rather than through a shared
helper: at the notebook shape a pass takes a few microseconds, and a
further Python call on that path is a measurable part of it.

``FASTRNN_NUM_THREADS`` (read at import) or :func:`set_num_threads` sets the
number of threads; 1 turns the split off.  The default is the number of
cores this process may run on.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from ._kernels.tuning import CALLER_THREAD_MACS, PART_ROWS_MIN, PRODUCT_ROWS_MIN, SPLIT_MIN_MACS

def _threads_from_environment():
    value = os.environ.get("FASTRNN_NUM_THREADS", "").strip()
    if not value:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"FASTRNN_NUM_THREADS must be a whole number of threads >= 1, got {value!r}")
    return count


_threads = _threads_from_environment()
_pool = None
_pool_lock = threading.Lock()


def get_num_threads():
    """The number of threads a split batch runs on (1: no split)."""
    return _threads


def set_num_threads(n):
    """Run a split batch on ``n`` threads (the calling one and ``n - 1``
    workers); 1 turns the split off.  Returns the previous number."""
    global _threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    previous, _threads = _threads, n
    return previous


def _workers():
    """The worker pool for the current number of threads (made on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers != _threads - 1:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(_threads - 1, thread_name_prefix="fastrnn")
        return _pool


def _forget_pool():  # a forked child has the pool object but not its threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def parts(m, macs, row_product):
    """How many parts to split a batch of ``m`` rows into (1: no split).

    ``macs`` is the call's multiply-adds in its time loop, ``row_product``
    the multiply-adds of the largest per-step product for one batch row.
    """
    if _threads < 2 or macs < SPLIT_MIN_MACS:
        return 1
    count = min(_threads, m // PART_ROWS_MIN)
    if count < 2 or min(PRODUCT_ROWS_MIN, -(-m // count)) * row_product > CALLER_THREAD_MACS:
        return 1
    return count


def run_parts(kernel, args, m, count):
    """``kernel(*args, lo, hi)`` for ``count`` parts ``lo:hi`` of ``range(m)``,
    at once on as many threads.  Returns the first part's result."""
    bounds = [(m * k // count, m * (k + 1) // count) for k in range(count)]
    pool = _workers()
    futures = [pool.submit(kernel, *args, lo, hi) for lo, hi in bounds[1:]]
    try:
        result = kernel(*args, *bounds[0])
    finally:
        wait(futures)  # every part, even if this thread's failed
    for future in futures:
        future.result()  # raises a worker's exception
    return result
