"""Dinosaurus Island: the course's printed values, the course's code, finite differences, bad input."""
import contextlib
import io

import numpy as np
import pytest

from fastrnn import charmodel as fr
from fastrnn.course import dinosaurus as course

NAMES = fr.load_names()
CHAR_TO_IX, IX_TO_CHAR = fr.vocabulary(NAMES)


def random_parameters(n_a=7, vocab=27, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    return {"Wax": rng.standard_normal((n_a, vocab)) * scale, "Waa": rng.standard_normal((n_a, n_a)) * scale,
            "Wya": rng.standard_normal((vocab, n_a)) * scale, "b": rng.standard_normal((n_a, 1)) * scale,
            "by": rng.standard_normal((vocab, 1)) * scale}


def copy_of(parameters):
    return {k: v.copy() for k, v in parameters.items()}


# --- the course's recipes and printed values ---------------------------------

def test_bundled_data_is_the_course_file():
    assert len(NAMES) == 1536 and NAMES[0] == "aachenosaurus"
    assert len(CHAR_TO_IX) == 27 and CHAR_TO_IX["\n"] == 0 and CHAR_TO_IX["a"] == 1 and CHAR_TO_IX["z"] == 26


@pytest.mark.parametrize("max_value, expected", [
    (10, (10.0, -10.0, 0.2971381536101662, 10.0, 8.45833407)),
    (5, (5.0, -5.0, 0.2971381536101662, 5.0, 5.0)),
])
def test_clip_recipe(max_value, expected):
    np.random.seed(3)
    gradients = {"dWax": np.random.randn(5, 3) * 10, "dWaa": np.random.randn(5, 5) * 10,
                 "dWya": np.random.randn(2, 5) * 10, "db": np.random.randn(5, 1) * 10,
                 "dby": np.random.randn(2, 1) * 10}
    before = copy_of(gradients)
    clipped = fr.clip(gradients, max_value)
    got = (clipped["dWaa"][1][2], clipped["dWax"][3][1], clipped["dWya"][1][2], clipped["db"][4][0], clipped["dby"][1][0])
    np.testing.assert_allclose(got, expected, rtol=1e-8)
    assert list(clipped) == ["dWaa", "dWax", "dWya", "db", "dby"]
    for key in gradients:  # on a copy: the caller's gradients are untouched
        np.testing.assert_array_equal(gradients[key], before[key])
        np.testing.assert_array_equal(clipped[key], course.clip(before, max_value)[key])


def test_sample_recipe():
    np.random.seed(24)
    n_a = 100
    Wax, Waa, Wya = np.random.randn(n_a, 27), np.random.randn(n_a, n_a), np.random.randn(27, n_a)
    b, by = np.random.randn(n_a, 1), np.random.randn(27, 1)
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}
    indices = fr.sample(parameters, CHAR_TO_IX, 0)
    assert indices == [23, 16, 26, 26, 24, 3, 21, 1, 7, 24, 15, 3, 25, 20, 6, 13, 10, 8, 20, 12, 2, 0]


def test_optimize_recipe():
    np.random.seed(1)
    vocab_size, n_a = 27, 100
    a_prev = np.random.randn(n_a, 1)
    Wax, Waa, Wya = np.random.randn(n_a, vocab_size), np.random.randn(n_a, n_a), np.random.randn(vocab_size, n_a)
    b, by = np.random.randn(n_a, 1), np.random.randn(vocab_size, 1)
    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}
    X, Y = [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26]
    loss, gradients, a_last = fr.optimize(X, Y, a_prev, parameters, learning_rate=0.01)
    np.testing.assert_allclose(loss, 126.503975722, rtol=1e-10)
    np.testing.assert_allclose(gradients["dWaa"][1][2], 0.194709315347, rtol=1e-10)
    assert np.argmax(gradients["dWax"]) == 93
    np.testing.assert_allclose(gradients["dWya"][1][2], -0.007773876032, rtol=1e-9)
    np.testing.assert_allclose(gradients["db"][4], [-0.06809825], rtol=1e-6)
    np.testing.assert_allclose(gradients["dby"][1], [0.01538192], rtol=1e-6)
    np.testing.assert_allclose(a_last[4], [-1.0])
    assert parameters["Wax"] is Wax  # updated in place, as the course's update_parameters


