"""The one decorator every kernel uses."""
import warnings

from numba import njit

_OPTIONS = dict(
    # numpy semantics for division by zero (inf/nan, no exception): this also
    # lets LLVM vectorise loops that divide.
    error_model="numpy",
    # fastmath stays off: it may reorder sums and drop NaN/inf handling.
    fastmath=False,
)


def kernel(func):
    """Compile ``func`` lazily with ``@njit(cache=True)``.

    Numba refuses ``cache=True`` when it finds no writable cache directory
    (a read-only install without ``NUMBA_CACHE_DIR``): the kernel is then
    compiled without an on-disk cache instead of failing at import.
    """
    try:
        return njit(cache=True, **_OPTIONS)(func)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        warnings.warn(
            f"fastrnn: numba cannot cache {func.__name__} ({exc}); compiling it "
            "in memory on first use. Set NUMBA_CACHE_DIR to a writable directory "
            "to keep compiled kernels between runs.",
            RuntimeWarning,
            stacklevel=2,
        )
        return njit(cache=False, **_OPTIONS)(func)
