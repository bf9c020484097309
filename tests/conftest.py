import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))  # for ``import reference``
# The suite tests the kernels: first calls compile here rather than answer with the course's
# numpy code while a background process compiles (tests/test_first_run.py turns that back on).
os.environ.setdefault("FASTRNN_BACKGROUND", "0")

# Compiled kernels make the first example slow (JIT); no deadline.  Shapes are
# small so every example is fast once compiled.
settings.register_profile(
    "default", deadline=None, max_examples=60, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# CI (.ci/run sets HYPOTHESIS_PROFILE=ci): the same examples in every run, so that a red CI means a
# change broke something, not that a new random example was drawn; runs elsewhere keep exploring.
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
