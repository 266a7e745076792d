"""Gradient checks: compare gradients with autograd's or with finite differences.

Parameters and gradients are dictionaries from a name (``"W1"``) to an MXNet
array, so every result can be reported per parameter. The objective ``f``
takes such a dictionary and returns a scalar array.

How errors are measured: ``relative_error`` divides the largest absolute
difference by the largest absolute entry of either array (a relative error
in the max norm). An entry-by-entry ratio ``|a - b| / (|a| + |b|)`` would be
dominated by entries that are zero in exact arithmetic (the gradient of a
weight behind a ReLU that never fired, a cancellation): computed in floating
point they are rounding noise on both sides, and noise divided by noise can
be anywhere near 1 although both gradients are as right as the precision
allows. Measured against the scale of the whole array, a float32 gradient is
right to about 1e-7 and a float64 one to about 1e-15.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy
from mxnet import autograd, np

from d2lhelpers.checks import as_numpy

Params = Mapping[str, np.ndarray]
Objective = Callable[[Params], np.ndarray]


def relative_error(a, b) -> float:
    """Largest absolute difference of ``a`` and ``b`` over their largest absolute entry.

    ``a`` and ``b`` are arrays of the same shape (MXNet or NumPy); the result
    is 0.0 when both are all zeros. See the module docstring for why the
    scale is the whole array's rather than each entry's.
    """
    a, b = as_numpy(a).astype("float64"), as_numpy(b).astype("float64")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(numpy.abs(a).max(), numpy.abs(b).max())
    return 0.0 if scale == 0 else float(numpy.abs(a - b).max() / scale)


def _scalar(value, name: str) -> float:
    """The Python float of a one-element objective value, which must be float64."""
    if getattr(value, "size", 1) != 1:
        raise ValueError(f"{name} must return a scalar, got shape {value.shape}")
    if getattr(value, "dtype", numpy.float64) != numpy.float64:
        raise ValueError(f"{name} must compute in float64 for finite differences, got {value.dtype}")
    return float(value.item() if hasattr(value, "item") else value)


def numerical_gradient(f: Objective, params: Params, eps: float = 1e-6) -> dict[str, numpy.ndarray]:
    """Central finite differences ``(f(p + eps) - f(p - eps)) / (2 eps)``, entry by entry.

    ``params`` must be float64 MXNet arrays and ``f`` must compute in
    float64: in float32 the difference of two nearby values keeps only a
    few correct digits (rounding error about 1e-7 / eps), so the check
    would mostly measure rounding. Costs two evaluations of ``f`` per
    parameter entry, so use it on small networks only. ``params`` is not
    modified. Returns NumPy float64 arrays keyed like ``params``.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    bad = {name: str(p.dtype) for name, p in params.items() if p.dtype != numpy.float64}
    if bad:
        raise ValueError(f"params must be float64 for finite differences, got {bad}")
    values = {name: as_numpy(p).copy() for name, p in params.items()}
    devices = {name: getattr(p, "ctx", None) for name, p in params.items()}  # NumPy arrays: the default device
    grads = {}
    for name, value in values.items():
        grad = numpy.zeros_like(value)
        for index in numpy.ndindex(value.shape):
            original = value[index]
            evaluations = []
            for shifted in (original + eps, original - eps):
                value[index] = shifted
                trial = {k: np.array(v, dtype="float64", ctx=devices[k]) for k, v in values.items()}
                evaluations.append(_scalar(f(trial), "f"))
            value[index] = original
            grad[index] = (evaluations[0] - evaluations[1]) / (2 * eps)
        grads[name] = grad
    return grads


def autograd_gradient(f: Objective, params: Params) -> dict[str, np.ndarray]:
    """Gradients of ``f`` at ``params`` by MXNet's autograd, on copies of ``params``."""
    copies = {name: p.copy() for name, p in params.items()}
    for p in copies.values():
        p.attach_grad()
    with autograd.record():
        value = f(copies)
    if value.size != 1:
        raise ValueError(f"f must return a scalar, got shape {value.shape}")
    value.backward()
    return {name: p.grad for name, p in copies.items()}


def check_gradients(f: Objective, params: Params, grads: Params, reference: str = "numerical",
                    eps: float = 1e-6) -> dict[str, float]:
    """Maximum relative error of ``grads`` against a reference, per parameter.

    ``grads`` holds the gradients to check (say, derived by hand), keyed and
    shaped like ``params``. The reference is ``"numerical"`` (central
    differences, float64 only, see ``numerical_gradient``) or ``"autograd"``
    (any float type). Returns ``{name: relative_error}``.
    """
    if reference not in ("numerical", "autograd"):
        raise ValueError(f"reference must be 'numerical' or 'autograd', got {reference!r}")
    if set(grads) != set(params):
        raise ValueError(f"grads must have the keys of params {sorted(params)}, got {sorted(grads)}")
    for name, p in params.items():
        if grads[name].shape != p.shape:
            raise ValueError(f"grads[{name!r}] must have the shape of params[{name!r}], {p.shape}, "
                             f"got {grads[name].shape}")
    expected = numerical_gradient(f, params, eps) if reference == "numerical" else autograd_gradient(f, params)
    return {name: relative_error(grads[name], expected[name]) for name in params}
