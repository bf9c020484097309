"""How kernels compile: the guard against numba's stale disk caches, one-variant kernels,
and the loading of SciPy's BLAS."""
from fastrnn._kernels import _cache, _jit


def test_a_stale_stamp_removes_the_cache_files_of_every_kernel_module(tmp_path):
    """Also of kernels no dispatcher exists for yet in this process (entry
    kernels compile on first use; a process may import only some modules)."""
    (tmp_path / _cache.STAMP_NAME).write_text("old-digest\n")
    ours = ["rnn.rnn_forward_entry-88.py311.nbi", "rnn.rnn_forward_entry-88.py311.1.nbc",
            "activations.tanh_range-120.py311.nbi"]
    theirs = ["mymodule.f-3.py311.nbi", "notes.txt"]
    for name in ours + theirs:
        (tmp_path / name).write_text("x")
    assert _cache.refresh_stamp(str(tmp_path), "new-digest")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(theirs + [_cache.STAMP_NAME])
    assert (tmp_path / _cache.STAMP_NAME).read_text().strip() == "new-digest"
    assert {"rnn", "activations", "lstm", "charmodel"} <= _cache.KERNEL_MODULES


def test_importing_the_kernels_package_imports_every_kernel_module():
    import subprocess
    import sys

    modules = sorted(m for m in _cache.KERNEL_MODULES if not m.startswith("_"))
    probe = ("import sys, fastrnn._kernels; "
             f"print(all('fastrnn._kernels.' + m in sys.modules for m in {modules!r}))")
    assert len(modules) >= 6
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "True"


def test_keeps_a_cache_whose_stamp_matches(tmp_path):
    (tmp_path / _cache.STAMP_NAME).write_text("same\n")
    (tmp_path / "rnn.f-1.py311.nbi").write_text("x")
    assert not _cache.refresh_stamp(str(tmp_path), "same")
    assert (tmp_path / "rnn.f-1.py311.nbi").exists()


def test_a_writable_cache_is_read_and_written_and_made_current(tmp_path):
    chosen = _cache.choose_places(str(tmp_path / "primary"), [str(tmp_path / "fallback")], "digest")
    assert chosen.read == [str(tmp_path / "primary")] and chosen.write == chosen.read[0] and chosen.note is None
    assert _cache.stamp_matches(chosen.write, "digest")


def test_a_read_only_cache_is_read_while_current_and_kernels_it_lacks_go_elsewhere(tmp_path):
    primary, fallback = tmp_path / "primary", tmp_path / "fallback"
    primary.mkdir()
    (primary / _cache.STAMP_NAME).write_text("digest\n")
    primary.chmod(0o555)
    try:
        if _cache.writable(str(primary)):  # root ignores the mode bits
            return
        chosen = _cache.choose_places(str(primary), [str(fallback)], "digest")
        assert chosen.read == [str(primary), str(fallback)] and chosen.write == str(fallback)
        assert "cannot be written" in chosen.note
        stale = _cache.choose_places(str(primary), [str(fallback)], "other-digest")
        assert stale.read == [str(fallback)]  # a stale read-only cache is never read
    finally:
        primary.chmod(0o755)


def test_real_kernels_have_a_stamped_cache_directory():
    from fastrnn._kernels import rnn

    path = rnn.rnn_forward._cache.cache_path
    assert open(f"{path}/{_cache.STAMP_NAME}").read().strip() == _jit.SOURCES_DIGEST


#: Records OPENBLAS_THREAD_TIMEOUT as it is when SciPy's BLAS loads, and after a first call.
_SPIN_PROBE = """
import os, sys
seen = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy.linalg.cython_blas":
            seen.append(os.environ.get("OPENBLAS_THREAD_TIMEOUT"))
sys.meta_path.insert(0, Watch())
import numpy as np, fastrnn
after_import = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
fastrnn.rnn_forward(np.ones((2, 3, 2)), np.ones((4, 3)), {"Wax": np.ones((4, 2)), "Waa": np.ones((4, 4)),
                    "ba": np.ones((4, 1)), "Wya": np.ones((2, 4)), "by": np.ones((2, 1))})
print(after_import, seen, os.environ.get("OPENBLAS_THREAD_TIMEOUT"))
"""


def test_scipy_blas_loads_with_a_short_spin_and_the_environment_is_left_as_it_was():
    """import fastrnn does not touch os.environ; SciPy's OpenBLAS (read at its
    load) sees a short spin, unless the user set one, and the variable is
    gone again afterwards."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    assert subprocess.run([sys.executable, "-c", _SPIN_PROBE], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "None ['18'] None"
    env["OPENBLAS_THREAD_TIMEOUT"] = "20"
    assert subprocess.run([sys.executable, "-c", _SPIN_PROBE], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "20 ['20'] 20"


def test_one_variant_kernel_compiles_once_for_constant_arguments():
    """Constants passed from compiled code do not make numba compile the
    callee once per value (it would for a plain kernel: literal types)."""
    from numba import njit

    def body(x, flag):
        return x + 1 if flag else x

    plain, one = _jit.kernel(body), _jit.one_variant_kernel(body)

    @njit
    def caller(x):
        return plain(x, True) + plain(x, False) + plain(0, True) + one(x, True) + one(x, False) + one(0, True)

    assert caller(1) == 2 * (2 + 1 + 1)
    assert len(one.signatures) == 1 and len(plain.signatures) > 1


def test_the_vector_code_switch_is_part_of_the_cache_digest():
    """Kernels compiled with FASTRNN_SIMD=0 never load with the vector code on, and back."""
    import os
    import subprocess
    import sys

    probe = "from fastrnn._kernels import _jit; print(_jit.SIMD_ENABLED, _jit.SOURCES_DIGEST)"
    seen = {}
    for value in ("1", "0", "off"):
        env = dict(os.environ, FASTRNN_SIMD=value)
        out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
        enabled, digest = out.stdout.split()
        seen[value] = (enabled, digest)
    assert seen["1"][0] == "True" and seen["0"][0] == seen["off"][0] == "False"
    assert seen["0"][1] == seen["off"][1] != seen["1"][1]
