"""Saving and loading a trained char model: its cell, parameters and vocabulary in one ``.npz``."""
import os
import tempfile
import zipfile
from collections import namedtuple

import numpy as np

from . import gru, lstm, rnn

#: What :func:`load_parameters` returns.
Saved = namedtuple("Saved", "cell parameters chars")
#: The parameter keys and shapes of each cell.
CELLS = {"rnn": rnn.PARAMETERS, "lstm": lstm.PARAMETERS, "gru": gru.PARAMETERS}
_MODULES = {"rnn": rnn, "lstm": lstm, "gru": gru}


def npz_path(path):
    """The file :func:`save_parameters` writes for ``path``: ``path`` itself if it ends in ``.npz``,
    else ``path + ".npz"`` (as ``np.savez`` names it)."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def check_writable(path):
    """Raise OSError unless :func:`save_parameters` can write ``path`` (checked before a long run)."""
    path = npz_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no directory {folder}")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write in {folder}")


def save_npz(target, **arrays):
    """``np.savez(target, **arrays)`` atomically: into a temporary file in the same folder,
    flushed to disk, then renamed over ``target``; on any error or interruption the temporary
    file is removed and an existing ``target`` stays as it was.  Shared with
    :mod:`fastrnn.text.checkpoint`."""
    handle, temporary = tempfile.mkstemp(prefix=os.path.basename(target) + ".", suffix=".tmp",
                                         dir=os.path.dirname(os.path.abspath(target)))
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise
    return target


def save_parameters(path, cell, parameters, chars):
    """Save a char model's ``parameters`` with its ``cell`` ("rnn"/"lstm"/"gru") and vocabulary ``chars``.

    Writes :func:`npz_path` of ``path`` atomically: a temporary file in the
    same folder, renamed over the target once complete, so an interruption
    never leaves a truncated file (an existing file stays as it was).
    Returns the path written.
    """
    return save_npz(npz_path(path), __cell__=np.array(cell), __chars__=np.array(chars),
                    **{k: np.asarray(v) for k, v in parameters.items()})


def load_parameters(path):
    """Read what :func:`save_parameters` wrote; returns ``Saved(cell, parameters, chars)``.

    Raises ValueError, with one line that names the file and the problem, for
    anything that is not such a save: not a zip archive, truncated or
    corrupted, a missing or extra key, parameters of the wrong shape, dtype or
    with nan/inf, a vocabulary that does not match them.
    """
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array (.npy), not a saved model (.npz)")
        with loaded as f:
            cell, chars = str(f["__cell__"]), str(f["__chars__"])
            parameters = {k: f[k] for k in f.files if not k.startswith("__")}
    except FileNotFoundError:
        raise ValueError(f"cannot load {path}: no such file") from None
    except KeyError as exc:
        raise ValueError(f"{path} is not a fastrnn char model save (no {exc} entry)") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeError) as exc:
        raise ValueError(f"cannot load char model parameters from {path}: {type(exc).__name__}: {exc}") from None
    spec = CELLS.get(cell)
    if spec is None:
        raise ValueError(f"{path} is not a fastrnn char model save (cell {cell!r})")
    missing, extra = set(spec) - set(parameters), set(parameters) - set(spec)
    if missing or extra:
        raise ValueError(f"{path} does not hold {cell.upper()} parameters (missing {sorted(missing)}, "
                         f"unexpected {sorted(extra)})")
    for key, arr in parameters.items():
        if arr.dtype.kind != "f":
            raise ValueError(f"{path}: parameters[{key!r}] must hold floats, got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(f"{path}: parameters[{key!r}] must be 2-D, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{path}: parameters[{key!r}] holds nan or inf values")
    try:
        _, n_a, n_x, n_y = _MODULES[cell].check_parameters(parameters)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    if "\n" not in chars:
        raise ValueError(f"{path}: the saved vocabulary has no newline")
    if len(chars) != n_x or len(chars) != n_y or len(set(chars)) != len(chars):
        raise ValueError(f"{path}: the saved vocabulary has {len(chars)} characters but the parameters "
                         f"take n_x = {n_x} and give n_y = {n_y}")
    return Saved(cell, parameters, chars)
