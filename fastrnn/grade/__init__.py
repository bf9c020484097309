"""Check a learner's own course functions against fastrnn's, and name what is wrong.

From a notebook cell::

    import fastrnn.grade
    fastrnn.grade.check(rnn_cell_backward)   # one function, a dict of them, or globals()

From a shell: ``python -m fastrnn grade notebook.ipynb`` (or a ``.py`` file,
or a notebook's text dump).  Both print one block per function: PASS, or the
first wrong output, the case that shows it, expected and got, and the
likely cause.  The command line reads the file with :mod:`ast` (nothing but
the imports and function definitions runs) and grades each function in a
process of its own with a time limit (:mod:`.runner`); :func:`check` grades
the live functions in this process.  The checks are in :mod:`.checks`, the
cases and known mistakes in :mod:`.cases`.
"""
from .report import Report

__all__ = ["check", "grade_file", "Report"]


def check(functions, speed=False):
    """Grade the course functions in ``functions``; returns a :class:`Report` (print it; ``.passed``).

    ``functions``: one function (named as the course's), a dict of them, or
    ``globals()`` (every course name in it is graded).  A wrong, raising or
    printing learner function is reported, never raised; a ``functions``
    with no course function raises ValueError.  ``speed`` also times each
    passing function against fastrnn's.
    """
    from .cases import NAMES
    from .runner import grade_named

    if callable(functions):
        name = getattr(functions, "__name__", "")
        if name not in NAMES:
            raise ValueError(f"check() grades the course's functions ({', '.join(NAMES)}); got a function "
                             f"named {name!r}")
        found = {name: functions}
    elif isinstance(functions, dict):
        found = {k: v for k, v in functions.items() if k in NAMES and callable(v)}
        if not found:
            raise ValueError(f"no course function in the dict; looked for {', '.join(NAMES)}")
    else:
        raise TypeError(f"check() takes a function, a dict of functions or globals(), got {type(functions).__name__}")
    namespace = functions if isinstance(functions, dict) else {}
    results = [grade_named(name, found[name], namespace, speed)[0] for name in NAMES if name in found]
    return Report(results, source="functions given to fastrnn.grade.check")


def grade_file(path, time_limit=None, speed=False):
    """Grade the course functions defined in the notebook or Python file ``path``; returns a :class:`Report`.

    Raises :class:`~.source.SourceError` for a file that cannot be read, or
    that defines none of the course's functions.
    """
    from .cases import NAMES
    from .runner import TIME_LIMIT, grade_in_processes
    from .source import SourceError, extract_file

    extracted = extract_file(path)
    names = [n for n in NAMES if n in extracted.functions]
    if not names:
        raise SourceError(f"{path}: no course function found; looked for {', '.join(NAMES)}")
    results = grade_in_processes(extracted.code, names, time_limit or TIME_LIMIT, speed)
    return Report(results, source=str(path), notes=extracted.notes)