PUBLISHED_LOSSES = {0: 23.087336, 2000: 27.884160, 4000: 25.901815, 6000: 24.608779,
                    8000: 24.070350, 10000: 23.844446, 12000: 23.291971}
PUBLISHED_NAMES_AT_0 = ["Nkzxwtdmfqoeyhsqwasjkjvu", "Kneb", "Kzxwtdmfqoeyhsqwasjkjvu", "Neb",
                        "Zxwtdmfqoeyhsqwasjkjvu", "Eb", "Xwtdmfqoeyhsqwasjkjvu"]


def run_printed(model, iterations, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = model(NAMES, IX_TO_CHAR, CHAR_TO_IX, iterations, **kwargs)
    return out.getvalue(), result


def test_model_reproduces_the_published_run():
    printed, (parameters, last_name) = run_printed(fr.model, 12001)
    lines = [line for line in printed.split("\n") if line]
    losses = {int(line.split()[1].rstrip(",")): float(line.split()[-1])
              for line in lines if line.startswith("Iteration")}
    assert losses == PUBLISHED_LOSSES
    assert lines[1:8] == PUBLISHED_NAMES_AT_0
    assert last_name.strip() == lines[-1]
    assert set(parameters) == {"Wax", "Waa", "Wya", "b", "by"}


def test_model_prints_what_the_course_code_prints():
    printed, (parameters, last_name) = run_printed(fr.model, 2501, verbose=True)
    expected, (course_parameters, course_last) = run_printed(course.model, 2501, verbose=True)
    assert printed == expected and last_name == course_last
    for key in parameters:
        np.testing.assert_allclose(parameters[key], course_parameters[key], rtol=1e-9, atol=1e-12)


def test_model_reads_a_text_file(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("Abc\nbcd\ncab")
    from_file, (p_file, _) = run_printed(lambda data, *a, **k: fr.model(path, *a, **k), 30)
    from_list, (p_list, _) = run_printed(lambda data, *a, **k: fr.model(["abc", "bcd", "cab"], *a, **k), 30)
    assert from_file == from_list and from_file.startswith("Iteration: 0, Loss:")
    np.testing.assert_array_equal(p_file["Waa"], p_list["Waa"])


# --- against the course's code and the maths --------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_backward_equal_the_course_code(seed):
    parameters = random_parameters(seed=seed)
    rng = np.random.default_rng(seed + 10)
    X = [None] + list(rng.integers(0, 27, 6))
    Y = X[1:] + [0]
    a0 = rng.standard_normal((7, 1))
    loss, cache = fr.rnn_forward(X, Y, a0, parameters)
    course_loss, course_cache = course.rnn_forward(X, Y, a0, parameters)
    np.testing.assert_allclose(loss, course_loss, rtol=1e-13)
    for got, want in zip(cache, course_cache):
        assert set(got) == set(want)
        for t in want:
            np.testing.assert_allclose(got[t], want[t], rtol=1e-12, atol=1e-15)
    grads, a = fr.rnn_backward(X, Y, parameters, cache)
    course_grads, _ = course.rnn_backward(X, Y, parameters, course_cache)
    assert set(grads) == set(course_grads)
    for key in course_grads:
        np.testing.assert_allclose(grads[key], course_grads[key], rtol=1e-11, atol=1e-14)

    p1, p2 = copy_of(parameters), copy_of(parameters)
    loss1, g1, a1 = fr.optimize(X, Y, a0, p1, learning_rate=0.05)
    loss2, g2, a2 = course.optimize(X, Y, a0, p2, learning_rate=0.05)
    np.testing.assert_allclose(loss1, loss2, rtol=1e-13)
    np.testing.assert_allclose(a1, a2, rtol=1e-12, atol=1e-15)
    for key in g2:
        np.testing.assert_allclose(g1[key], g2[key], rtol=1e-11, atol=1e-14)
    for key in p2:
        np.testing.assert_allclose(p1[key], p2[key], rtol=1e-12, atol=1e-15)


def test_gradients_match_finite_differences():
    parameters = random_parameters(n_a=4, vocab=5, seed=3)
    X, Y, a0 = [None, 1, 4, 2], [1, 4, 2, 0], np.full((4, 1), 0.3)

    def loss_of(p):
        return fr.rnn_forward(X, Y, a0, p, vocab_size=5)[0]

    grads, _ = fr.rnn_backward(X, Y, parameters, fr.rnn_forward(X, Y, a0, parameters, vocab_size=5)[1])
    h = 1e-6
    for key, value in parameters.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = copy_of(parameters), copy_of(parameters)
            plus[key][index] += h
            minus[key][index] -= h
            numeric[index] = (loss_of(plus) - loss_of(minus)) / (2 * h)
        np.testing.assert_allclose(grads["d" + key], numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 5, 17])
def test_sample_equals_the_course_code_and_leaves_numpy_as_the_course(seed):
    parameters = random_parameters(n_a=20, seed=seed, scale=0.3)
    got = fr.sample(parameters, CHAR_TO_IX, seed)
    after = np.random.random_sample()
    want = course.sample(parameters, CHAR_TO_IX, seed)
    assert got == want
    assert after == np.random.random_sample()


def test_step_functions_and_update_match_the_course():
    parameters = random_parameters(seed=4)
    rng = np.random.default_rng(4)
    x, a_prev = np.eye(27)[:, [3]], rng.standard_normal((7, 1))
    for got, want in zip(fr.rnn_step_forward(parameters, a_prev, x), course.rnn_step_forward(parameters, a_prev, x)):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    gradients = {k: np.zeros_like(v) for k, v in course.rnn_backward([1], [2], parameters, course.rnn_forward(
        [1], [2], a_prev, parameters)[1])[0].items()}
    dy = rng.standard_normal((27, 1))
    a = np.tanh(rng.standard_normal((7, 1)))
    got = fr.rnn_step_backward(dy, {k: v.copy() for k, v in gradients.items()}, parameters, x, a, a_prev)
    want = course.rnn_step_backward(dy, {k: v.copy() for k, v in gradients.items()}, parameters, x, a, a_prev)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-14)
    p1, p2 = copy_of(parameters), copy_of(parameters)
    assert fr.update_parameters(p1, want, 0.1) is p1
    course.update_parameters(p2, want, 0.1)
    for key in p2:
        np.testing.assert_array_equal(p1[key], p2[key])


