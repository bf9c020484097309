"""Grading one learner function: run it on every case, compare with fastrnn, name the cause.

:func:`grade_function` runs the learner's function on the cases of its
:class:`~.cases.Spec` (stdout captured, exceptions caught), compares the
whole result with fastrnn's (tuple length, dict keys, cache layout,
shapes, dtypes, values) and stops at the first output that differs, which it
describes: the case, expected and got (a few values, the largest relative
error) and the likely cause (:func:`diagnose`).  Backward functions are also
compared with central finite differences through the learner's own forward
function, when the notebook has one.  The result is a plain dict (it crosses
a process boundary as JSON).
"""
import contextlib
import copy
import io
import re
import time

import numpy as np

RTOL, ATOL = 1e-7, 1e-9


def _close(got, want):
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return bool(np.all(np.abs(got - want) <= RTOL * np.abs(want) + ATOL * scale))


def _show(value, count=4):
    if isinstance(value, np.ndarray):
        flat = value.ravel()[:count]
        more = ", ..." if value.size > count else ""
        return f"array of shape {value.shape}, dtype {value.dtype}: [{', '.join(f'{v:.6g}' for v in flat)}{more}]"
    if isinstance(value, dict):
        return f"dict with keys {', '.join(map(str, value))}"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, np.integer)) for v in value):
            return f"{type(value).__name__} of length {len(value)}: {list(value)[:20]}"
        return f"{type(value).__name__} of length {len(value)} ({', '.join(type(v).__name__ for v in value)})"
    return repr(value)


def relative_error(got, want):
    scale = np.maximum(np.abs(want), 1e-12 * max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0)
    return float(np.max(np.abs(got - want) / scale)) if want.size else 0.0


def diagnose(got, want):
    """The likely causes of ``got`` differing from ``want`` (arrays), by the patterns that fit."""
    causes = []
    if got.shape != want.shape:
        if got.size == want.size and got.shape == tuple(d for d in want.shape if d != 1) and want.ndim == 2:
            causes.append(f"shape {got.shape} instead of {want.shape}: a sum without keepdims=True "
                          "(np.sum(..., axis=1, keepdims=True))")
        elif got.ndim == 2 and got.shape == want.shape[::-1]:
            causes.append(f"shape {got.shape} instead of {want.shape}: the result is transposed"
                          + (" (its values are the transpose of the expected ones)" if _close(got.T, want) else ""))
        elif got.size == want.size:
            causes.append(f"shape {got.shape} instead of {want.shape} (same number of values)")
        elif got.ndim == want.ndim >= 2 and got.shape[1:] == want.shape[1:] and got.shape[0] > want.shape[0]:
            rows = want.shape[0]
            if _close(got[-rows:], want):
                causes.append(f"{got.shape[0]} rows instead of {rows}: the product with all the columns of the "
                              "gate weights; the input's gradient is their last n_x columns (W[:, n_a:].T @ ...)")
            elif _close(got[:rows], want):
                causes.append(f"{got.shape[0]} rows instead of {rows}: the product with all the columns of the "
                              "gate weights; the state's gradient is their first n_a columns (W[:, :n_a].T @ ...)")
            else:
                causes.append(f"shape {got.shape} instead of {want.shape}")
        else:
            causes.append(f"shape {got.shape} instead of {want.shape}")
        return causes
    if not np.isfinite(got).all():
        causes.append("holds nan or inf")
        return causes
    if want.any() and not got.any():
        causes.append("zero everywhere: a value never computed, or a gradient never accumulated")
    elif _close(-got, want):
        causes.append("the sign is wrong everywhere")
    elif got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got.T, want):
        causes.append("the result is transposed")
    else:
        denominator = float(np.sum(want * want))
        factor = float(np.sum(got * want)) / denominator if denominator else 0.0
        if factor and abs(factor - 1) > 1e-6 and _close(got, factor * want):
            causes.append(f"off by a constant factor: {factor:.6g} times the expected values")
    return causes


