"""The text engine: gradients of the stacked model, a numpy model from the maths, exact resume,
atomic checkpoints, refusals, the command line's errors, learning, sampling."""
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import fastrnn
import reference
from fastrnn.__main__ import main
from fastrnn.text import Corpus, TextError, TextModel
from fastrnn.text import checkpoint

TEXT = "the cat sat on the mat. the dog ate the log. " * 40


def small(cell, layers=2, dtype="float64", **config):
    corpus = Corpus.from_string(TEXT, 0.1)
    return TextModel(corpus, cell=cell, layers=layers, hidden=3, batch=2, seq=4, dtype=dtype, **config)


def draw(model, seed=0):
    rng = np.random.default_rng(seed)
    model.flat[:] = rng.standard_normal(model.flat.size) * 0.5
    V, layers = model.V, model.config["layers"]
    inputs, targets = rng.integers(0, V, (model.L, model.B)), rng.integers(0, V, (model.L, model.B))
    state_a = rng.standard_normal((layers, model.B, model.n_a))
    state_c = rng.standard_normal((layers, model.B, model.n_a))
    return inputs, targets, state_a, state_c


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradients_of_the_stacked_model_match_finite_differences(cell):
    model = small(cell)
    inputs, targets, state_a, state_c = draw(model)
    loss, grads, d_state_a, d_state_c = model.loss_and_gradients(inputs, targets, state_a, state_c)

    def numeric(array):
        out = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + 1e-6
            up = model.loss_and_gradients(inputs, targets, state_a, state_c)[0]
            array[index] = old - 1e-6
            down = model.loss_and_gradients(inputs, targets, state_a, state_c)[0]
            array[index] = old
            out[index] = (up - down) / 2e-6
        return out

    for name, value in model.params.items():
        assert_allclose(grads[name], numeric(value), rtol=1e-5, atol=1e-8, err_msg=name)
    assert_allclose(d_state_a, numeric(state_a), rtol=1e-5, atol=1e-8, err_msg="carried a")
    if cell == "lstm":
        assert_allclose(d_state_c, numeric(state_c), rtol=1e-5, atol=1e-8, err_msg="carried c")


def course_parameters(model, gates):
    """A one-layer model's parameters in the course's layout (per gate ``W = [Wa | Wx]``)."""
    n_a = model.n_a
    Wx, Wa, b = model.params["Wx0"], model.params["Wa0"], model.params["b0"]
    p = {}
    for k, g in enumerate(gates):
        rows = slice(k * n_a, (k + 1) * n_a)
        p["W" + g] = np.concatenate([Wa[rows], Wx[rows]], axis=1)
        p["b" + g] = b[rows].reshape(-1, 1)
    p["Wy"], p["by"] = model.params["Wy"], model.params["by"].reshape(-1, 1)
    return p


@pytest.mark.parametrize("cell, gates", [("lstm", "fico"), ("gru", "ruc")])
def test_one_layer_equals_the_course_functions(cell, gates):
    """Where they coincide (one layer, zero initial state), the engine's gradients are those of
    fastrnn's course-API backward fed with the output layer's gradient."""
    model = small(cell, layers=1)
    inputs, targets, _, _ = draw(model, 1)
    loss, grads, _, _ = model.loss_and_gradients(inputs, targets)
    p = course_parameters(model, gates)
    V, B, L = model.V, model.B, model.L
    x = np.zeros((V, B, L))
    for t in range(L):
        x[inputs[t], np.arange(B), t] = 1.0
    forward = fastrnn.lstm_forward if cell == "lstm" else fastrnn.gru_forward
    backward = fastrnn.lstm_backward if cell == "lstm" else fastrnn.gru_backward
    out = forward(x, np.zeros((model.n_a, B)), p)
    a, caches = out[0], out[-1]
    probs = np.exp(np.einsum("va,abt->vbt", p["Wy"], a) + p["by"][:, :, None])
    probs /= probs.sum(axis=0)
    want_loss = -np.mean(np.log(probs[targets.T, np.arange(B)[:, None], np.arange(L)[None, :]]))
    assert_allclose(loss, want_loss, rtol=1e-12)
    dlogits = probs.copy()
    dlogits[targets.T, np.arange(B)[:, None], np.arange(L)[None, :]] -= 1.0
    dlogits /= B * L
    course = backward(np.einsum("va,vbt->abt", p["Wy"], dlogits), caches)
    n_a = model.n_a
    for k, g in enumerate(gates):
        rows = slice(k * n_a, (k + 1) * n_a)
        assert_allclose(np.concatenate([grads["Wa0"][rows], grads["Wx0"][rows]], axis=1), course["dW" + g],
                        rtol=1e-10, atol=1e-12, err_msg=g)
        assert_allclose(grads["b0"][rows], course["db" + g][:, 0], rtol=1e-10, atol=1e-12)


