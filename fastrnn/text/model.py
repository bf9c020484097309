"""``TextModel``: a stacked character language model trained with truncated BPTT on B streams.

The text's training part is cut into ``B`` streams of equal length; step
``k`` reads characters ``k L .. k L + L`` of every stream (one-hot inputs,
the next character as target), runs the layers (the fused cell kernels,
:mod:`fastrnn._kernels.textmodel`), the output layer and the mean
cross-entropy, backpropagates through the ``L`` steps, clips and updates.
The hidden state is carried from one chunk to the next (its gradient is
not: the truncation); at the end of the streams they start again from zero
states (a new epoch).  Every buffer is allocated once, when the model is
made; Python only schedules the compiled calls.  A large batch runs its
time loops in parts on several threads (:mod:`fastrnn._threads`, as the
step-by-step functions do); the results are then identical from run to run
with the same number of threads.
"""
import math

import numpy as np
from numba import typed

from .. import _threads
from .._kernels import textmodel as K
from .._kernels._jit import load_blas
from .data import Corpus, TextError

#: cell name -> (code of the sampler, gate blocks)
CELLS = {"rnn": (0, 1), "lstm": (1, 4), "gru": (2, 3)}
OPTIMIZERS = ("adam", "sgd", "adagrad")
#: The settings and their defaults; those in RESUME_KEYS must match to resume a checkpoint.
DEFAULTS = {"cell": "lstm", "layers": 2, "hidden": 256, "batch": 32, "seq": 64, "dtype": "float32",
            "optimizer": "adam", "lr": 2e-3, "decay": 1.0, "decay_every": 1000, "clip_norm": 5.0,
            "clip_value": 0.0, "dropout": 0.0, "seed": 0, "val_fraction": 0.05}
RESUME_KEYS = ("cell", "layers", "hidden", "batch", "seq", "dtype", "optimizer", "lr", "decay", "decay_every",
               "clip_norm", "clip_value", "dropout", "seed", "val_fraction")
ADAM_BETAS, ADAM_EPS, ADAGRAD_EPS = (0.9, 0.999), 1e-8, 1e-8


def check_config(config):
    """A full, checked configuration (defaults filled in); TextError names a bad setting."""
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise TextError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    c = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    if c["cell"] not in CELLS:
        raise TextError(f"cell must be one of {', '.join(CELLS)}, got {c['cell']!r}")
    for key, low, high in (("layers", 1, 3), ("hidden", 1, 1 << 14), ("batch", 1, 1 << 16), ("seq", 1, 1 << 16),
                           ("decay_every", 1, 1 << 40)):
        if not isinstance(c[key], (int, np.integer)) or not low <= c[key] <= high:
            raise TextError(f"{key} must be an integer in {low} .. {high}, got {c[key]!r}")
    if c["dtype"] not in ("float32", "float64"):
        raise TextError(f"dtype must be float32 or float64, got {c['dtype']!r}")
    if c["optimizer"] not in OPTIMIZERS:
        raise TextError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {c['optimizer']!r}")
    for key in ("lr", "decay", "clip_norm", "clip_value", "dropout", "val_fraction"):
        if not isinstance(c[key], (int, float)) or not math.isfinite(c[key]) or c[key] < 0:
            raise TextError(f"{key} must be a number >= 0, got {c[key]!r}")
    if c["lr"] <= 0 or not 0 < c["decay"] <= 1 or c["dropout"] >= 1 or c["val_fraction"] >= 1:
        raise TextError("lr must be > 0, decay in (0, 1], dropout and val_fraction below 1")
    return c


