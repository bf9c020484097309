"""Dinosaurus Island, compiled: the course's character-level RNN.

The notebook's graded functions and the RNN part of the course's
``utils.py``, with the same names, arguments and results (the 2021 course's
versions); :mod:`fastrnn.charmodel` exports them.  ``optimize`` runs forward,
loss, backpropagation through time, clipping and the SGD update in one
compiled call; :class:`CharTrainer` runs many iterations per compiled call
(:mod:`fastrnn._kernels.charmodel`).

Semantics kept from the course, on purpose:

- ``initialize_parameters`` seeds numpy's global generator with 1;
  ``sample`` leaves it as the course's ``np.random.seed(seed + counter)``
  calls do.
- ``optimize`` and ``update_parameters`` change ``parameters``' arrays in place.
- ``clip`` works on a copy (the 2021 course; the older course clipped in
  place): the caller's gradients are never changed.
"""
import copy
from operator import itemgetter

import numpy as np

from .._kernels import charmodel as _kernels
from .._kernels._jit import load_blas
from .._validate import NOT_AS_GIVEN, Dims, as_real_array, read_parameters
from .data import encode_examples
from .loop import check_finite, draw_sample, run_model
from .utils import get_initial_loss, softmax

#: Keys and shapes of the char model's parameters.
PARAMETERS = {"Wax": ("n_a", "n_x"), "Waa": ("n_a", "n_a"), "Wya": ("n_y", "n_a"),
              "b": ("n_a", 1), "by": ("n_y", 1)}
#: ``parameters`` -> tuple of its arrays Wax, Waa, Wya, b, by (KeyError if one is missing).
PARAMETER_ITEMS = itemgetter(*PARAMETERS)
GRADIENT_KEYS = ("dWaa", "dWax", "dWya", "db", "dby")  # the order of the course's clip result
#: The course's vocabulary size: its ``optimize`` calls ``rnn_forward`` with this default.
VOCAB_SIZE = 27
_F64 = np.dtype(np.float64)


# --- the RNN part of the course's utils.py ----------------------------------

def initialize_parameters(n_a, n_x, n_y):
    """Seed numpy's global generator with 1, then draw ``Wax, Waa, Wya`` (times 0.01) in that order.

    Returns ``{"Wax" (n_a, n_x), "Waa" (n_a, n_a), "Wya" (n_y, n_a), "b" (n_a, 1), "by" (n_y, 1)}``
    with zero biases.
    """
    np.random.seed(1)
    Wax = np.random.randn(n_a, n_x) * 0.01
    Waa = np.random.randn(n_a, n_a) * 0.01
    Wya = np.random.randn(n_y, n_a) * 0.01
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}


def rnn_step_forward(parameters, a_prev, x):
    """One step: ``a_next = tanh(Wax x + Waa a_prev + b)``, ``p_t = softmax(Wya a_next + by)``.

    Plain numpy (one step is too little work for a compiled call to pay).
    ``a_prev (n_a, 1)``, ``x (n_x, 1)``; returns ``a_next (n_a, 1), p_t (n_y, 1)``.
    """
    p = parameters
    a_next = np.tanh(np.dot(p["Wax"], x) + np.dot(p["Waa"], a_prev) + p["b"])
    return a_next, softmax(np.dot(p["Wya"], a_next) + p["by"])


def rnn_step_backward(dy, gradients, parameters, x, a, a_prev):
    """Add one step's contribution to ``gradients`` (changed in place, and returned).

    ``dy (n_y, 1)`` is the softmax output minus the one-hot target;
    ``gradients["da_next"]`` carries the gradient into ``a_prev``.
    """
    gradients["dWya"] += np.dot(dy, a.T)
    gradients["dby"] += dy
    da = np.dot(parameters["Wya"].T, dy) + gradients["da_next"]
    daraw = (1 - a * a) * da
    gradients["db"] += daraw
    gradients["dWax"] += np.dot(daraw, x.T)
    gradients["dWaa"] += np.dot(daraw, a_prev.T)
    gradients["da_next"] = np.dot(parameters["Waa"].T, daraw)
    return gradients


