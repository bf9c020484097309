"""Finding a learner's course functions in a notebook or a Python file, without running it.

A notebook (``.ipynb``), a Python file, or a notebook's text dump (``.txt``:
cells after ``In [..]:`` lines, each followed by its printed output) is read
into code cells and parsed with :mod:`ast`.  What is kept: the top-level
imports and every top-level function definition (later definitions replace
earlier ones, as when the notebook runs in order).  Nothing else runs: no
training cell, no test cell, no ``if __name__ == "__main__"`` block.  The
course's helper modules are mapped to fastrnn's copies of them
(``rnn_utils`` to :mod:`fastrnn.rnn_utils`, the Dinosaurus ``utils`` to
:mod:`fastrnn.course.dinosaurus`); the course's test modules are dropped.
"""
import ast
import json
import os
import re
from collections import namedtuple

#: What :func:`extract` returns: the code to run (imports, then the definitions),
#: the names of the top-level functions it defines, their argument names, and notes
#: for the report (imports dropped or mapped, cells that do not parse).
Extracted = namedtuple("Extracted", "code functions arguments notes")

#: The course's helper modules, mapped to fastrnn's copies.
MODULE_MAP = {"rnn_utils": "fastrnn.rnn_utils", "utils": "fastrnn.course.dinosaurus",
              "shakespeare_utils": None, "public_tests": None, "test_utils": None, "outputs": None}
_CELL_MARK = re.compile(r"^In \[[^\]]*\]:\s*$")


class SourceError(ValueError):
    """The file cannot be read as a notebook or a Python file (the CLI exits 2)."""


def read_cells(path):
    """The code cells of ``path`` (``.ipynb``, ``.py`` or a notebook text dump ``.txt``)."""
    if not os.path.exists(path):
        raise SourceError(f"no such file: {path}")
    if os.path.isdir(path):
        raise SourceError(f"{path} is a directory, not a notebook or a Python file")
    suffix = os.path.splitext(path)[1].lower()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        raise SourceError(f"{path} is not a text file (expected .ipynb, .py or a notebook's text dump)") from None
    if suffix == ".ipynb":
        try:
            notebook = json.loads(text)
            cells = [c for c in notebook["cells"] if c.get("cell_type") == "code"]
            return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SourceError(f"{path} is not a Jupyter notebook (no code cells in its JSON)") from None
    if suffix == ".py":
        return [text]
    if suffix == ".txt" or any(_CELL_MARK.match(line) for line in text.splitlines()):
        return _dump_cells(text)
    raise SourceError(f"{path}: expected a notebook (.ipynb), a Python file (.py) or a notebook's text dump (.txt)")


def _dump_cells(text):
    """Cells of a text dump: each ``In [..]:`` block's longest leading part that parses."""
    cells, current = [], None
    for line in text.splitlines():
        if _CELL_MARK.match(line):
            if current is not None:
                cells.append(current)
            current = []
        elif current is not None:
            current.append(line)
    if current is not None:
        cells.append(current)
    out = []
    for lines in cells:
        for end in range(len(lines), 0, -1):  # the output follows the code
            code = "\n".join(lines[:end])
            if not code.strip():
                break
            try:
                ast.parse(code)
            except SyntaxError:
                continue
            out.append(code)
            break
    return out


def _without_magics(code):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())


def extract(cells):
    """The imports and function definitions of ``cells`` (see the module docstring)."""
    imports, functions, notes = [], {}, []
    for number, cell in enumerate(cells, 1):
        try:
            tree = ast.parse(_without_magics(cell))
        except SyntaxError as exc:
            notes.append(f"code cell {number} does not parse ({exc.msg}, line {exc.lineno}): skipped")
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mapped = _mapped_import(node, notes)
                if mapped is not None:
                    imports.append(mapped)
            elif isinstance(node, ast.FunctionDef):
                functions.pop(node.name, None)  # keeps the order of the last definitions
                functions[node.name] = node
    body = imports + list(functions.values())
    code = ast.unparse(ast.Module(body=body, type_ignores=[]))
    arguments = {name: [a.arg for a in node.args.posonlyargs + node.args.args] for name, node in functions.items()}
    return Extracted(code, list(functions), arguments, notes)


def _mapped_import(node, notes):
    """``node`` with the course's helper modules mapped (None: dropped)."""
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in MODULE_MAP:
        target = MODULE_MAP[node.module]
        if target is None:
            notes.append(f"`from {node.module} import ...` dropped (the course's test helpers are not needed)")
            return None
        return ast.ImportFrom(module=target, names=node.names, level=0)
    if isinstance(node, ast.Import):
        kept = []
        for alias in node.names:
            if alias.name in MODULE_MAP:
                target = MODULE_MAP[alias.name]
                if target is None:
                    notes.append(f"`import {alias.name}` dropped (the course's test helpers are not needed)")
                    continue
                kept.append(ast.alias(name=target, asname=alias.asname or alias.name))
            else:
                kept.append(alias)
        return ast.Import(names=kept) if kept else None
    return node


def extract_file(path):
    """:func:`extract` of :func:`read_cells` of ``path``."""
    return extract(read_cells(path))
