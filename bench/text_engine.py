"""The text engine against PyTorch CPU: training throughput, quality, sampling speed, memory.

    python bench/text_engine.py [--steps 30] [--rounds 5] [--quality-steps 300] [--json out.json]

Same model and optimizer on both sides: one-hot inputs, ``nn.LSTM``/``nn.GRU``
with ``num_layers``, ``nn.Linear``, mean cross-entropy, ``torch.optim.Adam``
(lr 2e-3), ``clip_grad_norm_`` (5), truncated BPTT with the state carried;
same threads (torch gets the cores numba's BLAS uses).  Throughput: the two
engines' step times interleaved, round after round, back to back as in
training (characters per second = batch x seq / step time), ratio per
round, median and range.  Quality: both
train the same number of steps on the same corpus (the standard library
demo corpus), validation loss at the end.  Sampling: 2,000 characters from
the 2-layer LSTM, fastrnn's one compiled call against the same loop in
PyTorch (one step of the model per character).  Memory: peak RSS after
each of 1,000 steps of fastrnn.
"""
import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time

import numpy as np

from fastrnn.text import Corpus, TextModel
from fastrnn.text.data import demo_corpus_path

CONFIGS = {"lstm-2x256": dict(cell="lstm", layers=2, hidden=256, batch=32, seq=64),
           "gru-1x128": dict(cell="gru", layers=1, hidden=128, batch=32, seq=64)}


