"""Vectorisable exp, tanh and sigmoid over contiguous buffers, and row softmax.

numba lowers ``np.tanh``/``np.exp`` on scalars to libm calls that LLVM cannot
vectorise (no SVML here): about 14 ns per tanh and 4 ns per exp, against
1-2 ns for numpy's SIMD ufuncs.  These versions are branch-free loops over
contiguous memory that LLVM vectorises:

    v = k ln2 + r,  |r| <= ln2/2,  k integer  (k from the 1.5*2**52 shifter trick)
    q = expm1(r)                     Taylor polynomial to r**13 (error < 1e-17)
    exp(v)   = 2**k (1 + q)          2**k from exponent bits written through an
    expm1(v) = 2**k q + (2**k - 1)   int64 view (two factors: no overflow in k)
    tanh(x)  = -e / (2 + e), e = expm1(-2|x|), with the sign of x
    sigmoid(x) = 1 / (1 + exp(-x))

Accuracy (tests/test_activations.py): within a few ulp of numpy over the
whole float range, with numpy's results at overflow (inf), underflow (0 and
subnormals), +-inf and nan.  Every function works on ``x[lo:hi]`` of a 1-D
contiguous array in chunks of ``CHUNK`` using scratch made by
:func:`workspace`, in three passes: the polynomial (a scalar helper inlined
into the loop), the exponent bits, the result.  (Four passes with the
reduction as a function of arrays cost 1.2-1.8x more at 8-200 values.)  float32 arrays take a float32 path (a degree-7
polynomial, 2**k through an int32 view: twice the SIMD lanes, 5x faster
than computing them in float64); everything else computes in float64.
"""
import numpy as np

from ._jit import contracting_kernel, kernel

CHUNK = 256
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


@kernel
def workspace():
    """Scratch for the functions below: for float64, q (float64), bits1, bits2
    (int64) of CHUNK each and float64 views f1, f2 of bits1, bits2; the same
    five in float32/int32 for float32 arrays (views made once, not per call)."""
    wide, narrow = np.empty(3 * CHUNK, np.int64), np.empty(3 * CHUNK, np.int32)  # two allocations
    bits1, bits2 = wide[CHUNK:2 * CHUNK], wide[2 * CHUNK:]
    bits1_f, bits2_f = narrow[CHUNK:2 * CHUNK], narrow[2 * CHUNK:]
    return (wide[:CHUNK].view(np.float64), bits1, bits2, bits1.view(np.float64), bits2.view(np.float64),
            narrow[:CHUNK].view(np.float32), bits1_f, bits2_f, bits1_f.view(np.float32), bits2_f.view(np.float32))


@contracting_kernel
def _expm1_reduced(v):
    """``(expm1(r), k + shifter)`` for ``v = k ln2 + r`` (``v`` in [-750, 710]):
    the polynomial part of exp, a scalar helper LLVM inlines into the loops."""
    kk = v * _LOG2E + _SHIFTER
    k = kk - _SHIFTER
    r = (v - k * _LN2_HI) - k * _LN2_LO
    q = r * (1.0 + r * (_C2 + r * (_C3 + r * (_C4 + r * (_C5 + r * (_C6 + r * (
        _C7 + r * (_C8 + r * (_C9 + r * (_C10 + r * (_C11 + r * (_C12 + r * _C13))))))))))))
    return q, kk


@contracting_kernel
def _expm1_reduced_f32(v):
    """:func:`_expm1_reduced` in float32 (``v`` a float32 in [-104, 89])."""
    kk = v * _LOG2E_F + _SHIFTER_F
    k = kk - _SHIFTER_F
    r = (v - k * _LN2_HI_F) - k * _LN2_LO_F
    return r * (_ONE_F + r * (_D2 + r * (_D3 + r * (_D4 + r * (_D5 + r * (_D6 + r * _D7)))))), kk


@contracting_kernel
def _split_exponent(bits1, bits2, n):
    """``bits1[:n]`` holds ``k + shifter`` as float64 bits: write there and in
    ``bits2`` the bit patterns of 2**k1 and 2**k2 (k1 + k2 = k: no overflow in either)."""
    for i in range(n):
        k = bits1[i] - _SHIFTER_BITS
        k1 = k >> 1
        bits1[i] = (k1 + _EXPONENT_BIAS) << 52
        bits2[i] = (k - k1 + _EXPONENT_BIAS) << 52


@contracting_kernel
def _split_exponent_f32(bits1, bits2, n):
    """:func:`_split_exponent` for float32 bit patterns (int32)."""
    for i in range(n):
        k = bits1[i] - _SHIFTER_BITS_F
        k1 = k >> 1
        bits1[i] = (k1 + _EXPONENT_BIAS_F) << 23
        bits2[i] = (k - k1 + _EXPONENT_BIAS_F) << 23


