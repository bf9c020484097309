"""Checkpoints that resume exactly: parameters, optimizer state, step, data position, states,
the dropout generator, the vocabulary and the text's fingerprint, in one ``.npz``.

Written atomically (a temporary file in the same folder, renamed over the
target), so an interruption never leaves a half-written checkpoint.
"""
import json
import zipfile

import numpy as np

from ..charmodel.saving import npz_path, save_npz
from .data import TextError
from .model import RESUME_KEYS, TextModel


def save(model, path):
    """Write ``model``'s checkpoint to ``path`` (``.npz`` added if missing); returns the path."""
    return save_npz(npz_path(path), __meta__=np.array(json.dumps(model.meta())), **model.arrays())


def read(path):
    """``(meta, arrays)`` of a checkpoint; TextError for a file that is not one."""
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["__meta__"]))
            arrays = {k: f[k] for k in f.files if k != "__meta__"}
    except FileNotFoundError:
        raise TextError(f"no such checkpoint: {path}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
        raise TextError(f"{path} is not a fastrnn text checkpoint") from None
    if meta.get("format") != 1 or "config" not in meta:
        raise TextError(f"{path} is not a fastrnn text checkpoint")
    return meta, arrays


def resume(path, corpus, config=None):
    """A :class:`TextModel` in the state ``path`` saved, on ``corpus`` (which must be the same
    text); ``config``, if given, must not differ from the saved settings of RESUME_KEYS."""
    meta, arrays = read(path)
    saved = meta["config"]
    if config:
        different = [f"{k} {config[k]!r} (saved: {saved[k]!r})" for k in RESUME_KEYS
                     if k in config and config[k] is not None and config[k] != saved[k]]
        if different:
            raise TextError(f"--resume {path} was trained with other settings: {', '.join(different)}")
    if corpus.chars != meta["chars"]:
        raise TextError(f"--resume {path}: the text's vocabulary differs from the saved one "
                        f"({len(corpus.chars)} vs {len(meta['chars'])} characters)")
    if corpus.fingerprint != meta["fingerprint"]:
        raise TextError(f"--resume {path}: this is not the text the checkpoint was trained on "
                        f"({len(corpus.codes)} vs {meta['length']} characters, or other contents)")
    model = TextModel(corpus, **saved)
    model.restore(meta, arrays)
    return model


def for_sampling(path):
    """``(model, meta)`` of a checkpoint for sampling: the model over a stand-in text of its vocabulary."""
    from .data import Corpus

    meta, arrays = read(path)
    c = meta["config"]
    chars, f = meta["chars"], c["val_fraction"]
    length = int((c["batch"] * c["seq"] + 2) / (1 - f)) + (int((c["batch"] + 2) / f) if f > 0 else 0) + 8
    corpus = Corpus(np.resize(np.arange(len(chars), dtype=np.uint16), length), chars, f)
    model = TextModel(corpus, **c)
    model.restore(meta, arrays)
    return model, meta
