"""The disk cache under faults, each in fresh processes: damaged files, a read-only cache,
and threads that call while another thread makes a dtype's first call."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

#: One notebook-shape RNN forward+backward; prints a checksum and where the entry kernel came from.
PROBE = """
import numpy as np, fastrnn
from fastrnn._kernels import rnn as kernels
rng = np.random.default_rng(0)
x, a0 = rng.standard_normal((3, 10, 4)), rng.standard_normal((5, 10))
p = {"Wax": rng.standard_normal((5, 3)), "Waa": rng.standard_normal((5, 5)), "ba": rng.standard_normal((5, 1)),
     "Wya": rng.standard_normal((2, 5)), "by": rng.standard_normal((2, 1))}
a, y, caches = fastrnn.rnn_forward(x, a0, p)
g = fastrnn.rnn_backward(rng.standard_normal((5, 10, 4)), caches)
stats = kernels.rnn_forward_entry[np.dtype("float64")].stats
print(f"{float(a.sum() + g['dWaa'].sum()):.12f}", "loaded" if sum(stats.cache_hits.values()) else "compiled")
"""


def run(code, cache_dir, read_only_from=None, extra_env=None):
    """Run ``code`` in a fresh Python with ``NUMBA_CACHE_DIR=cache_dir``; with
    ``read_only_from``, ``cache_dir`` is that directory mounted read-only (a
    private mount namespace: root writes through mode bits)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONWARNINGS="default", **(extra_env or {}))
    command = [sys.executable, "-c", code]
    if read_only_from is not None:
        script = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'
        command = ["unshare", "-r", "--mount", "sh", "-c", script, "sh", str(read_only_from), str(cache_dir)] + command
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def can_mount_read_only(tmp):
    (tmp / "a").mkdir(parents=True)
    (tmp / "b").mkdir()
    probe = run("import pathlib, os; print(os.access(os.environ['NUMBA_CACHE_DIR'], os.W_OK) or "
                "pathlib.Path(os.environ['NUMBA_CACHE_DIR'], 'x').touch())", tmp / "b", read_only_from=tmp / "a")
    return shutil.which("unshare") and probe.returncode != 0 and "Read-only file system" in probe.stderr


def warnings_of(result):
    return [line for line in result.stderr.splitlines() if "Warning" in line]


@pytest.fixture(scope="module")
def warm_cache():
    """A cache directory filled by one run of the probe, and the probe's output."""
    root = Path(tempfile.mkdtemp(prefix="fastrnn-cache-"))
    root.chmod(0o755)
    first = run(PROBE, root / "cache")
    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[1] == "compiled"
    yield root / "cache", first.stdout.split()[0]
    shutil.rmtree(root, ignore_errors=True)


def copy_of(cache, tmp_path):
    target = tmp_path / "cache"
    shutil.copytree(cache, target)
    return target


def entry_files(cache, name, suffix):
    return sorted(cache.rglob(f"rnn.{name}-*{suffix}"))


