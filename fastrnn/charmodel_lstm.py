"""Dinosaurus Island with an LSTM cell: :mod:`fastrnn.charmodel.lstm` under its short name."""
from .charmodel.lstm import *  # noqa: F401,F403
from .charmodel.lstm import __all__  # noqa: F401
