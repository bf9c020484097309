"""Input checks shared by every public function.

Every check names the argument, the expected shape (symbolic and numeric)
and what it received, e.g.::

    ValueError: parameters['Waa'] must have shape (n_a, n_a) = (5, 5), got (5, 4)

Dtype rule (used for RNN and LSTM alike): float32 inputs give float32
results when every floating input is float32 (float16, bool and small
integers promote to float32, as in numpy); anything else, including any
float64 or int32/int64 input, gives float64.  Complex and non-numeric inputs
are rejected.
"""
from collections.abc import Mapping

import numpy as np

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def as_real_array(name, value, layout):
    """Return ``value`` as a real numeric ndarray with ``len(layout)`` dims.

    Parameters
    ----------
    name : str
        The argument's name, for messages.
    value : array_like
    layout : tuple of str or int
        Symbolic shape, e.g. ``("n_x", "m", "T_x")``, for messages.
    """
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim != len(layout):
        raise ValueError(
            f"{name} must be a {len(layout)}-D array of shape {_symbols(layout)}, "
            f"got shape {arr.shape}"
        )
    return arr


def _symbols(layout):
    return "(" + ", ".join(str(s) for s in layout) + ")"


class Dims:
    """Named dimensions bound from the first array that shows them.

    Each size remembers where it came from, so that a shape conflict names
    both arrays: ``x has n_x = 4 but parameters['Wax'] has 3 columns``.
    """

    __slots__ = ("sizes", "origins")

    def __init__(self, **sizes):
        self.sizes = dict(sizes)
        self.origins = {}  # symbol -> name of the array it was bound from

    def __getitem__(self, symbol):
        return self.sizes[symbol]

    def _size(self, symbol):
        if isinstance(symbol, int):
            return symbol
        if "+" in symbol:
            return sum(self.sizes[s] for s in symbol.split("+"))
        return self.sizes[symbol]

    def bind(self, name, arr, layout):
        """Bind the unknown symbols of ``layout`` and check ``arr.shape``."""
        for axis, symbol in enumerate(layout):
            if isinstance(symbol, str) and "+" not in symbol and symbol not in self.sizes:
                if arr.shape[axis] == 0:
                    raise ValueError(
                        f"{name} has an empty dimension {symbol} = 0 "
                        f"(shape {arr.shape}); every dimension must be at least 1"
                    )
                self.sizes[symbol] = arr.shape[axis]
                self.origins[symbol] = name
        expected = tuple(self._size(s) for s in layout)
        if arr.shape != expected:
            raise ValueError(
                f"{name} must have shape {_symbols(layout)} = {expected}, got {arr.shape}"
                + self._conflict(name, arr.shape, layout, expected)
            )

    def _conflict(self, name, shape, layout, expected):
        """``: <where the expected size came from> but <what name has>`` for the first axis that differs."""
        for axis, (symbol, want, got) in enumerate(zip(layout, expected, shape)):
            if want == got or not isinstance(symbol, str):
                continue
            where = _axis_words(axis, len(layout), got)
            parts = symbol.split("+")
            sources = [f"{s} = {self.sizes[s]} from {self.origins[s]}" for s in parts if s in self.origins]
            if not sources:
                return ""
            if len(parts) == 1:
                return f": {self.origins[symbol]} has {symbol} = {want} but {name} has {where}"
            return f": {' + '.join(parts)} = {want} ({', '.join(sources)}) but {name} has {where}"
        return ""


def _axis_words(axis, ndim, size):
    if ndim == 2:
        return f"{size} {'rows' if axis == 0 else 'columns'}"
    return f"{size} along axis {axis}"


def read_parameters(parameters, spec, dims, name="parameters"):
    """Check a parameters dict against ``spec = {key: layout}``.

    Returns a dict of the arrays (unconverted).  Extra keys are ignored, as
    in the course.  Raises TypeError for a non-mapping, KeyError naming the
    missing keys, ValueError/TypeError for a bad array.
    """
    if not isinstance(parameters, Mapping):
        raise TypeError(
            f"{name} must be a dict of arrays with keys {list(spec)}, "
            f"got {type(parameters).__name__}"
        )
    missing = [key for key in spec if key not in parameters]
    if missing:
        raise KeyError(
            f"{name} is missing {', '.join(repr(k) for k in missing)} "
            f"(expected keys {', '.join(spec)})"
        )
    arrays = {}
    for key, layout in spec.items():
        label = f"{name}[{key!r}]"
        arr = as_real_array(label, parameters[key], layout)
        dims.bind(label, arr, layout)
        arrays[key] = arr
    return arrays


def common_dtype(arrays):
    """float32 if every array promotes to float32 with float32, else float64."""
    dtypes = [a.dtype for a in arrays]
    if all(dt == _F64 for dt in dtypes):
        return _F64
    return _F32 if np.result_type(_F32, *dtypes) == _F32 else _F64


def kernel_array(arr, dtype):
    """``arr`` as a C-contiguous, writeable array of ``dtype``.

    Kernels never write to these arrays; the writeable copy of a read-only
    input only keeps numba from compiling a separate read-only variant.
    """
    out = np.ascontiguousarray(arr, dtype=dtype)
    if not out.flags.writeable:
        out = out.copy()
    return out


def converted(arrays, dtype):
    """:func:`kernel_array` of each of ``arrays``, as a list."""
    return [kernel_array(a, dtype) for a in arrays]


def step_major(arr2d, dtype):
    """Course layout ``(n, m)`` -> contiguous kernel layout ``(1, m, n)``."""
    return kernel_array(arr2d.T[np.newaxis], dtype)