def numpy_lstm_model_step(model, inputs, targets, lr=2e-3):
    """Loss and one Adam step of a 2-layer LSTM written from the maths with tests/reference.py's
    cells (no fastrnn code): the parameters after the step, in the engine's flat layout."""
    layers, n_a, V, B, L = model.config["layers"], model.n_a, model.V, model.B, model.L
    params = {k: v.astype(np.float64).copy() for k, v in model.params.items()}
    course = []
    for layer in range(layers):
        Wx, Wa, b = params[f"Wx{layer}"], params[f"Wa{layer}"], params[f"b{layer}"]
        p = {}
        for k, g in enumerate("fico"):
            rows = slice(k * n_a, (k + 1) * n_a)
            p["W" + g], p["b" + g] = np.concatenate([Wa[rows], Wx[rows]], axis=1), b[rows].reshape(-1, 1)
        p["Wy"], p["by"] = np.zeros((1, n_a)), np.zeros((1, 1))
        course.append(p)
    x = np.zeros((V, B, L))
    for t in range(L):
        x[inputs[t], np.arange(B), t] = 1.0
    layer_inputs, caches, a = [], [], x
    for layer in range(layers):
        layer_inputs.append(a)
        a, _, _, cache = reference.lstm_forward(a, np.zeros((n_a, B)), course[layer])
        caches.append(cache)
    logits = np.einsum("va,abt->vbt", params["Wy"], a) + params["by"][:, None, None]
    probs = np.exp(logits - logits.max(axis=0))
    probs /= probs.sum(axis=0)
    picked = probs[targets.T, np.arange(B)[:, None], np.arange(L)[None, :]]
    loss = -np.mean(np.log(picked))
    d = probs.copy()
    d[targets.T, np.arange(B)[:, None], np.arange(L)[None, :]] -= 1.0
    d /= B * L
    grads = {"Wy": np.einsum("vbt,abt->va", d, a), "by": d.sum(axis=(1, 2))}
    da = np.einsum("va,vbt->abt", params["Wy"], d)
    for layer in range(layers - 1, -1, -1):
        g = reference.lstm_backward(da, caches[layer])
        Wx_rows, Wa_rows = [], []
        for gate in "fico":
            Wa_rows.append(g["dW" + gate][:, :n_a])
            Wx_rows.append(g["dW" + gate][:, n_a:])
        grads[f"Wx{layer}"], grads[f"Wa{layer}"] = np.vstack(Wx_rows), np.vstack(Wa_rows)
        grads[f"b{layer}"] = np.concatenate([g["db" + gate][:, 0] for gate in "fico"])
        da = g["dx"]  # the lower layer's output is this layer's input (no dropout)
    flat_g = np.concatenate([grads[k].ravel() for k in model.params])
    norm = np.sqrt(np.sum(flat_g ** 2))
    if norm > 5.0:
        flat_g = flat_g * (5.0 / (norm + 1e-6))
    flat = np.concatenate([params[k].ravel() for k in model.params])
    m = 0.1 * flat_g
    v = 0.001 * flat_g ** 2
    flat = flat - lr * (m / 0.1) / (np.sqrt(v / 0.001) + 1e-8)
    return loss, flat


def test_loss_and_one_adam_step_equal_a_numpy_model_from_the_maths():
    model = small("lstm", layers=2)
    rng = np.random.default_rng(5)
    model.flat[:] = rng.standard_normal(model.flat.size) * 0.3
    model.train_step()  # the engine's first chunk; the numpy model gets the same codes
    inputs = np.array([[model.corpus.train[s * model.stream_length + t] for s in range(model.B)]
                       for t in range(model.L)])
    targets = np.array([[model.corpus.train[s * model.stream_length + t + 1] for s in range(model.B)]
                        for t in range(model.L)])
    fresh = small("lstm", layers=2)
    fresh.flat[:] = np.random.default_rng(5).standard_normal(fresh.flat.size) * 0.3
    want_loss, want_flat = numpy_lstm_model_step(fresh, inputs, targets)
    got_loss = fresh.train_step()
    assert_allclose(got_loss, want_loss, rtol=1e-12)
    assert_allclose(fresh.flat, want_flat, rtol=1e-9, atol=1e-12)
    assert_allclose(model.flat, fresh.flat)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_resume_is_exact(tmp_path, cell):
    corpus = Corpus.from_string(TEXT, 0.1)
    config = dict(cell=cell, layers=2, hidden=8, batch=3, seq=5, dropout=0.3, seed=4)
    straight = TextModel(corpus, **config)
    for _ in range(9):
        straight.train_step()
    first = TextModel(corpus, **config)
    for _ in range(4):
        first.train_step()
    path = checkpoint.save(first, tmp_path / "ckpt")
    resumed = checkpoint.resume(path, corpus)
    for _ in range(5):
        resumed.train_step()
    assert resumed.step == straight.step == 9
    np.testing.assert_array_equal(resumed.flat, straight.flat)
    np.testing.assert_array_equal(resumed.state_a, straight.state_a)