def update_parameters(parameters, gradients, lr):
    """SGD: ``parameters[k] += -lr * gradients["d" + k]``, **in place** (as the course), returned."""
    for key in PARAMETERS:
        parameters[key] += -lr * gradients["d" + key]
    return parameters


# --- input checks ----------------------------------------------------------

def check_parameters(parameters, inplace=False):
    """The parameters' arrays and sizes ``(n_a, n_x, n_y)``, with the course's shapes checked;
    with ``inplace`` (a function that updates them) every one must be a numpy array of floats."""
    dims = Dims()
    if inplace and isinstance(parameters, dict):
        for key in PARAMETERS:
            value = parameters.get(key)
            if key in parameters and not isinstance(value, np.ndarray):
                raise TypeError(f"parameters[{key!r}] must be a numpy array: it is updated in place "
                                f"(got {type(value).__name__})")
    arrays = read_parameters(parameters, PARAMETERS, dims)
    if inplace:
        for key, arr in arrays.items():
            if arr.dtype.kind != "f":
                raise TypeError(f"parameters[{key!r}] must hold floats: it is updated in place "
                                f"(got dtype {arr.dtype})")
    return arrays, dims["n_a"], dims["n_x"], dims["n_y"]


def _plain_parameters(parameters):
    """The common case, checked in a couple of microseconds: a dict of
    float64, C-contiguous, writeable ndarrays of consistent shapes.  Returns
    the caller's arrays ``Wax, Waa, Wya, b, by`` and ``(n_a, n_x, n_y)``;
    None for anything else."""
    if type(parameters) is not dict:
        return None
    try:
        arrays = (parameters["Wax"], parameters["Waa"], parameters["Wya"], parameters["b"], parameters["by"])
    except KeyError:
        return None
    f64 = _F64
    for v in arrays:
        if type(v) is not np.ndarray or v.dtype is not f64 or v.ndim != 2:
            return None
        flags = v.flags
        if not (flags.c_contiguous and flags.writeable):
            return None
    Wax, Waa, Wya, b, by = arrays
    (n_a, n_x), n_y = Wax.shape, Wya.shape[0]
    if n_a and n_x and n_y and Waa.shape == (n_a, n_a) and Wya.shape == (n_y, n_a) and b.shape == (n_a, 1) \
            and by.shape == (n_y, 1):
        return arrays, (n_a, n_x, n_y)
    return None


class _Working:
    """The parameters as the kernels take them, and the copy back after an in-place update.

    ``arrays`` is ``Wax, Waa, Wya, b (n_a, 1), by (n_y, 1)``, float64 and
    C-contiguous (``args``: the same with the biases flattened): the
    caller's own arrays where they already qualify (so the in-place updates
    land where the course's would), else converted copies that
    :meth:`write_back` copies into the caller's arrays.  With ``inplace``, a
    read-only array is refused before anything runs (not after some arrays
    were already updated).
    """

    def __init__(self, parameters, inplace=False):
        load_blas()  # before the first kernel runs
        plain = _plain_parameters(parameters)
        if plain is not None:
            self.arrays, (self.n_a, self.n_x, self.n_y) = plain
            self.copies = ()
            return
        arrays, self.n_a, self.n_x, self.n_y = check_parameters(parameters, inplace)
        work, self.copies = [], []
        for key, arr in arrays.items():
            if inplace and not arr.flags.writeable:
                raise ValueError(f"parameters[{key!r}] is read-only but is updated in place")
            direct = (type(arr) is np.ndarray and arr.dtype == np.float64 and arr.flags.c_contiguous
                      and arr.flags.writeable)
            work.append(arr if direct else np.ascontiguousarray(arr, dtype=np.float64))
            if not direct:
                self.copies.append((arr, work[-1]))
        self.arrays = tuple(work)

    @property
    def args(self):
        """``Wax, Waa, Wya, b (n_a,), by (n_y,)``."""
        Wax, Waa, Wya, b, by = self.arrays
        return Wax, Waa, Wya, b.reshape(self.n_a), by.reshape(self.n_y)

    def write_back(self):
        """Copy the updated values into the caller's arrays that were not used directly."""
        for arr, work in self.copies:
            arr[...] = work


