"""Vectorisable exp, tanh and sigmoid over contiguous buffers, and row softmax.

numba lowers ``np.tanh``/``np.exp`` on scalars to libm calls that LLVM cannot
vectorise (without Intel's SVML), several times slower than numpy's SIMD
ufuncs.  These versions are branch-free loops over contiguous memory that
LLVM vectorises:

    v = k ln2 + r,  |r| <= ln2/2,  k integer  (k from the 1.5*2**52 shifter trick)
    q = expm1(r)                     Taylor polynomial to r**13 (error < 1e-17)
    exp(v)   = 2**k (1 + q)          2**k from exponent bits (two factors:
    expm1(v) = 2**k q + (2**k - 1)   no overflow in k)
    tanh(x)  = -e / (2 + e), e = expm1(-2|x|), with the sign of x
    sigmoid(x) = 1 / (1 + exp(-x))

Accuracy (tests/test_activations.py): within a few ulp of numpy over the
whole float range, with numpy's results at overflow (inf), underflow (0 and
subnormals), +-inf and nan.  Every function works in place on ``x[lo:hi]``
of a 1-D contiguous array, in one pass with no scratch: the reduction, the
polynomial and 2**k are a scalar helper (:func:`_exp_parts`) that LLVM
inlines into the loop, 2**k built by moving bits between an integer and a
float (:func:`~.intrinsics.float_bits`, :func:`~.intrinsics.bits_float`).
float32 arrays take a float32 path (a degree-7 polynomial, 2**k through
int32 bits: twice the SIMD lanes); everything else computes in float64.
"""
import numpy as np

from ._jit import contracting_kernel, inlined_kernel, kernel, one_variant
from .intrinsics import bits_float, float_bits, view_as

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln2 split in two for an exact k*ln2_hi
_LN2_LO = 1.90821492927058770002e-10
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52: v*log2e + shifter rounds to k in the low bits
_SHIFTER_BITS = 0x4338000000000000
_EXPONENT_BIAS = 1023
# 1/n! for n = 2..13
_C2, _C3, _C4, _C5 = 1 / 2, 1 / 6, 1 / 24, 1 / 120
_C6, _C7, _C8, _C9 = 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880
_C10, _C11, _C12, _C13 = 1 / 3628800, 1 / 39916800, 1 / 479001600, 1 / 6227020800

# float32: the same scheme with float32 constants (module-level numpy float32
# scalars are float32 constants to numba, so the arithmetic stays float32)
_F = np.float32
_LOG2E_F = _F(1.4426950408889634)
_LN2_HI_F = _F(0.693359375)  # 9 significant bits: k * ln2_hi is exact for |k| < 2**15
_LN2_LO_F = _F(-2.12194440e-4)
_SHIFTER_F = _F(12582912.0)  # 1.5 * 2**23
_SHIFTER_BITS_F = 0x4B400000
_EXPONENT_BIAS_F = 127
_LOW_F, _HIGH_F = _F(-104.0), _F(89.0)  # exp(-104) rounds to 0, exp(89) overflows
_D2, _D3, _D4, _D5, _D6, _D7 = _F(1 / 2), _F(1 / 6), _F(1 / 24), _F(1 / 120), _F(1 / 720), _F(1 / 5040)
_ONE_F, _TWO_F = _F(1.0), _F(2.0)


@contracting_kernel
def _exp_parts(v):
    """``(expm1(r), 2**k1, 2**k2)`` for ``v = k ln2 + r`` (``v`` in [-750, 710], k1 + k2 = k:
    no overflow in either factor).  A scalar helper LLVM inlines into the loops."""
    kk = v * _LOG2E + _SHIFTER
    k = kk - _SHIFTER
    r = (v - k * _LN2_HI) - k * _LN2_LO
    q = r * (1.0 + r * (_C2 + r * (_C3 + r * (_C4 + r * (_C5 + r * (_C6 + r * (
        _C7 + r * (_C8 + r * (_C9 + r * (_C10 + r * (_C11 + r * (_C12 + r * _C13))))))))))))
    kb = float_bits(kk) - _SHIFTER_BITS
    k1 = kb >> 1
    return q, bits_float((k1 + _EXPONENT_BIAS) << 52), bits_float((kb - k1 + _EXPONENT_BIAS) << 52)


@contracting_kernel
def _exp_parts_f32(v):
    """:func:`_exp_parts` in float32 (``v`` a float32 in [-104, 89])."""
    kk = v * _LOG2E_F + _SHIFTER_F
    k = kk - _SHIFTER_F
    r = (v - k * _LN2_HI_F) - k * _LN2_LO_F
    q = r * (_ONE_F + r * (_D2 + r * (_D3 + r * (_D4 + r * (_D5 + r * (_D6 + r * _D7))))))
    kb = float_bits(kk) - _SHIFTER_BITS_F
    k1 = kb >> 1
    return (q, bits_float(np.int32((k1 + _EXPONENT_BIAS_F) << 23)),
            bits_float(np.int32((kb - k1 + _EXPONENT_BIAS_F) << 23)))


