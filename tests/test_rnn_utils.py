"""softmax, sigmoid and Adam against the course's helpers."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastrnn.course import step_by_step
from fastrnn.rnn_utils import initialize_adam, sigmoid, softmax, update_parameters_with_adam


def test_softmax_and_sigmoid_match_the_course():
    z = np.random.default_rng(0).standard_normal((4, 6)) * 5
    assert_allclose(softmax(z), step_by_step.softmax(z), rtol=1e-14)
    assert_allclose(sigmoid(z), step_by_step.sigmoid(z), rtol=0)
    # a column far below the others: the course's global max gives nan, ours stays a distribution
    z[:, 0] -= 1000
    assert_allclose(softmax(z).sum(axis=0), 1.0)
    assert sigmoid(np.array([-1000.0]))[0] == 0.0


def course_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Seed 001's update_parameters_with_adam (keys W1, b1, ...)."""
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            k = f"d{p}{l}"
            v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
            s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
            parameters[f"{p}{l}"] = parameters[f"{p}{l}"] - learning_rate * (v[k] / (1 - beta1 ** t)) / np.sqrt(
                s[k] / (1 - beta2 ** t) + epsilon)
    return parameters, v, s


def test_adam_matches_the_course_on_layer_dicts_and_works_on_rnn_dicts():
    rng = np.random.default_rng(1)
    params = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal((3, 1)),
              "W2": rng.standard_normal((1, 3)), "b2": rng.standard_normal((1, 1))}
    ours, theirs = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
    v1, s1 = initialize_adam(ours)
    v2, s2 = initialize_adam(theirs)
    for t in (1, 2, 3):
        grads = {"d" + k: rng.standard_normal(v.shape) for k, v in params.items()}
        update_parameters_with_adam(ours, grads, v1, s1, t)
        course_adam(theirs, grads, v2, s2, t)
    for k in params:
        assert_allclose(ours[k], theirs[k], rtol=1e-15)
        assert_allclose(v1["d" + k], v2["d" + k], rtol=1e-15)

    rnn = {"Wax": np.ones((5, 3)), "Waa": np.ones((5, 5)), "Wya": np.ones((2, 5)),
           "ba": np.zeros((5, 1)), "by": np.zeros((2, 1))}
    original = rnn["Waa"]
    v, s = initialize_adam(rnn)
    assert set(v) == {"dWax", "dWaa", "dWya", "dba", "dby"}
    grads = {"d" + k: np.full(a.shape, 2.0) for k, a in rnn.items()}
    update_parameters_with_adam(rnn, grads, v, s, 1, learning_rate=0.1)
    assert_allclose(rnn["Waa"], 1 - 0.1 * 2 / np.sqrt(4 + 1e-8))
    assert original[0, 0] == 1.0  # new arrays under the same keys, like the course
    with pytest.raises(KeyError, match="dWaa"):
        update_parameters_with_adam(rnn, {k: g for k, g in grads.items() if k != "dWaa"}, v, s, 2)
    with pytest.raises(ValueError, match="t"):
        update_parameters_with_adam(rnn, grads, v, s, 0)
