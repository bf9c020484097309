"""numba intrinsics: the few operations numba has no Python spelling for.

Each is a small piece of code generation over numba's internals (its array
structures and ``cgutils``), kept here so that no other module depends on
them.  None is vector code (that is :mod:`.simd`); none checks its arguments
at run time: callers pass what the docstrings say.

- :func:`address`, :func:`scalar_address`: raw pointers for the direct BLAS
  call (:func:`fastrnn._kernels.products.gemm`), so that a time step's product
  reads and writes its block of a whole buffer without an array view per step
  (every view is an atomic reference count update).
- :func:`view_as`: a reshape without numba's helper call.
- :func:`float_bits`, :func:`bits_float`: the bit pattern of a float as an
  integer and back (LLVM bitcasts): the activations build 2**k from exponent
  bits in registers.
"""
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array


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
    through a call into numba's helper library."""
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


#: Signed integer type of each float type's width, for :func:`float_bits`.
_BITS_OF = {types.float64: types.int64, types.float32: types.int32}
_FLOAT_OF = {types.int64: types.float64, types.int32: types.float32}


def _bitcast(context, builder, signature, args):
    """Codegen of the two intrinsics below: the same bits, read as the return type."""
    return builder.bitcast(args[0], context.get_value_type(signature.return_type))


@intrinsic
def float_bits(typingctx, x):
    """The bit pattern of ``x`` as an integer of its width (float64 -> int64, float32 -> int32)."""
    return (_BITS_OF[x](x), _bitcast) if x in _BITS_OF else None


@intrinsic
def bits_float(typingctx, bits):
    """The float whose bit pattern is ``bits`` (int64 -> float64, int32 -> float32)."""
    return (_FLOAT_OF[bits](bits), _bitcast) if bits in _FLOAT_OF else None
