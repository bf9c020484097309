"""The first run on a new machine, against the numpy code it replaces, in fresh processes.

    python bench/first_run.py [--skip-main]

Measures, each in a new Python process and a fresh numba cache directory:

- the step-by-step notebook's code (every function on the notebook's
  recipes, as its cells run them), with the course's numpy definitions and
  with ``from fastrnn import *`` instead: wall time of the whole script,
  imports included, and the slowest single call; fastrnn on an empty cache
  (first run: the kernels compile in the background) and again on that cache
  (second run);
- ``python -m fastrnn check --quick`` on an empty cache: time to its first
  line of output;
- ``python -m fastrnn`` (the main command: 35,000 iterations) on an empty
  cache and on a warm one, against the course's numpy ``model`` for 35,000
  iterations timed in the same run (``--skip-main`` leaves these out).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "fastrnn" / "course"

NOTEBOOK = """
import time
t0 = time.perf_counter()
import json, types
import numpy as np
{definitions}
exec(open({recipes!r}).read())  # the notebook's inputs (numpy only)
module = types.SimpleNamespace(**globals())
worst = 0.0
for name, build in RECIPES:
    args = build(module)
    t = time.perf_counter()
    globals()[name](*args)
    worst = max(worst, time.perf_counter() - t)
print(json.dumps({{"total": time.perf_counter() - t0, "worst call": worst}}))
"""
NUMPY_DEFINITIONS = f"exec(open({str(COURSE / 'step_by_step.py')!r}).read())  # the course's own functions"
FASTRNN_DEFINITIONS = "from fastrnn import *"

NUMPY_MODEL = f"""
import contextlib, io, sys, time
exec(open({str(COURSE / 'dinosaurus.py')!r}).read())
names = open({str(ROOT / 'fastrnn' / 'data' / 'dinos.txt')!r}).read().lower().split("\\n")
chars = sorted(set("\\n".join(names)))
char_to_ix = {{c: i for i, c in enumerate(chars)}}
ix_to_char = {{i: c for i, c in enumerate(chars)}}
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    model(names, ix_to_char, char_to_ix, 35000, printing=False)
print(time.perf_counter() - t0)
"""


def run_script(code, cache, **env):
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(cache), **env)
    environment.pop("FASTRNN_BACKGROUND", None)
    out = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall_time(command, cache, first_line=False):
    """Seconds until ``command`` ends (or prints its first line), on ``cache``."""
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1")
    t0 = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    if first_line:
        process.stdout.readline()
        seconds = time.perf_counter() - t0
        process.kill()
        process.wait()
        return seconds
    process.communicate()
    return time.perf_counter() - t0


def wait_for_background(cache, timeout=600):
    """Wait until a background compile left its marker in ``cache`` (the next run is then warm)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if list(Path(cache).rglob("fastrnn-step-kernels-float64.ready")):
            return
        time.sleep(0.5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-main", action="store_true", help="leave out the 35,000-iteration runs")
    args = parser.parse_args(argv)
    recipes = str(COURSE / "recipes.py")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        numpy_run = run_script(NOTEBOOK.format(definitions=NUMPY_DEFINITIONS, recipes=recipes), Path(tmp) / "none")
        first = run_script(NOTEBOOK.format(definitions=FASTRNN_DEFINITIONS, recipes=recipes), Path(tmp) / "nb")
        wait_for_background(Path(tmp) / "nb")
        second = run_script(NOTEBOOK.format(definitions=FASTRNN_DEFINITIONS, recipes=recipes), Path(tmp) / "nb")
        rows.append(("notebook script, course numpy code", numpy_run["total"], numpy_run["worst call"]))
        rows.append(("notebook script, fastrnn, first run (empty cache)", first["total"], first["worst call"]))
        rows.append(("notebook script, fastrnn, second run", second["total"], second["worst call"]))
        check = wall_time([sys.executable, "-m", "fastrnn", "check", "--quick"], Path(tmp) / "check",
                          first_line=True)
        print("| case | wall time | slowest call |")
        print("|---|---:|---:|")
        for name, total, worst in rows:
            print(f"| {name} | {total:.2f} s | {worst * 1e3:.1f} ms |")
        print(f"| `python -m fastrnn check --quick`, empty cache: first output | {check:.2f} s | - |")
        if not args.skip_main:
            numpy_model = float(subprocess.run([sys.executable, "-c", NUMPY_MODEL], capture_output=True,
                                               text=True, check=True).stdout.strip())
            cold = wall_time([sys.executable, "-m", "fastrnn"], Path(tmp) / "main")
            warm = wall_time([sys.executable, "-m", "fastrnn"], Path(tmp) / "main")
            print(f"| course numpy `model`, 35,000 iterations | {numpy_model:.2f} s | - |")
            print(f"| `python -m fastrnn`, empty cache | {cold:.2f} s ({cold / numpy_model:.2f}x numpy) | - |")
            print(f"| `python -m fastrnn`, warm cache | {warm:.2f} s ({warm / numpy_model:.2f}x numpy) | - |")


if __name__ == "__main__":
    main()