def _indices(name, seq, size, allow_none):
    """A list of character indices as int64 (``None`` -> -1 where allowed)."""
    try:
        seq = list(seq)
        values = [-1 if (v is None and allow_none) else v for v in seq]
        if any(isinstance(v, (float, np.floating)) for v in values):
            raise TypeError
        out = np.array(values, dtype=np.int64) if values else np.empty(0, np.int64)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be a list of integer indices"
                        + (" (None for a zero input)" if allow_none else "") + f", got {seq!r}") from None
    if out.ndim != 1 or out.size == 0:
        raise ValueError(f"{name} must be a non-empty list of indices, got {seq!r}")
    given = np.array([v is not None for v in seq])  # a literal -1 is out of range, only None means no input
    bad = given & ((out < 0) | (out >= size))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name}[{i}] = {out[i]} is outside the vocabulary 0..{size - 1}")
    return out


def _sequences(X, Y, n_x, n_y):
    """Inputs ``X`` (None for a zero input) and targets ``Y`` of the same length
    T as one ``(2 T,)`` int64 array: the inputs (-1 for None), then the targets.

    Plain lists of in-range ints take a fast path; anything else gets the
    detailed checks (and their errors).
    """
    try:
        inputs = [-1 if v is None else v for v in X]
        seqs = np.array(inputs + Y if type(Y) is list else inputs + list(Y))
    except (TypeError, ValueError):
        seqs = None
    T = len(inputs) if seqs is not None else 0
    if T and seqs.dtype == np.int64 and seqs.shape == (2 * T,):
        low = min(inputs)
        if -1 <= low and max(inputs) < n_x and (low >= 0 or -1 not in X) \
                and 0 <= min(Y) and max(Y) < n_y:
            return seqs
    xs, ys = _indices("X", X, n_x, True), _indices("Y", Y, n_y, False)
    if len(xs) != len(ys):
        raise ValueError(f"X and Y must have the same length, got {len(xs)} and {len(ys)}")
    return np.concatenate((xs, ys))


def _as_state(name, a, n_a):
    """``a`` as a C-contiguous, writeable float64 ``(n_a, 1)`` array (``a``
    itself when it is one; never written).  Complex and non-numeric values are refused."""
    if type(a) is np.ndarray and a.dtype is _F64 and a.shape == (n_a, 1) and a.flags.c_contiguous \
            and a.flags.writeable:
        return a
    arr = as_real_array(name, a, ("n_a", 1))
    if arr.shape != (n_a, 1):
        raise ValueError(f"{name} must have shape (n_a, 1) = ({n_a}, 1), got {arr.shape}")
    return np.array(arr, dtype=np.float64, order="C")


# --- the graded functions --------------------------------------------------

