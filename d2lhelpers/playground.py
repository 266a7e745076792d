"""The book's neural-network playground: 2-D data, input features, a small MLP and its pictures.

Chapter 7 uses it. A ``Playground`` holds one configuration (``Config``):
a data set, the input features computed from each point's coordinates, a
multilayer perceptron with 0 to 4 hidden layers, and how to train it. It
trains through the book's training loop, ``train.Loop``, one minibatch
(``step``) or one pass over the training set (``epoch``) at a time, so it
works the same with or without widgets. The drawing functions turn its state
into the pictures of the chapter (decision boundary, loss curves, the
network with its weights and each unit's output), ``animation_html`` into an
animation that plays without a kernel, and ``PlaygroundUI`` into live
controls (ipywidgets) whose callbacks can also be called from code.

Labels are 0 (drawn orange) and 1 (drawn blue). The network has one output
unit, a score whose sign is the prediction; it is trained on the logistic
(binary cross-entropy) loss of chapter 1 plus an optional L1 or L2 penalty
on the weights (biases are not penalized). Unlike the original, an L1 step
that carries a weight across zero does not set it to exactly zero: plain SGD
leaves such a weight jittering near zero.

The data sets' shapes and constants (circle radii, XOR gap, cluster
centers, spiral turns) follow the original TensorFlow Playground by Daniel
Smilkov and Shan Carter (Apache-2.0); the code is the book's own.
"""
from __future__ import annotations

import asyncio
import io
import math
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import ipywidgets as widgets
import numpy
from IPython.display import Image, display
from matplotlib.animation import FuncAnimation, HTMLWriter
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from mxnet import gluon
from mxnet import np as mnp
from mxnet.gluon import nn

from d2lhelpers import plot, train
from d2lhelpers.checks import positive_int

