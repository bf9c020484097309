"""``python -m fastrnn``: train the Dinosaurus Island model; check and time fastrnn.

Sub-commands:

``train`` (the default)
    train the character-level model (``--cell rnn|lstm|gru``) on the bundled
    dinosaur names or ``--names FILE`` with a progress bar, print sampled
    names, the wall time and the speedup over the course's numpy code
    measured in the same run; ``--save``/``--load`` parameters, ``--plot``
    the loss.
``sample``
    print names sampled from saved parameters.
``check``
    run the step-by-step notebook's recipes through fastrnn and the numpy
    code, compare every output, and print a speed table (same run, ratios).
``sweep``
    train many configurations of the names model at once on Dask
    (:mod:`fastrnn.sweep`).
``text train FILE`` / ``text sample CHECKPOINT``
    train a character language model on any UTF-8 text (stacked RNN, LSTM
    or GRU layers, mini-batches, checkpoints that resume exactly), or
    generate text from one (:mod:`fastrnn.text`).
``grade PATH``
    check the course functions a notebook or Python file defines against
    fastrnn's and name the wrong outputs and their likely causes
    (:mod:`fastrnn.grade`); exit code 0 when all pass, 1 otherwise.

Bad arguments or data give a one-line error and exit code 2.
"""
import argparse
import contextlib
import importlib.util
import os
import pathlib
import signal
import sys
import threading
import time

import numpy as np

from . import _background
from ._kernels._jit import notice_if_slow


def check(args):
    import fastrnn
    from .compare import check_notebook, speed_table

    t0 = time.perf_counter()
    print("Compiling (or loading from numba's disk cache) fastrnn's kernels: a minute or two on a new "
          "machine, a second later on", flush=True)
    fastrnn.warmup(progress=lambda label: print(f"  {label} ...", flush=True))
    print(f"Compiled or loaded the kernels in {time.perf_counter() - t0:.1f} s\n")
    worst = check_notebook()
    if worst > 1e-10:
        print(f"\nFAILED: fastrnn differs from the numpy code by {worst:.1e}")
        return 1
    print("  all outputs agree (to 1e-10)")
    shapes = ["notebook", "char"] if args.quick else ["notebook", "char", "medium"]  # bench/ has "large"
    speed_table(shapes, budget=0.1 if args.quick else 0.3)
    return 0


class UsageError(Exception):
    """A bad argument or bad data: one line on stderr, exit code 2."""


def _nonnegative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be non-negative, got {value}")
    return value


def _positive_int(text):
    value = _nonnegative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _char_module(cell):
    """The char model module of ``cell`` ("rnn", "lstm", "gru")."""
    from . import charmodel as cm
    from .charmodel import gru, lstm

    return {"rnn": cm, "lstm": lstm, "gru": gru}[cell]