class TextModel:
    """A stacked char language model on a :class:`~.data.Corpus`; see the module docstring.

    ``config``: the settings of :data:`DEFAULTS` (any left out take their
    default).  ``step`` counts the updates made; ``position`` is the next
    chunk's index, ``epoch`` how many times the streams have started over;
    ``history`` holds ``(step, training loss, validation loss or nan)`` rows
    (losses in nats per character).
    """

    def __init__(self, corpus, **config):
        load_blas()
        self.config = c = check_config(config)
        self.corpus = corpus
        self.dtype = np.dtype(c["dtype"])
        self.cell_code, G = CELLS[c["cell"]]
        V, n_a, B, L, layers = len(corpus.chars), c["hidden"], c["batch"], c["seq"], c["layers"]
        self.V, self.n_a, self.B, self.L, self.G = V, n_a, B, L, G
        self.stream_length = (len(corpus.train) - 1) // B
        if self.stream_length < L:
            raise TextError(f"batch * seq = {B} * {L} = {B * L} characters is more than the training text "
                            f"({len(corpus.train)} characters): lower --batch or --seq")
        if len(corpus.valid) and (len(corpus.valid) - 1) // B < 1:
            raise TextError(f"the validation part ({len(corpus.valid)} characters) is too short for {B} streams: "
                            "raise --val, lower --batch, or --val 0 for no validation")
        # parameters: one flat array, views per tensor (kernel layout)
        shapes = []
        for layer in range(layers):
            n_in = V if layer == 0 else n_a
            shapes += [(f"Wx{layer}", (G * n_a, n_in)), (f"Wa{layer}", (G * n_a, n_a)), (f"b{layer}", (G * n_a,))]
        shapes += [("Wy", (V, n_a)), ("by", (V,))]
        self.shapes = dict(shapes)
        size = sum(int(np.prod(s)) for _, s in shapes)
        self.flat = np.zeros(size, self.dtype)
        self.grad_flat = np.zeros(size, self.dtype)
        self.params, self.grads, at = {}, {}, 0
        for name, shape in shapes:
            n = int(np.prod(shape))
            self.params[name] = self.flat[at:at + n].reshape(shape)
            self.grads[name] = self.grad_flat[at:at + n].reshape(shape)
            at += n
        rng = np.random.Generator(np.random.PCG64(c["seed"]))
        bound = 1.0 / math.sqrt(n_a)
        self.flat[:] = rng.uniform(-bound, bound, size).astype(self.dtype)  # PyTorch's default initialisation
        self.rng = np.random.Generator(np.random.PCG64([c["seed"], 1]))  # dropout masks
        self.moments = (np.zeros(size, self.dtype), np.zeros(size, self.dtype))
        self.step, self.position, self.epoch = 0, 0, 0
        self.history = []
        self._allocate()
        self._layer_inputs = [None] * layers  # each layer's input in the last forward (for the backward)

    # -- buffers -----------------------------------------------------------------------------
    def _allocate(self):
        V, n_a, B, L, G, dt = self.V, self.n_a, self.B, self.L, self.G, self.dtype
        layers = self.config["layers"]
        self.x = np.zeros((L, B, 0), dt)  # the first layer's input: its projection is gathered from codes
        self.codes = np.zeros((L, B), np.int64)
        self.targets = np.zeros((L, B), np.int64)
        self.starts = np.arange(B, dtype=np.int64) * self.stream_length
        self.state_a = np.zeros((layers, B, n_a), dt)
        self.state_c = np.zeros((layers, B, n_a), dt)
        z = lambda *shape: np.zeros(shape, dt)  # noqa: E731
        self.a_hist = [z(L + 1, B, n_a) for _ in range(layers)]
        self.c_hist = [z(L + 1, B, n_a) for _ in range(layers)]
        self.ra_hist = [z(L, B, n_a) for _ in range(layers)]
        self.gates = [z(L, B, G * n_a) for _ in range(layers)]
        self.dgates = [z(L, B, G * n_a) for _ in range(layers)]
        self.inputs = [self.x] + [z(L, B, n_a) for _ in range(layers - 1)]  # dropout-masked inputs
        self.dWxT = z(V, G * n_a)
        self.masks = [None] + [z(L, B, n_a) for _ in range(layers - 1)]
        self.da = [z(L, B, n_a) for _ in range(layers)]
        self.dx = [z(L, B, V)] + [z(L, B, n_a) for _ in range(layers - 1)]
        self.da0 = [z(B, n_a) for _ in range(layers)]
        self.dc0 = [z(B, n_a) for _ in range(layers)]
        self.dc_last = z(B, n_a)
        self.WxT = [z(V if k == 0 else n_a, G * n_a) for k in range(layers)]
        self.WaT = [z(n_a, (2 if G == 3 else G) * n_a) for _ in range(layers)]
        self.WcaT = [z(n_a, n_a) for _ in range(layers)]
        self.WyT = z(n_a, V)
        self.probs = z(L, B, V)

    # -- one chunk ---------------------------------------------------------------------------
    @property
    def lr(self):
        """The learning rate of the next step (``lr * decay ** (step // decay_every)``)."""
        c = self.config
        return c["lr"] * c["decay"] ** (self.step // c["decay_every"])

    def _forward(self, length, training):
        """Run the layers and the loss on the first ``length`` steps of the filled chunk."""
        c, T = self.config, length
        for layer in range(c["layers"]):
            if layer == 0:
                x = self.x[:T]
            elif training and c["dropout"] > 0:
                keep = 1.0 - c["dropout"]
                mask = self.masks[layer][:T]
                self.rng.random(dtype=self.dtype, out=mask)  # uniform draws, in place (no allocation)
                K.dropout_mask(mask, keep)
                x = self.inputs[layer][:T]
                K.apply_mask(self.a_hist[layer - 1][1:T + 1], mask, x)
            else:
                x = self.a_hist[layer - 1][1:T + 1]
            self._layer_inputs[layer] = x
            a_hist = self.a_hist[layer][:T + 1]
            a_hist[0] = self.state_a[layer]
            Wx, Wa, b = self.params[f"Wx{layer}"], self.params[f"Wa{layer}"], self.params[f"b{layer}"]
            codes, first = self.codes[:T], layer == 0
            count = self._parts(layer)
            if self.cell_code == 0:
                K.rnn_prepare(codes, first, Wx, Wa, a_hist, self.WxT[layer], self.WaT[layer])
                self._run(K.rnn_recurrence, (x, first, b, a_hist, self.WxT[layer], self.WaT[layer]), count)
            elif self.cell_code == 1:
                c_hist, gates = self.c_hist[layer][:T + 1], self.gates[layer][:T]
                c_hist[0] = self.state_c[layer]
                K.lstm_prepare(codes, first, Wx, Wa, gates, self.WxT[layer], self.WaT[layer])
                self._run(K.lstm_recurrence, (x, first, b, a_hist, c_hist, gates, self.WxT[layer], self.WaT[layer]),
                          count)
            else:
                gates = self.gates[layer][:T]
                K.gru_prepare(codes, first, Wx, Wa, gates, self.WxT[layer], self.WaT[layer], self.WcaT[layer])
                self._run(K.gru_recurrence, (x, first, b, a_hist, self.ra_hist[layer][:T], gates, self.WxT[layer],
                                             self.WaT[layer], self.WcaT[layer]), count)
        top = self.a_hist[c["layers"] - 1][1:T + 1]
        return K.output_loss(top, self.params["Wy"], self.params["by"], self.targets[:T], self.WyT,
                             self.probs[:T])

    def _backward(self):
        """Gradients into ``grad_flat`` after :meth:`_forward` on the whole chunk."""
        c = self.config
        layers = c["layers"]
        top = self.a_hist[layers - 1][1:]
        K.output_backward(top, self.params["Wy"], self.targets, self.probs, self.grads["Wy"], self.grads["by"],
                          self.da[layers - 1])
        for layer in range(layers - 1, -1, -1):
            Wx, Wa = self.params[f"Wx{layer}"], self.params[f"Wa{layer}"]
            dWx, dWa, db = self.grads[f"Wx{layer}"], self.grads[f"Wa{layer}"], self.grads[f"b{layer}"]
            x, da, dx = self._layer_inputs[layer], self.da[layer], self.dx[layer]
            codes, first = self.codes, layer == 0
            count = self._parts(layer)
            if self.cell_code == 0:
                self._run(K.rnn_steps, (da, first, self.a_hist[layer], Wx, Wa, dx, self.da0[layer]), count)
                K.rnn_weights(da, codes, first, self.a_hist[layer], x, dWx, dWa, db, self.dWxT)
            elif self.cell_code == 1:
                self._run(K.lstm_steps, (da, first, self.c_hist[layer], self.gates[layer], Wx, Wa, self.dc_last,
                                         self.dgates[layer], dx, self.da0[layer], self.dc0[layer]), count)
                K.lstm_weights(self.dgates[layer], codes, first, self.a_hist[layer], x, dWx, dWa, db, self.dWxT)
            else:
                self._run(K.gru_steps, (da, first, self.a_hist[layer], self.gates[layer], Wx, Wa, self.dgates[layer],
                                        dx, self.da0[layer]), count)
                K.gru_weights(self.dgates[layer], codes, first, self.a_hist[layer], self.ra_hist[layer], x, dWx,
                              dWa, db, self.dWxT)
            if layer > 0:  # the input's gradient is the lower layer's upstream gradient
                if c["dropout"] > 0:
                    K.apply_mask(dx, self.masks[layer], self.da[layer - 1])
                else:
                    self.da[layer - 1][...] = dx

    def _parts(self, layer):
        """How many parts of the batch a layer's time loops run in, on as many threads
        (:func:`fastrnn._threads.parts`: 1 below its thresholds)."""
        n_in = self.V if layer == 0 else self.n_a
        G, n_a = self.G, self.n_a
        return _threads.parts(self.B, self.L * self.B * G * n_a * (n_in + n_a), G * n_a * n_a)

    def _run(self, kernel, args, count):
        """``kernel(*args, lo, hi)`` on the whole batch, or in ``count`` parts on as many threads."""
        if count == 1:
            kernel(*args, 0, self.B)
        else:
            _threads.run_parts(kernel, args, self.B, count)

    def _update(self):
        c = self.config
        if c["clip_value"] > 0:
            K.clip_values(self.grad_flat, c["clip_value"])
        norm = K.clip_by_norm(self.grad_flat, c["clip_norm"])
        lr = self.lr
        self.step += 1
        if c["optimizer"] == "adam":
            K.adam(self.flat, self.grad_flat, self.moments[0], self.moments[1], self.step, lr, ADAM_BETAS[0],
                   ADAM_BETAS[1], ADAM_EPS)
        elif c["optimizer"] == "sgd":
            K.sgd(self.flat, self.grad_flat, lr)
        else:
            K.adagrad(self.flat, self.grad_flat, self.moments[0], lr, ADAGRAD_EPS)
        return norm

    def train_step(self):
        """One update on the next chunk; returns its mean training loss (nats per character)."""
        if (self.position + 1) * self.L > self.stream_length:  # the streams start over
            self.position, self.epoch = 0, self.epoch + 1
            self.state_a[...] = 0.0
            self.state_c[...] = 0.0
        K.fill_chunk(self.corpus.train, self.starts, self.position * self.L, self.codes, self.targets)
        loss = self._forward(self.L, True)
        self._backward()
        self._update()
        self._carry(self.L)
        self.position += 1
        return loss

    def _carry(self, T):
        for layer in range(self.config["layers"]):
            self.state_a[layer] = self.a_hist[layer][T]
            self.state_c[layer] = self.c_hist[layer][T]

    def train(self, steps, evaluate_every=0, callback=None):
        """Run ``steps`` updates; every ``evaluate_every`` steps (and at the end, if > 0) also the
        validation loss.  ``callback(model, loss, val_loss or None)`` after each step (for progress
        bars; may raise to stop).  Returns the last training loss."""
        loss = float("nan")
        for k in range(steps):
            loss = self.train_step()
            val = None
            if evaluate_every and ((k + 1) % evaluate_every == 0 or k + 1 == steps):
                val = self.evaluate()
            self.history.append((self.step, loss, np.nan if val is None else val))
            if callback is not None:
                callback(self, loss, val)
        return loss

    def evaluate(self, max_chunks=None):
        """Mean loss (nats per character) over the validation part: ``B`` streams from zero
        states, in chunks of up to ``L`` (no dropout; the training state is left as it was).
        NaN when the text has no validation part (``val_fraction`` 0)."""
        valid = self.corpus.valid
        if len(valid) == 0:
            return float("nan")
        stream = (len(valid) - 1) // self.B
        if stream < 1:
            raise TextError(f"the validation part ({len(valid)} characters) is too short for {self.B} streams: "
                            "raise --val or lower --batch")
        saved = self.state_a.copy(), self.state_c.copy()
        self.state_a[...] = 0.0
        self.state_c[...] = 0.0
        starts = np.arange(self.B, dtype=np.int64) * stream
        total, count, chunk = 0.0, 0, 0
        for t0 in range(0, stream, self.L):
            T = min(self.L, stream - t0)
            K.fill_chunk(valid, starts, t0, self.codes[:T], self.targets[:T])
            total += self._forward(T, False) * T
            count += T
            self._carry(T)
            chunk += 1
            if max_chunks is not None and chunk >= max_chunks:
                break
        self.state_a[...], self.state_c[...] = saved
        return total / count

    # -- for tests and notebooks ----------------------------------------------------------------
    def loss_and_gradients(self, inputs, targets, state_a=None, state_c=None):
        """Loss and gradients of one chunk given as codes ``inputs``, ``targets (L, B)`` from the
        states ``state_a``, ``state_c (layers, B, n_a)`` (zeros if None), without updating.

        Returns ``(loss, {parameter name: gradient copy}, dstate_a, dstate_c)``: the gradients of
        the mean loss, and those with respect to the initial states.  Dropout must be 0.
        """
        if self.config["dropout"] > 0:
            raise ValueError("loss_and_gradients needs dropout = 0 (a deterministic model)")
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        saved = self.state_a.copy(), self.state_c.copy()
        self.state_a[...] = 0.0 if state_a is None else state_a
        self.state_c[...] = 0.0 if state_c is None else state_c
        self.codes[...] = inputs
        self.targets[...] = targets
        loss = self._forward(self.L, False)
        self._backward()
        self.state_a[...], self.state_c[...] = saved
        return (loss, {k: v.copy() for k, v in self.grads.items()}, np.array(self.da0),
                np.array(self.dc0) if self.cell_code == 1 else None)

    def sample(self, length=200, prime=None, temperature=1.0, top_k=0, seed=0):
        """``length`` characters after ``prime`` (fed first; a character outside the vocabulary is a
        TextError; None: a newline, or the text's first character if it has no newline), drawn with ``temperature`` (dividing the logits; 0: always the most likely),
        among the ``top_k`` most likely (0: all), seeded with ``seed``.  One compiled call."""
        if prime is None:
            prime = "\n" if "\n" in self.corpus.chars else self.corpus.chars[int(self.corpus.codes[0])]
        if not prime:
            raise TextError("the prime text must hold at least one character")
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature >= 0):
            raise TextError(f"temperature must be a number >= 0, got {temperature!r}")
        codes = self.corpus.encode(prime)
        layers = self.config["layers"]
        Wxs, Was, bs = typed.List(), typed.List(), typed.List()
        for layer in range(layers):
            Wxs.append(self.params[f"Wx{layer}"])
            Was.append(self.params[f"Wa{layer}"])
            bs.append(self.params[f"b{layer}"])
        out = np.zeros(max(0, int(length)), np.int64)
        K.sample(self.cell_code, Wxs, Was, bs, self.params["Wy"], self.params["by"], codes, len(out),
                 float(temperature), int(top_k), int(seed), out)
        return self.corpus.decode(out)

    def describe(self):
        c = self.config
        return (f"{c['layers']}-layer {c['cell'].upper()} of {c['hidden']} units, {c['dtype']}, "
                f"batch {c['batch']} x {c['seq']} characters, {c['optimizer']} lr {c['lr']:g}")

    def meta(self):
        """What a checkpoint records besides the arrays (JSON-able)."""
        return {"config": self.config, "chars": self.corpus.chars, "fingerprint": self.corpus.fingerprint,
                "length": int(len(self.corpus.codes)), "step": self.step, "position": self.position,
                "epoch": self.epoch, "rng": self.rng.bit_generator.state, "format": 1}

    def arrays(self):
        """The arrays a checkpoint records."""
        return {"params": self.flat, "moment1": self.moments[0], "moment2": self.moments[1],
                "state_a": self.state_a, "state_c": self.state_c,
                "history": np.array(self.history, np.float64).reshape(-1, 3)}

    def restore(self, meta, arrays):
        """Put a checkpoint's state into this model (made with the same config and text)."""
        self.flat[...] = arrays["params"]
        self.moments[0][...] = arrays["moment1"]
        self.moments[1][...] = arrays["moment2"]
        self.state_a[...] = arrays["state_a"]
        self.state_c[...] = arrays["state_c"]
        self.history = [tuple(row) for row in arrays["history"]]
        self.step, self.position, self.epoch = meta["step"], meta["position"], meta["epoch"]
        self.rng.bit_generator.state = meta["rng"]


__all__ = ["TextModel", "Corpus", "TextError", "DEFAULTS", "check_config"]
