"""fastrnn's numba disk cache: where compiled kernels live, and loading that never breaks a call.

numba's own cache (``cache=True``) has three gaps that this module closes,
built on numba's cache classes (``numba.core.caching``: the one place
fastrnn depends on them):

- **Stale code.** numba checks a cached function only against its own source
  file, not the files of the functions it calls.  A stamp file in the cache
  directory holds :data:`SOURCES_DIGEST` (every kernel source and the
  ``FASTRNN_SIMD`` switch); when it differs, the cache files of every kernel
  module are deleted once, loaded or not, before anything loads.
- **Damaged files.** A truncated, emptied or foreign ``.nbi``/``.nbc`` file
  makes numba raise on every later run.  Here a load that fails, or that
  returns another function or signature, counts as a miss: the entry is
  deleted (where the directory is writable), the kernel compiles again, and
  one line of warning says so.
- **Read-only caches.** numba uses a cache directory only if it can write
  there.  Here a read-only directory (a shared install, a notebook image)
  whose stamp matches is read as it is; kernels missing from it compile and
  are saved in a writable per-user directory, with one line of warning.

Where: ``NUMBA_CACHE_DIR`` if set, else ``__pycache__`` beside the kernel
sources (numba's own choice); the per-user fallback is numba's user-wide
cache directory, or a directory in the system's temporary directory.
Writes are atomic (numba writes a temporary file and renames it).
"""
import hashlib
import os
import tempfile
import threading
import warnings
from pathlib import Path

from numba.core import caching, config, sigutils
from numba.misc.appdirs import AppDirs

#: The kernel sources (every module of this package).
_SOURCES = sorted(Path(__file__).parent.glob("*.py"))
#: Module names whose cache files (``<module>.<function>-<line>.py<version>.nbi/.nbc``) are ours.
KERNEL_MODULES = frozenset(p.stem for p in _SOURCES)
STAMP_NAME = "fastrnn-kernels.sha256"


def sources_digest(simd_enabled):
    """Digest of every kernel source file and of the vector-code switch."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in _SOURCES) + b"simd=%d" % simd_enabled).hexdigest()


def remove_cache_files(path, modules=KERNEL_MODULES, prefix=None):
    """Delete numba's index and data files of the kernels of ``modules`` in ``path``
    (only those of one function if ``prefix``, its file name base, is given)."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        if not name.endswith((".nbi", ".nbc")):
            continue
        if (name.startswith(prefix + ".") if prefix else name.split(".", 1)[0] in modules):
            try:
                os.remove(os.path.join(path, name))
            except OSError:
                pass  # removed by a concurrent process, or not ours to remove


def writable(path):
    """Whether ``path`` exists or can be made, and a file can be written there."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def stamp_matches(path, digest):
    """Whether ``path`` holds a stamp file with ``digest``."""
    try:
        with open(os.path.join(path, STAMP_NAME)) as f:
            return f.read().strip() == digest
    except OSError:
        return False


def refresh_stamp(path, digest):
    """Make the writable cache directory ``path`` current: if its stamp is not
    ``digest``, delete every kernel module's cache files there and write the
    stamp (atomically).  Returns whether it was stale."""
    if stamp_matches(path, digest):
        return False
    remove_cache_files(path)
    stamp = os.path.join(path, STAMP_NAME)
    temporary = f"{stamp}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w") as f:
            f.write(digest + "\n")
        os.replace(temporary, stamp)
    except OSError:
        pass  # a concurrent process, or a directory that stopped being writable
    return True


class Places:
    """Where this process loads kernels from (``read``, in order) and saves them (``write``, or None)."""

    def __init__(self, read, write, note):
        self.read, self.write, self.note = read, write, note

    def __repr__(self):
        return f"<cache places read={self.read} write={self.write}>"


def choose_places(primary, fallbacks, digest):
    """Decide the cache directories: ``primary`` (numba's choice) if it can be
    written (made current first); if not, ``primary`` for reading while its
    stamp matches, and the first writable of ``fallbacks`` (made current) for
    the rest.  ``note`` is the one line to warn with when a kernel is saved
    away from ``primary``, or None."""
    if writable(primary):
        refresh_stamp(primary, digest)
        return Places([primary], primary, None)
    read = [primary] if stamp_matches(primary, digest) else []
    for fallback in fallbacks:
        if writable(fallback):
            refresh_stamp(fallback, digest)
            return Places(read + [fallback], fallback,
                          f"the numba cache {primary} cannot be written; kernels that are not "
                          f"in it are compiled and cached in {fallback}")
    return Places(read, None, f"no writable numba cache directory ({primary} and {', '.join(fallbacks)} "
                              "cannot be written): kernels compile in memory in every run; set NUMBA_CACHE_DIR "
                              "to a writable directory to keep them")


_places = None
_places_lock = threading.Lock()


def places(digest):
    """This process's :class:`Places` (decided once, at the first kernel's creation)."""
    global _places
    with _places_lock:
        if _places is None:
            subpath = caching._CacheLocator.get_suitable_cache_subpath(str(_SOURCES[0]))
            if config.CACHE_DIR:
                primary = os.path.join(config.CACHE_DIR, subpath)
            else:
                primary = str(Path(__file__).parent / "__pycache__")
            fallbacks = [os.path.join(AppDirs(appname="numba", appauthor=False).user_cache_dir, subpath),
                         os.path.join(tempfile.gettempdir(), f"fastrnn-numba-{getattr(os, 'getuid', lambda: 0)()}", subpath)]
            _places = choose_places(primary, [f for f in fallbacks if f != primary], digest)
        return _places


_warned = set()


def warn_once(text, key=None):
    """One RuntimeWarning per ``key`` (default: the text) in a process, printed as one line
    (``fastrnn:0: RuntimeWarning: ...``: no source line follows it)."""
    key = text if key is None else key
    if key not in _warned:
        _warned.add(key)
        warnings.warn_explicit(text, RuntimeWarning, "fastrnn", 0, module="fastrnn")


class _KernelLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """numba's source-file locator, pointed at the places chosen here (whether
    or not numba could write there: :class:`KernelCache` decides)."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        chosen = places(_DIGEST[0])
        self._cache_path = chosen.write or (chosen.read[0] if chosen.read else "")

    def get_cache_path(self):
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        return cls(py_func, py_file) if os.path.exists(py_file) else None


