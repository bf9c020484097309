"""The benchmark workloads (bench/workloads.py): flop counts, and the PyTorch workload when torch is installed."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import workloads  # noqa: E402


def test_flop_counts_of_the_products():
    # RNN forward: Wax x, Waa a, Wya a per step and example
    assert workloads.flops("rnn", "forward", (3, 5, 2, 10, 4)) == 2 * 4 * 10 * (5 * 3 + 5 * 5 + 2 * 5)
    # LSTM backward adds the recurrence, dx and the gate weight gradients
    n_x, n_a, n_y, m, T = 3, 5, 2, 1, 1
    forward = 2 * (4 * n_a * (n_x + n_a) + n_y * n_a)
    backward = 2 * (4 * n_a * n_a + 4 * n_a * n_x + 4 * n_a * (n_x + n_a))
    assert workloads.flops("lstm", "forward+backward", (n_x, n_a, n_y, m, T)) == forward + backward


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_torch_workload_runs(model):
    torch = pytest.importorskip("torch")
    for pass_ in workloads.PASSES:
        workloads.workload(model, "torch", pass_, "notebook", np.float32)()
    assert torch.get_default_dtype() == torch.float32  # the workload does not change torch's defaults