def train(args):
    from . import charmodel as cm

    if args.plot:
        _require_matplotlib()
    names = _read_names(args.names)
    saved = _load(args.load) if args.load else None
    if saved is not None and args.cell and args.cell != saved.cell:
        raise UsageError(f"--load {args.load} holds a saved {saved.cell.upper()} model, not --cell {args.cell}")
    cell = saved.cell if saved is not None else (args.cell or "rnn")
    char_to_ix, ix_to_char = cm.vocabulary_of(saved.chars if saved is not None else cm.COURSE_CHARS)
    examples = _check_vocabulary(names, char_to_ix, args.names)
    if args.save:
        try:
            cm.saving.check_writable(args.save)
        except OSError as exc:
            raise UsageError(f"cannot write --save {cm.saving.npz_path(args.save)}: {exc}") from None
    try:
        trainer = _char_module(cell).make_trainer(
            examples, char_to_ix, n_a=args.hidden, seed=args.seed,
            parameters=saved.parameters if saved is not None else None)
    except MemoryError:
        raise UsageError(f"--hidden {args.hidden}: not enough memory for a model of that size") from None
    print(f"Training a character-level {cell.upper()} (n_a = {trainer.n_a}) on {len(examples)} names "
          f"for {args.iterations} iterations", flush=True)
    helper = None
    if cell == "rnn":  # part of the trainer and the sampler compile on the other core meanwhile
        helper = _background.compile_elsewhere("from fastrnn.charmodel import rnn; rnn.compile_parts()")
    t0 = time.perf_counter()
    with _interrupts_deferred() as stop:
        with notice_if_slow("compiling the character model's kernels (once per machine; later runs load "
                            "them from the disk cache)"):
            trainer.run(0)  # compile, or load the compiled kernels from numba's cache
        if stop:
            raise Interrupted("interrupted while compiling; nothing was saved")
        t_compile = time.perf_counter() - t0
        losses = _train_with_progress(trainer, args.iterations, stop)
    t_train = time.perf_counter() - t0 - t_compile
    print(f"Trained {args.iterations} iterations in {t_train:.2f} s "
          f"({t_train / max(args.iterations, 1) * 1e6:.1f} us each; compiling/loading kernels took {t_compile:.2f} s); "
          f"smoothed loss {trainer.loss:.4f}")
    if helper is not None:
        helper.wait()
    print(f"Sampled names (seeds {args.seed} .. {args.seed + args.count - 1}):")
    for k in range(args.count):
        print("  " + cm.get_sample(trainer.sample(args.seed + k), ix_to_char).strip())
    if cell == "rnn" and args.compare:
        from .compare import char_model_speed

        fast, slow = char_model_speed(examples, char_to_ix, args.compare)
        print(f"Speed over the course's numpy code (same run, {args.compare} iterations each): "
              f"{slow * 1e6:.0f} us -> {fast * 1e6:.1f} us per iteration, {slow / fast:.1f}x")
    elif cell != "rnn":
        print(f"(The course has no numpy {cell.upper()} char model to compare with; "
              "`python -m fastrnn train --cell rnn` reports the RNN's speedup.)")
    if args.save:
        written = cm.save_parameters(args.save, cell, trainer.parameters,
                                     "".join(sorted(char_to_ix, key=char_to_ix.get)))
        print(f"Saved the parameters to {written}")
    if args.plot:
        _plot(losses, args.plot, cell)
        print(f"Plotted the loss to {args.plot}")
    return 0


def sample(args):
    from . import charmodel as cm

    saved = _load(args.load)
    char_to_ix, ix_to_char = cm.vocabulary_of(saved.chars)
    module = _char_module(saved.cell)
    for k in range(args.count):
        print(cm.get_sample(module.sample(saved.parameters, char_to_ix, args.seed + k), ix_to_char).strip())
    return 0


def _load(path):
    from . import charmodel as cm

    try:
        return cm.load_parameters(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _read_names(path):
    from . import charmodel as cm

    if path is None:
        return cm.load_names()
    try:
        return cm.read_names(pathlib.Path(path))  # a Path is always read as a file
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read --names {path}: {exc}") from None


def _check_vocabulary(names, char_to_ix, source):
    """The names as training examples: stripped, blank lines dropped, every character in the vocabulary."""
    examples = [name.strip() for name in names]
    examples = [name for name in examples if name]
    if not examples:
        raise UsageError(f"no names in {source or 'the data'}: it is empty")
    for line, name in enumerate(examples, 1):
        for c in name:
            if c not in char_to_ix:
                raise UsageError(f"{source or 'the data'} line {line}: character {c!r} of {name!r} is outside the "
                                 f"vocabulary (newline and {''.join(k for k in char_to_ix if k != chr(10))})")
    return examples


class Interrupted(Exception):
    """Ctrl-C: one line on stderr, exit code 130."""


@contextlib.contextmanager
def _interrupts_deferred():
    """Ctrl-C sets a flag (the list yielded) instead of raising KeyboardInterrupt, in the main
    thread: a compile or a training chunk is never cut in the middle (numba does not recover from
    an interrupt inside its compiler), and the caller stops at the next safe point."""
    stop = []
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda number, frame: stop.append(number))
    try:
        yield stop
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _train_with_progress(trainer, iterations, stop, chunk=500):
    """Run ``iterations`` in chunks with a progress bar; stops after the chunk in which ``stop``
    (see :func:`_interrupts_deferred`) became true, raising Interrupted."""
    from tqdm import tqdm

    losses = []
    done = 0
    with tqdm(total=iterations, unit="it", desc="training", smoothing=0.1) as bar:
        while done < iterations and not stop:
            step = min(chunk, iterations - done)
            losses.append(trainer.run(step))
            done += step
            bar.update(step)
            bar.set_postfix(loss=f"{trainer.loss:.3f}")
    if stop:
        raise Interrupted(f"interrupted after {done} of {iterations} iterations; nothing was saved")
    return np.concatenate(losses) if losses else np.empty(0)


