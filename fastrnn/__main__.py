"""``python -m fastrnn``: check fastrnn against the course's numpy code and time both.

Sub-commands:

``demo`` (the default)
    run the notebooks' test recipes through fastrnn and the numpy code,
    compare every output, and print a speed table (same run, ratios).
"""
import argparse
import sys
import time

import numpy as np

from . import numpy_course, workloads


def _recipes():
    """The seed notebooks' recipes: (name, fastrnn function, numpy function, args builder)."""
    import fastrnn

    def rnn_cell():
        np.random.seed(1)
        xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
        p = {k: np.random.randn(*s) for k, s in
             (("Waa", (5, 5)), ("Wax", (5, 3)), ("Wya", (2, 5)), ("ba", (5, 1)), ("by", (2, 1)))}
        return xt, a_prev, p

    def rnn_seq():
        np.random.seed(1)
        x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
        p = {k: np.random.randn(*s) for k, s in
             (("Waa", (5, 5)), ("Wax", (5, 3)), ("Wya", (2, 5)), ("ba", (5, 1)), ("by", (2, 1)))}
        return x, a0, p

    def lstm_params():
        p = {}
        for k, s in (("Wf", (5, 8)), ("bf", (5, 1)), ("Wi", (5, 8)), ("bi", (5, 1)), ("Wo", (5, 8)),
                     ("bo", (5, 1)), ("Wc", (5, 8)), ("bc", (5, 1)), ("Wy", (2, 5)), ("by", (2, 1))):
            p[k] = np.random.randn(*s)
        return p

    def lstm_cell():
        np.random.seed(1)
        xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
        return xt, a_prev, c_prev, lstm_params()

    def lstm_seq():
        np.random.seed(1)
        x, a0 = np.random.randn(3, 10, 7), np.random.randn(5, 10)
        return x, a0, lstm_params()

    def rnn_bwd(module):
        x, a0, p = rnn_seq()
        caches = module.rnn_forward(x, a0, p)[2]
        return np.random.randn(5, 10, 4), caches

    def lstm_bwd(module):
        x, a0, p = lstm_seq()
        caches = module.lstm_forward(x, a0, p)[3]
        return np.random.randn(5, 10, 4), caches

    def lstm_cell_bwd(module):
        args = lstm_cell()
        cache = module.lstm_cell_forward(*args)[3]
        return np.random.randn(5, 10), np.random.randn(5, 10), cache

    return [
        ("rnn_cell_forward", lambda m: rnn_cell()),
        ("rnn_forward", lambda m: rnn_seq()),
        ("rnn_backward", rnn_bwd),
        ("lstm_cell_forward", lambda m: lstm_cell()),
        ("lstm_forward", lambda m: lstm_seq()),
        ("lstm_cell_backward", lstm_cell_bwd),
        ("lstm_backward", lstm_bwd),
    ], fastrnn


def _max_difference(ours, theirs):
    """Largest absolute difference over the arrays of two results (tuples/dicts, caches skipped)."""
    if isinstance(ours, dict):
        return max(_max_difference(ours[k], theirs[k]) for k in theirs)
    if isinstance(ours, tuple):
        return max(_max_difference(o, t) for o, t in zip(ours, theirs) if not isinstance(t, (tuple, dict)))
    return float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))


def check_notebook(out=None):
    """Run each recipe through both implementations; return the worst difference."""
    out = out or sys.stdout
    recipes, fastrnn = _recipes()
    worst = 0.0
    print("Notebook recipes (np.random.seed(1)), fastrnn vs the course's numpy code:", file=out)
    for name, build in recipes:
        ours = getattr(fastrnn, name)(*build(fastrnn))
        theirs = getattr(numpy_course, name)(*build(numpy_course))
        diff = _max_difference(ours, theirs)
        worst = max(worst, diff)
        print(f"  {name:<20} max |difference| = {diff:.1e}", file=out)
    return worst


def speed_table(shapes, budget, out=None):
    """Time both implementations in this run; print and return the rows."""
    out = out or sys.stdout
    rows = []
    print("\nSpeed (float64, best of 5 rounds, this machine, this run):", file=out)
    print(f"  {'model':<5} {'shape (n_x,n_a,n_y,m,T)':<24} {'pass':<17} {'numpy':>10} {'fastrnn':>10} {'speedup':>8}",
          file=out)
    for model in ("rnn", "lstm"):
        for shape in shapes:
            for pass_ in workloads.PASSES:
                t_np = workloads.best_time(workloads.workload(model, "numpy", pass_, shape), budget)
                t_fr = workloads.best_time(workloads.workload(model, "fastrnn", pass_, shape), budget)
                rows.append((model, shape, pass_, t_np, t_fr))
                print(f"  {model:<5} {shape + ' ' + str(workloads.SHAPES[shape]):<24} {pass_:<17} "
                      f"{_fmt(t_np):>10} {_fmt(t_fr):>10} {t_np / t_fr:>7.1f}x", file=out)
    return rows


def _fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def demo(args):
    t0 = time.perf_counter()
    import fastrnn
    fastrnn.warmup()
    print(f"Compiled or loaded the kernels in {time.perf_counter() - t0:.1f} s\n")
    worst = check_notebook()
    if worst > 1e-10:
        print(f"\nFAILED: fastrnn differs from the numpy code by {worst:.1e}")
        return 1
    print("  all outputs agree (to 1e-10)")
    shapes = ["notebook", "char"] if args.quick else list(workloads.SHAPES)
    speed_table(shapes, budget=0.1 if args.quick else 0.3)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m fastrnn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="check against the numpy course code and print a speed table (default)")
    d.add_argument("--quick", action="store_true", help="only the small shapes, shorter timing")
    return parser


COMMANDS = {"demo": demo}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "demo")  # the default sub-command, with its options
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
