"""How kernels compile: the decorators every kernel uses (:func:`kernel` and its
variants, :func:`entry_kernel` for the API's entry points), the guard against
stale disk caches, the vector-code switch and the loading of SciPy's BLAS."""
import contextlib
import os
import sys
import threading

import numpy as np
from numba import from_dtype, njit, types

from . import _cache
from .tuning import OPENBLAS_THREAD_TIMEOUT

#: False when ``FASTRNN_SIMD`` is ``0`` (or ``off``, ``false``, ``no``) at
#: import: :mod:`.simd` then compiles plain loops instead of its vector code
#: (for CPUs or LLVM versions where the vector code misbehaves, and to test
#: the plain paths).  Part of :data:`SOURCES_DIGEST`.
SIMD_ENABLED = os.environ.get("FASTRNN_SIMD", "1").strip().lower() not in ("0", "off", "false", "no")

_OPTIONS = dict(
    # numpy semantics for division by zero (inf/nan, no exception): this also
    # lets LLVM vectorise loops that divide.
    error_model="numpy",
    # fastmath stays off: it may reorder sums and drop NaN/inf handling.
    fastmath=False,
)

#: Digest of every kernel source file and of the vector-code switch: the
#: stamp of the cache directories (see :mod:`._cache`).
SOURCES_DIGEST = _cache.sources_digest(SIMD_ENABLED)
_cache.configure(SOURCES_DIGEST)


class NotReady(Exception):
    """An entry kernel is being compiled or loaded in the background: the
    caller answers this call with the course's numpy code (:mod:`fastrnn._fallback`)."""


