"""The course's ``model`` loop and sampler, for any cell.

:func:`run_model` is the course's ``model``: draw the parameters, shuffle
the names under ``np.random.seed(0)``, train, and every PRINT_EVERY
iterations print the smoothed loss and sampled names; a trainer (one per
cell: :class:`~fastrnn.charmodel.rnn.CharTrainer`,
:class:`~fastrnn.charmodel.lstm.LSTMCharTrainer`) runs the iterations in
compiled chunks between the prints.  :func:`draw_sample` wraps a cell's
compiled sampler with the course's seeding.
"""
import numpy as np

from .data import read_names
from .utils import get_initial_loss, get_sample

#: The course's ``sample`` stops after this many characters (then adds a newline).
MAX_SAMPLE_LENGTH = 50
#: The course's ``model`` prints every this many iterations.
PRINT_EVERY = 2000


def check_finite(arrays):
    """Raise the course's error if a parameter (``arrays``: name -> array) holds
    nan or inf: the course's sampler then meets NaN probabilities, which
    ``np.random.choice`` refuses."""
    for key, arr in arrays.items():
        if not np.isfinite(arr).all():
            raise ValueError(f"probabilities contain NaN: parameters[{key!r}] holds nan or inf values")


def draw_sample(run_kernel, char_to_ix, seed):
    """Shared by the RNN and LSTM samplers: check ``seed``, run
    ``run_kernel(seed, max_length, out)``, leave numpy's generator as the course does."""
    if "\n" not in char_to_ix:
        raise KeyError("char_to_ix has no entry for the newline character '\\n'")
    last_seed = seed + 2 * (MAX_SAMPLE_LENGTH - 1) if isinstance(seed, (int, np.integer)) else None
    if last_seed is None or seed < 0 or last_seed >= 2 ** 32:
        raise ValueError(f"seed must be an integer in 0 .. 2**32 - {2 * MAX_SAMPLE_LENGTH - 1} "
                         f"(the course reseeds numpy with seed + 2k), got {seed!r}")
    out = np.empty(MAX_SAMPLE_LENGTH + 1, np.int64)
    count = run_kernel(int(seed), MAX_SAMPLE_LENGTH, out)
    if count < 0:
        raise ValueError("probabilities are not finite: the parameters hold nan or inf (training diverged?)")
    draws = min(count, MAX_SAMPLE_LENGTH)
    np.random.seed(int(seed) + 2 * (draws - 1))  # leave numpy's generator as the course does
    np.random.random_sample()
    return [int(i) for i in out[:count]]


def run_model(initialize, trainer_class, sample_names, data_x, ix_to_char, char_to_ix, num_iterations,
              dino_names, vocab_size, verbose):
    """The course's ``model`` loop for any cell: ``initialize()`` draws the
    parameters, then the names are shuffled under ``np.random.seed(0)`` and
    ``trainer_class`` (see :class:`CharTrainer`) runs the iterations."""
    if isinstance(num_iterations, bool) or not isinstance(num_iterations, (int, np.integer)) or num_iterations < 0:
        raise ValueError(f"num_iterations must be a non-negative integer, got {num_iterations!r}")
    examples = [x.strip() for x in read_names(data_x)]
    parameters = initialize()
    np.random.seed(0)
    np.random.shuffle(examples)
    trainer = trainer_class(examples, char_to_ix, parameters, get_initial_loss(vocab_size, dino_names))
    n = len(examples)
    events = set(range(0, num_iterations, PRINT_EVERY))
    if verbose:
        events |= {j for j in (0, n - 1, n) if j < num_iterations}
    last_dino_name = "abc"
    for j in sorted(events):
        trainer.run(j + 1 - trainer.iteration)
        if verbose and j in (0, n - 1, n):
            print_verbose(j, examples, char_to_ix)
        if j % PRINT_EVERY == 0:
            print("Iteration: %d, Loss: %f" % (j, trainer.loss) + "\n")
            seed = 0
            for _ in range(dino_names):
                last_dino_name = get_sample(sample_names(trainer.parameters, char_to_ix, seed), ix_to_char)
                print(last_dino_name.replace("\n", ""))
                seed += 1
            print("\n")
    trainer.run(num_iterations - trainer.iteration)
    return trainer.parameters, last_dino_name


def print_verbose(j, examples, char_to_ix):
    """The course's ``verbose`` lines for iteration ``j``."""
    idx = j % len(examples)
    print("j = ", j, "idx = ", idx)
    if j == 0:
        single_example = examples[idx]
        single_example_chars = [c for c in single_example]
        single_example_ix = [char_to_ix[c] for c in single_example_chars]
        X = [None] + single_example_ix
        Y = X[1:] + [char_to_ix["\n"]]
        print("single_example =", single_example)
        print("single_example_chars", single_example_chars)
        print("single_example_ix", single_example_ix)
        print(" X = ", X, "\n", "Y =       ", Y, "\n")