def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    """Forward pass over one example and its cross-entropy loss (compiled).

    Parameters
    ----------
    X : list of input indices (``None`` for a zero input), length T.
    Y : list of target indices, length T.
    a0 : (n_a, 1) initial state.
    parameters : dict ``Wax, Waa, Wya, b, by``.
    vocab_size : int, n_x (checked against ``Wax``).

    Returns
    -------
    loss : float
    cache : ``(y_hat, a, x)`` dicts keyed by step as the course's
        (``a[-1]`` is a copy of ``a0``; ``x[t]`` the one-hot inputs).
    """
    w = _Working(parameters)
    n_a, n_x, n_y = w.n_a, w.n_x, w.n_y
    if vocab_size != n_x:
        raise ValueError(f"vocab_size = {vocab_size} but parameters['Wax'] has n_x = {n_x} columns")
    xs, ys = _sequences(X, Y, n_x, n_y).reshape(2, -1)
    a0_vec = _as_state("a0", a0, n_a).reshape(n_a)
    Wax, Waa, Wya, b, by = w.args
    T = len(xs)
    a_hist, probs = np.empty((T + 1, n_a)), np.empty((T, n_y))
    loss = _kernels.forward_loss(xs, ys, a0_vec, Wax, Waa, Wya, b, by, a_hist, probs)
    a = {-1: np.array(a0, dtype=float, copy=True)}
    x, y_hat = {}, {}
    for t in range(T):
        x[t] = np.zeros((vocab_size, 1))
        if xs[t] >= 0:
            x[t][xs[t]] = 1
        a[t] = a_hist[t + 1].reshape(n_a, 1)
        y_hat[t] = probs[t].reshape(n_y, 1)
    return np.float64(loss), (y_hat, a, x)


def rnn_backward(X, Y, parameters, cache):
    """Backpropagation through time over one example (compiled).

    Returns ``gradients`` (``dWax, dWaa, dWya, db, dby`` and ``da_next``,
    the gradient reaching ``a0``) and the cache's ``a`` dict.
    """
    w = _Working(parameters)
    n_a, n_x, n_y = w.n_a, w.n_x, w.n_y
    try:
        y_hat, a, _ = cache
        T = len(X)
        probs = np.stack([np.asarray(y_hat[t], dtype=np.float64).reshape(n_y) for t in range(T)])
        a_hist = np.stack([np.asarray(a[t - 1], dtype=np.float64).reshape(n_a) for t in range(T + 1)])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"cache must be the (y_hat, a, x) dicts of rnn_forward for these X ({exc})") from None
    xs, ys = _sequences(X, Y, n_x, n_y).reshape(2, -1)
    Wax, Waa, Wya, b, by = w.args
    g = {"dWax": np.empty((n_a, n_x)), "dWaa": np.empty((n_a, n_a)), "dWya": np.empty((n_y, n_a)),
         "db": np.empty((n_a, 1)), "dby": np.empty((n_y, 1)), "da_next": np.empty((n_a, 1))}
    _kernels.backward(xs, ys, Waa, Wya, a_hist, probs, g["dWax"], g["dWaa"], g["dWya"],
                      g["db"].reshape(n_a), g["dby"].reshape(n_y), g["da_next"].reshape(n_a))
    return g, a


def clip(gradients, maxValue):
    """Clip ``dWaa, dWax, dWya, db, dby`` to ``[-maxValue, maxValue]`` on a copy.

    Returns a new dict with those five keys (as the 2021 course); the caller's
    arrays are not changed.
    """
    missing = [k for k in GRADIENT_KEYS if k not in gradients]
    if missing:
        raise KeyError(f"gradients is missing {', '.join(map(repr, missing))} (expected {', '.join(GRADIENT_KEYS)})")
    gradients = copy.deepcopy({k: gradients[k] for k in GRADIENT_KEYS})
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
    return gradients


def sample(parameters, char_to_ix, seed):
    """Sample a sequence of character indices from the model (compiled).

    Before the k-th draw numpy's global generator is seeded with
    ``seed + 2k`` (the course's ``np.random.seed(counter + seed)``, both
    incremented every step) and the index is drawn as ``np.random.choice``
    does; the generator is left in the state the course leaves it in.
    Stops at ``char_to_ix["\\n"]`` or after 50 characters (then appends it).

    Returns the list of indices.
    """
    w = _Working(parameters)
    if w.n_x != w.n_y:
        raise ValueError(f"sample feeds outputs back as inputs: n_x = {w.n_x} must equal n_y = {w.n_y}")
    check_finite(dict(zip(PARAMETERS, w.arrays)))
    Wax, Waa, Wya, b, by = w.args
    return draw_sample(lambda s, m, out: _kernels.sample(Wax, Waa, Wya, b, by, char_to_ix["\n"], s, m, out),
                       char_to_ix, seed)


