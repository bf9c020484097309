"""The batch split (fastrnn._threads): same results on any number of threads, clear settings."""
import threading

import numpy as np
import pytest

import fastrnn
import reference as ref
from fastrnn import _threads, gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward


@pytest.fixture
def split_everything(monkeypatch):
    """Split every batch of two rows or more (the real threshold keeps small calls whole)."""
    monkeypatch.setattr(_threads, "SPLIT_MIN_MACS", 0)
    monkeypatch.setattr(_threads, "PART_ROWS_MIN", 1)
    previous = fastrnn.set_num_threads(2)
    yield
    fastrnn.set_num_threads(previous)


MODELS = {"rnn": (rnn_forward, rnn_backward, ref.rnn_forward, ref.rnn_backward, ref.random_rnn_parameters),
          "lstm": (lstm_forward, lstm_backward, ref.lstm_forward, ref.lstm_backward, ref.random_lstm_parameters),
          "gru": (gru_forward, gru_backward, ref.gru_forward, ref.gru_backward, ref.random_gru_parameters)}


def run_model(model, x, a0, p, da, threads, monkeypatch=None):
    """Forward and backward on ``threads`` threads; with ``monkeypatch``, checks that both passes split.
    Returns the forward's arrays (without the caches) and the gradients."""
    forward, backward = MODELS[model][:2]
    calls = []
    if monkeypatch is not None:
        run_parts = _threads.run_parts
        monkeypatch.setattr(_threads, "run_parts", lambda *args: calls.append(args[3]) or run_parts(*args))
    previous = fastrnn.set_num_threads(threads)
    try:
        *outputs, caches = forward(x, a0, p)
        grads = backward(da, caches)
    finally:
        fastrnn.set_num_threads(previous)
    if monkeypatch is not None:
        assert calls == [min(threads, x.shape[1])] * 2
        monkeypatch.setattr(_threads, "run_parts", run_parts)
    return outputs, grads


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_x, n_a, n_y, m, T, threads", [
    (3, 5, 2, 2, 4, 2),    # one row a part
    (1, 9, 4, 7, 1, 3),    # uneven parts, one step
    (10, 16, 6, 33, 9, 2),  # products by BLAS in every part
])
def test_split_batch_gives_the_whole_batch_results(split_everything, monkeypatch, model, dtype, n_x, n_a, n_y, m,
                                                   T, threads):
    forward, backward, ref_forward, ref_backward, random_parameters = MODELS[model]
    rng = np.random.default_rng(m + T)
    p = {k: v.astype(dtype) for k, v in random_parameters(rng, n_x, n_a, n_y).items()}
    x, a0, da = (rng.standard_normal(s).astype(dtype) for s in ((n_x, m, T), (n_a, m), (n_a, m, T)))
    whole = run_model(model, x, a0, p, da, 1)
    split = run_model(model, x, a0, p, da, threads, monkeypatch)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for got, want in zip(split[0], whole[0]):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    for key, want in whole[1].items():
        np.testing.assert_allclose(split[1][key], want, rtol=rtol, atol=rtol, err_msg=key)
    if dtype == np.float64:  # and against the reference written from the maths
        *outputs, caches = ref_forward(x, a0, p)
        for got, want in zip(split[0], outputs):
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
        for key, want in ref_backward(da, caches).items():
            np.testing.assert_allclose(split[1][key], want, rtol=1e-10, atol=1e-10, err_msg=key)


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_split_backward_of_the_course_caches(split_everything, model):
    """Caches made of the user's own step tuples go through the same split backward."""
    _, backward, ref_forward, ref_backward, random_parameters = MODELS[model]
    rng = np.random.default_rng(3)
    p = random_parameters(rng, 4, 6, 3)
    x, a0, da = rng.standard_normal((4, 5, 6)), rng.standard_normal((6, 5)), rng.standard_normal((6, 5, 6))
    course_caches = ref_forward(x, a0, p)[-1]
    want = ref_backward(da, course_caches)
    got = backward(da, course_caches)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("model, key", [("rnn", "Waa"), ("lstm", "Wo"), ("gru", "Wc")])
def test_split_batch_reports_bad_shapes(split_everything, model, key):
    forward, _, _, _, random_parameters = MODELS[model]
    rng = np.random.default_rng(4)
    p = random_parameters(rng, 3, 5, 2)
    p[key] = np.zeros((5, 4))
    with pytest.raises(ValueError, match=key):
        forward(rng.standard_normal((3, 4, 2)), rng.standard_normal((5, 4)), p)