def test_optimize_updates_fortran_ordered_parameters_in_place():
    parameters = random_parameters(seed=6)
    fortran = {k: np.asfortranarray(v) for k, v in parameters.items()}
    expected = copy_of(parameters)
    course.optimize([None, 3, 4], [3, 4, 0], np.zeros((7, 1)), expected)
    fr.optimize([None, 3, 4], [3, 4, 0], np.zeros((7, 1)), fortran)
    for key in expected:
        np.testing.assert_allclose(fortran[key], expected[key], rtol=1e-12, atol=1e-15)


def test_helpers():
    assert fr.smooth(10.0, 20.0) == course.smooth(10.0, 20.0)
    assert fr.get_initial_loss(27, 7) == course.get_initial_loss(27, 7)
    assert fr.get_sample([3, 1, 2, 0], IX_TO_CHAR) == "Cab\n"
    np.testing.assert_array_equal(fr.softmax(np.arange(6.0).reshape(3, 2)), course.softmax(np.arange(6.0).reshape(3, 2)))
    p1, p2 = fr.initialize_parameters(5, 27, 27), course.initialize_parameters(5, 27, 27)
    for key in p2:
        np.testing.assert_array_equal(p1[key], p2[key])


# --- bad input -----------------------------------------------------------------

@pytest.mark.parametrize("X, Y, error, words", [
    ([None, 30], [1, 2], ValueError, "X[1] = 30"),
    ([None, -1], [1, 2], ValueError, "X[1] = -1"),  # only None means a zero input
    ([None, 1], [1, -2], ValueError, "Y[1] = -2"),
    ([None, 1], [1, None], TypeError, "Y must be a list of integer indices"),
    ([None, 1], [1], ValueError, "same length"),
    ([], [], ValueError, "non-empty"),
    ([None, "a"], [1, 2], TypeError, "X must be a list"),
])
def test_optimize_rejects_bad_sequences(X, Y, error, words):
    """The errors of the checks, and nothing updated (the kernel, tried first, refuses before writing)."""
    parameters = random_parameters()
    before = copy_of(parameters)
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        fr.optimize(X, Y, np.zeros((7, 1)), parameters)
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], before[key])


