"""``python -m fastrnn text train FILE`` and ``python -m fastrnn text sample CHECKPOINT``.

:func:`add_parser` adds the ``text`` command to the program's parser;
:func:`run` runs it.  Bad settings and texts raise :class:`~.data.TextError`
(the program prints one line and exits 2); Ctrl-C stops at the end of the
current step (a compiled step is never cut), saves the checkpoint if
``--save`` was given, and raises :class:`Stopped` (exit code 130).
"""
import math
import os
import tempfile
import time

import numpy as np

from .data import Corpus, TextError, demo_corpus_path
from .model import DEFAULTS


class Stopped(Exception):
    """Training stopped by Ctrl-C (after saving, when ``--save`` was given)."""


def add_parser(sub, positive_int, nonnegative_int):
    text = sub.add_parser("text", help="train a character language model on any text, or sample from one")
    commands = text.add_subparsers(dest="text_command", required=True)
    t = commands.add_parser("train", help="train on a UTF-8 text file (or --demo)")
    t.add_argument("file", nargs="?", help="a UTF-8 text file (its last --val part is held out)")
    t.add_argument("--demo", action="store_true",
                   help="train on the Python standard library's own source files (2 MB, no download)")
    t.add_argument("--cell", choices=("rnn", "lstm", "gru"), help=f"recurrent cell (default {DEFAULTS['cell']})")
    t.add_argument("--layers", type=positive_int, help=f"stacked layers, 1-3 (default {DEFAULTS['layers']})")
    t.add_argument("--hidden", type=positive_int, help=f"units per layer (default {DEFAULTS['hidden']})")
    t.add_argument("--batch", type=positive_int, help=f"parallel streams B (default {DEFAULTS['batch']})")
    t.add_argument("--seq", type=positive_int, help=f"steps of backpropagation L (default {DEFAULTS['seq']})")
    t.add_argument("--steps", type=nonnegative_int, default=1000, help="updates to run (default 1000)")
    t.add_argument("--optimizer", choices=("adam", "sgd", "adagrad"), help="default adam")
    t.add_argument("--lr", type=float, help=f"learning rate (default {DEFAULTS['lr']})")
    t.add_argument("--decay", type=float, help="multiply the learning rate by this every --decay-every steps")
    t.add_argument("--decay-every", type=positive_int, help=f"default {DEFAULTS['decay_every']}")
    t.add_argument("--clip-norm", type=float, help=f"clip the gradients' global norm (default "
                                                   f"{DEFAULTS['clip_norm']}; 0: off)")
    t.add_argument("--clip-value", type=float, help="also clip every gradient value to [-V, V] (the course's clip)")
    t.add_argument("--dropout", type=float, help="dropout between layers (default 0)")
    t.add_argument("--dtype", choices=("float32", "float64"), help="default float32")
    t.add_argument("--val", type=float, help=f"validation fraction at the end of the text (default "
                                             f"{DEFAULTS['val_fraction']})")
    t.add_argument("--eval-every", type=positive_int, default=200, help="validation every N steps (default 200)")
    t.add_argument("--seed", type=nonnegative_int, help="initial weights and dropout (default 0)")
    t.add_argument("--save", metavar="CKPT.npz", help="checkpoint to write (atomically; also at every validation)")
    t.add_argument("--resume", metavar="CKPT.npz", help="continue a checkpoint exactly (same text and settings)")
    t.add_argument("--plot", metavar="FILE.png", help="plot the training and validation loss (needs matplotlib)")
    t.add_argument("--sample", type=nonnegative_int, default=300, help="characters to print at the end (default 300)")
    s = commands.add_parser("sample", help="generate text from a checkpoint")
    s.add_argument("checkpoint", metavar="CKPT.npz")
    s.add_argument("--prime", help="text fed first (default a newline, or the text's first character)")
    s.add_argument("--temperature", type=float, default=1.0,
                   help="divides the logits before the softmax: below 1 sharper, above 1 flatter, 0 the most "
                        "likely character every time (default 1)")
    s.add_argument("--top-k", type=nonnegative_int, default=0, help="draw among the K most likely only (0: all)")
    s.add_argument("--length", type=nonnegative_int, default=500, help="characters to generate (default 500)")
    s.add_argument("--seed", type=nonnegative_int, default=0)
    return text


def _settings(args):
    return {"cell": args.cell, "layers": args.layers, "hidden": args.hidden, "batch": args.batch, "seq": args.seq,
            "optimizer": args.optimizer, "lr": args.lr, "decay": args.decay, "decay_every": args.decay_every,
            "clip_norm": args.clip_norm, "clip_value": args.clip_value, "dropout": args.dropout,
            "dtype": args.dtype, "val_fraction": args.val, "seed": args.seed}


def _text_path(args):
    if args.demo and args.file:
        raise TextError("give a FILE or --demo, not both")
    if args.demo:
        return demo_corpus_path(os.path.join(tempfile.gettempdir()))
    if not args.file:
        raise TextError("give a UTF-8 text FILE to train on, or --demo")
    return args.file