def test_parts_rules(monkeypatch):
    monkeypatch.setattr(_threads, "_threads", 2)
    big = _threads.SPLIT_MIN_MACS
    assert _threads.parts(32, big, 128 * 128) == 2  # the medium RNN
    assert _threads.parts(32, big - 1, 128 * 128) == 1  # too little work for a hand-off
    assert _threads.parts(1, big, 128 * 128) == 1  # one row
    assert _threads.parts(7, big, 128 * 128) == 1  # parts of fewer than PART_ROWS_MIN rows
    monkeypatch.setattr(_threads, "_threads", 64)
    assert _threads.parts(32, big, 128 * 128) == 8  # many cores: parts of 4 rows, not 32 of 1
    monkeypatch.setattr(_threads, "_threads", 2)
    assert _threads.parts(32, big, 128 * 512) == 2  # the medium LSTM: 8-row products in each part
    assert _threads.parts(64, big, 512 * 512) == 1  # per-part products of 8 rows big enough for OpenBLAS's threads
    monkeypatch.setattr(_threads, "_threads", 1)
    assert _threads.parts(32, big, 128 * 128) == 1


def test_num_threads_settings():
    previous = fastrnn.get_num_threads()
    assert fastrnn.set_num_threads(3) == previous
    assert fastrnn.get_num_threads() == 3
    assert fastrnn.set_num_threads(previous) == 3
    for bad in (0, -1, 1.5, "2", True, None):
        with pytest.raises(ValueError, match="set_num_threads"):
            fastrnn.set_num_threads(bad)


def test_num_threads_from_the_environment(monkeypatch):
    monkeypatch.setenv("FASTRNN_NUM_THREADS", "3")
    assert _threads._threads_from_environment() == 3
    monkeypatch.setenv("FASTRNN_NUM_THREADS", "")
    assert _threads._threads_from_environment() >= 1
    for bad in ("0", "two", "-2"):
        monkeypatch.setenv("FASTRNN_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="FASTRNN_NUM_THREADS"):
            _threads._threads_from_environment()


def test_run_parts_waits_for_every_part_and_raises_a_workers_error(monkeypatch):
    monkeypatch.setattr(_threads, "_threads", 3)
    done, lock = [], threading.Lock()

    def kernel(tag, lo, hi):
        with lock:
            done.append((lo, hi))
        if lo > 0:
            raise RuntimeError(f"part {lo}:{hi} of {tag}")
        return "first"

    with pytest.raises(RuntimeError, match="part"):
        _threads.run_parts(kernel, ("t",), 7, 3)
    assert sorted(done) == [(0, 2), (2, 4), (4, 7)]


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_split_batch_of_converted_inputs_and_a_shorter_da(split_everything, monkeypatch, model):
    """Fortran-ordered, read-only and integer inputs take the conversion path, then split; the
    backward covers fewer steps than the forward (as the notebook's own test does)."""
    forward, backward, ref_forward, ref_backward, random_parameters = MODELS[model]
    counts, run_parts = [], _threads.run_parts
    monkeypatch.setattr(_threads, "run_parts", lambda *args: counts.append(args[3]) or run_parts(*args))
    rng = np.random.default_rng(5)
    p = random_parameters(rng, 4, 6, 3)
    x, a0, da = rng.standard_normal((4, 8, 7)), rng.standard_normal((6, 8)), rng.standard_normal((6, 8, 5))
    x_f = np.asfortranarray(x)
    a0_ro = a0.copy()
    a0_ro.flags.writeable = False
    p_int = dict(p, by=np.ones((3, 1), dtype=np.int64))
    *outputs, caches = forward(x_f, a0_ro, p_int)
    *want, want_caches = ref_forward(x, a0, dict(p, by=np.ones((3, 1))))
    for got, expected in zip(outputs, want):
        np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-11)
    grads = backward(da, caches)
    for key, expected in ref_backward(da, want_caches).items():
        np.testing.assert_allclose(grads[key], expected, rtol=1e-10, atol=1e-10, err_msg=key)
    assert counts and set(counts) == {2}  # the converted call and the backward split


def test_split_calls_from_several_user_threads_at_once(split_everything):
    """Calls from user threads share the worker pool: every one finishes, with its own results."""
    rng = np.random.default_rng(6)
    p = ref.random_rnn_parameters(rng, 4, 6, 3)
    cases = [(rng.standard_normal((4, 8, 5)), rng.standard_normal((6, 8)), rng.standard_normal((6, 8, 5)))
             for _ in range(4)]
    wants = [run_model("rnn", x, a0, p, da, 1) for x, a0, da in cases]
    fastrnn.set_num_threads(2)
    results = [None] * len(cases)

    def work(k):
        x, a0, da = cases[k]
        for _ in range(20):
            *outputs, caches = rnn_forward(x, a0, p)
            results[k] = outputs, rnn_backward(da, caches)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    for (outputs, grads), (want_outputs, want_grads) in zip(results, wants):
        for got, want in zip(outputs, want_outputs):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        for key in want_grads:
            np.testing.assert_allclose(grads[key], want_grads[key], rtol=1e-12, atol=1e-12, err_msg=key)