@pytest.mark.parametrize("damage", ["empty index", "truncated data", "random data", "swapped data"])
def test_a_damaged_cache_entry_is_discarded_and_compiled_again_once(warm_cache, tmp_path, damage):
    cache, checksum = warm_cache
    cache = copy_of(cache, tmp_path)
    index = entry_files(cache, "rnn_forward_entry", ".nbi")[0]
    data = entry_files(cache, "rnn_forward_entry", ".nbc")[0]
    if damage == "empty index":
        index.write_bytes(b"")
    elif damage == "truncated data":
        data.write_bytes(data.read_bytes()[:len(data.read_bytes()) // 2])
    elif damage == "random data":
        data.write_bytes(os.urandom(4096))
    else:
        other = entry_files(cache, "rnn_backward_entry", ".nbc")[0]
        swap = data.read_bytes()
        data.write_bytes(other.read_bytes())
        other.write_bytes(swap)
    result = run(PROBE, cache)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [checksum, "compiled"]
    lines = warnings_of(result)
    assert len(lines) == 1 and "discarded a damaged numba cache entry" in lines[0], result.stderr
    again = run(PROBE, cache)  # repaired: loads, says nothing
    assert again.stdout.split() == [checksum, "loaded"] and not warnings_of(again), again.stderr


def test_a_read_only_warm_cache_is_used_as_it_is(warm_cache, tmp_path):
    """A warm cache mounted read-only loads as it is, silently; a kernel it lacks
    (float32) compiles into a writable per-user place with one line of warning,
    and loads from there in the next run."""
    if not can_mount_read_only(tmp_path / "probe"):
        pytest.skip("no read-only bind mounts here (unshare -r --mount)")
    cache, checksum = warm_cache
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "TMPDIR": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    warm, mount = copy_of(cache, tmp_path), tmp_path / "mount"
    mount.mkdir()
    result = run(PROBE, mount, read_only_from=warm, extra_env=dict(env, NUMBA_DEBUG_CACHE="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [checksum, "loaded"]
    assert f"data loaded from '{mount}" in result.stdout  # from the read-only cache itself
    assert "data saved" not in result.stdout
    assert not warnings_of(result), result.stderr
    probe32 = PROBE.replace("standard_normal((3, 10, 4))", "standard_normal((3, 10, 4)).astype('float32')")
    probe32 = probe32.replace('np.dtype("float64")', 'np.dtype("float32")')
    first = run(probe32, mount, read_only_from=warm, extra_env=env)
    assert first.returncode == 0 and first.stdout.split()[1] == "compiled", first.stderr
    lines = warnings_of(first)
    assert len(lines) == 1 and "cannot be written" in lines[0], first.stderr
    second = run(probe32, mount, read_only_from=warm, extra_env=env)
    assert second.returncode == 0 and second.stdout.split()[1] == "loaded", second.stderr
    assert not warnings_of(second), second.stderr
    assert sorted(p.name for p in warm.rglob("*")) == sorted(p.name for p in cache.rglob("*"))  # untouched


RACE = """
import threading, numpy as np, fastrnn
rng = np.random.default_rng(0)
x, a0 = rng.standard_normal((3, 10, 4)), rng.standard_normal((5, 10))
p = {"Wax": rng.standard_normal((5, 3)), "Waa": rng.standard_normal((5, 5)), "ba": rng.standard_normal((5, 1)),
     "Wya": rng.standard_normal((2, 5)), "by": rng.standard_normal((2, 1))}
want = fastrnn.rnn_forward(x, a0, p)[0].copy()   # float64 compiled
inputs = [np.asfortranarray(x), np.repeat(x, 2, axis=2)[:, :, ::2], x.astype(np.int64) * 0 + x]
errors, stop = [], threading.Event()
def loop(k):
    import time
    while not stop.is_set():
        time.sleep(0.001)  # leave the compiling thread the GIL often enough
        try:
            got = fastrnn.rnn_forward(inputs[k % len(inputs)], a0, p)[0]
            if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
                errors.append("wrong values")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
threads = [threading.Thread(target=loop, args=(k,)) for k in range(4)]
for t in threads: t.start()
p32 = {k: v.astype(np.float32) for k, v in p.items()}
fastrnn.rnn_backward(np.ones((5, 10, 4), np.float32),
                     fastrnn.rnn_forward(x.astype(np.float32), a0.astype(np.float32), p32)[2])
stop.set()
for t in threads: t.join()
from fastrnn._kernels import rnn
print(len(errors), sorted(set(errors))[:3], len(rnn.rnn_forward_entry[np.dtype("float64")].signatures))
"""


def test_threads_calling_while_another_makes_a_first_call(tmp_path):
    """Converted inputs from four threads while the main thread's first float32 call
    compiles: no error, right values, and no extra variant of the float64 kernel."""
    result = run(RACE, tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "0", result.stdout
    assert result.stdout.split()[-1] == "1"
