"""Sweeps: many trainings of the names model at once, on Dask's distributed scheduler.

A sweep is a list of configurations (``cell``, ``hidden``, ``lr``, ``seed``,
``iterations``), from a grid (:func:`expand`) or a JSON or TOML file
(:func:`read_configs`).  :func:`run_sweep` trains each one
(:func:`train_one`: the Dinosaurus Island trainer on the bundled names, or a
names file, with every tenth name held out for a validation loss) and
writes, in its output folder:

- ``runs/<id>.json``: one row per finished configuration (config, final
  smoothed training loss, validation loss in nats per character, seconds,
  iterations per second, a sampled name, the loss curve), or its error, and
  ``runs/<id>.npz`` its trained parameters;
- ``results.csv`` and ``results.md``: every row, best validation loss first;
- ``best.npz``: the best configuration's parameters (``fastrnn sample --load``).

Every file is written to a temporary name and renamed.  A sweep started
again on the same folder skips the configurations that have a row.

Execution: ``dask.distributed`` (``pip install "fastrnn[dask]"``): an
embedded ``LocalCluster`` of one single-threaded process per core, or an
existing cluster by address.  The kernels are compiled once, in this
process, into numba's disk cache before any task starts, so local workers
only load them.  Without Dask the configurations run one after another here.
"""
import csv
import hashlib
import io
import itertools
import json
import os
import tempfile
import time

import numpy as np

from . import charmodel
from .charmodel import gru as char_gru
from .charmodel import lstm as char_lstm
from .charmodel import rnn as char_rnn

#: The keys of a configuration and their defaults (``lr`` None: the cell's own default).
DEFAULTS = {"cell": "rnn", "hidden": 50, "lr": None, "seed": 0, "iterations": 2000}
CELLS = {"rnn": char_rnn, "lstm": char_lstm, "gru": char_gru}
#: The learning rate of each cell when a configuration gives none.
DEFAULT_LR = {"rnn": 0.01, "lstm": char_lstm.LEARNING_RATE, "gru": char_gru.LEARNING_RATE}
#: Points kept of each loss curve.
CURVE_POINTS = 200


class SweepError(ValueError):
    """A bad configuration or argument (the command line prints it as one line, exit code 2)."""


def check_config(config):
    """``config`` completed with the defaults and checked; raises SweepError naming the bad key."""
    if not isinstance(config, dict):
        raise SweepError(f"a configuration must be a table of keys {sorted(DEFAULTS)}, got {config!r}")
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise SweepError(f"unknown configuration keys {sorted(unknown)} (known: {sorted(DEFAULTS)})")
    out = {**DEFAULTS, **config}
    if out["cell"] not in CELLS:
        raise SweepError(f"cell must be one of {sorted(CELLS)}, got {out['cell']!r}")
    for key in ("hidden", "seed", "iterations"):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (1 if key == "hidden" else 0):
            raise SweepError(f"{key} must be an integer >= {1 if key == 'hidden' else 0}, got {value!r}")
        out[key] = int(value)
    if out["lr"] is None:
        out["lr"] = DEFAULT_LR[out["cell"]]
    if isinstance(out["lr"], bool) or not isinstance(out["lr"], (int, float)) or not 0 < out["lr"] < 10:
        raise SweepError(f"lr must be a number in (0, 10), got {out['lr']!r}")
    out["lr"] = float(out["lr"])
    return out


def config_id(config):
    """A short stable name for a (checked) configuration: its file name in ``runs/``."""
    text = json.dumps({k: config[k] for k in sorted(DEFAULTS)}, sort_keys=True)
    return f"{config['cell']}-h{config['hidden']}-s{config['seed']}-" + hashlib.sha1(text.encode()).hexdigest()[:8]


def expand(grid, seeds=1):
    """Every combination of ``grid`` (key -> value or list of values), for seeds ``0 .. seeds - 1``
    unless the grid gives ``seed``; checked configurations."""
    grid = {k: v if isinstance(v, (list, tuple)) else [v] for k, v in grid.items()}
    if "seed" not in grid:
        grid["seed"] = list(range(seeds))
    if any(len(v) == 0 for v in grid.values()):
        raise SweepError("every swept key needs at least one value")
    keys = sorted(grid)
    return [check_config(dict(zip(keys, values))) for values in itertools.product(*(grid[k] for k in keys))]


