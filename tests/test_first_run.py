"""The first run on a new machine: the course's numpy code answers while the kernels compile in a
background process, then the kernels take over; each case in a fresh process and cache."""
import os
import subprocess
import sys


#: Every public function of the notebook on its recipe, twice: before and after the kernels are ready.
PROBE = """
import sys, numpy as np, fastrnn
from fastrnn._caches import StepCaches
from fastrnn.course import recipes

def run_all():
    out = {}
    for name, build in recipes.RECIPES:
        out[name] = getattr(fastrnn, name)(*build(fastrnn))
    return out

def arrays(result):
    if isinstance(result, dict):
        return [result[k] for k in sorted(result)]
    return [r for r in result if isinstance(r, np.ndarray)]

first = run_all()
answered_first = "kernels" if isinstance(first["rnn_forward"][2][0], StepCaches) else "numpy"
ready = fastrnn.wait_for_kernels(600)
second = run_all()
answered_second = "kernels" if isinstance(second["rnn_forward"][2][0], StepCaches) else "numpy"
worst = max(float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float))))
            for name in first for a, b in zip(arrays(first[name]), arrays(second[name])))
if "--float32" in sys.argv:
    x32 = np.ones((3, 2, 2), np.float32)
    p32 = {k: np.full(s, 0.1, np.float32) for k, s in
           (("Wax", (5, 3)), ("Waa", (5, 5)), ("ba", (5, 1)), ("Wya", (2, 5)), ("by", (2, 1)))}
    a32 = fastrnn.rnn_forward(x32, np.zeros((5, 2), np.float32), p32)[0]
    ready32, dtype32 = fastrnn.wait_for_kernels(600), a32.dtype
else:
    ready32, dtype32 = True, "-"
workers = [w.poll() for w in fastrnn._background._workers.values()]
print(answered_first, answered_second, ready, ready32, f"{worst:.1e}", dtype32, workers)
"""


def run(cache_dir, *args, code=PROBE, background="1", **env):
    environment = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), FASTRNN_BACKGROUND=background, **env)
    return subprocess.run([sys.executable, "-c", code, *args], env=environment, capture_output=True, text=True,
                          timeout=900)


def test_numpy_answers_first_then_the_kernels_with_the_same_values(tmp_path):
    result = run(tmp_path / "cache", "--float32")
    assert result.returncode == 0, result.stderr
    first, second, ready, ready32, worst, dtype32, workers = result.stdout.split(maxsplit=6)
    assert (first, second, ready, ready32) == ("numpy", "kernels", "True", "True")
    assert float(worst) <= 1e-12
    assert dtype32 == "float32"
    assert workers.strip() == "[0, 0]"  # both background compiles (float64, float32) finished
    assert "in the background" in result.stderr and result.stderr.count("\n") <= 3
    # the next run finds them on disk: the kernels answer as soon as they are loaded
    again = run(tmp_path / "cache")
    assert again.returncode == 0 and "in the background" not in again.stderr, again.stderr


def test_opting_out_compiles_on_the_first_call(tmp_path):
    """FASTRNN_BACKGROUND=0 (on a new machine: compiles, and says so), then
    set_background_compile(False) (on the now warm cache): the kernels answer the first call."""
    result = run(tmp_path / "cache", background="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["kernels", "kernels", "True"]
    assert "compiling rnn_forward_entry" in result.stderr  # said, not silent
    code = PROBE.replace("first = run_all()", "fastrnn.set_background_compile(False)\nfirst = run_all()")
    result = run(tmp_path / "cache", code=code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:3] == ["kernels", "kernels", "True"]


def test_a_cache_directory_that_cannot_be_written_still_works(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    home = tmp_path / "home"
    home.mkdir()
    result = run(blocked / "cache", HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    assert result.returncode == 0, result.stderr
    first, second, ready, ready32, worst, *_ = result.stdout.split()
    assert (first, second, ready, ready32) == ("numpy", "kernels", "True", "True") and float(worst) <= 1e-12
