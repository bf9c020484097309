"""Cold start: import and first-call times in fresh processes, cold and warm numba cache.

    python bench/cold_start.py

Each measurement runs in a new Python process with NUMBA_CACHE_DIR pointing
at a fresh temporary directory (cold: every kernel compiles) or at one that
an earlier process filled (warm: kernels load from disk).  Prints, per case,
the time of ``import numba``, of ``import fastrnn`` after it, and of the
first ``rnn_forward`` + ``rnn_backward`` call (notebook shape), which is
compile (or cache load) plus run time; the run time alone is well under a
millisecond at this shape.
"""
import json
import os
import subprocess
import sys
import tempfile

PROBE = r"""
import json, time
t0 = time.perf_counter(); import numba; t1 = time.perf_counter()
import fastrnn; t2 = time.perf_counter()
from fastrnn import compare
x, a0, p, da = compare.make_inputs("rnn", compare.SHAPES["notebook"])
t3 = time.perf_counter(); fastrnn.rnn_backward(da, fastrnn.rnn_forward(x, a0, p)[2]); t4 = time.perf_counter()
fastrnn.rnn_backward(da, fastrnn.rnn_forward(x, a0, p)[2]); t5 = time.perf_counter()
print(json.dumps({"import numba": t1 - t0, "import fastrnn": t2 - t1, "first call": t4 - t3, "second call": t5 - t4}))
"""


def run(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    with tempfile.TemporaryDirectory() as cache_dir:
        rows = [("cold cache", run(cache_dir)), ("warm cache", run(cache_dir)), ("warm cache", run(cache_dir))]
    print("| case | import numba | import fastrnn | first rnn_forward + rnn_backward | second call |")
    print("|---|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['import numba']:.2f} s | {r['import fastrnn']:.2f} s | "
              f"{r['first call']:.3f} s | {r['second call'] * 1e6:.0f} us |")


if __name__ == "__main__":
    main()