DATASETS = ("circle", "xor", "gauss", "spiral")
FEATURES: dict[str, Callable[[numpy.ndarray, numpy.ndarray], numpy.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 ** 2,
    "x2^2": lambda x1, x2: x2 ** 2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: numpy.sin(x1),
    "sin(x2)": lambda x1, x2: numpy.sin(x2),
}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
MAX_HIDDEN_LAYERS, MAX_UNITS, MAX_NOISE = 4, 8, 0.5
EXTENT = 6.0  # points and pictures live in the square [-6, 6] x [-6, 6]
# standard deviation of the noise offsets per unit of noise: the spiral's arms are only about 1.4 apart
NOISE_SCALE = {"circle": 3.0, "xor": 3.0, "gauss": 3.0, "spiral": 1.0}
ORANGE, BLUE = "#e8710a", "#1a73b8"  # label 0, label 1; negative, positive weights
# 16 shades, as in a contour map: the pictures stay readable and compress well
COLORS = LinearSegmentedColormap.from_list("orange_white_blue", [ORANGE, "#f7f7f7", BLUE], N=16)


# ----------------------------------------------------------------------- data

def _check_noise(noise: float) -> float:
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not 0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be a number in [0, {MAX_NOISE}], got {noise!r}")
    return float(noise)


def _check_dataset(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    return name


def make_points(name: str, num_points: int, noise: float,
                rng: numpy.random.Generator) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``num_points`` points of data set ``name`` (shape (n, 2)) and their labels (0 or 1), half of each.

    (With an odd ``num_points``, label 0 has one point more.)

    * ``circle``: label 1 inside a disc of radius 2.5, label 0 on a ring of radii 3.5 to 5 around it;
    * ``xor``: points spread over [-5, 5]^2, label 1 where x1 and x2 have the same sign;
    * ``gauss``: two round clusters of spread 1 around (2, 2) (label 1) and (-2, -2) (label 0);
    * ``spiral``: two spiral arms, each turning 1.75 times around the origin.

    ``noise`` (0 to 0.5) moves every point by a random Gaussian offset in
    each coordinate, after its label is set, so that the classes start to
    overlap. Its standard deviation is ``noise`` times the data set's
    ``NOISE_SCALE``: 3 for circle, xor and gauss, 1 for the spiral, whose
    arms lie closer together. (The original playground instead keeps the
    circle and XOR points in place and sets their labels from a noisy copy.)
    The spiral's points are evenly spaced along its arms; the other data
    sets' positions are random. The points come in random order.
    """
    _check_dataset(name)
    if not isinstance(num_points, int) or isinstance(num_points, bool) or num_points < 2:
        raise ValueError(f"num_points must be an int of at least 2, got {num_points!r}")
    _check_noise(noise)
    half = num_points // 2
    labels = numpy.repeat([1, 0], [half, num_points - half])
    if name == "circle":
        radius = numpy.concatenate([rng.uniform(0, 2.5, half), rng.uniform(3.5, 5, num_points - half)])
        angle = rng.uniform(0, 2 * math.pi, num_points)
        points = numpy.stack([radius * numpy.cos(angle), radius * numpy.sin(angle)], axis=1)
    elif name == "xor":
        # label 1 alternates between quadrants (+, +) and (-, -), label 0 between (+, -) and (-, +)
        quadrant = numpy.concatenate([numpy.arange(half) % 2, 2 + numpy.arange(num_points - half) % 2])
        signs = numpy.array([[1, 1], [-1, -1], [1, -1], [-1, 1]])[quadrant]
        points = signs * rng.uniform(0.3, 5, (num_points, 2))  # a gap of 0.3 along both axes
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


# ------------------------------------------------------------------ the model

@dataclass(frozen=True)
class Config:
    """One playground setting: the data, the features, the network and its training."""

    dataset: str = "circle"
    noise: float = 0.0
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)  # units of each hidden layer; () is a linear model
    activation: str = "tanh"
    lr: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    batch_size: int = 10
    num_points: int = 500
    train_fraction: float = 0.5

    def __post_init__(self) -> None:
        _check_dataset(self.dataset)
        _check_noise(self.noise)
        object.__setattr__(self, "features", check_features(self.features))
        hidden = tuple(self.hidden)
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden must list 0 to {MAX_HIDDEN_LAYERS} layer widths, got {len(hidden)}: {hidden}")
        if any(not isinstance(u, int) or isinstance(u, bool) or not 1 <= u <= MAX_UNITS for u in hidden):
            raise ValueError(f"hidden: every layer must have 1 to {MAX_UNITS} units, got {hidden}")
        object.__setattr__(self, "hidden", hidden)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {self.activation!r}")
        if (not isinstance(self.lr, (int, float)) or isinstance(self.lr, bool) or not self.lr > 0
                or not math.isfinite(self.lr)):
            raise ValueError(f"lr (the learning rate) must be a positive number, got {self.lr!r}")
        if self.regularization not in REGULARIZATIONS:
            raise ValueError(f"regularization must be one of {', '.join(REGULARIZATIONS)}; "
                             f"got {self.regularization!r}")
        if (not isinstance(self.reg_rate, (int, float)) or isinstance(self.reg_rate, bool)
                or not 0 <= self.reg_rate < math.inf):
            raise ValueError(f"reg_rate must be a number >= 0, got {self.reg_rate!r}")
        positive_int("batch_size", self.batch_size)
        if not isinstance(self.train_fraction, (int, float)) or not 0 < self.train_fraction < 1:
            raise ValueError(f"train_fraction must be strictly between 0 and 1, got {self.train_fraction!r}")
        positive_int("num_points", self.num_points)
        num_train = round(self.num_points * self.train_fraction)
        if not 2 <= num_train <= self.num_points - 2:
            raise ValueError(f"num_points {self.num_points} with train_fraction {self.train_fraction} leaves "
                             "fewer than 2 training or test points")


def make_split(config: Config, seed: int) -> tuple[dict[str, numpy.ndarray], dict[str, numpy.ndarray]]:
    """The training and test points and labels of ``config``'s data set: ({"train": ..., "test": ...}, {...}).

    All ``config.num_points`` points are drawn at once and then split at
    random, as the original playground does, so no point is in both sets
    (the spiral's positions have no randomness: drawing the two sets
    separately would give the same points twice). Each set is balanced,
    half of its points of each label (as nearly as an odd size allows). The
    split depends on the data set, the noise, the sizes and ``seed`` only,
    not on the network.
    """
    num_train = round(config.num_points * config.train_fraction)
    rng = numpy.random.default_rng([seed, 0])
    all_points, all_labels = make_points(config.dataset, config.num_points, config.noise, rng)
    ones, zeros = numpy.flatnonzero(all_labels == 1), numpy.flatnonzero(all_labels == 0)
    train_ones = min(num_train // 2, len(ones) - 1)
    train_zeros = num_train - train_ones
    if train_zeros > len(zeros) - 1:  # only with a very lopsided fraction of a tiny data set
        train_zeros = len(zeros) - 1
        train_ones = num_train - train_zeros
    train_index = numpy.concatenate([ones[:train_ones], zeros[:train_zeros]])
    test_index = numpy.concatenate([ones[train_ones:], zeros[train_zeros:]])
    points, labels = {}, {}
    for part, index in (("train", rng.permutation(train_index)), ("test", rng.permutation(test_index))):
        points[part], labels[part] = all_points[index], all_labels[index]
    return points, labels


def build_net(num_inputs: int, hidden: Sequence[int], activation: str) -> nn.HybridSequential:
    """An MLP: one ``Dense`` layer per entry of ``hidden`` with ``activation``, then one output unit.

    Input sizes are given, so the parameters exist at once (no deferred
    initialization); ``Playground`` fills them in.
    """
    positive_int("num_inputs", num_inputs)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    net = nn.HybridSequential()
    width = num_inputs
    for units in hidden:
        net.add(nn.Dense(units, activation=None if activation == "linear" else activation, in_units=width))
        width = units
    net.add(nn.Dense(1, in_units=width))
    return net


def penalty(net: nn.HybridSequential, kind: str, rate: float) -> mnp.ndarray:
    """``rate`` times the L1 norm of the weights, or ``rate / 2`` times their squared L2 norm (no biases)."""
    weights = [layer.weight.data() for layer in net]
    if kind == "L1":
        return rate * sum(mnp.abs(w).sum() for w in weights)
    if kind == "L2":
        return rate / 2 * sum((w ** 2).sum() for w in weights)
    raise ValueError(f"kind must be 'L1' or 'L2', got {kind!r}")


@dataclass
class Snapshot:
    """What the pictures need at one moment of training (all NumPy)."""

    epoch: int
    history: list[dict[str, float]]
    weights: list[numpy.ndarray]
    unit_grids: list[numpy.ndarray]  # per column: inputs, each hidden layer, output; (units, r, r)
    boundary: numpy.ndarray  # the output score over a finer grid, (r, r)


class Playground:
    """A network trained on a 2-D data set, one minibatch or one epoch at a time, through ``train.Loop``.

    ``seed`` fixes the data and the split; ``seed`` and ``start`` fix the
    initial weights and the order of the minibatches: the same ``Config``,
    seed and start give the same run. Each ``reset()`` moves on to the next
    start, so it begins again from new initial weights on the same data.
    ``history`` holds one record per epoch (train and test loss and accuracy,
    measured on the whole sets after the epoch, loss without the penalty).
    """

    def __init__(self, config: Config | None = None, seed: int = 0, start: int = 0):
        self.config = config or Config()
        for name, value in (("seed", seed), ("start", start)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        self.seed, self.start = seed, start
        self._next_start = start  # the start the next reset() uses
        self.reset()

    # set-up
    def reset(self, config: Config | None = None) -> None:
        """Start again from the next start's initial weights (with ``config`` if given)."""
        if config is not None:
            self.config = config
        cfg = self.config
        self.start, self._next_start = self._next_start, self._next_start + 1
        self.points, self.labels = make_split(cfg, self.seed)
        self._X = {k: mnp.array(features(v, cfg.features)) for k, v in self.points.items()}
        self._y = {k: mnp.array(v) for k, v in self.labels.items()}
        self.rng = numpy.random.default_rng([self.seed, 1, self.start])
        self.net = build_net(len(cfg.features), cfg.hidden, cfg.activation)
        self.net.initialize()
        for layer in self.net:  # Xavier (Glorot) uniform weights drawn from our generator; zero biases
            fan_out, fan_in = layer.weight.shape
            bound = math.sqrt(6 / (fan_in + fan_out))
            layer.weight.set_data(mnp.array(self.rng.uniform(-bound, bound, (fan_out, fan_in)), dtype="float32"))
            layer.bias.set_data(mnp.zeros(fan_out))
        self.net.hybridize()
        self._data_loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
        self.loop = train.Loop(self.net, self.loss, train.make_trainer(self.net, "sgd", lr=cfg.lr))
        self.epochs, self.steps = 0, 0
        self.history: list[dict[str, float]] = []
        self._order: list[tuple[mnp.ndarray, mnp.ndarray]] = []  # minibatches left in this epoch

    def loss(self, outputs: mnp.ndarray, y: mnp.ndarray) -> mnp.ndarray:
        """Each example's logistic loss plus the weight penalty (what ``train.Loop`` minimizes)."""
        values = self._data_loss(outputs, y)
        if self.config.regularization != "none" and self.config.reg_rate > 0:
            values = values + penalty(self.net, self.config.regularization, self.config.reg_rate)
        return values

    # training
    def batches(self) -> Iterator[tuple[mnp.ndarray, mnp.ndarray]]:
        """The training set in a new random order, in minibatches of ``config.batch_size``."""
        n = self.labels["train"].shape[0]
        order = self.rng.permutation(n)
        for start in range(0, n, self.config.batch_size):
            index = mnp.array(order[start:start + self.config.batch_size], dtype="int32")
            yield self._X["train"][index], self._y["train"][index]

    def step(self) -> None:
        """One update on the next minibatch; an epoch is complete when the training set is used up."""
        if not self._order:
            self._order = list(self.batches())
        X, y = self._order.pop(0)
        self.loop.step(X, y)
        self.steps += 1
        if not self._order:
            self._end_epoch()

    def epoch(self) -> dict[str, float]:
        """The rest of the current epoch (all of it if none is under way); returns its record."""
        if self._order:
            while self._order:
                self.step()
        else:
            self.loop.epoch(self.batches())
            self.steps += math.ceil(self.labels["train"].shape[0] / self.config.batch_size)
            self._end_epoch()
        return self.history[-1]

    def train(self, num_epochs: int, callback: Callable[[Playground], None] | None = None) -> list[dict[str, float]]:
        """``num_epochs`` epochs, calling ``callback(self)`` after each; returns the history."""
        positive_int("num_epochs", num_epochs)
        for _ in range(num_epochs):
            self.epoch()
            if callback is not None:
                callback(self)
        return self.history

    def _end_epoch(self) -> None:
        self.epochs += 1
        self.history.append({"epoch": self.epochs, **self.evaluate()})

    # what the pictures need
    def scores(self, points: numpy.ndarray) -> numpy.ndarray:
        """The network's output score for each point (positive: label 1)."""
        return self.net(mnp.array(features(points, self.config.features))).asnumpy()[:, 0]

    def evaluate(self) -> dict[str, float]:
        """Loss (without the penalty) and accuracy on the training and the test set."""
        record = {}
        for part in ("train", "test"):
            out = self.net(self._X[part])
            record[f"{part} loss"] = self._data_loss(out, self._y[part]).mean().item()
            record[f"{part} acc"] = ((out[:, 0] > 0) == (self._y[part] > 0.5)).mean().item()
        return record

    def accuracy(self, part: str = "test") -> float:
        """The fraction of the ``part`` ("train" or "test") points on the right side of the boundary."""
        if part not in ("train", "test"):
            raise ValueError(f"part must be 'train' or 'test', got {part!r}")
        return self.evaluate()[f"{part} acc"]

    def weights(self) -> list[numpy.ndarray]:
        """Each layer's weight matrix, shape (units out, units in)."""
        return [layer.weight.data().asnumpy() for layer in self.net]

    def unit_grids(self, resolution: int = 24) -> list[numpy.ndarray]:
        """Every unit's output over a grid of the square: inputs, each hidden layer, the output score.

        One array per column of the network drawing, of shape (units, resolution, resolution).
        """
        _, points = grid(resolution)
        h = mnp.array(features(points, self.config.features))
        columns = [h]
        for layer in self.net:
            h = layer(h)
            columns.append(h)
        return [c.asnumpy().T.reshape(-1, resolution, resolution) for c in columns]

    def snapshot(self, resolution: int = 20, boundary_resolution: int = 48) -> Snapshot:
        """The current state, for drawing now or later: unit pictures of ``resolution`` squared points,
        the output of ``boundary_resolution`` squared points (animation frames use the default; still
        pictures use ``STILL_RESOLUTION``, finer, so that a winding boundary does not look like a staircase)."""
        _, points = grid(boundary_resolution)
        boundary = self.scores(points).reshape(boundary_resolution, boundary_resolution)
        return Snapshot(self.epochs, [dict(r) for r in self.history], self.weights(), self.unit_grids(resolution),
                        boundary)


# ----------------------------------------------------------------- the pictures

STILL_RESOLUTION = 96  # grid of the decision boundary in still pictures (animation frames use 48)

def draw_points(ax: Axes, points: numpy.ndarray, labels: numpy.ndarray, test: bool = False, size: float = 9) -> None:
    """Points colored by label; test points with a black edge."""
    colors = numpy.where(labels > 0.5, BLUE, ORANGE)
    ax.scatter(points[:, 0], points[:, 1], c=colors, s=size, linewidths=0.6 if test else 0.3,
               edgecolors="black" if test else "white")
    ax.set_xlim(-EXTENT, EXTENT)
    ax.set_ylim(-EXTENT, EXTENT)
    ax.set_aspect("equal")


def _squash(values: numpy.ndarray) -> numpy.ndarray:
    """Values mapped into [-1, 1] for coloring: divided by their largest magnitude (if above 1)."""
    scale = max(1.0, float(numpy.abs(values).max()))
    return values / scale


def draw_boundary(ax: Axes, pg: Playground, snap: Snapshot | None = None, show_test: bool = True) -> None:
    """The output over the square as a heat map (blue: label 1), the training (and test) points on top."""
    snap = snap or pg.snapshot(boundary_resolution=STILL_RESOLUTION)
    ax.clear()
    ax.imshow(numpy.tanh(snap.boundary / 2), origin="lower", extent=(-EXTENT, EXTENT, -EXTENT, EXTENT), cmap=COLORS,
              vmin=-1, vmax=1, interpolation="nearest")
    draw_points(ax, pg.points["train"], pg.labels["train"])
    if show_test:
        draw_points(ax, pg.points["test"], pg.labels["test"], test=True)
    ax.set_xticks([-6, 0, 6])
    ax.set_yticks([-6, 0, 6])
    ax.tick_params(labelsize=7)
    if snap.history:
        last = snap.history[-1]
        ax.set_title(f"epoch {snap.epoch}: test loss {last['test loss']:.3f}", fontsize=8)


def draw_losses(ax: Axes, history: Sequence[dict[str, float]], num_epochs: int | None = None) -> None:
    """Training and test loss per epoch."""
    ax.clear()
    epochs = [r["epoch"] for r in history]
    ax.plot(epochs, [r["train loss"] for r in history], color="0.35", label="train loss")
    ax.plot(epochs, [r["test loss"] for r in history], color="black", linestyle="--", label="test loss")
    ax.set_xlim(0, max(num_epochs or 0, epochs[-1] if epochs else 1, 1))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("epoch", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper right")


def draw_network(ax: Axes, feature_names: Sequence[str], snap: Snapshot) -> None:
    """The network: each unit as a small heat map of its output, each weight as a line.

    A line's width grows with the weight's magnitude; blue lines are
    positive weights, orange ones negative.
    """
    ax.clear()
    ax.set_axis_off()
    columns = snap.unit_grids
    size, gap = 0.62, 0.18
    tallest = max(len(c) for c in columns)
    centers = []
    for j, col in enumerate(columns):
        top = (tallest - len(col)) * (size + gap) / 2
        centers.append([(j * 1.6, -(top + i * (size + gap))) for i in range(len(col))])
    largest = max(float(numpy.abs(w).max()) for w in snap.weights) or 1.0
    for j, w in enumerate(snap.weights):
        for out in range(w.shape[0]):
            for inp in range(w.shape[1]):
                (x0, y0), (x1, y1) = centers[j][inp], centers[j + 1][out]
                value = w[out, inp]
                ax.plot([x0 + size / 2, x1 - size / 2], [y0, y1], color=BLUE if value > 0 else ORANGE,
                        linewidth=0.3 + 3 * abs(value) / largest, alpha=0.8, solid_capstyle="butt", zorder=1)
    for j, col in enumerate(columns):
        for i, unit in enumerate(col):
            x, y = centers[j][i]
            picture = numpy.tanh(unit / 2) if j == len(columns) - 1 else _squash(unit)
            ax.imshow(picture, origin="lower", cmap=COLORS, vmin=-1, vmax=1, zorder=2, interpolation="nearest",
                      extent=(x - size / 2, x + size / 2, y - size / 2, y + size / 2))
            if j == 0:
                ax.text(x - size / 2 - 0.08, y, feature_names[i], ha="right", va="center", fontsize=7)
    ax.set_xlim(-1.4, (len(columns) - 1) * 1.6 + size / 2 + 0.05)
    ax.set_ylim(-(tallest - 1) * (size + gap) - size / 2 - 0.05, size / 2 + 0.05)
    ax.set_aspect("equal")


def draw(pg: Playground, snap: Snapshot | None = None, num_epochs: int | None = None,
         figsize: tuple[float, float] = (9, 3), fig: Figure | None = None, show_test: bool = True) -> Figure:
    """The playground's three panels: network, decision boundary with the points, loss curves."""
    snap = snap or pg.snapshot(boundary_resolution=STILL_RESOLUTION)
    if fig is None:
        fig = Figure(figsize=figsize, layout="constrained")
    fig.clear()
    net_ax, data_ax, loss_ax = fig.subplots(1, 3, width_ratios=[1.6, 1, 1])
    draw_network(net_ax, pg.config.features, snap)
    draw_boundary(data_ax, pg, snap, show_test=show_test)
    draw_losses(loss_ax, snap.history, num_epochs)
    loss_ax.set_box_aspect(1)
    return fig


def png_bytes(fig: Figure, dpi: int = 72) -> bytes:
    """The figure as PNG bytes (for an image widget)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def record(pg: Playground, num_epochs: int, num_frames: int, resolution: int = 20) -> list[Snapshot]:
    """Train ``num_epochs`` more epochs and take ``num_frames`` snapshots, the first before training."""
    positive_int("num_epochs", num_epochs)
    if not isinstance(num_frames, int) or not 2 <= num_frames <= num_epochs + 1:
        raise ValueError(f"num_frames must be an int from 2 to num_epochs + 1 = {num_epochs + 1}, got {num_frames!r}")
    start = pg.epochs
    marks = {start + round(i * num_epochs / (num_frames - 1)) for i in range(num_frames)}
    snaps = [pg.snapshot(resolution)]
    pg.train(num_epochs, callback=lambda p: snaps.append(p.snapshot(resolution)) if p.epochs in marks else None)
    return snaps


def animation_html(pg: Playground, snaps: Sequence[Snapshot], figsize: tuple[float, float] = (8, 2.7),
                   dpi: int = 60, interval: int = 300, quality: int = 65) -> str:
    """The snapshots as a JavaScript animation that plays without a kernel.

    This is what matplotlib's ``to_jshtml`` makes, with the frames stored as
    JPEG images of the given ``quality`` rather than PNG: heat maps compress
    much better that way, which keeps the saved notebook small.
    """
    if len(snaps) < 2:
        raise ValueError(f"snaps must hold at least 2 snapshots, got {len(snaps)}")
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    num_epochs = snaps[-1].epoch

    def frame(i: int) -> list:
        draw(pg, snaps[i], num_epochs=num_epochs, fig=fig)
        return []

    animation = FuncAnimation(fig, frame, frames=len(snaps), interval=interval)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "animation.html")
        writer = HTMLWriter(fps=1000 / interval, embed_frames=True, default_mode="once")
        writer.frame_format = "jpeg"
        animation.save(str(path), writer=writer, dpi=dpi, savefig_kwargs={"pil_kwargs": {"quality": quality}})
        return offline_controls(path.read_text())


# matplotlib's player draws its buttons with Font Awesome icons from a CDN; these characters need nothing
_BUTTON_ICONS = {
    "fa fa-minus": "&#8722;", "fa fa-fast-backward": "&#9664;&#9664;", "fa fa-step-backward": "&#9664;&#9646;",
    "fa fa-play fa-flip-horizontal": "&#9664;", "fa fa-pause": "&#9646;&#9646;", "fa fa-play": "&#9654;",
    "fa fa-step-forward": "&#9646;&#9654;", "fa fa-fast-forward": "&#9654;&#9654;", "fa fa-plus": "+",
}


def offline_controls(html: str) -> str:
    """A ``to_jshtml`` animation without its stylesheet link to a CDN, its button icons drawn as characters."""
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)
    for icon, text in _BUTTON_ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', text)
    if "https://" in html or 'class="fa ' in html:
        raise ValueError("the animation still refers to a web address or an icon font; "
                         "matplotlib's player changed: update playground.offline_controls")
    return html


# --------------------------------------------------------------- live controls

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


class PlaygroundUI:
    """Live controls for a ``Playground`` (ipywidgets), redrawn as it trains.

    Changing the data set, noise, share of training points, features,
    network or training settings starts again with the new configuration;
    the "test data" button only changes the picture. ``play()`` trains in a
    background task that gives control back to the kernel after every epoch
    (so a click on pause is handled while it trains); ``step()`` trains one
    epoch; ``reset()`` starts again with new initial weights. Each button's
    handler is such a method, so code can drive the playground exactly as
    clicks do; ``await ui.run(n)`` trains n epochs in the foreground.
    """

    def __init__(self, config: Config | None = None, seed: int = 0, redraw_every: int = 1, dpi: int = 64):
        positive_int("redraw_every", redraw_every)
        positive_int("dpi", dpi)
        self.config = cfg = config or Config()
        self.seed, self.redraw_every, self.dpi = seed, redraw_every, dpi
        self.playground = Playground(cfg, seed)
        self.task: asyncio.Task | None = None
        self.controls = {
            "dataset": widgets.Dropdown(options=DATASETS, value=cfg.dataset),
            "noise": widgets.FloatSlider(value=cfg.noise, min=0, max=MAX_NOISE, step=0.05),
            "train_percent": widgets.IntSlider(value=round(100 * cfg.train_fraction), min=10, max=90, step=10),
            "layers": widgets.IntSlider(value=len(cfg.hidden), min=0, max=MAX_HIDDEN_LAYERS),
            "activation": widgets.Dropdown(options=ACTIVATIONS, value=cfg.activation),
            # a configuration's own rate joins the menu, so any valid Config can be shown
            "lr": widgets.Dropdown(options=sorted({*LEARNING_RATES, cfg.lr}), value=cfg.lr),
            "regularization": widgets.Dropdown(options=REGULARIZATIONS, value=cfg.regularization),
            "reg_rate": widgets.Dropdown(options=sorted({*REG_RATES, cfg.reg_rate}), value=cfg.reg_rate),
            "batch_size": widgets.IntSlider(value=cfg.batch_size, min=1, max=max(30, cfg.batch_size)),
        }
        widths = list(cfg.hidden) + [4] * (MAX_HIDDEN_LAYERS - len(cfg.hidden))
        self.units = [widgets.IntSlider(value=w, min=1, max=MAX_UNITS) for w in widths]
        self.feature_boxes = {name: widgets.ToggleButton(value=name in cfg.features, description=name,
                                                         layout=widgets.Layout(width="76px"))
                              for name in FEATURES}
        self.show_test = widgets.ToggleButton(value=True, description="show")  # a Checkbox would break MathJax
        labels = {"dataset": "data set", "noise": "noise", "train_percent": "% training data",
                  "layers": "hidden layers", "activation": "activation", "lr": "learning rate",
                  "regularization": "regularization", "reg_rate": "reg. rate", "batch_size": "batch size"}
        # Labels are HTML widgets beside the controls, not the controls' descriptions: in the HTML book,
        # widgets hand descriptions to an old MathJax interface that the book's MathJax 3 lacks.
        self.rows = {key: _row(labels[key], control) for key, control in self.controls.items()}
        self.rows["show_test"] = _row("test data", self.show_test)
        self.unit_rows = [_row(f"units, layer {i + 1}", slider) for i, slider in enumerate(self.units)]
        for control in [*self.controls.values(), *self.units, *self.feature_boxes.values()]:
            control.observe(self.on_change, names="value")
        self.show_test.observe(lambda _: self.redraw(), names="value")
        self.play_button = widgets.Button(description="play", icon="play", layout=widgets.Layout(width="90px"))
        self.step_button = widgets.Button(description="step", icon="step-forward", layout=widgets.Layout(width="90px"))
        self.reset_button = widgets.Button(description="reset", icon="refresh", layout=widgets.Layout(width="90px"))
        self.play_button.on_click(lambda _: self.toggle())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png")
        self._show_units()
        settings = widgets.VBox([self.rows[k] for k in ("dataset", "noise", "train_percent", "activation", "lr",
                                                        "regularization", "reg_rate", "batch_size")])
        network = widgets.VBox([self.rows["layers"], *self.unit_rows, self.rows["show_test"]])
        self.widget = widgets.VBox([
            widgets.HBox([self.play_button, self.step_button, self.reset_button, self.status]),
            widgets.HBox([widgets.HTML("features:"), *self.feature_boxes.values()]),
            widgets.HBox([settings, network]),
            self.image,
        ])
        self.redraw()

    # the configuration the controls describe
    def current_config(self) -> Config:
        """The ``Config`` the controls show (raises ``ValueError`` if it is not valid, e.g. no feature)."""
        c = self.controls
        return Config(dataset=c["dataset"].value, noise=round(c["noise"].value, 2),
                      features=tuple(name for name, box in self.feature_boxes.items() if box.value),
                      hidden=tuple(s.value for s in self.units[:c["layers"].value]),
                      activation=c["activation"].value, lr=c["lr"].value,
                      regularization=c["regularization"].value, reg_rate=c["reg_rate"].value,
                      batch_size=c["batch_size"].value, num_points=self.config.num_points,
                      train_fraction=c["train_percent"].value / 100)

    def _show_units(self) -> None:
        for i, row in enumerate(self.unit_rows):
            row.layout.display = None if i < self.controls["layers"].value else "none"

    # callbacks
    def on_change(self, change: dict | None = None) -> None:
        """A control changed: stop, and start again with the configuration the controls now show."""
        self._show_units()
        try:
            config = self.current_config()
        except ValueError as err:
            self.pause()
            self.status.value = f"<b>{err}</b>"
            return
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Stop, and start again from new initial weights (the data stay the same)."""
        self.pause()
        self.playground.reset(self.config)
        self.redraw()

    def step(self) -> None:
        """Train one epoch and redraw."""
        self.playground.epoch()
        self.redraw()

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        if self.playing:
            self.pause()
        else:
            self.play()

    @property
    def playing(self) -> bool:
        return self.task is not None and not self.task.done()

    def play(self, max_epochs: int | None = None) -> asyncio.Task:
        """Train in a background task of the running event loop (the kernel's) until ``pause()`` or ``max_epochs``."""
        if not self.playing:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError("play() needs a running event loop, as in a Jupyter kernel; outside one, "
                                   "use step() or asyncio.run(ui.run(num_epochs))") from None
            self.task = loop.create_task(self.run(max_epochs))
            self.task.add_done_callback(self._report_failure)
            self.play_button.description, self.play_button.icon = "pause", "pause"
        return self.task

    def _report_failure(self, task: asyncio.Task) -> None:
        """Show an error of the background training in the status line (it would otherwise go unseen)."""
        if not task.cancelled() and task.exception() is not None:
            err = task.exception()
            self.status.value = f"<b>training stopped: {type(err).__name__}: {err}</b>"

    def pause(self) -> None:
        """Stop the background training after the current epoch."""
        if self.playing:
            self.task.cancel()
        self.task = None
        self.play_button.description, self.play_button.icon = "play", "play"

    async def run(self, max_epochs: int | None = None) -> None:
        """Train epoch after epoch (``max_epochs`` of them, or until cancelled), yielding after each."""
        done = 0
        try:
            while max_epochs is None or done < max_epochs:
                self.playground.epoch()
                done += 1
                if done % self.redraw_every == 0:
                    self.redraw()
                await asyncio.sleep(0)  # let the kernel handle clicks, e.g. on pause
        finally:
            self.redraw()
            if self.task is not None and self.task is asyncio.current_task():
                self.task = None
                self.play_button.description, self.play_button.icon = "play", "play"

    def redraw(self) -> None:
        """Draw the current state into the image widget and update the epoch counter."""
        pg = self.playground
        fig = draw(pg, figsize=(9, 3), show_test=self.show_test.value)
        self.image.value = png_bytes(fig, self.dpi)
        last = pg.history[-1] if pg.history else pg.evaluate()
        self.status.value = (f"epoch {pg.epochs} &nbsp; train loss {last['train loss']:.3f} &nbsp; "
                             f"test loss {last['test loss']:.3f}")


def _row(label: str, control: widgets.Widget) -> widgets.HBox:
    """``control`` with ``label`` on its left, as one row."""
    control.layout = widgets.Layout(width="170px")
    return widgets.HBox([widgets.HTML(label, layout=widgets.Layout(width="110px")), control])


def preset(name: str, **changes) -> Config:
    """A named starting configuration of the chapter, with ``changes`` applied."""
    presets = {
        "xor linear": Config(dataset="xor", features=("x1", "x2"), hidden=(), lr=0.03, batch_size=250),
        "xor product": Config(dataset="xor", features=("x1", "x2", "x1*x2"), hidden=(), lr=0.03, batch_size=250),
        "xor hidden": Config(dataset="xor", features=("x1", "x2"), hidden=(4,), activation="relu", lr=0.1),
        "circle": Config(dataset="circle", features=("x1", "x2"), hidden=(4, 2), activation="tanh", lr=0.03),
        "spiral": Config(dataset="spiral", features=("x1", "x2", "sin(x1)", "sin(x2)"), hidden=(8, 8),
                         activation="tanh", lr=0.1, batch_size=25),
    }
    if name not in presets:
        raise ValueError(f"name must be one of {', '.join(presets)}; got {name!r}")
    return replace(presets[name], **changes)


def show(fig: Figure, dpi: int = 72) -> None:
    """Display ``fig`` as a PNG image in Jupyter (heat maps and many points are pictures, not lines)."""
    if plot.in_notebook():
        display(Image(data=png_bytes(fig, dpi)))
