"""The playground's model: a configuration, a small MLP trained through ``train.Loop``, and its state."""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import mxnet as mx
import numpy
from mxnet import gluon, npx
from mxnet import np as mnp
from mxnet.gluon import nn

from d2lhelpers import optim, train
from d2lhelpers.checks import device_or_none, positive_int
from d2lhelpers.playground.data import (
    REGRESSION_DATASETS,
    check_dataset,
    check_features,
    check_noise,
    features,
    grid,
    make_points,
)

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
MAX_HIDDEN_LAYERS, MAX_UNITS = 6, 8  # the original's limits, and the widgets'
MAX_UNITS_IN_CODE = 64  # a Config made in code may have wider layers, for experiments at a matched size
# what adjust() may change while a run goes on; any other change needs a new run
ADJUSTABLE = ("lr", "regularization", "reg_rate", "batch_size")


@dataclass(frozen=True)
class Config:
    """One playground setting: the data, the features, the network and its training.

    The data set decides the problem: classification (circle, xor, gauss,
    spiral) or regression (plane, multigauss).
    """

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
        check_dataset(self.dataset)
        check_noise(self.noise)
        object.__setattr__(self, "features", check_features(self.features))
        hidden = tuple(self.hidden)
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden must list 0 to {MAX_HIDDEN_LAYERS} layer widths, got {len(hidden)}: {hidden}")
        if any(not isinstance(u, int) or isinstance(u, bool) or not 1 <= u <= MAX_UNITS_IN_CODE for u in hidden):
            raise ValueError(f"hidden: every layer must have 1 to {MAX_UNITS_IN_CODE} units, got {hidden}")
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

    @property
    def problem(self) -> str:
        """ "regression" for the data sets plane and multigauss, else "classification"."""
        return "regression" if self.dataset in REGRESSION_DATASETS else "classification"


