"""Speed ratios measured round-robin: every round times each implementation once, back to back.

    python bench/interleaved.py [--rounds 15] [--shapes notebook char medium] [--models rnn lstm gru]
                                [--pause 0.2] [--json out.json]

pytest-benchmark (``bench/test_speed.py``) runs all rounds of one benchmark
before the next, so on a shared machine a slow spell that falls on one
implementation's rounds moves the ratio (seen here: the numpy notebook code
timed 87 us in one run and 127 us in the next).  Here each round times
numpy, fastrnn and torch within a fraction of a second of each other; the
ratio of each round is taken, and the table gives their median and range
over the rounds.  Same workloads as ``bench/test_speed.py`` (float64), plus
the char model's ``optimize`` step.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from fastrnn import charmodel, warmup
from fastrnn.course import dinosaurus

sys.path.insert(0, str(Path(__file__).parent))
import workloads  # noqa: E402
from test_charmodel_speed import optimize_recipe  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

#: Pause before each timed batch (``--pause``), so that the previous one's spinning
#: BLAS/OpenMP threads do not take a core from the next (as QUIET_SECONDS in test_speed.py).
QUIET_SECONDS = 0.2


def optimize_workloads():
    """The course's ``optimize`` step (its test recipe) for fastrnn and numpy."""
    funcs = {}
    for impl, module in (("numpy", dinosaurus), ("fastrnn", charmodel)):
        X, Y, a_prev, p = optimize_recipe()
        funcs[impl] = (lambda f=module.optimize, X=X, Y=Y, a=a_prev, p=p: f(X, Y, a, p))
    return funcs


def groups(shapes, models=workloads.MODELS):
    """``(label, {impl: callable})`` for every group to measure."""
    if "rnn" in models:
        yield "char-rnn optimize step", optimize_workloads()
    for model in models:
        for shape in shapes:
            for pass_ in workloads.PASSES:
                impls = ["numpy", "fastrnn"] + (["torch"] if torch is not None else [])
                yield (f"{model} {shape} {pass_}",
                       {impl: workloads.workload(model, impl, pass_, shape) for impl in impls})


def measure(funcs, rounds, budget, pause=QUIET_SECONDS):
    """Per-round times (seconds) of each implementation, the order rotating every round."""
    names = list(funcs)
    times = {name: [] for name in names}
    for func in funcs.values():
        func()  # warm-up (compiles nothing: warmup() ran)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            time.sleep(pause)
            times[name].append(workloads.best_time(funcs[name], budget, repeat=1))  # one batch
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget", type=float, default=0.03, help="seconds per timed batch")
    parser.add_argument("--shapes", nargs="+", default=["notebook", "char", "medium"],
                        choices=list(workloads.SHAPES))
    parser.add_argument("--models", nargs="+", default=list(workloads.MODELS), choices=workloads.MODELS)
    parser.add_argument("--pause", type=float, default=QUIET_SECONDS, help="seconds of pause before each batch")
    parser.add_argument("--json", help="also save the per-round times here")
    args = parser.parse_args(argv)
    warmup(("float64",), char_models=True)
    print(f"{args.rounds} rounds, round-robin; ratio = other / fastrnn per round: median [min - max]")
    print()
    print("| group | fastrnn (median) | vs numpy | vs torch |")
    print("|---|---:|---:|---:|")
    saved = {}
    for label, funcs in groups(args.shapes, args.models):
        times = {k: np.array(v) for k, v in measure(funcs, args.rounds, args.budget, args.pause).items()}
        saved[label] = {k: v.tolist() for k, v in times.items()}
        cells = []
        for other in ("numpy", "torch"):
            if other not in times:
                cells.append("-")
                continue
            ratio = times[other] / times["fastrnn"]
            cells.append(f"{np.median(ratio):.1f}x [{ratio.min():.1f} - {ratio.max():.1f}]")
        print(f"| {label} | {fmt(np.median(times['fastrnn']))} | {cells[0]} | {cells[1]} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": args.rounds, "budget": args.budget, "times": saved}, f)


def fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main()
