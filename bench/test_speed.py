"""fastrnn against the course's numpy code and PyTorch CPU, same run, pytest-benchmark.

    pip install -e ".[test,bench]"      # bench adds torch (optional: its rows are skipped without it)
    pytest bench/ --benchmark-json=bench/results.json
    python bench/report.py bench/results.json

One group per (model, shape, dtype, pass).  The numpy rows are the course's
code (float64 only, as the course); fastrnn and torch run float64 and, at the
medium and large shapes, float32.  A numpy 2048 x 2048 float64 product gives
this machine's dgemm rate in the same run; report.py turns it all into ratios.
"""
import time

import numpy as np
import pytest

import workloads

from fastrnn import warmup

try:
    import torch
except ImportError:
    torch = None

warmup(("float64", "float32"), char_models=False)  # compile outside the timed rounds

CASES = [("notebook", "float64"), ("char", "float64"), ("medium", "float64"), ("large", "float64"),
         ("medium", "float32"), ("large", "float32")]
#: Rounds for the shapes whose single call takes a good fraction of a second.
SLOW_ROUNDS = {"large": 3}
#: Pause before each benchmark (see test_speed).
QUIET_SECONDS = 0.3


@pytest.mark.parametrize("impl", ["numpy", "fastrnn", "torch"])
@pytest.mark.parametrize("pass_", workloads.PASSES)
@pytest.mark.parametrize("shape, dtype", CASES, ids=[f"{s}-{d}" for s, d in CASES])
@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_speed(benchmark, model, shape, dtype, pass_, impl):
    if impl == "torch" and torch is None:
        pytest.skip("PyTorch is not installed (pip install -e '.[bench]')")
    if impl == "numpy" and dtype != "float64":
        pytest.skip("the course's numpy code is float64")
    benchmark.group = f"{model} {shape} {dtype} {pass_}"
    benchmark.extra_info.update(model=model, shape=shape, dims=workloads.SHAPES[shape], dtype=dtype,
                                pass_=pass_, impl=impl, flops=workloads.flops(model, pass_, shape),
                                threads=torch.get_num_threads() if impl == "torch" else None)
    func = workloads.workload(model, impl, pass_, shape, np.dtype(dtype))
    func()  # warm-up call
    # Let the thread pools of the previous benchmark go idle: OpenBLAS and
    # OpenMP workers spin for up to ~0.2 s after a call and would take a core
    # from this one (seen: a fastrnn medium pass timed 2x slower right after torch).
    time.sleep(QUIET_SECONDS)
    if shape in SLOW_ROUNDS:
        benchmark.pedantic(func, rounds=SLOW_ROUNDS[shape], iterations=1)
    else:
        benchmark(func)


def test_dgemm_rate(benchmark):
    """numpy's 2048 x 2048 float64 product: the machine's BLAS rate in this run."""
    benchmark.group = "dgemm"
    benchmark.extra_info.update(flops=2 * 2048 ** 3, reference="dgemm")
    a, b = np.random.default_rng(0).standard_normal((2, 2048, 2048))
    a @ b
    benchmark.pedantic(lambda: a @ b, rounds=5, iterations=1)