def make_split(config: Config, seed: int) -> tuple[dict[str, numpy.ndarray], dict[str, numpy.ndarray]]:
    """The training and test points and labels of ``config``'s data set: ({"train": ..., "test": ...}, {...}).

    All ``config.num_points`` points are drawn at once and then split at
    random, as the original playground does, so no point is in both sets
    (the spiral's positions have no randomness: drawing the two sets
    separately would give the same points twice). For classification each
    set is balanced, half of its points of each label (as nearly as an odd
    size allows); for regression the split is simply at random. The
    split depends on the data set, the noise, the sizes and ``seed`` only,
    not on the network.
    """
    num_train = round(config.num_points * config.train_fraction)
    rng = numpy.random.default_rng([seed, 0])
    all_points, all_labels = make_points(config.dataset, config.num_points, config.noise, rng)
    if config.problem == "regression":
        order = rng.permutation(config.num_points)
        parts = {"train": order[:num_train], "test": order[num_train:]}
        return ({k: all_points[i] for k, i in parts.items()}, {k: all_labels[i] for k, i in parts.items()})
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
    ``history`` holds one record per epoch (train and test loss and, for
    classification, accuracy, measured on the whole sets after the epoch,
    loss without the penalty). Classification is trained on the logistic
    loss, regression on half the squared error, the original's loss.
    The network and its data live on ``device`` (MXNet's current default
    device, the CPU, when None; chapters pass ``runtime.device()``).
    """

    def __init__(self, config: Config | None = None, seed: int = 0, start: int = 0, device: mx.Context | None = None):
        if not npx.is_np_array():
            raise RuntimeError("Playground builds MXNet NumPy arrays: call mxnet.npx.set_np() first")
        self.device = device_or_none("device", device) or mx.context.current_context()
        self.config = config or Config()
        for name, value in (("seed", seed), ("start", start)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        self.seed, self.start = seed, start
        self._next_start = start  # the start the next reset() uses
        self.reset()

    # set-up
    def reset(self, config: Config | None = None) -> None:
        """Start again from the next start's initial weights (with ``config`` if given).

        Every reset moves on to the next start, also one that changes the
        configuration, so ``start`` counts the runs begun on this seed.
        """
        if config is not None:
            self.config = config
        cfg = self.config
        self.start, self._next_start = self._next_start, self._next_start + 1
        self.points, self.labels = make_split(cfg, self.seed)
        self._X = {k: mnp.array(features(v, cfg.features), ctx=self.device) for k, v in self.points.items()}
        self._y = {k: mnp.array(v, ctx=self.device) for k, v in self.labels.items()}
        self._all = tuple(mnp.concatenate([d["train"], d["test"]]) for d in (self._X, self._y))  # for evaluate()
        self.rng = numpy.random.default_rng([self.seed, 1, self.start])
        self.net = build_net(len(cfg.features), cfg.hidden, cfg.activation)
        self.net.initialize(ctx=self.device)
        for layer in self.net:  # Xavier (Glorot) uniform weights drawn from our generator; zero biases
            fan_out, fan_in = layer.weight.shape
            bound = math.sqrt(6 / (fan_in + fan_out))
            weight = self.rng.uniform(-bound, bound, (fan_out, fan_in))
            layer.weight.set_data(mnp.array(weight, dtype="float32", ctx=self.device))
            layer.bias.set_data(mnp.zeros(fan_out, ctx=self.device))
        self.net.hybridize(static_alloc=True)
        self._data_loss = (gluon.loss.L2Loss() if cfg.problem == "regression"
                           else gluon.loss.SigmoidBinaryCrossEntropyLoss())
        self._data_loss.hybridize(static_alloc=True)  # one call instead of several small operators per minibatch
        self.loop = train.Loop(self.net, self.loss, optim.make_trainer(self.net, "sgd", lr=cfg.lr))
        self.epochs, self.steps = 0, 0
        self.history: list[dict[str, float]] = []
        self._order: list[tuple[mnp.ndarray, mnp.ndarray]] = []  # minibatches left in this epoch

    def loss(self, outputs: mnp.ndarray, y: mnp.ndarray) -> mnp.ndarray:
        """Each example's data loss plus the weight penalty (what ``train.Loop`` minimizes)."""
        values = self._data_loss(outputs, y)
        if self.config.regularization != "none" and self.config.reg_rate > 0:
            values = values + penalty(self.net, self.config.regularization, self.config.reg_rate)
        return values

    # training
    def batches(self) -> Iterator[tuple[mnp.ndarray, mnp.ndarray]]:
        """The training set in a new random order, in minibatches of ``config.batch_size``."""
        n = self.labels["train"].shape[0]
        order = mnp.array(self.rng.permutation(n), dtype="int32", ctx=self.device)
        X, y = self._X["train"][order], self._y["train"][order]  # one gather; the minibatches are views of it
        for start in range(0, n, self.config.batch_size):
            yield X[start:start + self.config.batch_size], y[start:start + self.config.batch_size]

    def adjust(self, **changes) -> None:
        """Change the learning rate, regularization, its rate or the batch size without starting again.

        The network keeps its weights and training goes on with the new
        setting (a new batch size from the next epoch on). The original
        playground does this for the learning rate; its other menus start
        again.
        """
        fixed = sorted(set(changes) - set(ADJUSTABLE))
        if fixed:
            raise ValueError(f"adjust() can change {', '.join(ADJUSTABLE)}; for {', '.join(fixed)} use reset(config)")
        self.config = replace(self.config, **changes)
        self.loop.updater.set_learning_rate(self.config.lr)

    def update(self) -> None:
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
                self.update()
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
        return self.net(mnp.array(features(points, self.config.features), ctx=self.device)).asnumpy()[:, 0]

    def evaluate(self) -> dict[str, float]:
        """Loss (without the penalty) and, for classification, accuracy on the training and the test set."""
        X, y = self._all  # the training points, then the test points
        out = self.net(X)
        columns = [self._data_loss(out, y)]
        if self.config.problem == "classification":
            columns.append((out[:, 0] > 0) == (y > 0.5))
        values = mnp.stack([c.astype("float32") for c in columns], axis=1).asnumpy()  # one wait for all values
        parts = {"train": values[:self.labels["train"].shape[0]], "test": values[self.labels["train"].shape[0]:]}
        record = {}
        for part, rows in parts.items():
            record[f"{part} loss"] = float(rows[:, 0].mean())
            if self.config.problem == "classification":
                record[f"{part} acc"] = float(rows[:, 1].mean())
        return record

    def accuracy(self, part: str = "test") -> float:
        """The fraction of the ``part`` ("train" or "test") points on the right side of the boundary."""
        if part not in ("train", "test"):
            raise ValueError(f"part must be 'train' or 'test', got {part!r}")
        if self.config.problem == "regression":
            raise ValueError(f"accuracy needs a classification data set, not {self.config.dataset!r} (regression): "
                             "use evaluate()['test loss']")
        return self.evaluate()[f"{part} acc"]

    def weights(self) -> list[numpy.ndarray]:
        """Each layer's weight matrix, shape (units out, units in)."""
        return [layer.weight.data().asnumpy() for layer in self.net]

    def unit_grids(self, resolution: int = 24) -> list[numpy.ndarray]:
        """Every unit's output over a grid of the square: inputs, each hidden layer, the output score.

        One array per column of the network drawing, of shape (units, resolution, resolution).
        """
        _, points = grid(resolution)
        h = mnp.array(features(points, self.config.features), ctx=self.device)
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