def _run_optimize(seqs, a0, arrays, learning_rate):
    """The optimize kernel on ``seqs`` (inputs then targets, int64), ``a0
    (n_a, 1)`` and the parameter ``arrays`` Wax, Waa, Wya, b, by as they are;
    returns ``loss, gradients, a_last``, with loss -1.0 if the kernel refused
    them (see :class:`~fastrnn._kernels._jit.EntryKernel`)."""
    Wax, Waa, Wya, b, by = arrays
    (n_a, n_x), n_y = Wax.shape, Wya.shape[0]
    g = {"dWaa": np.empty((n_a, n_a)), "dWax": np.empty((n_a, n_x)), "dWya": np.empty((n_y, n_a)),
         "db": np.empty((n_a, 1)), "dby": np.empty((n_y, 1))}
    a_last = np.empty((n_a, 1))
    loss = _kernels.optimize_entry[_F64](seqs, a0, Wax, Waa, Wya, b, by, learning_rate, 5.0,
                                         g["dWax"], g["dWaa"], g["dWya"], g["db"], g["dby"], a_last)
    return loss, g, a_last


def _optimize_as_given(X, Y, a_prev, parameters, learning_rate):
    """:func:`_run_optimize` on the caller's arguments with no checks in
    Python: the kernel's dispatch checks the arrays' types and the kernel the
    shapes and index ranges.  ``X`` must hold no literal -1 (only None means
    no input) and be as long as ``Y``."""
    arrays = PARAMETER_ITEMS(parameters)
    if len(X) != len(Y) or -1 in X or arrays[0].shape[1] != VOCAB_SIZE:
        return -1.0, None, None
    seqs = np.array([-1 if v is None else v for v in X] + list(Y))
    return _run_optimize(seqs, a_prev, arrays, learning_rate)


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    """One training step (compiled): forward, loss, BPTT, clip to [-5, 5], SGD.

    Updates ``parameters``' arrays **in place**, as the course does (so each
    must be a numpy array of floats).  As the course's, it works with the
    course's 27-character vocabulary: ``parameters['Wax']`` has 27 columns.

    Returns
    -------
    loss : float
    gradients : dict ``dWaa, dWax, dWya, db, dby`` (clipped).
    a_last : (n_a, 1) the state after the last character.
    """
    try:  # plain arrays and lists of ints run as they are
        loss, g, a_last = _optimize_as_given(X, Y, a_prev, parameters, float(learning_rate))
    except NOT_AS_GIVEN:
        loss = -1.0
    if loss < 0.0:  # arrays to convert, or an error to report
        w = _Working(parameters, inplace=True)
        n_a, n_x, n_y = w.n_a, w.n_x, w.n_y
        if n_x != VOCAB_SIZE:
            raise ValueError(f"optimize runs the course's rnn_forward with vocab_size = {VOCAB_SIZE}: "
                             f"parameters['Wax'] must have {VOCAB_SIZE} columns, got {n_x}")
        seqs = _sequences(X, Y, n_x, n_y)
        a0 = _as_state("a_prev", a_prev, n_a)
        loss, g, a_last = _run_optimize(seqs, a0, w.arrays, float(learning_rate))
        if loss < 0.0:
            raise RuntimeError("fastrnn internal error: optimize's kernel refused checked arguments")
        w.write_back()
    return np.float64(loss), g, a_last


def compile_parts():
    """Compile (or load) the trainer's weight-gradient kernel and the sampler, on tiny inputs.

    For a process running beside one that compiles :class:`CharTrainer`'s
    kernel: the two compile on two cores, and the trainer's compile loads the
    weight-gradient kernel from the disk cache (its argument types are the
    ones the trainer passes).  The global random state is left as it was.
    """
    state = np.random.get_state()
    n_a, n_x = 2, 3
    f = np.zeros
    _kernels.weight_gradients(np.zeros(1, np.int64), f((2, n_a)), f((1, n_x)), f((1, n_a)), f((n_a, n_x)),
                              f((n_a, n_a)), f((n_x, n_a)), f(n_a), f(n_x), False, f((n_a, n_x)), f((n_a, n_a)),
                              f((n_x, n_a)), f(n_a), f(n_x), 0.0, 1.0)
    sample(initialize_parameters(n_a, n_x, n_x), {"\n": 0}, 0)
    np.random.set_state(state)