def _require_matplotlib():
    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("--plot needs matplotlib: pip install 'fastrnn[plot]'")


def _plot(losses, path, cell):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(np.arange(len(losses)), losses)
    ax.set_xlabel("iteration")
    ax.set_ylabel("smoothed loss")
    ax.set_title(f"fastrnn: character-level {cell.upper()} on dinosaur names")
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise UsageError(f"cannot write --plot {path}: {exc}") from None
    finally:
        plt.close(fig)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m fastrnn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    t = sub.add_parser("train", help="train the Dinosaurus Island model (default)")
    t.add_argument("--cell", choices=("rnn", "lstm", "gru"), default=None,
                   help="recurrent cell (default rnn; lstm and gru train with Adam)")
    t.add_argument("--iterations", type=_nonnegative_int, default=35000, help="SGD/Adam steps (default 35000)")
    t.add_argument("--seed", type=_nonnegative_int, default=0,
                   help="weights drawn after np.random.seed(SEED + 1), names shuffled after np.random.seed(SEED), "
                        "sampled with seeds SEED, SEED + 1, ... (default 0: the course's run)")
    t.add_argument("--hidden", type=_positive_int, default=50, help="hidden units n_a (default 50)")
    t.add_argument("--names", metavar="FILE", help="text file of names, one per line (default: the bundled dinos.txt)")
    t.add_argument("--count", type=_nonnegative_int, default=7, help="names to sample at the end (default 7)")
    t.add_argument("--compare", type=_nonnegative_int, default=300, metavar="N",
                   help="iterations of the speed comparison with the numpy code (default 300; 0 skips it)")
    t.add_argument("--save", metavar="FILE.npz", help="save the trained parameters")
    t.add_argument("--load", metavar="FILE.npz", help="start from saved parameters")
    t.add_argument("--plot", metavar="FILE.png", help="plot the smoothed loss (needs matplotlib)")
    s = sub.add_parser("sample", help="print names sampled from saved parameters")
    s.add_argument("--load", metavar="FILE.npz", required=True, help="parameters saved by train --save")
    s.add_argument("--count", type=_nonnegative_int, default=7, help="how many names (default 7)")
    s.add_argument("--seed", type=_nonnegative_int, default=0, help="first sampling seed (default 0)")
    c = sub.add_parser("check", help="check against the numpy course code and print a speed table")
    c.add_argument("--quick", action="store_true", help="only the small shapes, shorter timing")
    g = sub.add_parser("grade", help="check your own course functions (a notebook or .py file) against fastrnn's")
    g.add_argument("path", metavar="PATH", help="a notebook (.ipynb), a Python file, or a notebook's text dump")
    g.add_argument("--json", action="store_true", help="print the report as JSON")
    g.add_argument("--speed", action="store_true", help="also time each passing function against fastrnn's")
    g.add_argument("--timeout", type=_positive_int, default=60, metavar="S",
                   help="seconds each function's grading may take (default 60)")
    from .text.cli import add_parser as add_text_parser

    add_text_parser(sub, _positive_int, _nonnegative_int)
    w = sub.add_parser("sweep", help="train many configurations of the names model, on Dask if installed")
    w.add_argument("--out", required=True, metavar="DIR", help="output folder (a sweep started again skips what "
                                                              "it finished)")
    w.add_argument("--config", metavar="FILE", help="configurations in a JSON or TOML file (else the lists below)")
    w.add_argument("--cell", default="rnn", help="cells, comma-separated: rnn,lstm,gru (default rnn)")
    w.add_argument("--hidden", default="50", help="hidden sizes, comma-separated (default 50)")
    w.add_argument("--lr", help="learning rates, comma-separated (default: each cell's own)")
    w.add_argument("--iterations", default="2000", help="iterations, comma-separated (default 2000)")
    w.add_argument("--seeds", type=_positive_int, default=1, help="seeds 0 .. N-1 of every configuration (default 1)")
    w.add_argument("--scheduler", default="local",
                   help="'local' (a local Dask cluster, default), 'none' (one after another here), or the "
                        "address of a Dask scheduler")
    w.add_argument("--workers", type=_positive_int, help="processes of the local cluster (default: the cores)")
    w.add_argument("--names", metavar="FILE", help="training names, one per line (default: the bundled ones)")
    w.add_argument("--plot", metavar="FILE.png", help="plot the loss curves (needs matplotlib)")
    return parser