def test_streams_wrap_around_and_the_state_resets(tmp_path):
    model = small("gru", layers=1)
    chunks = model.stream_length // model.L
    for _ in range(chunks + 1):
        model.train_step()
    assert model.epoch == 1 and model.position == 1


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    model = small("lstm")
    path = checkpoint.save(model, tmp_path / "c.npz")
    before = open(path, "rb").read()
    model.train_step()

    def broken(f, **arrays):
        f.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(model, path)
    assert open(path, "rb").read() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_resume_refuses_other_settings_texts_and_vocabularies(tmp_path):
    corpus = Corpus.from_string(TEXT, 0.1)
    model = TextModel(corpus, cell="gru", layers=1, hidden=4, batch=2, seq=4)
    path = checkpoint.save(model, tmp_path / "c")
    with pytest.raises(TextError, match="hidden 5 .saved: 4."):
        checkpoint.resume(path, corpus, {"hidden": 5})
    with pytest.raises(TextError, match="not the text"):
        checkpoint.resume(path, Corpus.from_string(TEXT[::-1], 0.1, chars=corpus.chars))
    with pytest.raises(TextError, match="vocabulary"):
        checkpoint.resume(path, Corpus.from_string(TEXT + "!", 0.1))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(TextError, match="not a fastrnn text checkpoint"):
        checkpoint.read(tmp_path / "bad.npz")


def test_learning_works():
    """Deterministic: on a small fixed text the validation loss falls below 1.0 bit per character."""
    corpus = Corpus.from_string("abcdefgh " * 300, 0.1)
    model = TextModel(corpus, cell="gru", layers=1, hidden=32, batch=4, seq=16, lr=1e-2, seed=1)
    before = model.evaluate() / math.log(2)
    model.train(200)
    after = model.evaluate() / math.log(2)
    assert before > 3.0 and after < 1.0, (before, after)
    assert model.sample(18, prime="abc", temperature=0).startswith("defgh abcdefgh")


def test_sampling_options():
    corpus = Corpus.from_string(TEXT, 0.1)
    model = TextModel(corpus, cell="lstm", layers=2, hidden=8, batch=2, seq=4)
    greedy = model.sample(30, prime="the ", temperature=0)
    assert greedy == model.sample(30, prime="the ", temperature=0, seed=9)
    assert model.sample(30, prime="the ", top_k=1, seed=3) == greedy
    assert model.sample(40, seed=1) == model.sample(40, seed=1) != model.sample(40, seed=2)
    assert len(model.sample(0)) == 0
    with pytest.raises(TextError, match="'Z' is not in the model's vocabulary"):
        model.sample(5, prime="Zebra")
    with pytest.raises(TextError, match="temperature"):
        model.sample(5, temperature=-1)


