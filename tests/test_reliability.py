"""No wrong answer, no traceback, no lost file: the failures a fuzzing pass found, one test each."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import fastrnn
from fastrnn import charmodel as cm
from fastrnn.__main__ import main
from fastrnn.charmodel import lstm as cl


def rnn_inputs(seed=0, n_x=3, n_a=5, n_y=2, m=4, T=3):
    rng = np.random.default_rng(seed)
    p = {"Wax": rng.standard_normal((n_a, n_x)), "Waa": rng.standard_normal((n_a, n_a)),
         "ba": rng.standard_normal((n_a, 1)), "Wya": rng.standard_normal((n_y, n_a)),
         "by": rng.standard_normal((n_y, 1))}
    return rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), p, rng.standard_normal((n_a, m, T))


def lstm_inputs(seed=0, n_x=3, n_a=5, n_y=2, m=4, T=3):
    rng = np.random.default_rng(seed)
    p = {f"{w}{g}": rng.standard_normal((n_a, n_a + n_x) if w == "W" else (n_a, 1)) for g in "fico" for w in "Wb"}
    p.update(Wy=rng.standard_normal((n_y, n_a)), by=rng.standard_normal((n_y, 1)))
    return rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m)), p, rng.standard_normal((n_a, m, T))


# --- returned arrays and the caches ---------------------------------------------------

def test_rnn_states_cannot_be_changed_behind_the_gradients():
    x, a0, p, da = rnn_inputs()
    a, y, caches = fastrnn.rnn_forward(x, a0, p)
    want = fastrnn.rnn_backward(da, caches)
    with pytest.raises(ValueError, match="read-only"):
        a[...] = 0
    got = fastrnn.rnn_backward(da, caches)
    for key in want:
        assert_array_equal(got[key], want[key])
    b = a.copy()
    b[...] = 0  # a copy is the user's to change
    assert np.abs(a).sum() > 0


def test_lstm_states_cannot_be_changed_behind_the_gradients():
    x, a0, p, da = lstm_inputs()
    a, y, c, caches = fastrnn.lstm_forward(x, a0, p)
    want = fastrnn.lstm_backward(da, caches)
    for arr in (a, c):
        with pytest.raises(ValueError, match="read-only"):
            arr *= 1.09
    got = fastrnn.lstm_backward(da, caches)
    for key in want:
        assert_array_equal(got[key], want[key])


# --- shapes are checked before anything large is allocated -------------------------------

def test_forward_reports_a_bad_a0_before_allocating_for_a_huge_x():
    x, a0, p, _ = rnn_inputs(m=4)
    huge = np.broadcast_to(0.5, (3, 4, 10 ** 9))
    with pytest.raises(ValueError, match=r"a0 must have shape .*x has m = 4 but a0 has 3 columns"):
        fastrnn.rnn_forward(huge, a0[:, :3], p)
    x, a0, p, _ = lstm_inputs(m=4)
    with pytest.raises(ValueError, match="a0 must have shape"):
        fastrnn.lstm_forward(huge, a0[:, :3], p)


def test_backward_reports_a_bad_da_before_allocating_for_it():
    for inputs, forward, backward in ((rnn_inputs, fastrnn.rnn_forward, fastrnn.rnn_backward),
                                      (lstm_inputs, fastrnn.lstm_forward, fastrnn.lstm_backward)):
        x, a0, p, _ = inputs(m=4, T=3)
        caches = forward(x, a0, p)[-1]
        huge = np.broadcast_to(0.5, (4, 4, 10 ** 9))  # n_a = 4, not 5
        with pytest.raises(ValueError, match="da"):
            backward(huge, caches)


def test_shape_conflicts_name_both_arrays():
    x, a0, p, _ = rnn_inputs()
    with pytest.raises(ValueError, match=r"x has n_x = 4 but parameters\['Wax'\] has 3 columns"):
        fastrnn.rnn_forward(np.ones((4, 4, 3)), a0, p)
    x, a0, p, _ = lstm_inputs()
    with pytest.raises(ValueError, match=r"n_a \+ n_x = 9 .* but parameters\['Wf'\] has 8 columns"):
        fastrnn.lstm_forward(np.ones((4, 4, 3)), a0, p)


# --- the char model's checks ----------------------------------------------------------------

def course_parameters(n_x=27, n_a=7, seed=1):
    rng = np.random.default_rng(seed)
    return {"Wax": rng.standard_normal((n_a, n_x)) * 0.1, "Waa": rng.standard_normal((n_a, n_a)) * 0.1,
            "Wya": rng.standard_normal((27, n_a)) * 0.1, "b": np.zeros((n_a, 1)), "by": np.zeros((27, 1))}


@pytest.mark.parametrize("n_x", [26, 28])
def test_optimize_keeps_the_course_vocabulary_size(n_x):
    with pytest.raises(ValueError, match="must have 27 columns, got %d" % n_x):
        cm.optimize([None, 1, 2], [1, 2, 0], np.zeros((7, 1)), course_parameters(n_x=n_x))


def test_optimize_takes_a_read_only_or_zero_stride_a_prev():
    X, Y = [None, 3, 4], [3, 4, 0]
    want = cm.optimize(X, Y, np.zeros((7, 1)), course_parameters())
    read_only = np.zeros((7, 1))
    read_only.setflags(write=False)
    for a_prev in (read_only, np.broadcast_to(0.0, (7, 1))):
        got = cm.optimize(X, Y, a_prev, course_parameters())
        assert got[0] == want[0]
        assert_array_equal(got[2], want[2])


@pytest.mark.parametrize("a_prev", [np.zeros((7, 1), complex), np.full((7, 1), "a"), np.full((7, 1), None),
                                    np.zeros((7, 1), "datetime64[s]")], ids=["complex", "str", "object", "datetime"])
def test_optimize_refuses_a_non_real_a_prev(a_prev):
    with pytest.raises(TypeError, match="a_prev must be"):
        cm.optimize([None, 3], [3, 0], a_prev, course_parameters())


def test_optimize_refuses_parameters_it_cannot_update_in_place():
    p = course_parameters()
    p["b"] = p["b"].tolist()
    with pytest.raises(TypeError, match=r"parameters\['b'\] must be a numpy array: it is updated in place"):
        cm.optimize([None, 3], [3, 0], np.zeros((7, 1)), p)


def test_sample_refuses_parameters_with_nan_as_the_course_does():
    p = course_parameters()
    p["Wax"][0, 5] = np.nan  # a column sample never reads directly: the course's zero input still meets it
    with pytest.raises(ValueError, match="probabilities contain NaN"):
        cm.sample(p, {"\n": 0}, 0)
    pl = cl.initialize_parameters(5, 27, 27)
    pl["by"][3] = np.inf
    with pytest.raises(ValueError, match="probabilities contain NaN"):
        cl.sample(pl, {"\n": 0}, 0)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix's own
def test_sample_takes_matrix_and_integer_parameters():
    p = course_parameters()
    want = cm.sample(p, {"\n": 0}, 3)
    assert cm.sample({**p, "b": np.asmatrix(p["b"])}, {"\n": 0}, 3) == want
    ints = {k: np.round(v * 10).astype(int) for k, v in p.items()}
    assert cm.sample(ints, {"\n": 0}, 3) == cm.sample({k: v.astype(float) for k, v in ints.items()}, {"\n": 0}, 3)


# --- the command line -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.npz"
    assert main(["--iterations", "5", "--compare", "0", "--count", "0", "--save", str(path)]) == 0
    return path


def bad_saves(saved, folder):
    """``name -> path`` of files that are not usable saves."""
    data = saved.read_bytes()
    with np.load(saved) as f:
        arrays = {k: f[k] for k in f.files}
    files = {"truncated": data[:len(data) // 2], "empty": b""}
    damaged = bytearray(data)
    start = data.index(b"Waa") + 200  # inside the first member's data: its CRC no longer matches
    damaged[start:start + 8] = b"\x00" * 8
    files["bad crc"] = bytes(damaged)
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name.replace(' ', '_')}.npz"
        paths[name].write_bytes(content)
    paths["npy"] = folder / "array.npy"
    np.save(paths["npy"], arrays["Waa"])
    for name, change in {"wrong shape": {"Waa": np.ones((3, 4))}, "1-D": {"b": np.ones(50)},
                         "nan": {"Wax": np.full_like(arrays["Wax"], np.nan)},
                         "int": {"Waa": arrays["Waa"].astype(int)}, "complex": {"Waa": arrays["Waa"] + 1j},
                         "short vocabulary": {"__chars__": np.array("\nabc")}}.items():
        paths[name] = folder / f"{name.replace(' ', '_')}.npz"
        np.savez(paths[name], **{**arrays, **change})
    return paths


def test_sample_of_a_file_that_is_not_a_usable_save_is_one_line_and_exit_2(saved_model, tmp_path, capsys):
    for name, path in bad_saves(saved_model, tmp_path).items():
        assert main(["sample", "--load", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err, (name, err)
    assert main(["sample", "--load", str(saved_model), "--count", "1"]) == 0


def test_a_model_too_large_for_memory_is_one_line_and_exit_2(capsys):
    assert main(["--hidden", "100000", "--iterations", "1", "--compare", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--hidden 100000" in err


def test_save_into_a_missing_folder_fails_before_training(tmp_path, capsys):
    t0 = time.perf_counter()
    assert main(["--iterations", "35000", "--save", str(tmp_path / "missing" / "x.npz")]) == 2
    assert time.perf_counter() - t0 < 5
    out, err = capsys.readouterr()
    assert "Training" not in out and "cannot write --save" in err and err.count("\n") == 1


def test_save_names_the_file_it_writes(tmp_path, capsys):
    assert main(["--iterations", "2", "--compare", "0", "--count", "0", "--save", str(tmp_path / "p")]) == 0
    assert f"Saved the parameters to {tmp_path / 'p.npz'}" in capsys.readouterr().out
    assert (tmp_path / "p.npz").exists() and not (tmp_path / "p").exists()


def test_an_interrupted_save_leaves_the_old_file_whole(saved_model, tmp_path, monkeypatch):
    target = tmp_path / "model.npz"
    target.write_bytes(saved_model.read_bytes())
    before = target.read_bytes()
    real_savez = np.savez

    def interrupted_savez(file, **arrays):
        real_savez(file, **dict(list(arrays.items())[:2]))  # part of the file written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted_savez)
    saved = cm.load_parameters(saved_model)
    with pytest.raises(KeyboardInterrupt):
        cm.save_parameters(target, saved.cell, saved.parameters, saved.chars)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_ctrl_c_during_training_is_one_line_and_exit_130(tmp_path):
    command = [sys.executable, "-m", "fastrnn", "--iterations", "10000000", "--compare", "0",
               "--save", str(tmp_path / "x.npz")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        deadline = time.time() + 120
        line = ""
        while "Training" not in line and time.time() < deadline:
            line = process.stdout.readline()
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    last = err.strip().splitlines()[-1]
    assert "interrupted" in last and "nothing was saved" in last and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()


def test_blank_lines_of_a_names_file_are_not_names(tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("abc\n\n  \nbcd\n")
    assert main(["--names", str(names), "--iterations", "1", "--compare", "0", "--count", "0"]) == 0
    assert "on 2 names" in capsys.readouterr().out
