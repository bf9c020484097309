"""Matrix products (BLAS, but for one-row products), column sums, layout copies.

Measured on this session's machine (AMD EPYC Zen 4, SciPy's OpenBLAS): a
small BLAS product costs 70-130 ns, and BLAS beats a loop compiled by numba
at every product of two rows or more, 10 x 5 x 5 (68 against 160 ns) and
40 x 3 x 5 (112 against 264 ns) included: OpenBLAS runs such small products
on the calling thread, with kernels for small sizes.  A single row times a
matrix (the char models' steps, batch size 1) is faster as a loop over the
row, up to about 2**19 multiply-adds (1 x 50 x 50: 0.23 against 0.39 us;
1 x 512 x 512: 25 against 29 us; 1 x 512 x 2048: 117 against 70 us), and
faster still, where the matrix stays in cache, as column tiles summed in
vector registers (:func:`row_times`: 1 x 50 x 50 in 0.16 us).  (An earlier
session measured 0.5 us a BLAS call on a Zen 3 machine and used loops below
32 x 32 x 32.)

Two kernels are written as vector code (LLVM IR from numba intrinsics),
because LLVM's vectoriser works on innermost loops only and numba has no
SIMD types: :func:`_column_tile` keeps a tile of sums in registers across
the loop down ``b``, :func:`_transpose_tile` transposes 8 x 8 (float32:
16 x 16) blocks in registers.  Vectors are 64 bytes; LLVM splits them on a
CPU without AVX-512.

BLAS is called through numba's own helper (``numba_xxgemm``, the one behind
its ``np.dot``) on raw addresses: :func:`gemm` reads and writes blocks at
flat offsets, so the time loops make no array view per step (each view is
an atomic reference count update, and ``np.dot`` checks its arguments and
makes several), and a step can add its product to what the block holds
(BLAS ``beta = 1``).  :func:`view_as` reshapes without numba's reshape
helper call.  Notebook RNN forward+backward: 9.46 -> 8.56 us with both.

Zeroing is written as loops: numba's ``row[:] = 0.0`` goes through its
generic broadcasting assignment, which costs more than the product itself at
the notebook shapes.
"""
import numpy as np
from llvmlite import binding as llvm, ir
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array

from ._jit import kernel, one_variant_kernel

#: ``k * n`` from which a one-row product ``(1, k) @ (k, n)`` goes to BLAS.
ONE_ROW_BLAS_MIN = 1 << 19
#: ``r * m * n`` from which :func:`matmul_tn` gives BLAS the narrower operand
#: first (then transposes the result).  Measured, direct against narrower
#: first: 25 x 50 x 27 1.5 against 2.2 us, 3200 x 128 x 64 0.72 against 0.77 ms;
#: 3200 x 512 x 64 4.1 against 2.9 ms, 6400 x 256 x 128 7.1 against 6.0 ms.
NARROW_FIRST_MIN = 1 << 26
#: The largest product (multiply-adds) that this OpenBLAS runs on the thread
#: that calls it; larger ones go to its thread pool (measured: 48 x 128 x 128
#: and 12 x 128 x 512 on the caller; 64 x 128 x 128 and 16 x 128 x 512 on two
#: threads, the latter slower than on one: 59.5 us against 2 x 20.4 us for
#: its two 8-row halves).
CALLER_THREAD_MACS = 3 << 18
#: Largest ``b`` (bytes) of a one-row product ``(1, k) @ (k, n)`` that goes by
#: column tiles (:func:`row_times`), and the largest when ``b`` is at least
#: as wide as tall (``n >= k``); the others go by passes over the row
#: (:func:`row_times_by_passes`).  Out of the L1 cache, the tiles' strided
#: walk down ``b`` fetches the lines a tile shares with the next twice.
#: Measured on this machine, float64, passes against tiles: 1 x 50 x 50
#: (20 KB) 202 against 163 ns, 1 x 50 x 27 150 against 101 ns, 1 x 40 x 100
#: (31 KB) equal; 1 x 50 x 200 (78 KB) 0.95-1.04 against 0.83-0.94 us (char
#: LSTM forward 0.90x), 1 x 100 x 100 equal, 1 x 200 x 50 0.84 against 1.1
#: us; 1 x 128 x 256 (256 KB) 3.2 against 4.1 us, 1 x 128 x 512 5.3 against 13 us.
ROW_TILE_MAX_BYTES = 32 << 10
WIDE_ROW_TILE_MAX_BYTES = 128 << 10
#: Alignment, in bytes, for the rows of a matrix that :func:`row_times`
#: walks by column tiles, where fastrnn lays the matrix out
#: (:func:`padded_width`): Zen 4 loads a 64-byte vector as two 32-byte
#: halves, a half that crosses a 32-byte boundary costing a load more.
#: Measured, rows 32-byte aligned against 8 or 16 bytes past: 1 x 50 x 200
#: 675-691 against 795-812 ns, 1 x 50 x 32 98 against 133 ns.  (numba
#: allocates arrays at 32 bytes; CPUs with full 64-byte loads would want
#: 64, which the allocation does not give.)
ROW_ALIGN = 32
#: 64-byte vectors a column tile of :func:`row_times` keeps in registers (at
#: most: four accumulators hide the latency of the fused multiply-adds;
#: eight were slower, 191 against 160 ns at 1 x 50 x 50).
TILE_VECTORS = 4


