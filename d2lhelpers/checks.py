"""Small checks every module needs: array conversion and argument validation."""
from __future__ import annotations

import numpy


def as_numpy(values) -> numpy.ndarray:
    """``values`` as a NumPy array: MXNet arrays are copied to the host, anything else wrapped."""
    return values.asnumpy() if hasattr(values, "asnumpy") else numpy.asarray(values)


def _int_at_least(name: str, value, minimum: int, kind: str) -> int:
    """Return ``value`` if it is an int (``True`` is not) >= ``minimum``, else raise ValueError naming ``name``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a {kind} int, got {value!r}")
    return value


def positive_int(name: str, value) -> int:
    """Return ``value`` if it is an int >= 1 (``True`` is not), else raise ValueError naming ``name``."""
    return _int_at_least(name, value, 1, "positive")


def non_negative_int(name: str, value) -> int:
    """Return ``value`` if it is an int >= 0 (``True`` is not), else raise ValueError naming ``name``."""
    return _int_at_least(name, value, 0, "non-negative")


def device_or_none(name: str, value):
    """Return ``value`` if it is an MXNet device (``mx.cpu()``, ``mx.gpu(0)``) or None, else raise ValueError."""
    import mxnet  # imported here: runtime uses this module before MXNet may load

    if value is not None and not isinstance(value, mxnet.Context):
        raise ValueError(f"{name} must be an MXNet device such as mx.cpu() or runtime.device(), or None; "
                         f"got {value!r}")
    return value