# --- training ------------------------------------------------------------

class CharTrainer:
    """The course's ``model`` loop as resumable, compiled chunks of iterations.

    Parameters
    ----------
    examples : list of str, in training order (``model`` shuffles them first).
    char_to_ix : dict, character -> index (``"\\n"`` included).
    parameters : dict ``Wax, Waa, Wya, b, by``, updated in place.
    loss : float, the smoothed loss to start from.
    learning_rate, max_value : SGD step and gradient clipping bound.
    """

    def __init__(self, examples, char_to_ix, parameters, loss, learning_rate=0.01, max_value=5.0):
        self._working = _Working(parameters, inplace=True)
        n_a, n_x, n_y = self._working.n_a, self._working.n_x, self._working.n_y
        self.codes, self.starts, self.newline = encode_examples(examples, char_to_ix, min(n_x, n_y))
        self.parameters = parameters
        self.a_prev = np.zeros(n_a)
        self.loss = float(loss)
        self.learning_rate, self.max_value = float(learning_rate), float(max_value)
        self.iteration = 0  # iterations run so far
        self.n_a = n_a

    def sample(self, seed):
        """:func:`sample` from the current parameters."""
        char_to_ix = {"\n": self.newline}
        return sample(self.parameters, char_to_ix, seed)

    def run(self, count):
        """Run ``count`` iterations; returns their smoothed losses ``(count,)``.

        ``run(0)`` only compiles the kernel (or loads it from numba's cache).
        """
        losses = np.empty(count)
        Wax, Waa, Wya, b, by = self._working.args
        self.loss = _kernels.train(self.codes, self.starts, self.newline, self.iteration, count, self.a_prev,
                                   Wax, Waa, Wya, b, by, self.learning_rate, self.max_value,
                                   self.loss, losses)
        self._working.write_back()
        self.iteration += count
        return losses


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27,
          verbose=False):
    """Train the character-level RNN as the course's ``model`` does (compiled).

    Every 2000 iterations prints the smoothed loss and ``dino_names`` sampled
    names.  ``data_x`` is the list of names (the course's ``data.split("\\n")``)
    or a path to a text file of names.

    Returns ``(parameters, last_dino_name)``.
    """
    return run_model(lambda: initialize_parameters(n_a, vocab_size, vocab_size), CharTrainer, sample,
                     data_x, ix_to_char, char_to_ix, num_iterations, dino_names, vocab_size, verbose)


def make_trainer(examples, char_to_ix, n_a=50, seed=0, parameters=None):
    """A :class:`CharTrainer` set up as the course's ``model`` for ``seed = 0``.

    Weights are drawn as :func:`initialize_parameters` does but after
    ``np.random.seed(seed + 1)`` (unless ``parameters`` are given); the
    examples are shuffled after ``np.random.seed(seed)``.
    """
    vocab_size = len(char_to_ix)
    if parameters is None:
        np.random.seed(seed + 1)
        parameters = {"Wax": np.random.randn(n_a, vocab_size) * 0.01,
                      "Waa": np.random.randn(n_a, n_a) * 0.01,
                      "Wya": np.random.randn(vocab_size, n_a) * 0.01,
                      "b": np.zeros((n_a, 1)), "by": np.zeros((vocab_size, 1))}
    examples = list(examples)
    np.random.seed(seed)
    np.random.shuffle(examples)
    return CharTrainer(examples, char_to_ix, parameters, get_initial_loss(vocab_size, 7))
