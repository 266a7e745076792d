"""Self-checks for the exercises whose answer can be computed.

An exercise cell leaves the reader's answer as ``None`` and calls
``check``; once the reader writes an answer, the same call says whether it
is right::

    my_count = None  # the reader replaces None by a number
    exercises.check(3, my_count, lambda: models.count_parameters(net), "count weights and biases")

The right answer is a value or a function that computes it (called only once
an answer is given, since some checks train a model); an answer that is
itself a function (``sigmoid_backward``) is checked by a predicate. Answers
that would give themselves away are compared by ``fingerprint``.
"""
from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy

from d2lhelpers.checks import as_numpy, positive_int


def fingerprint(answer: Any) -> str:
    """The SHA-256 of ``str(answer)``: stored in place of an answer that should not be readable."""
    return hashlib.sha256(str(answer).encode()).hexdigest()


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a single number (a NumPy or 0-d MXNet one too, not a bool), else None."""
    if isinstance(value, (bool, numpy.bool_)):
        return None
    if isinstance(value, numbers.Real) or getattr(value, "shape", None) == ():
        return float(value)
    return None


def _agrees(answer: Any, expected: Any, tolerance: float) -> bool:
    """Whether ``answer`` equals ``expected``: numbers and arrays within ``tolerance``, anything else exactly."""
    if _number(expected) is not None:
        given = _number(answer)
        return given is not None and math.isclose(given, _number(expected), rel_tol=0, abs_tol=tolerance)
    if isinstance(expected, (list, tuple)) or hasattr(expected, "shape"):
        try:
            given, wanted = as_numpy(answer).astype(float), as_numpy(expected).astype(float)
        except (TypeError, ValueError):
            return False
        return given.shape == wanted.shape and bool(numpy.allclose(given, wanted, rtol=0, atol=tolerance))
    return answer == expected


def check(number: int, answer: Any, expected: Any, hint: str, tolerance: float = 0.0,
          is_right: Callable[[Any], bool] | None = None) -> None:
    """Print whether ``answer`` to exercise ``number`` is right, "not answered yet" while it is None.

    ``expected`` is the right answer, or a function of no arguments that
    computes it. ``tolerance`` is the largest absolute difference accepted
    for numbers and arrays. ``is_right``, when given, decides instead (for
    answers that are functions, or are checked by ``fingerprint``); then
    ``expected`` is ignored. ``hint`` is printed after a wrong answer, with
    the reason when ``is_right`` could not use the answer (a TypeError or
    ValueError, such as text where a number was asked for).
    """
    positive_int("number", number)
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be a number >= 0, got {tolerance!r}")
    if answer is None:
        print(f"Exercise {number}: not answered yet.")
        return
    if is_right is not None:
        try:
            right = bool(is_right(answer))
        except (TypeError, ValueError) as err:
            print(f"Exercise {number}: not quite: {hint} (the check could not use {answer!r}: {err})")
            return
    else:
        right = _agrees(answer, expected() if callable(expected) else expected, tolerance)
    print(f"Exercise {number}: " + ("correct." if right else f"not quite: {hint}"))