class TorchModel:
    """The PyTorch side: the same model, optimizer, clipping and data order as TextModel."""

    def __init__(self, corpus, cell, layers, hidden, batch, seq, dtype="float32", lr=2e-3, clip_norm=5.0, seed=0):
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        self.tdtype = torch.float32 if dtype == "float32" else torch.float64
        V = len(corpus.chars)
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = rnn(V, hidden, num_layers=layers).to(self.tdtype)
        self.out = torch.nn.Linear(hidden, V).to(self.tdtype)
        self.params = list(self.rnn.parameters()) + list(self.out.parameters())
        self.opt = torch.optim.Adam(self.params, lr=lr)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.corpus, self.cell, self.B, self.L, self.V, self.clip = corpus, cell, batch, seq, V, clip_norm
        self.stream = (len(corpus.train) - 1) // batch
        self.train_codes = torch.from_numpy(corpus.train.astype(np.int64))
        self.position, self.state = 0, None
        self.starts = torch.arange(batch) * self.stream

    def _chunk(self, codes, starts, t0, T):
        index = starts[None, :] + t0 + self.torch.arange(T)[:, None]
        x = self.torch.nn.functional.one_hot(codes[index], self.V).to(self.tdtype)
        return x, codes[index + 1]

    def _detach(self, state):
        if state is None:
            return None
        return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()

    def train_step(self):
        if (self.position + 1) * self.L > self.stream:
            self.position, self.state = 0, None
        x, y = self._chunk(self.train_codes, self.starts, self.position * self.L, self.L)
        out, state = self.rnn(x, self._detach(self.state))
        loss = self.loss_fn(self.out(out).reshape(-1, self.V), y.reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.opt.step()
        self.state, self.position = state, self.position + 1
        return float(loss)

    def evaluate(self):
        torch = self.torch
        valid = torch.from_numpy(self.corpus.valid.astype(np.int64))
        stream = (len(valid) - 1) // self.B
        starts = torch.arange(self.B) * stream
        total, count, state = 0.0, 0, None
        with torch.no_grad():
            for t0 in range(0, stream, self.L):
                T = min(self.L, stream - t0)
                x, y = self._chunk(valid, starts, t0, T)
                out, state = self.rnn(x, state)
                total += float(self.loss_fn(self.out(out).reshape(-1, self.V), y.reshape(-1))) * T
                count += T
        return total / count

    def sample(self, length, prime_code, seed=0):
        torch = self.torch
        gen = torch.Generator().manual_seed(seed)
        out, state = [], None
        code = prime_code
        with torch.no_grad():
            for _ in range(length):
                x = torch.nn.functional.one_hot(torch.tensor([[code]]), self.V).to(self.tdtype)
                h, state = self.rnn(x, state)
                p = torch.softmax(self.out(h[0, 0]), dim=-1)
                code = int(torch.multinomial(p, 1, generator=gen))
                out.append(code)
        return out


def step_time(model, steps):
    model.train_step()
    t0 = time.perf_counter()
    for _ in range(steps):
        model.train_step()
    return (time.perf_counter() - t0) / steps


def throughput(corpus, name, dtype, steps, rounds, threads, pause=0.0):
    config = dict(CONFIGS[name], dtype=dtype)
    ours = TextModel(corpus, **config)
    theirs = TorchModel(corpus, **config)
    ratios, t_ours, t_theirs = [], [], []
    for r in range(rounds):
        pair = [(ours, t_ours), (theirs, t_theirs)]
        for model, times in (pair if r % 2 == 0 else pair[::-1]):
            time.sleep(pause)
            times.append(step_time(model, steps))
        ratios.append(t_theirs[-1] / t_ours[-1])
    chars = config["batch"] * config["seq"]
    return {"config": name, "dtype": dtype, "threads": threads,
            "fastrnn_chars_per_s": chars / float(np.median(t_ours)), "torch_chars_per_s": chars / float(np.median(t_theirs)),
            "ratio_median": float(np.median(ratios)), "ratio_min": float(min(ratios)), "ratio_max": float(max(ratios))}


def quality(corpus, name, steps):
    config = dict(CONFIGS[name], dtype="float32")
    ours, theirs = TextModel(corpus, **config), TorchModel(corpus, **config)
    for _ in range(steps):
        ours.train_step()
        theirs.train_step()
    a, b = ours.evaluate(), theirs.evaluate()
    return {"config": name, "steps": steps, "fastrnn_val_bpc": a / math.log(2), "torch_val_bpc": b / math.log(2),
            "difference_percent": 100 * (a - b) / b}


def sampling(corpus, length=2000, rounds=3):
    config = dict(CONFIGS["lstm-2x256"], dtype="float32")
    ours, theirs = TextModel(corpus, **config), TorchModel(corpus, **config)
    ours.sample(10)
    t_ours, t_theirs = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        ours.sample(length, prime="\n", temperature=1.0, seed=1)
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs.sample(length, prime_code=corpus.chars.index("\n"))
        t_theirs.append(time.perf_counter() - t0)
    return {"length": length, "fastrnn_s": min(t_ours), "torch_s": min(t_theirs), "ratio": min(t_theirs) / min(t_ours)}


def _rss_mb():
    """This process's resident memory now (Linux /proc), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory(corpus, steps=1000):
    """Resident memory after the first step and every 100 steps of the 2-layer LSTM (float32)."""
    model = TextModel(corpus, **dict(CONFIGS["lstm-2x256"], dtype="float32"))
    rss, peak = [], []
    for k in range(steps):
        model.train_step()
        if k % 100 == 99 or k == 0:
            rss.append(round(_rss_mb(), 1))
            peak.append(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))  # Linux: KB
    return {"steps": steps, "rss_mb_every_100_steps": rss, "peak_rss_mb_every_100_steps": peak}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="steps per timed batch")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds of pause before each timed batch (default 0: as in training; on this VM a "
                             "pause makes the next two-thread batch start slow)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quality-steps", type=int, default=300)
    parser.add_argument("--skip", nargs="*", default=[], choices=["throughput", "quality", "sampling", "memory"])
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    import numba
    import torch

    threads = numba.config.NUMBA_NUM_THREADS and os.cpu_count()
    torch.set_num_threads(threads)
    corpus = Corpus.from_file(demo_corpus_path(tempfile.gettempdir()))
    print(f"corpus: the standard library demo ({len(corpus.codes)} characters, {len(corpus.chars)} distinct); "
          f"torch {torch.__version__}, {threads} threads", flush=True)
    results = {}
    if "throughput" not in args.skip:
        results["throughput"] = []
        for name in CONFIGS:
            for dtype in ("float32", "float64"):
                row = throughput(corpus, name, dtype, args.steps, args.rounds, threads, args.pause)
                results["throughput"].append(row)
                print(f"{name} {dtype}: fastrnn {row['fastrnn_chars_per_s']:.0f} chars/s, torch "
                      f"{row['torch_chars_per_s']:.0f} chars/s, ratio {row['ratio_median']:.2f}x "
                      f"[{row['ratio_min']:.2f} - {row['ratio_max']:.2f}]", flush=True)
    if "sampling" not in args.skip:
        row = results["sampling"] = sampling(corpus)
        print(f"sampling 2000 chars (2-layer LSTM 256): fastrnn {row['fastrnn_s'] * 1e3:.1f} ms, torch "
              f"{row['torch_s'] * 1e3:.1f} ms, {row['ratio']:.1f}x", flush=True)
    if "quality" not in args.skip:
        results["quality"] = []
        for name in CONFIGS:
            row = quality(corpus, name, args.quality_steps)
            results["quality"].append(row)
            print(f"quality {name}, {row['steps']} steps: validation {row['fastrnn_val_bpc']:.3f} bits/char "
                  f"(fastrnn) vs {row['torch_val_bpc']:.3f} (torch), {row['difference_percent']:+.1f}%", flush=True)
    if "memory" not in args.skip:  # first, in a fresh process (python bench/text_engine.py --skip ...)
        row = results["memory"] = memory(corpus)
        print(f"RSS over {row['steps']} steps of the 2-layer LSTM (MB, after step 1 and every 100): "
              f"{row['rss_mb_every_100_steps']}; peak {row['peak_rss_mb_every_100_steps']}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