class _KernelCacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_KernelLocator]


#: The digest the places are stamped with (set by :func:`configure`).
_DIGEST = [None]


def configure(digest):
    """Set the digest the cache directories are stamped with (before the first kernel)."""
    _DIGEST[0] = digest


class KernelCache(caching.FunctionCache):
    """numba's function cache over :func:`places`: loads from each read
    directory in turn, saves to the write directory, and treats any entry that
    fails to load, or loads as another function or signature, as a miss
    (deleting it where it can)."""

    _impl_class = _KernelCacheImpl

    def __init__(self, py_func):
        super().__init__(py_func)
        chosen = places(_DIGEST[0])
        stamp, base = self._impl.locator.get_source_stamp(), self._impl.filename_base
        self._base = base
        self._read_files = [caching.IndexDataCacheFile(path, base, stamp) for path in chosen.read]
        self._write_file = caching.IndexDataCacheFile(chosen.write, base, stamp) if chosen.write else None
        self._places = chosen

    @property
    def cache_path(self):
        return self._places.write or (self._places.read[0] if self._places.read else None)

    def flush(self):
        if self._write_file is not None:
            self._write_file.flush()

    def _load_overload(self, sig, target_context):
        if not self._enabled:
            return None
        args, _ = sigutils.normalize_signature(sig)
        key = self._index_key(sig, target_context.codegen())
        for cache_file in self._read_files:
            try:
                data = cache_file.load(key)
                if data is None:
                    continue
                cres = self._impl.rebuild(target_context, data)
                if cres.fndesc.qualname != self._py_func.__qualname__ or tuple(cres.signature.args) != tuple(args):
                    raise ValueError(f"the entry holds {cres.fndesc.qualname}{tuple(cres.signature.args)}")
                return cres
            except Exception as exc:  # any damage: a miss, never a failed call
                self._discard(cache_file, exc)
        return None

    def _discard(self, cache_file, exc):
        path = cache_file._cache_path
        if path == self._places.write:
            remove_cache_files(path, prefix=self._base)
        warn_once(f"discarded a damaged numba cache entry ({self._py_func.__name__} in {path}: "
                  f"{type(exc).__name__}: {str(exc)[:80]}); compiling again", key="damaged")

    def _save_overload(self, sig, data):
        if not self._enabled:
            return
        if self._places.note:
            warn_once(self._places.note)
        if self._write_file is None or not self._impl.check_cachable(data):
            return
        key = self._index_key(sig, data.codegen)
        try:
            self._write_file.save(key, self._impl.reduce(data))
        except OSError as exc:  # the directory stopped being writable: keep the compiled kernel in memory
            warn_once(f"cannot write the numba cache {self._places.write} ({exc}); "
                      "kernels compile in memory from now on")
            self._write_file = None