#: numba's BLAS helper (``numba_xxgemm`` in its ``_helperlib``): Fortran
#: ``?gemm`` of SciPy's BLAS, picked by ``kind`` (``ord("d")`` or ``ord("s")``),
#: on raw pointers.  Returns 0, or -1 when SciPy's BLAS cannot be loaded.
_xxgemm = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char, types.intp, types.intp, types.intp,  # kind, transa, transb, m, n, k
    types.voidptr, types.voidptr, types.intp, types.voidptr, types.intp,    # alpha, a, lda, b, ldb
    types.voidptr, types.voidptr, types.intp))                              # beta, c, ldc
_NOTRANS, _TRANS = ord("n"), ord("t")


@intrinsic
def address(typingctx, arr, at):
    """Address of element ``at`` of contiguous ``arr``, counted in memory order (no bounds check)."""
    if not isinstance(arr, types.Array) or not isinstance(at, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        element = builder.gep(ary.data, [context.cast(builder, args[1], signature.args[1], types.intp)])
        return builder.bitcast(element, context.get_value_type(types.voidptr))
    return types.voidptr(arr, at), codegen


@intrinsic
def scalar_address(typingctx, like, value):
    """Address of a stack slot holding ``value`` as ``like``'s dtype (valid within the calling function)."""
    if not isinstance(like, types.Array):
        return None

    def codegen(context, builder, signature, args):
        dtype = signature.args[0].dtype
        slot = cgutils.alloca_once_value(builder, context.cast(builder, args[1], signature.args[1], dtype))
        return builder.bitcast(slot, context.get_value_type(types.voidptr))
    return types.voidptr(like, value), codegen


@intrinsic
def view_as(typingctx, arr, shape):
    """C-contiguous ``arr`` seen with ``shape`` (an int or a tuple of ints with
    the product ``arr.size``: not checked).  ``arr.reshape`` does the same
    through a call into numba's helper library, about 15 ns each."""
    if not isinstance(arr, types.Array) or arr.layout != "C":
        return None
    if isinstance(shape, types.Integer):
        ndim = 1
    elif isinstance(shape, types.UniTuple) and isinstance(shape.dtype, types.Integer):
        ndim = shape.count
    else:
        return None

    def codegen(context, builder, signature, args):
        arr_type, shape_type = signature.args
        ary = make_array(arr_type)(context, builder, args[0])
        if isinstance(shape_type, types.Integer):
            dims = [context.cast(builder, args[1], shape_type, types.intp)]
        else:
            dims = [context.cast(builder, d, shape_type.dtype, types.intp)
                    for d in cgutils.unpack_tuple(builder, args[1], ndim)]
        strides, step = [], ary.itemsize
        for d in reversed(dims):
            strides.insert(0, step)
            step = builder.mul(step, d)
        out = make_array(signature.return_type)(context, builder)
        populate_array(out, data=ary.data, shape=dims, strides=strides, itemsize=ary.itemsize,
                       meminfo=ary.meminfo, parent=ary.parent)
        return impl_ret_borrowed(context, builder, signature.return_type, out._getvalue())
    return arr.copy(ndim=ndim, layout="C")(arr, shape), codegen


@one_variant_kernel
def gemm(a, a_at, lda, trans_a, b, b_at, ldb, trans_b, c, c_at, ldc, rows, cols, inner, accumulate):
    """BLAS ``C = op(A) @ op(B)`` (``C += ...`` if ``accumulate``) on row-major blocks of flat offsets.

    ``C`` is the ``rows x cols`` block of ``c`` from element ``c_at``, rows
    ``ldc`` apart; ``op(A)`` is ``rows x inner``: the block of ``a`` at
    ``a_at`` with rows ``lda`` apart, read transposed (``inner x rows``
    stored) if ``trans_a``; ``op(B)`` (``inner x cols``) likewise.  The
    arrays must be contiguous, of one dtype (float64 or float32), and hold
    the blocks: nothing is checked.  No view is made (numba's ``np.dot``
    makes several, each an atomic reference count update, and checks its
    arguments: 0.1-0.2 us per product at the notebook shapes).
    """
    kind = 115 if c.itemsize == 4 else 100  # "s" or "d"
    # row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T
    status = _xxgemm(kind, _TRANS if trans_b else _NOTRANS, _TRANS if trans_a else _NOTRANS, cols, rows, inner,
                     scalar_address(c, 1.0), address(b, b_at), ldb, address(a, a_at), lda,
                     scalar_address(c, 1.0 if accumulate else 0.0), address(c, c_at), ldc)
    if status != 0:
        raise RuntimeError("fastrnn: SciPy's BLAS could not be loaded")


def _column_tile_function(module, vectors, dtype, intp):
    """The LLVM function of :func:`_column_tile` in ``module`` (defined there
    on first use; ``intp`` the LLVM type of numba's intp): ``void (real* a,
    real* b, intp k, intp n, real* out, intp width, i1 accumulate)``
    computes ``out[jj] (+)= sum(a[p] * b[p * n + jj] for p in range(k))``
    for ``jj < min(width, vectors * lanes)`` (``n``: the row length of ``b``).

    One definition per module, shared by the intrinsic's uses there (LLVM
    may still inline it: marked ``noinline`` it compiled no faster).
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


# row_times picks the narrowest tile that covers the columns left (TILE_VECTORS = 4 at most).
_column_tile_1, _column_tile_2, _column_tile_3, _column_tile_4 = (_column_tile(v) for v in (1, 2, 3, 4))


@one_variant_kernel
def row_times(a, a_at, b, n, out, out_at, accumulate, row, reverse):
    """``out[out_at:out_at + n] (+)= a[a_at:a_at + k] @ b[:, :n]`` for flat
    ``a``, ``out`` and ``b (k, >= n)`` (``+=`` if ``accumulate``): a one-row product.

    By column tiles of up to TILE_VECTORS vectors held in registers
    (:func:`_column_tile`, fused multiply-adds) when ``b[:, :n]`` fits in
    ROW_TILE_MAX_BYTES (WIDE_ROW_TILE_MAX_BYTES if ``n >= k``), else by
    :func:`row_times_by_passes` (into the scratch ``row (n,)``, then added,
    if ``accumulate``).  ``reverse`` takes the tiles from the last: a time
    loop that alternates finds in the L1 cache the columns of ``b`` it read
    last (1 x 50 x 200, the char LSTM's step: 829 -> 774 ns a product).
    """
    k = b.shape[0]
    if k * n * b.itemsize > (WIDE_ROW_TILE_MAX_BYTES if n >= k else ROW_TILE_MAX_BYTES):
        a_row = view_as(a, a.size)[a_at:a_at + k]
        out_row = view_as(out, out.size)[out_at:out_at + n]
        row_times_by_passes(a_row, b, row if accumulate else out_row)
        if accumulate:
            for j in range(n):
                out_row[j] += row[j]
        return
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


@kernel
def row_times_by_passes(a_row, b, out_row):
    """``out_row = a_row @ b[:, :n]`` for ``a_row (k,)``, ``b (k, >= n)``, ``out_row (n,)``, as a loop:
    ``out_row`` is updated with four rows of ``b`` a pass, the terms added in
    the order of ``k`` (the same sums as a sequential loop)."""
    k, n = b.shape[0], out_row.shape[0]
    for j in range(n):
        out_row[j] = 0.0
    k4 = k - k % 4
    for p in range(0, k4, 4):
        a0, a1, a2, a3 = a_row[p], a_row[p + 1], a_row[p + 2], a_row[p + 3]
        b0, b1, b2, b3 = b[p], b[p + 1], b[p + 2], b[p + 3]
        for j in range(n):
            out_row[j] = (((out_row[j] + a0 * b0[j]) + a1 * b1[j]) + a2 * b2[j]) + a3 * b3[j]
    for p in range(k4, k):
        ap = a_row[p]
        brow = b[p]
        for j in range(n):
            out_row[j] += ap * brow[j]


@kernel
def padded_width(n, itemsize):
    """``n`` rounded up to whole ROW_ALIGN bytes of ``itemsize``-byte values:
    rows that long start ROW_ALIGN-aligned in an array that does (numba
    allocates at 32 bytes)."""
    lanes = ROW_ALIGN // itemsize
    return (n + lanes - 1) // lanes * lanes


@kernel
def by_blas(rows, k, n):
    """Whether a ``rows x k`` times ``k x n`` product goes to BLAS (else :func:`row_times`)."""
    return rows > 1 or k * n >= ONE_ROW_BLAS_MIN


@kernel
def matmul(a, b, out):
    """``out = a @ b`` for ``a (m, k)``, ``b (k, n)``, ``out (m, n)`` (C-contiguous):
    BLAS, but for a single row below ONE_ROW_BLAS_MIN (:func:`row_times`)."""
    m, k = a.shape
    n = b.shape[1]
    if by_blas(m, k, n):
        gemm(a, 0, k, False, b, 0, n, False, out, 0, n, m, n, k, False)
    else:
        flat = view_as(out, out.size)
        row_times(view_as(a, a.size), 0, b, n, flat, 0, False, flat, False)


@one_variant_kernel
def matmul_block(a, a_at, b, out, out_at, rows):
    """:func:`matmul` on row-major blocks of flat offsets: the ``rows x n``
    block of ``out`` at ``out_at`` = the ``rows x k`` block of ``a`` at
    ``a_at`` times ``b (k, n)``.  For the time loops: no view per step."""
    k, n = b.shape
    if by_blas(rows, k, n):
        gemm(a, a_at, k, False, b, 0, n, False, out, out_at, n, rows, n, k, False)
    else:
        flat = view_as(out, out.size)
        row_times(view_as(a, a.size), a_at, b, n, flat, out_at, False, flat, False)


@kernel
def add_matmul_block(a, a_at, b, n, out, out_at, rows, row, reverse):
    """:func:`matmul_block` with the first ``n`` columns of ``b (k, >= n)``,
    added to the ``rows x n`` block of ``out`` (``out + a @ b``: BLAS with
    ``beta = 1``; a one-row product adds each term to ``out``'s values).
    ``row (n,)`` is scratch for a one-row product by passes, ``reverse`` its
    order of tiles (:func:`row_times`: a time loop alternates).  A ``b``
    with rows of :func:`padded_width` keeps a tile's loads within 32-byte
    lines (the RNN's recurrent weights)."""
    k = b.shape[0]
    if by_blas(rows, k, n):
        gemm(a, a_at, k, False, b, 0, b.shape[1], False, out, out_at, n, rows, n, k, True)
        return
    row_times(view_as(a, a.size), a_at, b, n, view_as(out, out.size), out_at, True, row, reverse)


@one_variant_kernel
def caller_thread_block(a, a_at, b, n, out, out_at, rows, accumulate):
    """:func:`matmul_block` (``out +=`` if ``accumulate``) by BLAS, with the
    first ``n`` columns of ``b`` (as :func:`add_matmul_block`), in blocks of
    equal rows, each product at most CALLER_THREAD_MACS, so that OpenBLAS runs
    them all on the calling thread: for the parts of a split batch, which run
    on threads of their own (see :mod:`fastrnn._threads`)."""
    k = b.shape[0]
    blocks = (rows * k * n + CALLER_THREAD_MACS - 1) // CALLER_THREAD_MACS
    size = (rows + blocks - 1) // blocks
    for r0 in range(0, rows, size):
        gemm(a, a_at + r0 * k, k, False, b, 0, b.shape[1], False, out, out_at + r0 * n, n, min(size, rows - r0),
             n, k, accumulate)


@kernel
def rows_fit(lo, hi, m):
    """Whether ``lo:hi`` is a non-empty range of the ``m`` batch rows."""
    return 0 <= lo and lo < hi and hi <= m


@kernel
def matmul_tn(a, b, out):
    """``out = a.T @ b`` for ``a (r, m)``, ``b (r, n)``, ``out (m, n)`` (C-contiguous), by BLAS."""
    r, m = a.shape
    n = b.shape[1]
    if n < m and r * m * n >= NARROW_FIRST_MIN:
        outT = np.empty((n, m), out.dtype)
        gemm(b, 0, n, True, a, 0, m, False, outT, 0, m, n, m, r, False)
        transpose_into(outT, out)
    else:
        gemm(a, 0, m, True, b, 0, n, False, out, 0, n, m, n, r, False)


@kernel
def work_array(work, n):
    """``work[:n]``, or fresh memory when ``work`` is shorter: the API passes
    an empty placeholder for small scratch (see :func:`fastrnn._buffers.work`)."""
    if work.shape[0] >= n:
        return work[:n]
    return np.empty(n, work.dtype)


@kernel
def column_sums(a, out):
    """``out = a.sum(axis=0)`` for ``a (r, n)``, ``out (n,)``, adding the rows in order."""
    r, n = a.shape
    for j in range(n):
        out[j] = 0.0
    r4 = r - r % 4
    for s in range(0, r4, 4):  # four rows a pass over out (the same sums in the same order)
        a0, a1, a2, a3 = a[s], a[s + 1], a[s + 2], a[s + 3]
        for j in range(n):
            out[j] = (((out[j] + a0[j]) + a1[j]) + a2[j]) + a3[j]
    for s in range(r4, r):
        row = a[s]
        for j in range(n):
            out[j] += row[j]


@kernel
def to_time_major(src, dst):
    """``dst[t, i, k] = src[k, i, t]``: course layout ``src (n, m, T)`` into
    kernel layout ``dst (T, m, n)``.  See :func:`to_time_major_rows`."""
    to_time_major_rows(src, dst, 0, src.shape[1])


@kernel
def to_time_major_rows(src, dst, lo, hi):
    """:func:`to_time_major` for the batch rows ``lo:hi`` (``i`` in ``lo:hi``) only.

    For each ``i``, eight rows ``src[k:k+8, i]`` are read side by side and
    written as eight adjacent values of each ``dst[t, i]``: against tiles of
    16 x 16, 333 -> 224 us for ``da`` at the medium shape, 3.9 -> 2.4 ms at
    the large one, 0.38 -> 0.22 us at the char shape.  Fewer than eight rows
    (the notebooks' n = 3 or 5) take the plain loop.
    """
    n, m, T = src.shape
    if n < 8:
        for t in range(T):
            for i in range(lo, hi):
                row = dst[t, i]
                for k in range(n):
                    row[k] = src[k, i, t]
        return
    n8 = n - n % 8
    for i in range(lo, hi):
        for k in range(0, n8, 8):
            s0, s1, s2, s3 = src[k, i], src[k + 1, i], src[k + 2, i], src[k + 3, i]
            s4, s5, s6, s7 = src[k + 4, i], src[k + 5, i], src[k + 6, i], src[k + 7, i]
            for t in range(T):
                row = dst[t, i]
                row[k] = s0[t]
                row[k + 1] = s1[t]
                row[k + 2] = s2[t]
                row[k + 3] = s3[t]
                row[k + 4] = s4[t]
                row[k + 5] = s5[t]
                row[k + 6] = s6[t]
                row[k + 7] = s7[t]
        for k in range(n8, n):
            s_k = src[k, i]
            for t in range(T):
                dst[t, i, k] = s_k[t]


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


@kernel
def transpose_block(src, i0, i1, j0, j1, dst, r0, c0):
    """``dst[r0 + j - j0, c0 + i - i0] = src[i, j]`` for ``i`` in ``i0:i1``,
    ``j`` in ``j0:j1``: a block of ``src (r, c)`` transposed into a block of
    ``dst`` (C-contiguous, one dtype; the blocks must fit: not checked).

    Square tiles of one vector's width (8 float64, 16 float32) are
    transposed in registers (:func:`_transpose_tile`); the edges left over
    (all of a block narrower than a tile) are copied along the rows of
    ``dst``.  Against the previous loops (along the rows of ``dst`` below
    2**16 values, 16 x 16 tiles above): the char RNN's three weights 2.1 ->
    1.2-1.7 us, 512 x 512 1.41 -> 0.46 ms, 256 x 512 0.62 -> 0.16 ms.
    """
    lanes = 64 // src.itemsize
    i_end = i0 + (i1 - i0) // lanes * lanes
    j_end = j0 + (j1 - j0) // lanes * lanes
    for i in range(i0, i_end, lanes):
        for j in range(j0, j_end, lanes):
            _transpose_tile(src, i, j, dst, r0 + j - j0, c0 + i - i0)
    for j in range(j0, j1):
        row = dst[r0 + j - j0]
        for i in range(i_end if j < j_end else i0, i1):  # below the tiles, or every row right of them
            row[c0 + i - i0] = src[i, j]


@kernel
def transpose_into(src, dst):
    """``dst = src.T`` for ``src (r, c)``, ``dst (c, r)`` (:func:`transpose_block`)."""
    r, c = src.shape
    transpose_block(src, 0, r, 0, c, dst, 0, 0)
