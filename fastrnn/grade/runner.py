"""Grading in separate processes, each with a time limit.

Each found function is graded in a process of its own
(:func:`worker_main`), so that a learner function that hangs, exhausts
memory or kills its process is reported in its block and the rest are still
graded.  The processes get the extracted code (imports and definitions,
:mod:`.source`) and a function name, and write their result as JSON; two
run at a time (one per core of a small machine).
"""
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

#: Seconds a function's whole grading may take (compiling fastrnn's kernels on a cold cache included).
TIME_LIMIT = 60.0
#: The course's trailing arguments with defaults (a learner's version may leave them out).
DEFAULTED = ("learning_rate", "vocab_size")


def specs_for(name, arguments):
    """The :class:`~.cases.Spec` that grades a function ``name`` taking ``arguments``, or
    ``(None, reason)`` when its signature fits neither the step-by-step notebook's nor Dinosaurus Island's."""
    from .cases import char_model_specs, step_by_step_specs

    candidates = [s for s in (step_by_step_specs().get(name), char_model_specs().get(name)) if s is not None]
    for spec in candidates:
        required = len(spec.arguments) - (spec.arguments[-1] in DEFAULTED)
        if required <= len(arguments) <= len(spec.arguments):
            return spec, None
    wanted = " or ".join(f"({', '.join(s.arguments)})" for s in candidates)
    return None, (f"takes ({', '.join(arguments)}); the course's {name} takes {wanted}: not graded "
                  "(rename it, or give it the course's arguments)")


def grade_in_process(code, name, speed=False, written=None):
    """Grade ``name`` defined by ``code`` in this process (what a worker runs); ``written(result)``,
    if given, receives the result before the finite-difference note is added (and again after)."""
    import contextlib
    import io

    from .checks import add_difference_note

    namespace = {"__name__": "fastrnn_graded_notebook"}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, "<notebook>", "exec"), namespace)  # imports and definitions only
    except Exception as exc:  # the notebook's imports may fail here: reported
        return {"name": name, "status": "error", "problem": f"the notebook's imports failed: "
                f"{type(exc).__name__}: {exc}", "notes": [], "diagnosis": []}
    function = namespace[name]
    result, spec = grade_named(name, function, namespace, speed, differences=written is None)
    if written is not None and spec is not None:
        written(result)
        add_difference_note(result, function, spec, namespace)
    return result


def grade_named(name, function, namespace, speed=False, differences=True):
    """``(result, spec)`` of the learner's ``function`` for the course's ``name``: graded by the
    spec its signature fits, or a "skipped" result (and spec None) naming both signatures."""
    import inspect

    from .checks import grade_function

    try:
        arguments = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        arguments = []
    spec, reason = specs_for(name, arguments)
    if spec is None:
        return {"name": name, "status": "skipped", "problem": reason, "notes": [], "diagnosis": []}, None
    return grade_function(function, spec, namespace, speed, differences), spec


def worker_main(argv=None):
    """``python -m fastrnn.grade.runner CODE_FILE NAME OUT_FILE [--speed]``."""
    argv = sys.argv[1:] if argv is None else argv
    code_path, name, out_path = argv[:3]
    with open(code_path, encoding="utf-8") as f:
        code = f.read()
    def written(result):  # atomically: the parent reads a whole result or none
        temporary = out_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(result, f, default=str)
        os.replace(temporary, out_path)

    written(grade_in_process(code, name, "--speed" in argv, written))
    sys.stdout.flush()
    os._exit(0)  # a learner's thread left running (a forward that never returns) must not keep it alive


def grade_in_processes(code, names, time_limit=TIME_LIMIT, speed=False, workers=2):
    """Results for every name in ``names``, each graded in its own process (two at a time)."""
    folder = tempfile.mkdtemp(prefix="fastrnn-grade-")
    code_path = os.path.join(folder, "notebook.py")
    with open(code_path, "w", encoding="utf-8") as f:
        f.write(code)
    env = dict(os.environ, FASTRNN_BACKGROUND="0")  # compile here if cold: no background compile per worker

    def one(index_name):
        index, name = index_name
        out_path = os.path.join(folder, f"{index}.json")
        command = [sys.executable, "-m", "fastrnn.grade.runner", code_path, name, out_path]
        if speed:
            command.append("--speed")
        try:
            done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, timeout=time_limit, text=True)
        except subprocess.TimeoutExpired:
            if os.path.exists(out_path):  # graded; the finite differences through the forward hung
                with open(out_path, encoding="utf-8") as f:
                    return json.load(f)
            return {"name": name, "status": "error", "notes": [], "diagnosis": [],
                    "problem": f"did not finish within {time_limit:g} s (an endless loop? a very slow loop?)"}
        if os.path.exists(out_path):
            with open(out_path, encoding="utf-8") as f:
                return json.load(f)
        last = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        return {"name": name, "status": "error", "notes": [], "diagnosis": [],
                "problem": f"its process ended without a result (exit code {done.returncode}: {last[0]}); "
                           "the function crashed the interpreter or exited"}

    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            return list(pool.map(one, enumerate(names)))
    finally:
        for entry in os.listdir(folder):
            os.remove(os.path.join(folder, entry))
        os.rmdir(folder)


if __name__ == "__main__":
    worker_main()