def compare(got, want, name):
    """None when ``got`` has ``want``'s structure and values, else ``(output name, problem, got, want)``.

    ``want`` is fastrnn's result; ``name`` the output's name in messages.
    Dicts compare key by key in ``want``'s order; tuples item by item; caches
    (tuples ending with the parameters dict, and ``(steps, x)`` pairs) by
    their arrays.
    """
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return name, f"returns {type(got).__name__}, not a dict", got, want
        missing = [k for k in want if k not in got]
        if missing:
            return (name, f"keys {', '.join(map(repr, missing))} missing (returns {', '.join(map(repr, got))}; "
                    f"the course's are {', '.join(map(repr, want))})", got, want)
        for key in want:
            if isinstance(want[key], dict) and key.startswith("param"):
                continue
            problem = compare(got[key], want[key], key if name is None else f"{name}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(want, (tuple, list)) and not _is_index_list(want):
        if not isinstance(got, (tuple, list)) and not hasattr(got, "__getitem__"):
            return name, f"returns {type(got).__name__}, not a sequence of {len(want)}", got, want
        try:
            length = len(got)
        except TypeError:
            return name, f"returns {type(got).__name__}, which has no length", got, want
        if length != len(want):
            return name, f"has {length} items; the course's has {len(want)}", got, want
        for k, item in enumerate(want):
            if isinstance(item, dict):  # the parameters of a cache
                if not isinstance(got[k], dict):
                    return f"{name}[{k}]", f"is {type(got[k]).__name__}, not the parameters dict", got[k], item
                continue
            if k == 0 and _is_steps(item):  # (steps, x): the first and last step tuples
                problem = _compare_steps(got[0], item, f"{name}[0]")
            else:
                problem = compare(got[k], item, f"{name}[{k}]")
            if problem:
                return problem
        return None
    if _is_index_list(want):
        got_list = list(got) if isinstance(got, (list, tuple)) else got
        if got_list != list(want):
            return name, _first_difference(got_list, want), got, want
        return None
    if isinstance(want, (float, np.floating, int)) and not isinstance(want, bool):
        try:
            value = float(np.asarray(got).reshape(-1)[0]) if np.size(got) == 1 else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            return name, f"is {_show(got)}, not a number", got, want
        if not _close(np.array([value]), np.array([float(want)])):
            return name, "has another value", value, float(want)
        return None
    want = np.asarray(want)
    if not isinstance(got, np.ndarray):
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return name, f"is {type(got).__name__}, not an array", got, want
    if got.shape != want.shape:
        return name, "has another shape", got, want
    if got.dtype.kind != "f":
        return name, f"has dtype {got.dtype}, not a float dtype", got, want
    if not _close(got, want):
        return name, "has other values", got, want
    return None


def compare_result(got, want, spec):
    """Every output of ``got`` that differs from fastrnn's ``want``: a list of
    :func:`compare` problems, the first failing output first (empty: all agree)."""
    if spec.outputs is None or not isinstance(want, tuple):
        if isinstance(want, dict) and isinstance(got, dict) and all(k in got for k in want):
            return [p for p in (compare(got[k], want[k], k) for k in want) if p]
        problem = compare(got, want, spec.name if not isinstance(want, dict) else None)
        return [problem] if problem else []
    if not isinstance(got, (tuple, list)) or len(got) != len(want):
        count = len(got) if isinstance(got, (tuple, list)) else 1
        return [(None, f"returns {count} value(s); the course's {spec.name} returns {len(want)}: "
                 f"{', '.join(spec.outputs)}", got, want)]
    problems = []
    for name, g, w in zip(spec.outputs, got, want):
        problem = compare(g, w, name)
        if problem:
            problems.append(problem)
    return problems


def _is_index_list(value):
    return isinstance(value, list) and all(isinstance(v, (int, np.integer)) for v in value)


def _is_steps(item):
    return hasattr(item, "__len__") and len(item) > 0 and isinstance(item[0], tuple)


def _compare_steps(got, want, name):
    try:
        length = len(got)
    except TypeError:
        return name, f"is {type(got).__name__}, not the list of step caches", got, want
    if length != len(want):
        return name, f"holds {length} step caches; the course's holds {len(want)} (one per time step)", got, want
    for t in sorted({0, len(want) - 1}):
        problem = compare(tuple(got[t]) if isinstance(got[t], (list, tuple)) else got[t], want[t], f"{name}[{t}]")
        if problem:
            return problem
    return None


def _first_difference(got, want):
    if not isinstance(got, list):
        return f"is {type(got).__name__}, not a list of indices"
    for k, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return f"differs first at position {k}: {g} instead of {w}"
    return f"has {len(got)} indices; expected {len(want)}"


def _frozen(args):
    """Copies of every array in ``args`` (for the check that nothing was modified)."""
    out = []
    for value in args:
        if isinstance(value, np.ndarray):
            out.append(value.copy())
        elif isinstance(value, dict):
            out.append({k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in value.items()})
        elif isinstance(value, (tuple, list)):
            out.append(_frozen(value))
        else:
            out.append(value)
    return out


def _modified(before, after, path=""):
    """The name of the first array of ``after`` that differs from its copy in ``before``, else None."""
    for k, (b, a) in enumerate(zip(before, after)):
        where = f"{path}[{k}]" if path else f"argument {k + 1}"
        if isinstance(b, np.ndarray):
            if not (isinstance(a, np.ndarray) and b.shape == a.shape and np.array_equal(b, a, equal_nan=True)):
                return where
        elif isinstance(b, dict):
            for key, v in b.items():
                if isinstance(v, np.ndarray) and not np.array_equal(v, a.get(key), equal_nan=True):
                    return f"{where}[{key!r}]"
        elif isinstance(b, list) and isinstance(a, (tuple, list)):
            found = _modified(b, a, where)
            if found:
                return found
    return None


def call_captured(function, args):
    """``function(*args)`` with stdout captured: ``(result, printed text, exception or None, seconds)``."""
    out = io.StringIO()
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out):
            result = function(*args)
        error = None
    except Exception as exc:  # a learner's function may raise anything: it is reported
        result, error = None, exc
    return result, out.getvalue(), error, time.perf_counter() - t0