def train(args, stop):
    from . import checkpoint
    from .model import TextModel

    if args.plot:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise TextError("--plot needs matplotlib: pip install 'fastrnn[plot]'")
    if args.save:
        folder = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(folder):
            raise TextError(f"cannot write --save {args.save}: no directory {folder}")
    path = _text_path(args)
    settings = {k: v for k, v in _settings(args).items() if v is not None}
    if args.resume:
        meta, _ = checkpoint.read(args.resume)
        saved = meta["config"]
        corpus = Corpus.from_file(path, saved["val_fraction"], chars=None)
        model = checkpoint.resume(args.resume, corpus, settings)
    else:
        corpus = Corpus.from_file(path, settings.get("val_fraction", DEFAULTS["val_fraction"]))
        model = TextModel(corpus, **settings)
    print(f"Text: {path}, {len(corpus.codes)} characters ({len(corpus.chars)} distinct), {len(corpus.valid)} "
          f"held out for validation", flush=True)
    print(f"Model: {model.describe()}" + (f"; resumed at step {model.step}" if args.resume else ""), flush=True)
    t0 = time.perf_counter()
    _compile(model)
    print(f"Kernels ready in {time.perf_counter() - t0:.1f} s", flush=True)
    from tqdm import tqdm

    chars, start, last = model.B * model.L, time.perf_counter(), {"val": None, "done": 0}

    class _Interrupt(Exception):
        pass

    def after_step(model, loss, val):  # progress, checkpoints, and Ctrl-C at the end of a step
        last["done"] += 1
        if val is not None:
            last["val"] = val
            if args.save:
                checkpoint.save(model, args.save)
        rate = chars * last["done"] / (time.perf_counter() - start)
        shown = "-" if last["val"] is None or math.isnan(last["val"]) else f"{last['val'] / math.log(2):.3f}"
        bar.set_postfix_str(f"loss {loss / math.log(2):.3f} bpc, val {shown} bpc, {rate:,.0f} chars/s",
                            refresh=False)
        bar.update(1)
        if stop:
            raise _Interrupt

    try:
        with tqdm(total=args.steps, unit="step", desc="training", smoothing=0.1, mininterval=0.5) as bar:
            model.train(args.steps, args.eval_every, after_step)
    except _Interrupt:
        written = checkpoint.save(model, args.save) if args.save else None
        raise Stopped(f"interrupted at step {model.step}" + (f"; saved {written}" if written else
                                                              "; nothing saved (no --save)")) from None
    elapsed, done, val = time.perf_counter() - start, last["done"], last["val"]
    if val is None and args.steps == 0:
        val = model.evaluate()
    result = ("no validation part (--val 0)" if math.isnan(val) else
              f"validation {val / math.log(2):.3f} bits per character at step {model.step}")
    print(f"Trained {done} steps in {elapsed:.1f} s ({chars * done / max(elapsed, 1e-9):,.0f} characters/s); {result}")
    if args.save:
        print(f"Saved the checkpoint to {checkpoint.save(model, args.save)}")
    if args.plot:
        _plot(model.history, args.plot)
        print(f"Plotted the loss to {args.plot}")
    if args.sample:
        print("Sample (temperature 0.8):")
        print(model.sample(args.sample, temperature=0.8, seed=0))
    return 0


def _compile(model):
    """Compile (or load) the kernels outside the timed steps: one step of a tiny model."""
    from .._kernels._jit import notice_if_slow
    from .model import TextModel

    with notice_if_slow(f"compiling the text engine's {model.config['cell'].upper()} kernels "
                        f"({model.config['dtype']}; once per machine, later runs load them from the disk cache)"):
        # the kernels are compiled for types, not sizes: a tiny model of the same cell, layers,
        # dtype and text compiles all of them without touching the model's state or memory
        probe = TextModel(model.corpus, **{**model.config, "hidden": 2, "batch": 1, "seq": 2})
        probe.train_step()
        probe.evaluate(max_chunks=1)


def sample(args):
    from . import checkpoint

    if not math.isfinite(args.temperature) or args.temperature < 0:
        raise TextError(f"--temperature must be a number >= 0, got {args.temperature}")
    model, _ = checkpoint.for_sampling(args.checkpoint)
    print(model.sample(args.length, prime=args.prime, temperature=args.temperature, top_k=args.top_k,
                       seed=args.seed))
    return 0


def _plot(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = np.array(history, dtype=float).reshape(-1, 3)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(rows[:, 0], rows[:, 1] / math.log(2), label="training")
    has_val = ~np.isnan(rows[:, 2])
    ax.plot(rows[has_val, 0], rows[has_val, 2] / math.log(2), "o-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("bits per character")
    ax.legend()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise TextError(f"cannot write --plot {path}: {exc}") from None
    finally:
        plt.close(fig)


def run(args, stop):
    """The ``text`` command: ``args`` from :func:`add_parser`; ``stop`` becomes true on Ctrl-C."""
    return train(args, stop) if args.text_command == "train" else sample(args)
