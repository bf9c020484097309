"""The course's ``utils.py`` helpers that do not depend on the cell.

``softmax``, ``smooth``, ``get_initial_loss``, ``get_sample`` and
``print_sample``, with the course's names and results (plain numpy: each is
too little work for a compiled call to pay).
"""
import numpy as np


def softmax(x):
    """``exp(x - max(x)) / sum`` over axis 0 (the course's utils.softmax)."""
    x = np.asarray(x)
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=0)


def smooth(loss, cur_loss):
    """Exponential smoothing of the loss: ``loss * 0.999 + cur_loss * 0.001``."""
    return loss * 0.999 + cur_loss * 0.001


def get_initial_loss(vocab_size, seq_length):
    """Loss of a uniform guess over ``seq_length`` characters: ``-log(1/vocab_size) * seq_length``."""
    return -np.log(1.0 / vocab_size) * seq_length


def get_sample(sample_ix, ix_to_char):
    """The sampled characters as a string, first letter capitalised."""
    txt = "".join(ix_to_char[ix] for ix in sample_ix)
    return txt[0].upper() + txt[1:]


def print_sample(sample_ix, ix_to_char):
    """Print :func:`get_sample` without a line end (the older course's helper)."""
    print(get_sample(sample_ix, ix_to_char), end="")
