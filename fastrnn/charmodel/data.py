"""Names and vocabularies: the training data of the char models.

``load_names()`` reads the bundled 1536 dinosaur names as the course reads
them; ``vocabulary(names)`` builds the course's ``char_to_ix, ix_to_char``;
:func:`encode_examples` turns names into the flat integer arrays the
compiled training loops read.
"""
import os
from importlib import resources

import numpy as np

#: The course's vocabulary: newline, then a-z (``char_to_ix["\\n"] == 0``).
COURSE_CHARS = "\n" + "abcdefghijklmnopqrstuvwxyz"


def load_names():
    """The course's 1536 dinosaur names (bundled ``dinos.txt``), lowercased as the course reads them.

    The course's ``data.split("\\n")`` after ``data = open("dinos.txt").read().lower()``.
    """
    return resources.files("fastrnn").joinpath("data/dinos.txt").read_text(encoding="utf-8").lower().split("\n")


def vocabulary(names):
    """``char_to_ix, ix_to_char`` as the course builds them: sorted characters, newline first."""
    chars = sorted(set("\n".join(names).lower()) | {"\n"})
    return {ch: i for i, ch in enumerate(chars)}, {i: ch for i, ch in enumerate(chars)}


def vocabulary_of(chars):
    """``char_to_ix, ix_to_char`` for the characters of ``chars`` in that order."""
    return {ch: i for i, ch in enumerate(chars)}, dict(enumerate(chars))


def read_names(data_x):
    """The examples of ``data_x``: a list of names, or a path to a text file of one name per line."""
    if isinstance(data_x, (str, os.PathLike)) and (isinstance(data_x, os.PathLike) or "\n" not in data_x):
        with open(data_x, encoding="utf-8") as f:
            data_x = f.read().lower().split("\n")
    elif isinstance(data_x, str):
        data_x = data_x.split("\n")
    return list(data_x)


def encode_examples(examples, char_to_ix, vocab_size):
    """``codes`` (all characters' indices, int64), ``starts`` (where each example
    begins, plus the end) and the newline's index."""
    if not examples:
        raise ValueError("no training examples: the data is empty")
    if "\n" not in char_to_ix:
        raise KeyError("char_to_ix has no entry for the newline character '\\n'")
    codes, starts = [], [0]
    for name in examples:
        for c in name:
            if c not in char_to_ix:
                raise KeyError(f"character {c!r} of example {name!r} is not in char_to_ix")
            codes.append(char_to_ix[c])
        starts.append(len(codes))
    codes = np.array(codes, np.int64)
    if max(codes.max(initial=0), char_to_ix["\n"]) >= vocab_size or codes.min(initial=0) < 0:
        raise ValueError(f"char_to_ix maps characters outside the model's vocabulary 0..{vocab_size - 1}")
    return codes, np.array(starts, np.int64), char_to_ix["\n"]
