"""Saving and loading a trained char model: its cell, parameters and vocabulary in one ``.npz``."""
from collections import namedtuple

import numpy as np

from . import lstm, rnn

#: What :func:`load_parameters` returns.
Saved = namedtuple("Saved", "cell parameters chars")


def save_parameters(path, cell, parameters, chars):
    """Save a char model's ``parameters`` with its ``cell`` ("rnn"/"lstm") and vocabulary ``chars``."""
    np.savez(path, __cell__=np.array(cell), __chars__=np.array(chars),
             **{k: np.asarray(v) for k, v in parameters.items()})


def load_parameters(path):
    """Read what :func:`save_parameters` wrote; returns ``Saved(cell, parameters, chars)``.

    Raises ValueError for a file that is not such a save.
    """
    try:
        with np.load(path, allow_pickle=False) as f:
            cell, chars = str(f["__cell__"]), str(f["__chars__"])
            parameters = {k: f[k] for k in f.files if not k.startswith("__")}
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"cannot load char model parameters from {path}: {exc}") from None
    keys = {"rnn": rnn.PARAMETERS, "lstm": lstm.PARAMETERS}.get(cell)
    if keys is None or set(keys) - set(parameters):
        raise ValueError(f"{path} is not a fastrnn char model save (cell {cell!r}, keys {sorted(parameters)})")
    if "\n" not in chars:
        raise ValueError(f"{path}: the saved vocabulary has no newline")
    return Saved(cell, parameters, chars)
