"""The batch split against one thread, shape by shape: what ``fastrnn._threads.SPLIT_MIN_MACS`` rests on.

    python bench/split.py [--rounds 8] [--threads 2]

For each shape and pass, the split is forced on (threshold 0) and every
round times the call on one thread and on ``--threads`` back to back; the
table gives one thread's best time and the median ratio of split over one
thread (below 1: the split pays).  Shapes the split rules out anyway
(products too large for OpenBLAS's calling thread) are skipped.
"""
import argparse
import statistics
import time

from fastrnn import _threads, gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from fastrnn.compare import make_inputs

SHAPES = [(8, 16, 8, 8, 20), (16, 32, 16, 8, 50), (16, 64, 16, 16, 50), (16, 64, 16, 16, 100),
          (64, 128, 64, 8, 50), (64, 128, 64, 32, 25), (64, 128, 64, 32, 100)]
MODELS = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward),
          "gru": (gru_forward, gru_backward)}


def best(func, calls, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            func()
        times.append((time.perf_counter() - start) / calls)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=0.02, help="seconds of calls per timing")
    args = parser.parse_args(argv)
    _threads.SPLIT_MIN_MACS = 0
    print(f"| model | shape (n_x, n_a, n_y, m, T) | pass | multiply-adds | 1 thread | {args.threads} threads / 1 |")
    print("|---|---|---|---:|---:|---:|")
    for model, (forward, backward) in MODELS.items():
        for shape in SHAPES:
            n_x, n_a, n_y, m, T = shape
            g = {"lstm": 4, "gru": 3}.get(model, 1)
            if _threads.parts(m, 1, g * n_a * max(n_x, n_a)) == 1 and args.threads > 1:
                continue
            x, a0, p, da = make_inputs(model, shape)
            caches = forward(x, a0, p)[-1]
            passes = {"forward": (lambda: forward(x, a0, p), T * m * n_a * (g * (n_x + n_a) + n_y)),
                      "backward": (lambda: backward(da, caches), T * m * g * n_a * (n_x + n_a))}
            for name, (func, macs) in passes.items():
                func()
                start = time.perf_counter()
                func()
                calls = max(2, int(args.budget / (time.perf_counter() - start)))
                ratios, one = [], []
                for _ in range(args.rounds):
                    _threads.set_num_threads(1)
                    one.append(best(func, calls))
                    _threads.set_num_threads(args.threads)
                    ratios.append(best(func, calls) / one[-1])
                print(f"| {model} | {shape} | {name} | {macs / 1e6:.1f}M | {min(one) * 1e6:.0f} us | "
                      f"{statistics.median(ratios):.2f} |")


if __name__ == "__main__":
    main()