def _exception_text(exc, spec):
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError):
        return (text + " - the function uses a name defined neither inside it nor among the notebook's "
                "imports and functions (a global variable from another cell?); pass it in or define it inside")
    if isinstance(exc, ValueError) and ("broadcast" in str(exc) or "aligned" in str(exc)):
        return (text + " - the shapes do not fit: a np.dot where an element-wise * was meant (or the other way "
                "round), or a missing transpose")
    if isinstance(exc, KeyError):
        return (text + f" - it looks up a key the course's arguments do not have; {spec.name} receives the "
                "course's dicts (keys as in the course: Wax, Waa, ...)")
    return text


def grade_function(function, spec, namespace=None, speed=False, differences=True):
    """Grade ``function`` against ``spec``; returns a dict (see :mod:`fastrnn.grade.report`).

    ``differences``: also add the finite-difference note of a backward
    function (:func:`add_difference_note`; the worker adds it afterwards,
    so that a forward function that ends the process spoils no result).
    """
    result = {"name": spec.name, "status": "pass", "cases": 0, "notes": [], "diagnosis": []}
    outcomes = []  # (case label, passed)
    printed_lines = 0
    failure = None
    count = _accepted(function, len(spec.arguments))
    for label, build in spec.cases:
        args = build()[:count]
        expected = spec.expected(*copy.deepcopy(args))
        mutated_expected = copy.deepcopy(args) if spec.mutates else None
        if spec.mutates:
            spec.expected(*mutated_expected)
        before = _frozen(args)
        got, printed, error, _ = call_captured(function, args)
        printed_lines += printed.count("\n")
        result["cases"] += 1
        if error is not None:
            failure = failure or {"case": label, "output": None, "problem": _exception_text(error, spec)}
            outcomes.append((label, False))
            continue
        changed = None if spec.mutates else _modified(before, args)
        if changed and spec.name == "clip":
            note = (f"clip modifies the caller's gradients in place ({changed}); the 2021 course's clip "
                    "works on a copy (copy.deepcopy)")
            if note not in result["notes"]:
                result["notes"].append(note)
            changed = None
        if changed:  # first: a modified input also spoils what the caches hold
            problems = [(changed, f"the input {changed} was modified by the call; the course's function "
                         "leaves its arguments as they are (work on a copy)", None, None)]
        else:
            problems = compare_result(got, expected, spec)
        problem = problems[0] if problems else None
        if problem is None and spec.mutates:
            index = spec.arguments.index(spec.mutates)
            problem = compare(args[index], mutated_expected[index], spec.mutates)
            if problem:
                problem = (problem[0], problem[1] + f" after the call ({spec.name} updates {spec.mutates} in place "
                           "in the course)", problem[2], problem[3])
                problems = [problem]
        outcomes.append((label, problem is None))
        if problem is not None and failure is None:
            failure = _describe_failure(problem, label, spec, args)
            others = []
            for other in problems[1:]:
                causes = _describe_failure(other, label, spec, args).get("diagnosis") or []
                others.append(f"{other[0]} ({'; '.join(causes[:2])})" if causes else other[0])
            if others:
                failure["also_wrong"] = others
    if printed_lines:
        result["notes"].append(f"the function printed {printed_lines} line(s) (shown nowhere; fine, but remove "
                               "debugging prints)")
    if failure is not None:
        result["status"] = "fail"
        result.update(failure)
        result["diagnosis"] = result.get("diagnosis", []) + _size_patterns(outcomes)
        result["failed_cases"] = sum(1 for _, ok in outcomes if not ok)
    if differences:
        add_difference_note(result, function, spec, namespace)
    if speed and failure is None:
        result["speed"] = time_against(function, spec)
    return result


