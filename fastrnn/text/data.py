"""A text as a compact integer array: vocabulary, encoding, the training and validation parts.

A UTF-8 file is read in blocks (never a Python object per character): a
first pass collects the characters, a second writes each character's index
in the sorted vocabulary into an array of one byte per character (two when
the vocabulary has more than 256 characters).  The last ``val_fraction`` of
the text is the validation part.
"""
import codecs
import hashlib
import os

import numpy as np

BLOCK = 1 << 24  # bytes read at a time


class TextError(ValueError):
    """A text or a vocabulary that cannot be used (the CLI prints it and exits 2)."""


def _blocks(path):
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        first = True
        while True:
            data = f.read(BLOCK)
            if first and b"\x00" in data[:8192]:
                raise TextError(f"{path} looks like a binary file (it holds NUL bytes), not UTF-8 text")
            first = False
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                raise TextError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start} of a block)") from None
            if text:
                yield np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            if not data:
                return


def read_text(path, chars=None):
    """``(codes, chars)`` of the UTF-8 file ``path``: ``chars`` the sorted vocabulary (or the
    given one: a character outside it is an error), ``codes`` each character's index in it."""
    if not os.path.isfile(path):
        raise TextError(f"no such file: {path}" if not os.path.exists(path) else f"{path} is not a file")
    if chars is None:
        seen = np.zeros(0, np.uint32)
        for block in _blocks(path):
            seen = np.union1d(seen, np.unique(block))
        if seen.size == 0:
            raise TextError(f"{path} is empty")
        chars = "".join(map(chr, seen))
    vocab = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)
    dtype = np.uint8 if len(chars) <= 256 else np.uint16 if len(chars) <= 65536 else np.int32
    parts = []
    for block in _blocks(path):
        index = np.searchsorted(vocab, block)
        index[index == len(vocab)] = 0
        bad = vocab[index] != block
        if bad.any():
            char = chr(int(block[np.argmax(bad)]))
            raise TextError(f"{path} holds {char!r}, which is not in the model's vocabulary of {len(chars)} "
                            "characters")
        parts.append(index.astype(dtype))
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype)
    if codes.size == 0:
        raise TextError(f"{path} is empty")
    return codes, chars


def fingerprint(codes):
    """A short digest of an encoded text (a checkpoint refuses to resume on another text)."""
    return hashlib.blake2b(np.ascontiguousarray(codes).tobytes(), digest_size=8).hexdigest()


class Corpus:
    """An encoded text split into a training part and the last ``val_fraction`` for validation.

    ``codes`` (integers), ``chars`` (the vocabulary, sorted), ``train``,
    ``valid`` (views of ``codes``), ``fingerprint``.
    """

    def __init__(self, codes, chars, val_fraction=0.05, source=""):
        if not 0.0 <= val_fraction < 1.0:
            raise TextError(f"the validation fraction must be in [0, 1), got {val_fraction}")
        self.codes, self.chars, self.source = codes, chars, source
        cut = len(codes) - int(round(len(codes) * val_fraction))
        self.train, self.valid = codes[:cut], codes[cut:]
        self.val_fraction = val_fraction
        self.fingerprint = fingerprint(codes)

    @classmethod
    def from_file(cls, path, val_fraction=0.05, chars=None):
        codes, chars = read_text(path, chars)
        return cls(codes, chars, val_fraction, source=str(path))

    @classmethod
    def from_string(cls, text, val_fraction=0.05, chars=None):
        chars = chars if chars is not None else "".join(sorted(set(text)))
        index = {c: k for k, c in enumerate(chars)}
        missing = [c for c in set(text) if c not in index]
        if missing:
            raise TextError(f"the text holds {missing[0]!r}, which is not in the vocabulary")
        if not text:
            raise TextError("the text is empty")
        return cls(np.array([index[c] for c in text], np.uint8 if len(chars) <= 256 else np.uint16), chars,
                   val_fraction, source="<string>")

    def encode(self, text):
        """Codes of ``text`` (a character outside the vocabulary is a TextError naming it)."""
        index = {c: k for k, c in enumerate(self.chars)}
        for c in text:
            if c not in index:
                raise TextError(f"{c!r} is not in the model's vocabulary of {len(self.chars)} characters")
        return np.array([index[c] for c in text], np.int64)

    def decode(self, codes):
        return "".join(self.chars[int(k)] for k in codes)


def demo_corpus_path(folder, megabytes=2.0):
    """Write (once) and return a demonstration corpus that needs no download: the Python
    standard library's own ``.py`` files, in sorted order, concatenated up to ``megabytes``."""
    import sysconfig

    target = os.path.join(folder, f"python-stdlib-{megabytes:g}MB.txt")
    if os.path.exists(target):
        return target
    stdlib = sysconfig.get_paths()["stdlib"]
    limit = int(megabytes * (1 << 20))
    written = 0
    temporary = target + f".{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        for name in sorted(os.listdir(stdlib)):
            if not name.endswith(".py") or written >= limit:
                continue
            try:
                with open(os.path.join(stdlib, name), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            text = "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)  # ASCII: a small vocabulary
            text = text[:limit - written]
            out.write(text)
            written += len(text)
    os.replace(temporary, target)
    return target