def read_configs(path):
    """Configurations from a JSON or TOML file: a list of tables, ``{"configs": [...]}``, or
    ``{"grid": {...}, "seeds": N}``."""
    try:
        if str(path).endswith(".toml"):
            import tomllib

            with open(path, "rb") as f:
                data = tomllib.load(f)
        else:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
    except (OSError, ValueError) as exc:
        raise SweepError(f"cannot read --config {path}: {exc}") from None
    if isinstance(data, list):
        return [check_config(c) for c in data]
    if isinstance(data, dict) and "configs" in data:
        return [check_config(c) for c in data["configs"]]
    if isinstance(data, dict) and "grid" in data:
        return expand(data["grid"], data.get("seeds", 1))
    raise SweepError(f"{path}: expected a list of configurations, or a table with 'configs' or 'grid'")


def split_names(names):
    """``(training names, validation names)``: every tenth name (from the first) is held out."""
    names = [n.strip() for n in names if n.strip()]
    return [n for i, n in enumerate(names) if i % 10], [n for i, n in enumerate(names) if not i % 10]


def validation_loss(cell, parameters, names, char_to_ix):
    """Mean cross-entropy (nats per character, newline included) of ``names``, each from a zero state."""
    total, count = 0.0, 0
    newline = char_to_ix["\n"]
    for name in names:
        X = [None] + [char_to_ix[c] for c in name]
        Y = X[1:] + [newline]
        if cell == "rnn":
            n_a = parameters["Waa"].shape[0]
            loss, _ = char_rnn.rnn_forward(X, Y, np.zeros((n_a, 1)), parameters, parameters["Wax"].shape[1])
        else:
            from . import gru_forward, lstm_forward

            W = parameters["Wf" if cell == "lstm" else "Wr"]
            n_a, n_x = W.shape[0], W.shape[1] - W.shape[0]
            x = np.zeros((n_x, 1, len(X)))
            for t, k in enumerate(X[1:], 1):
                x[k, 0, t] = 1.0
            y = (lstm_forward if cell == "lstm" else gru_forward)(x, np.zeros((n_a, 1)), parameters)[1]
            loss = -sum(np.log(y[k, 0, t]) for t, k in enumerate(Y))
        total += float(loss)
        count += len(Y)
    return total / max(count, 1)