def test_bad_parameters_and_state():
    parameters = random_parameters()
    with pytest.raises(KeyError, match="by"):
        fr.optimize([None], [1], np.zeros((7, 1)), {k: v for k, v in parameters.items() if k != "by"})
    with pytest.raises(ValueError, match=r"parameters\['Waa'\] must have shape \(n_a, n_a\) = \(7, 7\)"):
        fr.optimize([None], [1], np.zeros((7, 1)), {**parameters, "Waa": np.zeros((7, 6))})
    with pytest.raises(ValueError, match=r"a_prev must have shape \(n_a, 1\) = \(7, 1\), got \(6, 1\)"):
        fr.optimize([None], [1], np.zeros((6, 1)), parameters)
    with pytest.raises(TypeError, match="floats"):
        fr.optimize([None], [1], np.zeros((7, 1)), {**parameters, "b": np.zeros((7, 1), int)})
    with pytest.raises(ValueError, match="seed"):
        fr.sample(parameters, CHAR_TO_IX, -1)
    with pytest.raises(ValueError, match="probabilities contain NaN"):
        fr.sample({**parameters, "by": np.full((27, 1), np.nan)}, CHAR_TO_IX, 0)


def test_model_rejects_bad_data():
    with pytest.raises(KeyError, match="'!'"):
        fr.model(["abc", "d!e"], IX_TO_CHAR, CHAR_TO_IX, 10)
    with pytest.raises(ValueError, match="num_iterations"):
        fr.model(NAMES, IX_TO_CHAR, CHAR_TO_IX, -1)
    with pytest.raises(ValueError, match="empty"):
        fr.CharTrainer([], CHAR_TO_IX, fr.initialize_parameters(5, 27, 27), 0.0)


def test_optimize_refuses_a_read_only_parameter_before_changing_any():
    parameters = random_parameters()
    parameters["by"].setflags(write=False)
    before = copy_of(parameters)
    with pytest.raises(ValueError, match=r"parameters\['by'\] is read-only"):
        fr.optimize([None, 3], [3, 0], np.zeros((7, 1)), parameters)
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], before[key])


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 6, 9])
def test_weight_gradient_sums_follow_the_course_order_then_clip_and_step(T):
    """``sum_outer_products`` adds the steps from the last to the first (the
    course's ``+=`` loop, with fused multiply-adds), then clips and applies."""
    from fastrnn._kernels import charmodel as kernels

    rng = np.random.default_rng(T)
    coef, rows = 3 * rng.standard_normal((T, 7)), rng.standard_normal((T + 1, 9))
    want = np.zeros((7, 9))
    for t in reversed(range(T)):
        want = want + np.outer(coef[t], rows[t])
    out = np.full((7, 9), np.nan)
    w = rng.standard_normal((7, 9))
    kernels.sum_outer_products(coef, rows, False, out, w.copy(), 0.1, 5.0)
    np.testing.assert_allclose(out, want, rtol=1e-14, atol=1e-14)
    w_stepped = w.copy()
    kernels.sum_outer_products(coef, rows, True, out, w_stepped, 0.1, 5.0)
    clipped = np.clip(want, -5.0, 5.0)
    np.testing.assert_allclose(out, clipped, rtol=1e-14, atol=1e-14)
    assert (np.abs(out) <= 5.0).all()
    np.testing.assert_allclose(w_stepped, w + -0.1 * clipped, rtol=1e-14, atol=1e-14)


def test_compile_parts_leaves_the_global_random_state_alone():
    """The helper that compiles part of the trainer beside it (python -m fastrnn) draws its
    tiny parameters without moving numpy's global generator."""
    from fastrnn.charmodel import rnn

    np.random.seed(123)
    state = np.random.get_state()
    rnn.compile_parts()
    after = np.random.get_state()
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b for a, b in zip(state, after))
