"""The course's own numpy code, and the notebooks' test recipes: fastrnn's baselines.

- :mod:`.step_by_step` the "Building a Recurrent Neural Network - Step by
  Step" functions (RNN and LSTM cells and sequences, forward and backward);
- :mod:`.dinosaurus` the "Dinosaurus Island" ``utils.py`` and graded functions;
- :mod:`.recipes` the step-by-step notebook's test inputs.

``python -m fastrnn check``, the tests and ``bench/`` run these beside
fastrnn to compare values and time both.  ``import fastrnn`` does not import
this package.
"""