def split_caches(caches, producer):
    """Unpack ``caches = (step_caches, x)`` as the course's forward returns it."""
    if not isinstance(caches, (tuple, list)) or len(caches) != 2:
        raise TypeError(
            f"caches must be the (list_of_step_caches, x) pair returned by {producer}, "
            f"got {type(caches).__name__}"
            + (f" of length {len(caches)}" if isinstance(caches, (tuple, list)) else "")
        )
    return caches[0], caches[1]


_ACCEPTED = {}  # (tag, shapes..., dtypes..., bound sizes) -> (sizes, dtype), for calls seen before
_ACCEPTED_MAX = 4096

#: What reading the caller's arguments as they are may raise (the public
#: functions first try the kernels on them; these errors send them to the
#: checks, which report the problem properly).  MemoryError: the outputs are
#: allocated from the shapes before the kernel checks them, and shapes that do
#: not fit together can ask for any amount of memory.
NOT_AS_GIVEN = (AttributeError, IndexError, KeyError, MemoryError, TypeError, ValueError)


def ran(tag, result):
    """``result`` of a kernel call made after the checks: never None (the
    checks and the entry kernels' shape tests agree on what fits)."""
    if result is None:
        raise RuntimeError(f"fastrnn internal error: {tag}'s kernel refused checked arguments")
    return result


def _memo_key(tag, bound, named, parameters, spec, extra):
    """``(key, values)`` for a plain-ndarray call with every parameter key present, else ``(None, None)``."""
    if type(parameters) is not dict or any(k not in parameters for k in spec):
        return None, None
    values = [v for _, v, _ in named] + [parameters[k] for k in spec]
    if not all(type(v) is np.ndarray for v in values):
        return None, None
    return (tag, bound, *[v.shape for v in values], *[v.dtype for v in values],
            *[a.dtype for a in extra]), values


def validate(tag, named, parameters, spec, dims=None, extra=(), pname="parameters"):
    """Check a call's arrays and parameters; the shared front door of every public function.

    Parameters
    ----------
    tag : str, the function's name (memo key).
    named : list of ``(name, value, layout)`` for the array arguments.
    parameters : the parameters dict; ``spec`` maps its keys to layouts.
    dims : Dims with sizes already known (e.g. from caches), or None.
    extra : arrays that take part in the result dtype only.

    Returns
    -------
    arrays : list of the argument arrays (unconverted); p : dict of parameter
    arrays; sizes : dict of named dimensions; dtype : result dtype.

    A call whose shapes and dtypes were accepted before skips the detailed
    checks (validation depends on nothing else); any other call takes the
    detailed path, which raises the errors.
    """
    bound = () if dims is None else tuple(dims.sizes.items())
    key, values = _memo_key(tag, bound, named, parameters, spec, extra)
    hit = _ACCEPTED.get(key) if key is not None else None
    if hit is not None:
        arrays, p, sizes, dtype = values[:len(named)], dict(zip(spec, values[len(named):])), hit[0], hit[1]
    else:
        dims = Dims(**dict(bound))
        arrays = []
        for name, value, layout in named:
            arr = as_real_array(name, value, layout)
            dims.bind(name, arr, layout)
            arrays.append(arr)
        p = read_parameters(parameters, spec, dims, name=pname)
        sizes, dtype = dims.sizes, common_dtype([*arrays, *p.values(), *extra])
        if key is not None:
            if len(_ACCEPTED) >= _ACCEPTED_MAX:
                _ACCEPTED.clear()
            _ACCEPTED[key] = (sizes, dtype)
    return arrays, p, sizes, dtype


# --- the sequence functions' inputs (rnn_* and lstm_* share these) ----------

def sequence_inputs(tag, x, a0, parameters, spec, x_layout, a0_layout):
    """The checked inputs of a sequence forward pass (``rnn_forward``, ``lstm_forward``).

    Returns ``x_arr`` (the caller's x as an array, kept by the caches), then
    ``x``, ``a0`` and the ``spec`` parameter arrays (a list, in ``spec``
    order) as C-contiguous arrays of the result dtype.
    """
    (x_arr, a0_arr), p, _, dtype = validate(
        tag, [("x", x, x_layout), ("a0", a0, a0_layout)], parameters, spec)
    x_c, a0_c, *params = converted([x_arr, a0_arr, *p.values()], dtype)
    return x_arr, x_c, a0_c, params


def upstream_gradient(da, layout):
    """``da`` as a real 3-D array with at least one time step, and its T."""
    da_arr = as_real_array("da", da, layout)
    T = da_arr.shape[2]
    if T == 0:
        raise ValueError(f"da must have at least one time step, got shape {da_arr.shape}")
    return da_arr, T


def recorded_inputs(tag, da_arr, T, steps, spec):
    """Check ``da_arr (n_a, m, T)`` against the step caches of a
    forward pass (which hold its buffers) and read the ``spec`` weights from
    the parameters they hold; returns ``(p, dtype)``."""
    if T > steps.T:
        raise ValueError(f"da has T_x = {T} time steps but caches hold {steps.T}")
    _, m, n_a = steps.a_hist.shape
    dims = Dims(n_a=n_a, m=m, n_x=steps.x_seq.shape[2])
    _, p, _, dtype = validate(tag, [("da", da_arr, ("n_a", "m", T))], steps.parameters, spec, dims,
                              extra=(steps.a_hist,), pname="parameters (from caches)")
    return p, dtype