@contracting_kernel
def _exp_f32(x, lo, hi, scale, ws):
    q, bits1, bits2, f1, f2 = ws[5], ws[6], ws[7], ws[8], ws[9]
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        xs = x[start:start + n]
        for i in range(n):
            v = scale * xs[i]
            q[i], f1[i] = _expm1_reduced_f32(_LOW_F if v < _LOW_F else (_HIGH_F if v > _HIGH_F else v))
        _split_exponent_f32(bits1, bits2, n)
        for i in range(n):
            xs[i] = ((_ONE_F + q[i]) * f1[i]) * f2[i]


@contracting_kernel
def _sigmoid_f32(x, lo, hi, ws):
    q, bits1, bits2, f1, f2 = ws[5], ws[6], ws[7], ws[8], ws[9]
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        xs = x[start:start + n]
        for i in range(n):
            v = -xs[i]
            q[i], f1[i] = _expm1_reduced_f32(_LOW_F if v < _LOW_F else (_HIGH_F if v > _HIGH_F else v))
        _split_exponent_f32(bits1, bits2, n)
        for i in range(n):
            xs[i] = _ONE_F / (_ONE_F + ((_ONE_F + q[i]) * f1[i]) * f2[i])


@contracting_kernel
def _tanh_f32(x, lo, hi, ws):
    q, bits1, bits2, f1, f2 = ws[5], ws[6], ws[7], ws[8], ws[9]
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        xs = x[start:start + n]
        for i in range(n):
            v = _F(-2.0) * np.abs(xs[i])
            q[i], f1[i] = _expm1_reduced_f32(_LOW_F if v < _LOW_F else v)
        _split_exponent_f32(bits1, bits2, n)
        for i in range(n):
            p2k = f1[i] * f2[i]
            e = p2k * q[i] + (p2k - _ONE_F)
            t = -e / (_TWO_F + e)
            v = xs[i]
            xs[i] = -t if v < 0 else (t if v == v else v)


@contracting_kernel
def exp_range(x, lo, hi, scale, ws):
    """``x[lo:hi] = exp(scale * x[lo:hi])`` in place."""
    if x.itemsize == 4:  # float32 (kernels pass float32 or float64 only)
        _exp_f32(x, lo, hi, _F(scale), ws)
        return
    q, bits1, bits2, f1, f2 = ws[0], ws[1], ws[2], ws[3], ws[4]
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        xs = x[start:start + n]
        for i in range(n):
            v = scale * xs[i]
            q[i], f1[i] = _expm1_reduced(-750.0 if v < -750.0 else (710.0 if v > 710.0 else v))
        _split_exponent(bits1, bits2, n)
        for i in range(n):
            xs[i] = ((1.0 + q[i]) * f1[i]) * f2[i]


@contracting_kernel
def sigmoid_range(x, lo, hi, ws):
    """``x[lo:hi] = 1 / (1 + exp(-x[lo:hi]))`` in place."""
    if x.itemsize == 4:  # float32 (kernels pass float32 or float64 only)
        _sigmoid_f32(x, lo, hi, ws)
        return
    q, bits1, bits2, f1, f2 = ws[0], ws[1], ws[2], ws[3], ws[4]
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        xs = x[start:start + n]
        for i in range(n):
            v = -xs[i]
            q[i], f1[i] = _expm1_reduced(-750.0 if v < -750.0 else (710.0 if v > 710.0 else v))
        _split_exponent(bits1, bits2, n)
        for i in range(n):
            xs[i] = 1.0 / (1.0 + ((1.0 + q[i]) * f1[i]) * f2[i])


@contracting_kernel
def tanh_range(x, lo, hi, ws):
    """``x[lo:hi] = tanh(x[lo:hi])`` in place."""
    if x.itemsize == 4:  # float32 (kernels pass float32 or float64 only)
        _tanh_f32(x, lo, hi, ws)
        return
    q, bits1, bits2, f1, f2 = ws[0], ws[1], ws[2], ws[3], ws[4]
    for start in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - start)
        xs = x[start:start + n]
        for i in range(n):
            v = -2.0 * np.abs(xs[i])  # in [-inf, 0] or nan
            q[i], f1[i] = _expm1_reduced(-750.0 if v < -750.0 else v)
        _split_exponent(bits1, bits2, n)
        for i in range(n):
            p2k = f1[i] * f2[i]
            e = p2k * q[i] + (p2k - 1.0)  # expm1(-2|x|), in (-1, 0]
            t = -e / (2.0 + e)
            v = xs[i]
            xs[i] = -t if v < 0 else (t if v == v else v)


@kernel
def softmax_rows(z, ws):
    """Softmax of every row of ``z (r, n)``, in place.

    The row maximum is subtracted before ``exp`` (the course subtracts the
    maximum of the whole array: the same values, but a column far below the
    global maximum would give 0/0 there).
    """
    r, n = z.shape
    for s in range(r):
        row = z[s]
        top = row[0]
        for j in range(1, n):
            if row[j] > top:
                top = row[j]
        for j in range(n):
            row[j] = row[j] - top
    exp_range(z.reshape(r * n), 0, r * n, 1.0, ws)
    for s in range(r):
        row = z[s]
        total = 0.0
        for j in range(n):
            total += row[j]
        for j in range(n):
            row[j] = row[j] / total
