"""The vectorised exp/tanh/sigmoid kernels against numpy over the whole float range."""
import numpy as np
import pytest

from fastrnn._kernels.activations import exp_range, sigmoid_range, softmax_rows, tanh_range


def ulp_error(got, want):
    both_nan = np.isnan(got) & np.isnan(want)
    same = (got == want) | both_nan
    spacing = np.spacing(np.abs(want))
    spacing[~np.isfinite(spacing) | (spacing == 0)] = 5e-324
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(got - want) / spacing)


rng = np.random.default_rng(0)
VALUES = np.concatenate([
    rng.uniform(-800, 800, 20000), rng.uniform(-30, 30, 20000), rng.uniform(-1, 1, 20000),
    np.geomspace(5e-324, 1e3, 4000), -np.geomspace(5e-324, 1e3, 4000),
    [0.0, -0.0, np.inf, -np.inf, np.nan, 709.78, 709.79, 710.0, -745.1, -745.2, -708.4, -1000.0, 1000.0],
])
CASES = {
    "exp": (lambda a: exp_range(a, 0, a.size, 1.0), np.exp),
    "tanh": (lambda a: tanh_range(a, 0, a.size), np.tanh),
    "sigmoid": (lambda a: sigmoid_range(a, 0, a.size), lambda v: 1 / (1 + np.exp(-v))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_within_a_few_ulp_of_numpy(name):
    ours, ref = CASES[name]
    got = VALUES.copy()
    ours(got)
    with np.errstate(all="ignore"):
        want = ref(VALUES)
    err = ulp_error(got, want)
    worst = int(np.argmax(err))
    assert err.max() <= 4, f"{name}({VALUES[worst]!r}) = {got[worst]!r}, numpy {want[worst]!r}"
    # special values exactly as numpy
    special = ~np.isfinite(want) | (want == 0) | ~np.isfinite(VALUES)
    np.testing.assert_array_equal(got[special], want[special])


VALUES32 = np.concatenate([
    rng.uniform(-120, 120, 20000), rng.uniform(-30, 30, 20000), rng.uniform(-1, 1, 20000),
    np.geomspace(1.5e-45, 1e2, 4000), -np.geomspace(1.5e-45, 1e2, 4000),
    [0.0, -0.0, np.inf, -np.inf, np.nan, 88.72, 88.73, 89.0, -87.3, -103.2, -103.9, -104.0, -200.0, 200.0],
]).astype(np.float32)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_within_a_few_ulp_of_the_rounded_truth(name):
    """float32 arrays take the float32 path.  The reference is the float64 result rounded to
    float32; for sigmoid, ``1 / (1 + e)`` with ``e = exp(-x)`` rounded to float32 (so it
    overflows to inf below x = -88.72 and gives 0, as the formula does in float32)."""
    ours, ref = CASES[name]
    got = VALUES32.copy()
    ours(got)
    assert got.dtype == np.float32
    x64 = VALUES32.astype(np.float64)
    with np.errstate(all="ignore"):
        if name == "sigmoid":
            want = (1 / (1 + np.exp(-x64).astype(np.float32).astype(np.float64))).astype(np.float32)
        else:
            want = ref(x64).astype(np.float32)
    both_nan = np.isnan(got) & np.isnan(want)
    spacing = np.spacing(np.abs(want)).astype(np.float64)  # float32 spacing
    spacing[~np.isfinite(spacing) | (spacing == 0)] = 1.4e-45
    with np.errstate(invalid="ignore"):
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        err = np.where((got == want) | both_nan, 0.0, diff / spacing)
    worst = int(np.argmax(err))
    assert err.max() <= 4, f"{name}({VALUES32[worst]!r}) = {got[worst]!r}, want {want[worst]!r}"
    special = ~np.isfinite(want) | (want == 0) | ~np.isfinite(VALUES32)
    np.testing.assert_array_equal(got[special], want[special])


def test_range_and_float32():
    a = np.linspace(-3, 3, 1000)
    b = a.copy()
    tanh_range(b, 100, 900)
    np.testing.assert_array_equal(b[:100], a[:100])
    np.testing.assert_array_equal(b[900:], a[900:])
    np.testing.assert_allclose(b[100:900], np.tanh(a[100:900]), rtol=1e-15)
    c = a.astype(np.float32)
    tanh_range(c, 0, c.size)
    np.testing.assert_allclose(c, np.tanh(a), rtol=3e-7, atol=1e-30)


def test_softmax_rows_is_robust_where_the_global_max_underflows():
    z = np.array([[0.0, 1.0, 2.0], [-2000.0, -2001.0, -2002.0]])
    softmax_rows(z, np.zeros(3))
    np.testing.assert_allclose(z.sum(axis=1), 1.0)
    e = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(z, np.vstack([e[::-1] / e.sum(), e / e.sum()]), rtol=1e-15)


def test_softmax_rows_adds_the_bias_to_every_row_first():
    rng = np.random.default_rng(2)
    z, bias = rng.standard_normal((5, 4)), rng.standard_normal(4)
    want = np.exp((z + bias) - (z + bias).max(axis=1, keepdims=True))
    want /= want.sum(axis=1, keepdims=True)
    softmax_rows(z, bias)
    np.testing.assert_allclose(z, want, rtol=1e-14)


def test_bit_intrinsics_move_bits_between_ints_and_floats():
    from numba import njit

    from fastrnn._kernels.activations import bits_float, float_bits

    @njit
    def bits(x64, x32):
        return float_bits(x64), bits_float(float_bits(x64)), float_bits(x32), bits_float(float_bits(x32))

    b64, back64, b32, back32 = bits(-2.5, np.float32(0.75))
    assert b64 == np.array(-2.5).view(np.int64) and back64 == -2.5
    assert b32 == np.array(0.75, np.float32).view(np.int32) and back32 == np.float32(0.75)
