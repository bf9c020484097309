"""Drop-in replacement for the course's ``rnn_utils.py``.

``softmax``, ``sigmoid``, ``initialize_adam`` and ``update_parameters_with_adam``
with the course's signatures.  Adam works with any parameters dict (the
course's ``W1, b1, ...`` as well as RNN and LSTM dicts): every key ``k`` of
``parameters`` has its gradient in ``grads["d" + k]``.
"""
import numpy as np


def softmax(x):
    """Softmax over axis 0 (each column of an ``(n, m)`` array is a distribution).

    The maximum of each column is subtracted before ``exp``; the course
    subtracts the maximum of the whole array, which gives the same values
    but 0/0 = nan for a column far below the others.
    """
    x = np.asarray(x)
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, elementwise (no overflow warning)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(x)))


def initialize_adam(parameters):
    """Zero first and second moment estimates for every parameter.

    Parameters
    ----------
    parameters : dict ``name -> array``.

    Returns
    -------
    v, s : dicts ``"d" + name -> zeros`` of each parameter's shape (float64).
    """
    v = {"d" + key: np.zeros(np.shape(value)) for key, value in parameters.items()}
    s = {"d" + key: np.zeros(np.shape(value)) for key, value in parameters.items()}
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    """One Adam step, exactly the course's update (epsilon inside the square root).

    ``parameters``, ``v`` and ``s`` are updated in place (new arrays are stored
    under the same keys, as in the course) and also returned.

    Parameters
    ----------
    parameters : dict ``name -> array``.
    grads : dict with ``"d" + name`` for every parameter.
    v, s : moment dicts from :func:`initialize_adam`.
    t : int >= 1, the Adam step count (for the bias correction).

    Returns
    -------
    parameters, v, s
    """
    if t < 1:
        raise ValueError(f"t (the Adam step count) must be at least 1, got {t}")
    missing = [key for key in parameters if "d" + key not in grads]
    if missing:
        raise KeyError(f"grads is missing {', '.join('d' + k for k in missing)} "
                       f"(every parameter needs its gradient)")
    for key in parameters:
        g = grads["d" + key]
        v["d" + key] = beta1 * v["d" + key] + (1 - beta1) * g
        s["d" + key] = beta2 * s["d" + key] + (1 - beta2) * g ** 2
        v_corrected = v["d" + key] / (1 - beta1 ** t)
        s_corrected = s["d" + key] / (1 - beta2 ** t)
        parameters[key] = parameters[key] - learning_rate * v_corrected / np.sqrt(s_corrected + epsilon)
    return parameters, v, s
