"""The playground's 2-D data sets, the input features computed from each point, and grids of points."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy

from d2lhelpers.checks import positive_int

DATASETS = ("circle", "xor", "gauss", "spiral")  # classification: labels 0 and 1
REGRESSION_DATASETS = ("plane", "multigauss")  # regression: a target value in about [-1, 1] per point
FEATURES: dict[str, Callable[[numpy.ndarray, numpy.ndarray], numpy.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 ** 2,
    "x2^2": lambda x1, x2: x2 ** 2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: numpy.sin(x1),
    "sin(x2)": lambda x1, x2: numpy.sin(x2),
}
MAX_NOISE = 0.5
EXTENT = 6.0  # points and pictures live in the square [-6, 6] x [-6, 6]
# standard deviation of the noise offsets per unit of noise: the spiral's arms are only about 1.4 apart
NOISE_SCALE = {"circle": 3.0, "xor": 3.0, "gauss": 3.0, "spiral": 1.0, "plane": 3.0, "multigauss": 3.0}
# the regression set "multigauss": (center x1, center x2, sign) of its six bumps, as in the original playground
BUMPS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def check_noise(noise: float) -> float:
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not 0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be a number in [0, {MAX_NOISE}], got {noise!r}")
    return float(noise)


def check_dataset(name: str) -> str:
    if name not in DATASETS + REGRESSION_DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS + REGRESSION_DATASETS)}; got {name!r}")
    return name


def regression_target(name: str, points: numpy.ndarray) -> numpy.ndarray:
    """The target value of the regression data set ``name`` at each point (shape (n, 2)).

    * ``plane``: (x1 + x2) / 10, a tilted plane (from -1.2 to 1.2 over the square);
    * ``multigauss``: six bumps of radius 2, centered on a 3 x 2 grid, alternately
      +1 and -1 at their centers and falling linearly to 0 at distance 2; where
      bumps would overlap, the one larger in magnitude wins.
    """
    x1, x2 = points[:, 0], points[:, 1]
    if name == "plane":
        return (x1 + x2) / 10
    if name != "multigauss":
        raise ValueError(f"name must be one of {', '.join(REGRESSION_DATASETS)}; got {name!r}")
    bumps = numpy.stack([sign * numpy.clip(1 - numpy.hypot(x1 - cx, x2 - cy) / 2, 0, 1) for cx, cy, sign in BUMPS])
    return numpy.take_along_axis(bumps, numpy.abs(bumps).argmax(axis=0)[None], axis=0)[0]


def make_points(name: str, num_points: int, noise: float,
                rng: numpy.random.Generator) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``num_points`` points of data set ``name`` (shape (n, 2)) and their labels (0 or 1), half of each.

    (With an odd ``num_points``, label 0 has one point more.) For the
    regression sets (``plane``, ``multigauss``) the points are drawn uniformly
    at random over the square [-6, 6]^2 and each "label" is the target value of
    ``regression_target`` at the point.

    * ``circle``: label 1 inside a disc of radius 2.5, label 0 on a ring of radii 3.5 to 5 around it;
    * ``xor``: points spread over [-5.3, 5.3]^2, at least 0.3 from both axes, label 1 where x1 and x2 have
      the same sign;
    * ``gauss``: two round clusters of spread 1 around (2, 2) (label 1) and (-2, -2) (label 0);
    * ``spiral``: two spiral arms, each turning 1.75 times around the origin.

    ``noise`` (0 to 0.5) moves every point by a random Gaussian offset in
    each coordinate, after its label is set, so that the classes start to
    overlap. Its standard deviation is ``noise`` times the data set's
    ``NOISE_SCALE``: 1 for the spiral, whose arms lie closer together, 3 for
    the others. (The original playground instead keeps the
    circle and XOR points in place and sets their labels from a noisy copy.)
    (For regression the original keeps each point in place and computes its
    value at a copy moved by uniform offsets.) The
    spiral's points are evenly spaced along its arms; the other data sets'
    positions are random. The points come in random order.
    """
    check_dataset(name)
    if not isinstance(num_points, int) or isinstance(num_points, bool) or num_points < 2:
        raise ValueError(f"num_points must be an int of at least 2, got {num_points!r}")
    check_noise(noise)
    half = num_points // 2
    labels = numpy.repeat([1, 0], [half, num_points - half])
    if name in REGRESSION_DATASETS:
        points = rng.uniform(-EXTENT, EXTENT, (num_points, 2))
        labels = regression_target(name, points)
    elif name == "circle":
        radius = numpy.concatenate([rng.uniform(0, 2.5, half), rng.uniform(3.5, 5, num_points - half)])
        angle = rng.uniform(0, 2 * math.pi, num_points)
        points = numpy.stack([radius * numpy.cos(angle), radius * numpy.sin(angle)], axis=1)
    elif name == "xor":
        # label 1 alternates between quadrants (+, +) and (-, -), label 0 between (+, -) and (-, +)
        quadrant = numpy.concatenate([numpy.arange(half) % 2, 2 + numpy.arange(num_points - half) % 2])
        signs = numpy.array([[1, 1], [-1, -1], [1, -1], [-1, 1]])[quadrant]
        points = signs * rng.uniform(0.3, 5.3, (num_points, 2))  # a gap of 0.3 along both axes
    elif name == "gauss":
        centers = numpy.where(labels[:, None] == 1, 2.0, -2.0)
        points = centers + rng.normal(0, 1, (num_points, 2))
    else:  # spiral
        t = numpy.concatenate([numpy.arange(half) / half, numpy.arange(num_points - half) / (num_points - half)])
        angle = 1.75 * 2 * math.pi * t + numpy.where(labels == 1, 0.0, math.pi)
        points = numpy.stack([5 * t * numpy.sin(angle), 5 * t * numpy.cos(angle)], axis=1)
    points = points + rng.normal(0, NOISE_SCALE[name] * noise, points.shape) if noise else points
    order = rng.permutation(num_points)
    return points[order].astype(numpy.float32), labels[order].astype(numpy.float32)


def features(points: numpy.ndarray, names: Sequence[str]) -> numpy.ndarray:
    """The columns ``names`` (from ``FEATURES``: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)) of ``points``."""
    check_features(names)
    points = numpy.asarray(points, dtype=numpy.float32)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {points.shape}")
    return numpy.stack([FEATURES[name](points[:, 0], points[:, 1]) for name in names], axis=1)


def check_features(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` as a tuple, if it names at least one known feature, each once."""
    if isinstance(names, str):
        raise ValueError(f"features must be a sequence of names such as ('x1', 'x2'), got the string {names!r}")
    names = tuple(names)
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(f"features must name one or more of {', '.join(FEATURES)}, each once; got {names!r}")
    return names


def grid(resolution: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The centers of a ``resolution`` x ``resolution`` grid over the square: (coordinates, points (r*r, 2)).

    Row 0 of a picture made from it is the bottom of the square (draw with ``origin="lower"``).
    """
    positive_int("resolution", resolution)
    step = 2 * EXTENT / resolution
    coords = numpy.linspace(-EXTENT + step / 2, EXTENT - step / 2, resolution, dtype=numpy.float32)
    x1, x2 = numpy.meshgrid(coords, coords)
    return coords, numpy.stack([x1.ravel(), x2.ravel()], axis=1)