def sweep(args):
    from . import sweep as sw

    try:
        if args.config:
            configs = sw.read_configs(args.config)
        else:
            grid = {"cell": args.cell.split(","), "hidden": _int_list(args.hidden, "--hidden"),
                    "iterations": _int_list(args.iterations, "--iterations")}
            if args.lr:
                grid["lr"] = _float_list(args.lr, "--lr")
            configs = sw.expand(grid, args.seeds)
        names = _read_names(args.names) if args.names else None
        if args.plot:
            _require_matplotlib()
        rows = sw.run_sweep(configs, args.out, scheduler=args.scheduler, workers=args.workers, names=names,
                            progress=lambda text: print(text, flush=True))
    except sw.SweepError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write --out {args.out}: {exc}") from None
    good = [r for r in rows if r["error"] is None]
    print(f"Results: {os.path.join(args.out, 'results.md')} and results.csv"
          + (f"; best {good[0]['id']} (validation loss {good[0]['validation_loss']:.4f}) in "
             f"{os.path.join(args.out, 'best.npz')}" if good else "; every configuration failed"))
    if args.plot:
        _plot_curves(rows, args.plot)
        print(f"Plotted the loss curves to {args.plot}")
    return 0 if good else 1


def _int_list(text, option):
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} takes integers separated by commas, got {text!r}") from None


def _float_list(text, option):
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} takes numbers separated by commas, got {text!r}") from None


def _plot_curves(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for row in rows:
        if row["curve"]:
            ax.plot(np.linspace(0, row["iterations"], len(row["curve"])), row["curve"], label=row["id"])
    ax.set_xlabel("iteration")
    ax.set_ylabel("smoothed training loss")
    ax.legend(fontsize=6)
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise UsageError(f"cannot write --plot {path}: {exc}") from None
    finally:
        plt.close(fig)


def grade(args):
    from .grade import grade_file
    from .grade.source import SourceError

    try:
        report = grade_file(args.path, time_limit=args.timeout, speed=args.speed)
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    print(report.to_json() if args.json else report)
    return 0 if report.passed else 1


def text(args):
    from .text import cli
    from .text.data import TextError

    try:
        with _interrupts_deferred() as stop:
            return cli.run(args, stop)
    except TextError as exc:
        raise UsageError(str(exc)) from None
    except cli.Stopped as exc:
        raise Interrupted(str(exc)) from None


COMMANDS = {"train": train, "sample": sample, "check": check, "sweep": sweep, "grade": grade, "text": text}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "train")  # the default sub-command, with its options
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (Interrupted, KeyboardInterrupt) as exc:
        print(f"{parser.prog} {args.command}: {str(exc) or 'interrupted; nothing was saved'}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