def test_files_are_encoded_compactly(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("héllo wörld ∑\n" * 50, encoding="utf-8")
    corpus = Corpus.from_file(path, 0.1)
    assert corpus.codes.dtype == np.uint8 and len(corpus.codes) == 14 * 50
    assert corpus.decode(corpus.codes[:14]) == "héllo wörld ∑\n"
    wide = tmp_path / "w.txt"
    wide.write_text("".join(chr(0x4E00 + k) for k in range(300)) * 3, encoding="utf-8")
    assert Corpus.from_file(wide, 0.1).codes.dtype == np.uint16


@pytest.mark.parametrize("content, args, words", [
    (b"", [], "is empty"),
    (b"\x00\x01\x02" * 100, [], "binary"),
    (b"\xff\xfe not utf-8 \xc3", [], "not UTF-8"),
    (b"short text", [], "more than the training text"),
    (None, [], "no such file"),
    (TEXT.encode(), ["--layers", "4"], "layers must be"),
    (TEXT.encode(), ["--dropout", "1.5"], "dropout"),
    (TEXT.encode(), ["--resume", "/nonexistent.npz"], "no such checkpoint"),
    (TEXT.encode(), ["--batch", "60", "--seq", "2", "--val", "0.02"], "validation part (36 characters) is too short"),
])
def test_bad_texts_and_arguments_exit_2_with_one_line(tmp_path, capsys, content, args, words):
    path = tmp_path / "text.txt"
    if content is not None:
        path.write_bytes(content)
    assert main(["text", "train", str(path), "--steps", "1", "--sample", "0", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1, err


def test_cli_train_resume_and_sample(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(TEXT)
    ckpt = str(tmp_path / "m.npz")
    common = ["text", "train", str(text), "--cell", "gru", "--layers", "1", "--hidden", "16", "--batch", "4",
              "--seq", "8", "--eval-every", "5", "--save", ckpt, "--sample", "20"]
    assert main([*common, "--steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "Trained 10 steps" in out and "bits per character" in out and "Sample" in out
    assert main([*common, "--steps", "5", "--resume", ckpt]) == 0
    assert "resumed at step 10" in capsys.readouterr().out
    assert main([*common, "--steps", "5", "--resume", ckpt, "--hidden", "32"]) == 2
    assert "other settings: hidden 32" in capsys.readouterr().err
    assert main(["text", "sample", ckpt, "--prime", "the ", "--length", "40", "--temperature", "0.5"]) == 0
    assert len(capsys.readouterr().out) >= 40
    assert main(["text", "sample", ckpt, "--prime", "Q"]) == 2
    assert "not in the model's vocabulary" in capsys.readouterr().err


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_batch_split_gives_the_whole_batch_gradients(monkeypatch, cell):
    from fastrnn import _threads

    corpus = Corpus.from_string(TEXT, 0.1)
    model = TextModel(corpus, cell=cell, layers=2, hidden=9, batch=5, seq=4, dtype="float64")
    inputs, targets, state_a, state_c = draw(model, 3)
    whole = model.loss_and_gradients(inputs, targets, state_a, state_c)
    monkeypatch.setattr(_threads, "SPLIT_MIN_MACS", 0)
    monkeypatch.setattr(_threads, "PART_ROWS_MIN", 1)
    previous = fastrnn.set_num_threads(2)
    try:
        assert model._parts(0) == model._parts(1) == 2
        split = model.loss_and_gradients(inputs, targets, state_a, state_c)
    finally:
        fastrnn.set_num_threads(previous)
    assert_allclose(split[0], whole[0], rtol=1e-12)
    for key in whole[1]:
        assert_allclose(split[1][key], whole[1][key], rtol=1e-10, atol=1e-12, err_msg=key)
    assert_allclose(split[2], whole[2], rtol=1e-10, atol=1e-12)


def first_chunk(model):
    """The codes of the first training chunk (what the first train_step reads)."""
    rows = [[model.corpus.train[s * model.stream_length + t] for s in range(model.B)] for t in range(model.L + 1)]
    return np.array(rows[:-1]), np.array(rows[1:])


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "adam"])
@pytest.mark.parametrize("clip_value", [0.0, 0.01])
def test_optimizer_steps_and_value_clipping(optimizer, clip_value):
    model = small("gru", optimizer=optimizer, lr=0.1, clip_norm=0.0, clip_value=clip_value)
    before = model.flat.copy()
    inputs, targets = first_chunk(model)
    _, grads, _, _ = model.loss_and_gradients(inputs, targets)
    g = np.concatenate([grads[k].ravel() for k in model.params])
    if clip_value:
        g = np.clip(g, -clip_value, clip_value)
    model.train_step()
    if optimizer == "sgd":
        want = before - 0.1 * g
    elif optimizer == "adagrad":
        want = before - 0.1 * g / np.sqrt(g * g + 1e-8)
    else:
        want = before - 0.1 * g / (np.abs(g) + 1e-8)
    assert_allclose(model.flat, want, rtol=1e-10, atol=1e-12)


def test_global_norm_clipping_and_learning_rate_decay():
    model = small("lstm", clip_norm=0.01, lr=0.5, decay=0.5, decay_every=2, optimizer="sgd")
    before = model.flat.copy()
    inputs, targets = first_chunk(model)
    _, grads, _, _ = model.loss_and_gradients(inputs, targets)
    g = np.concatenate([grads[k].ravel() for k in model.params])
    norm = np.sqrt(np.sum(g * g))
    assert norm > 0.01
    model.train_step()
    assert_allclose(model.flat, before - 0.5 * g * (0.01 / (norm + 1e-6)), rtol=1e-10, atol=1e-12)
    assert model.lr == 0.5
    model.train_step()
    assert model.lr == 0.25


def test_dropout_masks_the_inputs_between_layers():
    model = small("lstm", dropout=0.5, seed=2)
    model.train_step()
    mask = model.masks[1]
    assert set(np.unique(mask)) <= {0.0, 2.0}
    assert 0.3 < np.mean(mask == 0.0) < 0.7
    np.testing.assert_array_equal(model.inputs[1], model.a_hist[0][1:] * mask)
    with pytest.raises(ValueError, match="dropout = 0"):
        model.loss_and_gradients(*first_chunk(model))


def test_no_validation_part(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(TEXT)
    assert main(["text", "train", str(text), "--val", "0", "--steps", "3", "--hidden", "8", "--batch", "2",
                 "--seq", "4", "--sample", "0", "--eval-every", "2"]) == 0
    assert "no validation part" in capsys.readouterr().out
