"""A sweep of names-model trainings: one after another in this process against a two-worker Dask
LocalCluster, start-up included, and how soon each worker's first task computes.

    python bench/sweep.py [--iterations 100000] [--workers 2]

Eight configurations (hidden 40 and 50, learning rates 0.01 and 0.02, two
seeds) of about 2 s each.  Each run uses its own output folder; both start
from a numba cache the first (in-process) warm-up filled, as a sweep does.
The cluster run's time counts the cluster's start-up.  "First task" is, for
the tasks that started first on each worker: the seconds from submission
to the task's start, and the seconds its kernel took to load.
"""
import argparse
import tempfile
import time
from pathlib import Path

from fastrnn import sweep


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=130000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    configs = sweep.expand({"hidden": [40, 50], "lr": [0.01, 0.02], "iterations": args.iterations}, seeds=2)
    quiet = lambda text: None  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        here = sweep.run_sweep(configs, Path(tmp) / "here", scheduler="none", progress=quiet)
        t_here = time.perf_counter() - t0
        t0 = time.perf_counter()
        there = sweep.run_sweep(configs, Path(tmp) / "cluster", scheduler="local", workers=args.workers,
                                progress=quiet)
        t_there = time.perf_counter() - t0
    per_config = sum(r["seconds"] for r in here) / len(here)
    first = sorted(there, key=lambda r: r["queued_seconds"])[:args.workers]
    print("| run | wall time | speedup |")
    print("|---|---:|---:|")
    print(f"| {len(configs)} configurations ({per_config:.2f} s of training each), one after another here "
          f"| {t_here:.2f} s | 1.00x |")
    print(f"| the same on a LocalCluster of {args.workers} workers, start-up included | {t_there:.2f} s "
          f"| {t_here / t_there:.2f}x |")
    for row in first:
        print(f"| first task on a worker: queued {row['queued_seconds']:.2f} s, kernel loaded in "
              f"{row['load_seconds']:.2f} s | - | - |")


if __name__ == "__main__":
    main()