@contextlib.contextmanager
def notice_if_slow(text, after=1.0):
    """Print ``fastrnn: <text>`` on stderr if the block is still running after
    ``after`` seconds (a compile), so that no slow first call is silent."""
    timer = threading.Timer(after, lambda: print(f"fastrnn: {text}", file=sys.stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _compile(func, options):
    """``njit(**options)(func)`` with fastrnn's disk cache (:class:`._cache.KernelCache`).

    Compiles lazily, on first use.  Without a usable source file (a frozen
    application) the kernel compiles in memory, with one line of warning.
    """
    dispatcher = njit(cache=False, **options)(func)
    try:
        dispatcher._cache = _cache.KernelCache(func)
    except Exception as exc:  # no source file to stamp the cache with
        _cache.warn_once(f"numba cannot cache the kernels ({exc}); they compile in memory on first use",
                         key="no cache")
    return dispatcher


def kernel(func):
    """Compile ``func`` lazily with ``@njit(cache=True)`` and the options above."""
    return _compile(func, _OPTIONS)


def threaded_kernel(func):
    """:func:`kernel` that releases the GIL: for the parts of a split batch, which
    :mod:`fastrnn._threads` runs on several threads at once."""
    return _compile(func, dict(_OPTIONS, nogil=True))


def one_variant(dispatcher):
    """``dispatcher`` (a kernel), compiled for the types of the arguments a
    calling kernel passes, not their constant values; as a decorator above
    a kernel decorator.

    numba types a constant argument of a call between compiled functions as
    a literal (``Literal[bool](False)``) and compiles the callee once more
    for each pattern of constants its callers pass (for ``gemm``, a dozen).
    Here the call is typed with plain types, and the one compiled variant
    takes the constants: less compiling for helpers that are large or
    called with many patterns.  (numba's ``get_call_template``, wrapped; a
    numba version without it compiles as numba does by default.)
    """
    original = getattr(dispatcher, "get_call_template", None)
    if original is not None:
        def get_call_template(args, kws):
            return original(tuple(types.unliteral(a) for a in args), {k: types.unliteral(v) for k, v in kws.items()})
        dispatcher.get_call_template = get_call_template
    return dispatcher


def one_variant_kernel(func):
    """:func:`kernel` and :func:`one_variant`."""
    return one_variant(kernel(func))


def inlined_kernel(func):
    """:func:`kernel`, compiled into each caller (numba's IR inlining) rather
    than called: a call between compiled functions updates the reference
    count of every array argument on the way in and out (atomic
    instructions), which costs more than the small bodies themselves at the
    notebook shapes.  For the bodies of entry kernels and small helpers
    called per row or per step."""
    return _compile(func, dict(_OPTIONS, inline="always"))


def reassociating_kernel(func):
    """:func:`kernel`, but LLVM may reassociate floating-point sums (fastmath
    ``reassoc`` only: NaN and inf keep their meaning), so that reductions such
    as dot products vectorise.  For small helpers whose sums may round
    differently from a sequential loop."""
    return _compile(func, dict(_OPTIONS, fastmath={"reassoc", "contract"}))


def contracting_kernel(func):
    """:func:`kernel` with fused multiply-adds (fastmath ``contract`` only)."""
    return _compile(func, dict(_OPTIONS, fastmath={"contract"}))


#: The dtypes entry kernels compile for.
ENTRY_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


class EntryKernel(dict):
    """A kernel the API calls with the caller's arrays as they are.

    ``entry[dtype]`` is the kernel compiled for one signature only: every
    argument a C-contiguous, writeable array of ``dtype`` (float64 or
    float32) with the number of dimensions given to :func:`entry_kernel`
    (or of the numba type given there instead, e.g. ``int64[::1]``).
    Arguments of any other type (a Fortran-ordered, read-only, strided,
    integer or mixed-dtype array) raise TypeError instead of compiling a
    variant: the API tries the kernel first and checks and converts only
    when that fails.  Entry kernels check that the shapes fit together and
    return False when they do not, without writing anything; the API then
    reports what is wrong.  (A dict from dtype to the compiled kernel: the
    lookup of a compiled one costs a dict lookup, not a Python call.  Each
    dtype has a dispatcher of its own, made under a lock.)
    """

    #: Called as ``before_compile(entry, dtype)`` before a dtype's first
    #: compile or load; may raise NotReady (set by :mod:`fastrnn._background`).
    before_compile = None

    def __init__(self, func, args, options):
        super().__init__()
        self.py_func, self.args, self.options = func, args, options
        self.__doc__, self.__name__ = func.__doc__, func.__name__
        self._lock = threading.Lock()

    def signature(self, dtype):
        """The one signature the kernel compiles for with ``dtype``."""
        array = from_dtype(np.dtype(dtype))
        return tuple(types.Array(array, arg, "C") if isinstance(arg, int) else arg for arg in self.args)

    def __missing__(self, dtype):
        if dtype not in ENTRY_DTYPES:
            raise TypeError(f"{self.__name__} has no variant for dtype {dtype}")
        if self.before_compile is not None:
            self.before_compile(self, np.dtype(dtype))
        load_blas()
        with self._lock:
            dispatcher = self.get(np.dtype(dtype))  # another thread may have made it meanwhile
            if dispatcher is None:
                # A dispatcher of its own per dtype, published only once it
                # can compile nothing more: a call from another thread never
                # finds compiling switched on (it would compile a variant for
                # its arguments, or fail half-way).
                dispatcher = _compile(self.py_func, self.options)
                with notice_if_slow(f"compiling {self.__name__} ({np.dtype(dtype)}); once per machine, later "
                                    "runs load it from the disk cache"):
                    dispatcher.compile(self.signature(dtype))
                dispatcher.disable_compile(True)
                self[np.dtype(dtype)] = dispatcher
        return dispatcher

    def __repr__(self):
        return f"<EntryKernel {self.__name__} compiled for {[str(d) for d in self]}>"


def entry_kernel(*args, nogil=False):
    """Make an :class:`EntryKernel` of a function; ``args`` gives each argument's
    type: an int for an array of the entry's dtype with that many dimensions,
    else a numba type.  ``nogil``: the compiled function releases the GIL (for
    the kernels that :mod:`fastrnn._threads` runs on several threads)."""
    return lambda func: EntryKernel(func, args, dict(_OPTIONS, nogil=True) if nogil else _OPTIONS)


_blas_loaded = False


def load_blas():
    """Load SciPy's BLAS (which the kernels call) with its idle threads' spin shortened.

    OpenBLAS threads spin for 2**28 cycles (about 0.1 s) after each call,
    taking a core from the user's own numpy code (whose OpenBLAS is another
    library with threads of its own).  OpenBLAS reads
    ``OPENBLAS_THREAD_TIMEOUT`` once, when the library loads: this sets it to
    :data:`~.tuning.OPENBLAS_THREAD_TIMEOUT` (unless the user set it), loads
    SciPy's BLAS, and puts the environment back as it was, so the process
    environment is unchanged.  Called before the first entry kernel and
    char model kernel runs; does nothing if SciPy's BLAS is loaded already
    (then the user's setting, or OpenBLAS's default, stays in force).
    """
    global _blas_loaded
    if _blas_loaded:
        return
    _blas_loaded = True
    if "scipy.linalg" in sys.modules or "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(OPENBLAS_THREAD_TIMEOUT)
    try:
        import scipy.linalg.cython_blas  # noqa: F401  (loads the library)
    except ImportError:  # the kernels' first BLAS call reports it
        pass
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
