"""Hand-written vector code: the only module that writes LLVM IR (and imports llvmlite).

Two operations are written as vector code through numba intrinsics, because
LLVM's vectoriser works on innermost loops only and numba has no SIMD types:

- :func:`row_times_by_tiles`: a one-row product ``a @ b`` as column tiles,
  up to TILE_VECTORS 64-byte vectors of sums kept in registers while the
  loop walks down ``b``, one fused multiply-add per vector and row, masked
  loads and stores for the last columns (the char models' per-step products);
- :func:`transpose_tiles`: square blocks of one vector's width (8 float64,
  16 float32) transposed in registers by rounds of two-vector shuffles (the
  weights' layouts and the LSTM's gate stacking).

Vectors are 64 bytes; LLVM splits them on a CPU without AVX-512.

``FASTRNN_SIMD=0`` in the environment (read at import,
:data:`fastrnn._kernels._jit.SIMD_ENABLED`) compiles plain loops with the
same contracts instead: the one-row product as a multiply then an add per
term, in the order of the inner index (plain rounding, no fused
multiply-add), the transposes element by element.  The switch is part of
the cache digest, so kernels compiled with one setting never load with the
other.
"""
from llvmlite import binding as llvm, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import SIMD_ENABLED, inlined_kernel
from .tuning import TILE_VECTORS


