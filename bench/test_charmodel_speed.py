"""Dinosaurus Island: fastrnn.charmodel against the course's numpy code, same run.

    pytest bench/ --benchmark-json=bench/results.json
    python bench/report.py bench/results.json

Two groups: one ``optimize`` step on the course's test recipe (n_a = 100,
6 characters), and the course's full ``model`` run (35000 iterations on the
bundled names; printing discarded, for both).
"""
import contextlib
import io

import numpy as np
import pytest

from fastrnn import charmodel
from fastrnn.course import dinosaurus

IMPLEMENTATIONS = {"fastrnn": charmodel, "numpy": dinosaurus}
NAMES = charmodel.load_names()
CHAR_TO_IX, IX_TO_CHAR = charmodel.vocabulary(NAMES)


def optimize_recipe():
    np.random.seed(1)
    a_prev = np.random.randn(100, 1)
    p = {"Wax": np.random.randn(100, 27), "Waa": np.random.randn(100, 100), "Wya": np.random.randn(27, 100),
         "b": np.random.randn(100, 1), "by": np.random.randn(27, 1)}
    return [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26], a_prev, p


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_optimize_step(benchmark, impl):
    benchmark.group = "char optimize"
    benchmark.extra_info.update(model="char-rnn", shape="course recipe", dims=[27, 100, 27, 1, 6],
                                pass_="optimize step", impl=impl)
    X, Y, a_prev, p = optimize_recipe()
    optimize = IMPLEMENTATIONS[impl].optimize
    optimize(X, Y, a_prev, p)  # compile outside the timed rounds
    benchmark(optimize, X, Y, a_prev, p)


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_model_full_run(benchmark, impl):
    benchmark.group = "char model"
    benchmark.extra_info.update(model="char-rnn", shape="dinos.txt", dims=[27, 50, 27, 1, "names"],
                                pass_="model, 35000 iterations", impl=impl)
    model = IMPLEMENTATIONS[impl].model

    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            return model(NAMES, IX_TO_CHAR, CHAR_TO_IX, 35000)

    if impl == "fastrnn":
        run()  # compile outside the timed rounds
        benchmark.pedantic(run, rounds=3, iterations=1)
    else:
        benchmark.pedantic(run, rounds=1, iterations=1)
