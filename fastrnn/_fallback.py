"""The step-by-step functions answered by the course's numpy code, while the kernels are not ready.

:mod:`fastrnn._background` compiles the kernels in another process on a
fresh machine; until they are loaded, each public function runs its checks
(the same errors as ever), then the course's own function
(:mod:`fastrnn.course.step_by_step`) on the checked inputs, and returns its
results in the result dtype of fastrnn's rule.  The values equal the
kernels' to rounding; the caches are the course's (lists of step tuples),
which fastrnn's backward functions accept as well.  Imported only when a
call takes this path.
"""
import numpy as np

from ._caches import StepCaches, stack_user_steps
from ._validate import (Dims, common_dtype, converted, read_parameters, recorded_inputs, sequence_inputs,
                        split_caches, upstream_gradient, validate)
from .course import step_by_step as course


def _parameters_for(parameters, arrays, dtype):
    """The caller's dict itself when its arrays already are ndarrays of ``dtype``
    (so the caches refer to it, as the course's do), else a converted copy."""
    if all(type(v) is np.ndarray and v.dtype == dtype for v in arrays.values()):
        return parameters
    return dict(zip(arrays, converted(list(arrays.values()), dtype)))


def _cast(result, dtype):
    """Every array of a course result (tuples and dicts, caches left alone) as ``dtype``."""
    if isinstance(result, dict):
        return {k: np.asarray(v, dtype=dtype) for k, v in result.items()}
    return tuple(np.asarray(v, dtype=dtype) if isinstance(v, np.ndarray) else v for v in result)


def cell_forward(tag, named, parameters, spec):
    """``course.<tag>`` on the checked ``named`` arrays and ``parameters``."""
    arrays, p, _, dtype = validate(tag, named, parameters, spec)
    result = getattr(course, tag)(*converted(arrays, dtype), _parameters_for(parameters, p, dtype))
    return _cast(result[:-1], dtype) + (result[-1],)


def sequence_forward(tag, x, a0, parameters, spec, x_layout, a_layout):
    """``course.<tag>(x, a0, parameters)`` on the checked inputs; caches ``(steps, x)``."""
    x_arr, x_c, a0_c, params = sequence_inputs(tag, x, a0, parameters, spec, x_layout, a_layout)
    dtype = x_c.dtype
    result = getattr(course, tag)(x_c, a0_c, _parameters_for(parameters, dict(zip(spec, params)), dtype))
    steps, _ = result[-1]
    return _cast(result[:-1], dtype) + ((steps, x),)


def cell_backward(tag, gradients, cache, dtype):
    """``course.<tag>(*gradients, cache)``, for a call that passed fastrnn's checks; results in
    ``dtype`` (the call's result dtype)."""
    return _cast(getattr(course, tag)(*gradients, cache), dtype)


def sequence_backward(tag, da, caches, spec, fields, producer, da_layout):
    """``course.<tag>(da, caches)`` after the checks fastrnn makes on the same call."""
    steps, _ = split_caches(caches, producer)
    da_arr, T = upstream_gradient(da, da_layout)
    if isinstance(steps, StepCaches):
        _, dtype = recorded_inputs(tag, da_arr, T, steps, spec)
    else:
        dims = Dims()
        dims.bind("da", da_arr, da_layout)
        stacked, parameters = stack_user_steps(steps, T, fields, dims, producer)
        p = read_parameters(parameters, spec, dims, name="parameters (from caches)")
        dtype = common_dtype([da_arr, *stacked.values(), *p.values()])
    return _cast(getattr(course, tag)(np.asarray(da_arr, dtype=dtype), caches), dtype)