def _column_tile_function(module, vectors, dtype, intp):
    """The LLVM function of :func:`_column_tile` in ``module`` (defined there
    on first use; ``intp`` the LLVM type of numba's intp): ``void (real* a,
    real* b, intp k, intp n, real* out, intp width, i1 accumulate)``
    computes ``out[jj] (+)= sum(a[p] * b[p * n + jj] for p in range(k))``
    for ``jj < min(width, vectors * lanes)`` (``n``: the row length of ``b``).

    One definition per module, shared by the intrinsic's uses there (LLVM
    may still inline it).
    """
    bits = 64 if dtype == types.float64 else 32
    name = f"fastrnn_column_tile_{vectors}_f{bits}"
    if name in module.globals:
        return module.globals[name]
    real = ir.DoubleType() if bits == 64 else ir.FloatType()
    lanes = 512 // bits
    int32, flag = ir.IntType(32), ir.IntType(1)
    vec, mask_type = ir.VectorType(real, lanes), ir.VectorType(flag, lanes)
    vec_ptr = vec.as_pointer()
    real_ptr = real.as_pointer()
    signature = ir.FunctionType(ir.VoidType(), [real_ptr, real_ptr, intp, intp, real_ptr, intp, flag])
    function = ir.Function(module, signature, name)
    function.linkage = "linkonce_odr"
    a, b, k, n, out, width, accumulate = function.args
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    suffix = f"v{lanes}f{bits}." + ("p0" if llvm.llvm_version_info[0] >= 17 else f"p0v{lanes}f{bits}")
    masked_load = cgutils.get_or_insert_function(
        module, ir.FunctionType(vec, [vec_ptr, int32, mask_type, vec]), "llvm.masked.load." + suffix)
    masked_store = cgutils.get_or_insert_function(
        module, ir.FunctionType(ir.VoidType(), [vec, vec_ptr, int32, mask_type]), "llvm.masked.store." + suffix)
    fma = cgutils.get_or_insert_function(module, ir.FunctionType(vec, [vec] * 3), f"llvm.fma.v{lanes}f{bits}")
    align = ir.Constant(int32, bits // 8)
    zero = ir.Constant(vec, [0.0] * lanes)
    lane0 = ir.Constant(ir.VectorType(int32, lanes), [0] * lanes)

    def splat(value, vector_type):
        one = builder.insert_element(ir.Constant(vector_type, ir.Undefined), value, ir.Constant(int32, 0))
        return builder.shuffle_vector(one, ir.Constant(vector_type, ir.Undefined), lane0)

    def vector_at(base, v):
        return builder.bitcast(builder.gep(base, [ir.Constant(intp, v * lanes)]), vec_ptr)

    columns = ir.VectorType(intp, lanes)
    masks = [builder.icmp_signed("<", ir.Constant(columns, list(range(v * lanes, (v + 1) * lanes))),
                                 splat(width, columns))  # lanes past the columns left are masked
             for v in range(vectors)]
    sums = []
    for v, mask in enumerate(masks):
        start = builder.call(masked_load, [vector_at(out, v), align, mask, zero])
        sums.append(cgutils.alloca_once_value(builder, builder.select(accumulate, start, zero)))
    with cgutils.for_range(builder, k) as loop:
        coefficient = splat(builder.load(builder.gep(a, [loop.index])), vec)
        b_row = builder.gep(b, [builder.mul(loop.index, n)])
        for v, mask in enumerate(masks):
            term = builder.call(masked_load, [vector_at(b_row, v), align, mask, zero])
            builder.store(builder.call(fma, [coefficient, term, builder.load(sums[v])]), sums[v])
    for v, mask in enumerate(masks):
        builder.call(masked_store, [builder.load(sums[v]), vector_at(out, v), align, mask])
    builder.ret_void()
    return function


def _column_tile(vectors):
    """The intrinsic ``column_tile(a, a_at, b, out, out_at, j0, cols, accumulate)``
    of ``vectors`` 64-byte vectors (8 float64 or 16 float32 values each).

    It computes ``w = min(vectors * lanes, cols - j0)`` columns of a one-row
    product: ``out[out_at + j0 + jj] (+)= sum(a[a_at + p] * b[p, j0 + jj] for p in
    range(k))`` for ``jj < w``, with ``b (k, >= cols)``, ``a`` and ``out`` flat
    (all C-contiguous, one float dtype, nothing checked).  The ``w`` sums stay in
    vector registers while the loop walks down ``b``: one fused multiply-add
    per vector and row, terms added in the order of ``p`` (from ``out``'s
    value if ``accumulate``, else from 0).  Masked loads and stores keep the
    last vector within the ``w`` columns.  LLVM splits the vectors for a CPU
    with narrower ones.  (The loop is :func:`_column_tile_function`.)
    """
    @intrinsic
    def column_tile(typingctx, a, a_at, b, out, out_at, j0, cols, accumulate):
        arrays = (a, b, out)
        if not all(isinstance(t, types.Array) and t.layout == "C" and t.dtype == a.dtype for t in arrays):
            return None
        if a.dtype not in (types.float64, types.float32) or (a.ndim, b.ndim, out.ndim) != (1, 2, 1):
            return None
        if not all(isinstance(t, types.Integer) for t in (a_at, out_at, j0, cols)):
            return None
        if not isinstance(accumulate, types.Boolean):
            return None

        def codegen(context, builder, signature, args):
            arr_a, arr_b, arr_out = (context.make_array(signature.args[i])(context, builder, args[i])
                                     for i in (0, 2, 3))
            a_at, out_at, j0, cols = (context.cast(builder, args[i], signature.args[i], types.intp)
                                      for i in (1, 4, 5, 6))
            k, n = cgutils.unpack_tuple(builder, arr_b.shape, 2)
            function = _column_tile_function(builder.module, vectors, a.dtype, context.get_value_type(types.intp))
            builder.call(function, [builder.gep(arr_a.data, [a_at]), builder.gep(arr_b.data, [j0]), k, n,
                                    builder.gep(arr_out.data, [builder.add(out_at, j0)]), builder.sub(cols, j0),
                                    context.cast(builder, args[7], signature.args[7], types.boolean)])
            return context.get_dummy_value()
        return types.none(a, a_at, b, out, out_at, j0, cols, accumulate), codegen
    return column_tile

@intrinsic
def _transpose_tile(typingctx, src, i0, j0, dst, r0, c0):
    """``dst[r0 + q, c0 + p] = src[i0 + p, j0 + q]`` for ``p, q < lanes`` (8
    float64 or 16 float32: one 64-byte vector), C-contiguous 2-D arrays of
    one dtype, nothing checked.

    The ``lanes`` rows are loaded as vectors and transposed in registers by
    log2(lanes) rounds of two-vector shuffles (round ``b`` swaps the
    ``b``-blocks between rows ``i`` and ``i + b``), then stored as rows.
    """
    if not all(isinstance(t, types.Array) and t.layout == "C" and t.ndim == 2 and t.dtype == src.dtype
               for t in (src, dst)) or src.dtype not in (types.float64, types.float32):
        return None

    def codegen(context, builder, signature, args):
        arr_src = context.make_array(signature.args[0])(context, builder, args[0])
        arr_dst = context.make_array(signature.args[3])(context, builder, args[3])
        i0, j0, r0, c0 = (context.cast(builder, args[i], signature.args[i], types.intp) for i in (1, 2, 4, 5))
        bits = 64 if src.dtype == types.float64 else 32
        lanes = 512 // bits
        vec, intp = ir.VectorType(context.get_value_type(src.dtype), lanes), context.get_value_type(types.intp)

        def row_at(arr, row, col):
            columns = cgutils.unpack_tuple(builder, arr.shape, 2)[1]
            flat = builder.add(builder.mul(builder.add(row[0], ir.Constant(intp, row[1])), columns), col)
            return builder.bitcast(builder.gep(arr.data, [flat]), vec.as_pointer())

        rows = [builder.load(row_at(arr_src, (i0, p), j0), align=bits // 8) for p in range(lanes)]
        b = 1
        while b < lanes:
            mask = ir.VectorType(ir.IntType(32), lanes)
            low = ir.Constant(mask, [lanes + p - b if p & b else p for p in range(lanes)])
            high = ir.Constant(mask, [lanes + p if p & b else p + b for p in range(lanes)])
            swapped = list(rows)
            for i in range(lanes):
                if not i & b:
                    swapped[i] = builder.shuffle_vector(rows[i], rows[i + b], low)
                    swapped[i + b] = builder.shuffle_vector(rows[i], rows[i + b], high)
            rows, b = swapped, 2 * b
        for q in range(lanes):
            builder.store(rows[q], row_at(arr_dst, (r0, q), c0), align=bits // 8)
        return context.get_dummy_value()
    return types.none(src, i0, j0, dst, r0, c0), codegen


# _row_times_by_vector_tiles picks the narrowest tile that covers the columns left.
_column_tile_1, _column_tile_2, _column_tile_3, _column_tile_4 = (_column_tile(v) for v in (1, 2, 3, 4))


@inlined_kernel
def _row_times_by_vector_tiles(a, a_at, b, n, out, out_at, accumulate, reverse):
    """``out[out_at:out_at + n] (+)= a[a_at:a_at + k] @ b[:, :n]`` for flat
    ``a``, ``out`` and ``b (k, >= n)`` (``+=`` if ``accumulate``), by column
    tiles of up to TILE_VECTORS vectors (:func:`_column_tile`): the terms of
    each sum are added in the order of the inner index, each by a fused
    multiply-add.  ``reverse`` takes the tiles from the last: a time loop
    that alternates finds in the L1 cache the columns of ``b`` it read last.
    """
    lanes = 64 // b.itemsize
    width = TILE_VECTORS * lanes
    tiles = (n + width - 1) // width
    for q in range(tiles):
        j0 = (tiles - 1 - q if reverse else q) * width
        left = n - j0
        if left > 3 * lanes:
            _column_tile_4(a, a_at, b, out, out_at, j0, n, accumulate)
        elif left > 2 * lanes:
            _column_tile_3(a, a_at, b, out, out_at, j0, n, accumulate)
        elif left > lanes:
            _column_tile_2(a, a_at, b, out, out_at, j0, n, accumulate)
        else:
            _column_tile_1(a, a_at, b, out, out_at, j0, n, accumulate)


@inlined_kernel
def _transpose_by_vector_tiles(src, i0, i1, j0, j1, dst, r0, c0):
    """``dst[r0 + j - j0, c0 + i - i0] = src[i, j]`` for ``i`` in ``i0:i1``,
    ``j`` in ``j0:j1``, both spans whole multiples of one vector's width
    (``64 // itemsize``), by tiles transposed in registers (:func:`_transpose_tile`)."""
    lanes = 64 // src.itemsize
    for i in range(i0, i1, lanes):
        for j in range(j0, j1, lanes):
            _transpose_tile(src, i, j, dst, r0 + j - j0, c0 + i - i0)


@inlined_kernel
def _row_times_by_plain_loop(a, a_at, b, n, out, out_at, accumulate, reverse):
    """The plain loop of ``FASTRNN_SIMD=0``: ``out[out_at:out_at + n] (+)=
    a[a_at:a_at + k] @ b[:, :n]``, a multiply then an add per term, in the
    order of the inner index (``reverse`` changes nothing)."""
    k = b.shape[0]
    if not accumulate:
        for j in range(n):
            out[out_at + j] = 0.0
    for p in range(k):
        ap = a[a_at + p]
        row = b[p]
        for j in range(n):
            out[out_at + j] += ap * row[j]


@inlined_kernel
def _transpose_by_plain_loop(src, i0, i1, j0, j1, dst, r0, c0):
    """The plain loop of ``FASTRNN_SIMD=0``: ``dst[r0 + j - j0, c0 + i - i0] = src[i, j]``
    for ``i`` in ``i0:i1``, ``j`` in ``j0:j1``."""
    for j in range(j0, j1):
        row = dst[r0 + j - j0]
        for i in range(i0, i1):
            row[c0 + i - i0] = src[i, j]


#: What the kernels call: the vector code, or the plain loops with ``FASTRNN_SIMD=0``.
row_times_by_tiles = _row_times_by_vector_tiles if SIMD_ENABLED else _row_times_by_plain_loop
transpose_tiles = _transpose_by_vector_tiles if SIMD_ENABLED else _transpose_by_plain_loop
