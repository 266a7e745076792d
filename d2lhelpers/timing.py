"""Wall times that include the work MXNet queued: the book's one way of timing code.

MXNet's engine is asynchronous: a Python call returns before the arithmetic
is done, so every timing here ends with ``npx.waitall()`` (chapter 0 shows
why). ``seconds`` times one call; ``median_seconds`` repeats a call and
takes the median, after a warm-up call that sets up MXNet's operators;
``alternating`` compares variants (the benchmark's way), running them one
after the other within each round, so that machine noise (another process,
frequency changes) spreads evenly over all of them.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

from mxnet import npx

from d2lhelpers.checks import non_negative_int, positive_int


def seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn``, including the work MXNet queued."""
    start = time.perf_counter()
    fn()
    npx.waitall()
    return time.perf_counter() - start


def median_seconds(fn: Callable[[], object], repeats: int = 10, warmup: int = 1) -> float:
    """Median wall time of ``repeats`` calls of ``fn``, after ``warmup`` untimed calls."""
    positive_int("repeats", repeats)
    for _ in range(non_negative_int("warmup", warmup)):
        seconds(fn)
    return median([seconds(fn) for _ in range(repeats)])


def alternating(variants: Mapping[str, Callable[[], object]], rounds: int,
                on_round: Callable[[int], None] | None = None) -> dict[str, list[float]]:
    """Seconds of each variant in each of ``rounds`` rounds, after one untimed warm-up round.

    Within a round the variants run in the order given. ``on_round(r)`` is
    called before timed round r = 1, 2, ... (for progress lines).
    """
    positive_int("rounds", rounds)
    if not variants:
        raise ValueError("variants must name at least one function to time")
    for fn in variants.values():
        seconds(fn)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(1, rounds + 1):
        if on_round is not None:
            on_round(r)
        for name, fn in variants.items():
            times[name].append(seconds(fn))
    return times


def median(values: list[float]) -> float:
    """The median of a non-empty list of timings."""
    if not values:
        raise ValueError("values must hold at least one timing")
    return statistics.median(values)