@one_variant
@contracting_kernel
def exp_range(x, lo, hi, scale):
    """``x[lo:hi] = exp(scale * x[lo:hi])`` in place."""
    xs = x[lo:hi]  # from index 0: no negative-index wraparound, so the loops vectorise
    if x.itemsize == 4:  # float32 (kernels pass float32 or float64 only)
        scale32 = _F(scale)
        for i in range(xs.shape[0]):
            v = scale32 * xs[i]
            q, f1, f2 = _exp_parts_f32(_LOW_F if v < _LOW_F else (_HIGH_F if v > _HIGH_F else v))
            xs[i] = ((_ONE_F + q) * f1) * f2
        return
    for i in range(xs.shape[0]):
        v = scale * xs[i]
        q, f1, f2 = _exp_parts(-750.0 if v < -750.0 else (710.0 if v > 710.0 else v))
        xs[i] = ((1.0 + q) * f1) * f2


@one_variant
@contracting_kernel
def sigmoid_range(x, lo, hi):
    """``x[lo:hi] = 1 / (1 + exp(-x[lo:hi]))`` in place."""
    xs = x[lo:hi]  # from index 0: no negative-index wraparound, so the loops vectorise
    if x.itemsize == 4:
        for i in range(xs.shape[0]):
            v = -xs[i]
            q, f1, f2 = _exp_parts_f32(_LOW_F if v < _LOW_F else (_HIGH_F if v > _HIGH_F else v))
            xs[i] = _ONE_F / (_ONE_F + ((_ONE_F + q) * f1) * f2)
        return
    for i in range(xs.shape[0]):
        v = -xs[i]
        q, f1, f2 = _exp_parts(-750.0 if v < -750.0 else (710.0 if v > 710.0 else v))
        xs[i] = 1.0 / (1.0 + ((1.0 + q) * f1) * f2)


@one_variant
@contracting_kernel
def tanh_range(x, lo, hi):
    """``x[lo:hi] = tanh(x[lo:hi])`` in place."""
    xs = x[lo:hi]  # from index 0: no negative-index wraparound, so the loops vectorise
    if x.itemsize == 4:
        for i in range(xs.shape[0]):
            v = xs[i]
            w = _F(-2.0) * np.abs(v)
            q, f1, f2 = _exp_parts_f32(_LOW_F if w < _LOW_F else w)
            p2k = f1 * f2
            e = p2k * q + (p2k - _ONE_F)
            xs[i] = np.copysign(-e / (_TWO_F + e), v)
        return
    for i in range(xs.shape[0]):
        v = xs[i]
        w = -2.0 * np.abs(v)  # in [-inf, 0] or nan
        q, f1, f2 = _exp_parts(-750.0 if w < -750.0 else w)
        p2k = f1 * f2
        e = p2k * q + (p2k - 1.0)  # expm1(-2|x|), in (-1, 0]
        xs[i] = np.copysign(-e / (2.0 + e), v)  # tanh(|v|) with the sign of v (branch-free: vectorises)


@inlined_kernel
def _subtract_max(row):
    """``row -= max(row)`` (a 1-D view): exp then never overflows."""
    top = row[0]
    for j in range(1, row.shape[0]):
        if row[j] > top:
            top = row[j]
    for j in range(row.shape[0]):
        row[j] = row[j] - top


@inlined_kernel
def _divide_by_sum(row):
    """``row /= sum(row)``, the terms added in order."""
    total = 0.0
    for j in range(row.shape[0]):
        total += row[j]
    for j in range(row.shape[0]):
        row[j] = row[j] / total


@kernel
def softmax_rows(z, bias):
    """Softmax of every row of ``z (r, n)`` plus ``bias (n,)``, in place.

    The row maximum is subtracted before ``exp`` (the course subtracts the
    maximum of the whole array: the same values, but a column far below the
    global maximum would give 0/0 there).  One ``exp`` pass over all rows.
    """
    r, n = z.shape
    for s in range(r):
        row = z[s]
        for j in range(n):
            row[j] += bias[j]
        _subtract_max(row)
    exp_range(view_as(z, r * n), 0, r * n, 1.0)
    for s in range(r):
        _divide_by_sum(z[s])


@kernel
def softmax_row(z):
    """``z = exp(z - max z) / sum`` in place, for a 1-D contiguous ``z``
    (:func:`softmax_rows` of one row without a bias)."""
    _subtract_max(z)
    exp_range(z, 0, z.shape[0], 1.0)
    _divide_by_sum(z)