def train_one(config, names=None):
    """Train one (checked) configuration; returns its row (see the module docstring)."""
    started_at = time.time()
    module = CELLS[config["cell"]]
    train_names, validation = split_names(charmodel.load_names() if names is None else names)
    char_to_ix, ix_to_char = charmodel.vocabulary_of(charmodel.COURSE_CHARS)
    state = np.random.get_state()
    trainer = module.make_trainer(train_names, char_to_ix, n_a=config["hidden"], seed=config["seed"])
    trainer.learning_rate = config["lr"]
    trainer.run(0)  # load (or compile) the kernel outside the timing
    load_seconds = time.time() - started_at
    t0 = time.perf_counter()
    losses = trainer.run(config["iterations"])
    seconds = time.perf_counter() - t0
    sample = charmodel.get_sample(trainer.sample(config["seed"]), ix_to_char).strip()
    np.random.set_state(state)
    step = max(1, len(losses) // CURVE_POINTS)
    return {**config, "id": config_id(config), "train_loss": float(trainer.loss),
            "validation_loss": validation_loss(config["cell"], trainer.parameters, validation, char_to_ix),
            "seconds": seconds, "iterations_per_second": config["iterations"] / seconds if seconds else None,
            "sample": sample, "curve": [float(v) for v in losses[::step]], "error": None,
            "started_at": started_at, "load_seconds": load_seconds,
            "parameters": {k: np.array(v) for k, v in trainer.parameters.items()}}


def train_safely(config, names=None):
    """:func:`train_one`, with any exception turned into a row that says what went wrong."""
    try:
        return train_one(config, names)
    except Exception as exc:  # a failing configuration must not stop the others
        return error_row(config, f"{type(exc).__name__}: {exc}")


def error_row(config, text):
    return {**config, "id": config_id(config), "train_loss": None, "validation_loss": None, "seconds": None,
            "iterations_per_second": None, "sample": None, "curve": [], "error": text, "parameters": None,
            "started_at": None, "load_seconds": None}


def atomic_write(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder, renamed at the end."""
    handle, temporary = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp",
                                         dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise


COLUMNS = ("id", "cell", "hidden", "lr", "seed", "iterations", "train_loss", "validation_loss", "seconds",
           "iterations_per_second", "sample", "error")


def _cell(value):
    return "" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))


def write_tables(rows, out_dir):
    """``results.csv`` and ``results.md`` of ``rows``, best validation loss first."""
    rows = sorted(rows, key=lambda r: (r["validation_loss"] is None, r["validation_loss"] or 0.0, r["id"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c) for c in COLUMNS])
    atomic_write(os.path.join(out_dir, "results.csv"), buffer.getvalue())
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row.get(c)).replace("|", "/") for c in COLUMNS) + " |" for row in rows]
    atomic_write(os.path.join(out_dir, "results.md"), "\n".join(lines) + "\n")
    return rows


def _compile_here(configs, names):
    """Train a tiny configuration of each cell here, so that the kernels are in the disk cache."""
    for cell in sorted({c["cell"] for c in configs}):
        train_one(check_config({"cell": cell, "hidden": 2, "iterations": 1}), names)


def run_sweep(configs, out_dir, scheduler="local", workers=None, names=None, progress=print):
    """Run every configuration not yet done in ``out_dir``; returns all rows, best first.

    ``scheduler``: "local" (an embedded LocalCluster when Dask is installed,
    else one after another here), "none" (here), or the address of a running
    Dask scheduler.  ``workers``: processes of the local cluster (default:
    the cores, at most one per configuration).  ``names``: training names
    (default: the bundled ones).
    """
    runs = os.path.join(out_dir, "runs")
    os.makedirs(runs, exist_ok=True)
    done = {}
    for file in sorted(os.listdir(runs)):
        if file.endswith(".json"):
            try:
                with open(os.path.join(runs, file), encoding="utf-8") as f:
                    row = json.load(f)
            except (OSError, ValueError):
                continue
            if row.get("error") is None:
                done[row["id"]] = row
    todo = [c for c in configs if config_id(c) not in done]
    progress(f"{len(configs)} configurations: {len(done)} done before, {len(todo)} to run")
    rows = list(done.values())

    def finished(row):
        parameters = row.pop("parameters", None)
        if parameters is not None:
            charmodel.save_parameters(os.path.join(runs, row["id"] + ".npz"), row["cell"], parameters,
                                      charmodel.COURSE_CHARS)
        atomic_write(os.path.join(runs, row["id"] + ".json"), json.dumps(row))
        rows.append(row)
        said = "failed: " + row["error"] if row["error"] else (
            f"validation loss {row['validation_loss']:.4f}, {row['iterations_per_second']:.0f} it/s, "
            f"sample {row['sample']!r}")
        progress(f"[{len(rows) - len(done)}/{len(todo)}] {row['id']}: {said}")

    if todo:
        _compile_here(todo, names)
        client = _client(scheduler, workers, len(todo), progress)
        if client is None:
            for config in todo:
                finished(train_safely(config, names))
        else:
            _run_on(client, todo, names, finished)
    rows = write_tables(rows, out_dir)
    best = next((r for r in rows if r["error"] is None), None)
    if best is not None:
        saved = charmodel.load_parameters(os.path.join(runs, best["id"] + ".npz"))
        charmodel.save_parameters(os.path.join(out_dir, "best.npz"), saved.cell, saved.parameters, saved.chars)
    return rows


def _client(scheduler, workers, count, progress):
    """A Dask client for ``scheduler``, or None to run here."""
    if scheduler == "none":
        return None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        if scheduler != "local":
            raise SweepError("--scheduler needs Dask: pip install 'fastrnn[dask]'") from None
        progress("Dask is not installed: running the configurations one after another here "
                 "(pip install 'fastrnn[dask]' to run them in parallel)")
        return None
    if scheduler == "local":
        n = workers or min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                           count)
        cluster = LocalCluster(n_workers=max(1, n), threads_per_worker=1, processes=True, dashboard_address=None)
        progress(f"local Dask cluster: {n} worker processes")
        return Client(cluster)
    try:
        return Client(scheduler, timeout=10)
    except OSError as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _run_on(client, todo, names, finished):
    from distributed import as_completed

    try:
        submitted = time.time()
        futures = {client.submit(train_safely, config, names, pure=False): config for config in todo}
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as exc:  # the worker died, or the task could not run
                row = error_row(futures[future], f"{type(exc).__name__}: {exc}")
            if row["started_at"] is not None:
                row["queued_seconds"] = row["started_at"] - submitted  # from submission to the task's start
            finished(row)
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
