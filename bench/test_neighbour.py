"""Good neighbour: a user's own numpy code runs as fast with fastrnn in use as without it.

    pytest bench/test_neighbour.py

"user numpy" is 20 products of 256 x 256 matrices through numpy's BLAS;
"alternating" runs it after each fastrnn forward pass at the medium shape
(whose products go through SciPy's BLAS, a second thread pool, and which
runs as two parts of its batch on two threads).  Compare "alternating" with
"user numpy" + "fastrnn alone": without fastrnn's OPENBLAS_THREAD_TIMEOUT
(see fastrnn/_kernels/__init__.py) the numpy part ran 3.3x slower when
alternating.  The two "after" benchmarks time each half of the alternation
alone (the other half runs untimed before every round): the user's numpy
code right after a fastrnn call, and fastrnn right after the user's numpy
code (whose BLAS threads spin for a while after it and take from fastrnn's
second part).
"""
import numpy as np

import workloads

A = np.random.default_rng(0).standard_normal((256, 256))
FASTRNN = workloads.workload("rnn", "fastrnn", "forward", "medium")


def user_numpy():
    for _ in range(20):
        A @ A


def alternating():
    user_numpy()
    FASTRNN()


def test_user_numpy_alone(benchmark):
    benchmark.group = "good neighbour"
    user_numpy()
    benchmark(user_numpy)


def test_fastrnn_alone(benchmark):
    benchmark.group = "good neighbour"
    FASTRNN()
    benchmark(FASTRNN)


def test_alternating(benchmark):
    benchmark.group = "good neighbour"
    alternating()
    benchmark(alternating)


def test_user_numpy_after_fastrnn(benchmark):
    benchmark.group = "good neighbour"
    benchmark.pedantic(user_numpy, setup=lambda: FASTRNN() and None, rounds=200, warmup_rounds=2)


def test_fastrnn_after_user_numpy(benchmark):
    benchmark.group = "good neighbour"
    benchmark.pedantic(FASTRNN, setup=user_numpy, rounds=200, warmup_rounds=2)