def _accepted(function, count):
    """How many of the course's ``count`` arguments to pass: fewer when the learner's function
    takes fewer (the course's trailing ``vocab_size`` / ``learning_rate`` have defaults)."""
    import inspect

    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return count
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return count
    return min(count, len(parameters))


def _size_patterns(outcomes):
    """"correct only when m = 1" / "T_x = 1" when exactly those cases pass."""
    def size(label, key):
        match = re.search(rf"\b{key}=(\d+)", label)
        return int(match.group(1)) if match else None

    causes = []
    for key, text in (("m", "correct only when m = 1: the batch dimension is mixed up (an array made with 1 "
                            "column or a shape taken from the wrong array)"),
                      ("T_x", "correct only when T_x = 1: the steps are not chained (the state or its "
                              "gradient is not carried from one step to the next)")):
        sized = [(size(label, key), ok) for label, ok in outcomes if size(label, key) is not None]
        ones = [ok for n, ok in sized if n == 1]
        others = [ok for n, ok in sized if n != 1]
        if ones and all(ones) and others and not any(others):
            causes.append(text)
        elif ones and not any(ones) and others and all(others):
            causes.append(f"fails only when {key} = 1: it assumes more than one "
                          + ("example in the batch" if key == "m" else "time step (reads caches[1]? the course "
                                                                       "reads caches[0])"))
    return causes


def _describe_failure(problem, label, spec, args):
    output, text, got, want = problem
    failure = {"case": label, "output": output, "problem": f"{output} {text}" if output else text}
    if isinstance(want, np.ndarray):
        failure["expected"] = _show(want)
        failure["got"] = _show(got) if got is not None else None
        if isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == "f":
            failure["max_relative_error"] = relative_error(got, want)
        causes = diagnose(np.asarray(got, dtype=float), want) if isinstance(got, np.ndarray) else []
        key = output.split("'")[1] if output and "'" in output else output
        causes = _known_mistakes(spec, args, key, got) + causes
        failure["diagnosis"] = causes
    elif want is not None:
        failure["expected"] = _show(want)
        failure["got"] = _show(got)
        failure["diagnosis"] = _known_mistakes(spec, args, output, got)
    return failure


def _known_mistakes(spec, args, key, got):
    """The causes of ``spec.mistakes`` whose wrong result has ``got`` as its output ``key``."""
    causes = []
    for cause, wrong in spec.mistakes:
        try:
            result = wrong(*copy.deepcopy(args))
        except Exception:  # noqa: BLE001  (a mistake model that does not apply to these inputs)
            continue
        value = result.get(key) if isinstance(result, dict) and key in result else (
            result if not isinstance(result, dict) else None)
        if isinstance(value, dict) and isinstance(got, dict):
            if all(k in got and np.shape(got[k]) == np.shape(v) and _close(np.asarray(got[k], float), v)
                   for k, v in value.items()):
                causes.append(cause)
            continue
        if isinstance(value, np.ndarray) and isinstance(got, np.ndarray) and got.size == value.size:
            if _close(np.asarray(got, float).reshape(value.shape), value):
                causes.append(cause)
    return causes


def add_difference_note(result, function, spec, namespace, time_limit=10.0):
    """Append :func:`finite_difference_note` to ``result["notes"]`` when ``spec`` is a backward
    function and ``namespace`` has the learner's forward; at most ``time_limit`` seconds (a
    thread: a forward function that never returns is left behind)."""
    import threading

    if not spec.forward or namespace is None or not callable(namespace.get(spec.forward)):
        return
    box = []
    thread = threading.Thread(target=lambda: box.append(finite_difference_note(function, namespace[spec.forward],
                                                                                spec)), daemon=True)
    thread.start()
    thread.join(time_limit)
    if not box:
        result["notes"].append(f"finite differences through your {spec.forward} could not be taken (it did not "
                               f"finish within {time_limit:g} s)")
    elif box[0]:
        result["notes"].append(box[0])


