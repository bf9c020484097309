"""fastrnn against the course's numpy code, same run, pytest-benchmark.

    pytest bench/ --benchmark-json=bench/results.json
    python bench/report.py bench/results.json

One group per (model, shape, pass); report.py turns the JSON into ratios.
"""
import pytest

from fastrnn import warmup, workloads

warmup(("float64",))  # compile outside the timed rounds


@pytest.mark.parametrize("impl", list(workloads.IMPLEMENTATIONS))
@pytest.mark.parametrize("pass_", workloads.PASSES)
@pytest.mark.parametrize("shape", list(workloads.SHAPES))
@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_speed(benchmark, model, shape, pass_, impl):
    benchmark.group = f"{model} {shape} {pass_}"
    benchmark.extra_info.update(model=model, shape=shape, dims=workloads.SHAPES[shape], pass_=pass_, impl=impl)
    func = workloads.workload(model, impl, pass_, shape)
    func()  # warm-up call
    benchmark(func)