def finite_difference_note(backward, forward, spec, eps=1e-6):
    """Central differences through the learner's ``forward`` against the learner's ``backward``.

    On a small case (n_x 2, n_a 3, n_y 2, m 2, T 2), for the weight
    gradients: says whether the learner's backward agrees with the
    differences of their own forward, and whether those agree with fastrnn
    (that is, whether the forward is right).
    """
    from .cases import _inputs
    from ..course import step_by_step as course

    lstm = spec.name.startswith("lstm")
    cell = "cell" in spec.name
    x, a0, c0, p, da, dc = _inputs("lstm" if lstm else "rnn", 2, 3, 2, 2, 2, 31)
    keys = ("Wf", "bo", "Wc") if lstm else ("Wax", "Waa", "ba")

    def loss():
        with contextlib.redirect_stdout(io.StringIO()):  # noqa: SIM117
            if cell:
                out = forward(x[:, :, 0], a0, c0, p) if lstm else forward(x[:, :, 0], a0, p)
                total = np.sum(da[:, :, 0] * out[0])
                return total + (np.sum(dc * out[1]) if lstm else 0.0)
            return np.sum(da * np.asarray(forward(x, a0, p)[0]))

    try:
        numeric = {}
        for key in keys:
            grid = np.zeros_like(p[key])
            for index in np.ndindex(p[key].shape):
                old = p[key][index]
                p[key][index] = old + eps
                up = loss()
                p[key][index] = old - eps
                down = loss()
                p[key][index] = old
                grid[index] = (up - down) / (2 * eps)
            numeric[key] = grid
        if cell:
            cache = (course.lstm_cell_forward(x[:, :, 0], a0, c0, p)[3] if lstm
                     else course.rnn_cell_forward(x[:, :, 0], a0, p)[2])
            args = (da[:, :, 0], dc, cache) if lstm else (da[:, :, 0], cache)
        else:
            args = (da, (course.lstm_forward if lstm else course.rnn_forward)(x, a0, p)[-1])
        expected = spec.expected(*copy.deepcopy(args))
    except Exception as exc:  # noqa: BLE001  (the learner's forward, reported in its own block)
        return f"finite differences through your {spec.forward} could not be taken ({type(exc).__name__}: {exc})"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            got = backward(*args)
    except Exception:  # noqa: BLE001  (reported in this function's block)
        got = None
    forward_right = all(_close(numeric[k], np.asarray(expected["d" + k])) for k in keys)
    try:
        agrees = all(_close(np.asarray(got["d" + k], float).reshape(numeric[k].shape), numeric[k]) for k in keys)
    except (KeyError, TypeError, ValueError, AttributeError):
        agrees = False
    if got is None:
        return None if forward_right else (f"finite differences through your own {spec.forward} do not give the "
                                           f"course's gradients: {spec.forward} is wrong as well - fix it first")
    if not forward_right:
        return (f"finite differences through your own {spec.forward} do not give the course's gradients: "
                f"{spec.forward} is wrong as well - fix it first")
    if not agrees:
        return (f"your {spec.forward} is right (its finite differences give the course's gradients); "
                f"the backward pass is what differs")
    return f"agrees with central finite differences through your own {spec.forward}"


def time_against(function, spec, rounds=7):
    """Best and median seconds per call of ``function`` and fastrnn's on the course's case, and the ratio."""
    label, build = spec.cases[0]
    args = build()
    timings = {}
    for who, fn in (("yours", function), ("fastrnn", spec.expected)):
        fn(*copy.deepcopy(args))
        t0 = time.perf_counter()
        fn(*copy.deepcopy(args))
        once = max(time.perf_counter() - t0, 1e-6)
        number = max(1, int(0.02 / once))
        samples = []
        for _ in range(rounds):
            batch = [copy.deepcopy(args) for _ in range(number)]
            with contextlib.redirect_stdout(io.StringIO()):
                t0 = time.perf_counter()
                for a in batch:
                    fn(*a)
                samples.append((time.perf_counter() - t0) / number)
        timings[who] = (min(samples), float(np.median(samples)))
    return {"case": label, "yours_best": timings["yours"][0], "yours_median": timings["yours"][1],
            "fastrnn_best": timings["fastrnn"][0], "fastrnn_median": timings["fastrnn"][1],
            "ratio": timings["yours"][0] / timings["fastrnn"][0]}
