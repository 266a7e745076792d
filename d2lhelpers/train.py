"""The book's training loop and its metrics (updaters and schedules are in ``optim``).

One loop, ``Loop``, trains every model of the book: classifiers, regressions, language models that carry
their hidden state from one minibatch to the next, networks with hand-derived gradients (chapter 2), and
the playground's models, one step or one epoch at a time. What a reader watches (a live plot, a progress
line) is an optional *observer* that the loop calls after each epoch. The loop keeps its running sums as
MXNet arrays and reads them once per epoch: reading a number after every minibatch would make Python wait
for MXNet's asynchronous engine at every step. Models train on a device (``runtime.device()``); the loop
and the evaluation helpers move each minibatch there, or split it across several.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import mxnet as mx
import numpy
from mxnet import autograd, gluon, np

from d2lhelpers import plot
from d2lhelpers.checks import as_numpy, positive_int
from d2lhelpers.optim import ScheduledSGD, clip_gradients

Batches = Iterable[tuple[np.ndarray, np.ndarray]]
Updater = gluon.Trainer | Callable[[int], None]  # a Trainer, or a function of the loss-value count
Devices = mx.Context | Sequence[mx.Context] | None


def device_of(model: Any) -> mx.Context | None:
    """Where a Gluon Block's parameters, or a ``ScheduledSGD``'s arrays, live (the first device if several).

    None when that is unknown: a plain function, or a Block not initialized.
    """
    if isinstance(model, ScheduledSGD):
        return model.params[0].ctx if model.params else None
    return next(iter(_every_device(model)), None) if isinstance(model, gluon.Block) else None


def _every_device(net: gluon.Block) -> list[mx.Context]:
    """All the devices a Gluon Block was initialized on (empty if it was not)."""
    try:
        return next(iter(net.collect_params().values())).list_ctx()
    except (StopIteration, RuntimeError):  # no parameters, or not initialized
        return []


def _to(device: mx.Context | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``arrays`` on ``device`` (no copy for those already there; unchanged when device is None)."""
    return arrays if device is None else tuple(a.as_in_ctx(device) for a in arrays)


# ----------------------------------------------------------------- metrics

def correct_count(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Number of correct predictions, as an MXNet scalar (no host synchronization).

    ``y_hat`` holds one row of scores per example (the prediction is the
    arg max) or one predicted label per example; ``y`` holds the labels.
    """
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, got shape {y.shape}")
    if y_hat.ndim not in (1, 2) or y_hat.shape[0] != y.shape[0]:
        raise ValueError(f"y_hat must have shape ({y.shape[0]},) or ({y.shape[0]}, classes) "
                         f"to match y, got {y_hat.shape}")
    predictions = y_hat.argmax(axis=1) if y_hat.ndim == 2 else y_hat
    return (predictions.astype(y.dtype) == y).sum()


def accuracy(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Fraction of examples whose prediction matches the label."""
    return correct_count(y_hat, y).item() / y.shape[0]


def confusion_matrix(labels, predictions, num_classes: int) -> numpy.ndarray:
    """``C[i, j]``: how many examples of class ``i`` were predicted as class ``j`` (rows sum to class sizes).

    ``labels``, ``predictions``: 1-D integer arrays (MXNet or NumPy) of equal length, values 0 to num_classes - 1.
    """
    positive_int("num_classes", num_classes)
    y, y_hat = as_numpy(labels), as_numpy(predictions)
    if y.ndim != 1 or y_hat.shape != y.shape:
        raise ValueError(f"labels and predictions must be 1-D of equal length, got shapes {y.shape} and {y_hat.shape}")
    for name, values in (("labels", y), ("predictions", y_hat)):
        if values.size and (values.min() < 0 or values.max() >= num_classes or (values != values.round()).any()):
            raise ValueError(f"{name} must be integers in 0 .. {num_classes - 1}, got values from "
                             f"{values.min()} to {values.max()}")
    pairs = num_classes * y.astype(numpy.int64) + y_hat.astype(numpy.int64)
    return numpy.bincount(pairs, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def evaluate_accuracy(net: Callable[[np.ndarray], np.ndarray], batches: Batches) -> float:
    """Accuracy of ``net`` over all minibatches of ``batches``, read back once (each moved to a Block's device)."""
    device, correct, total = device_of(net), 0, 0
    for X, y in batches:
        X, y = _to(device, X, y)
        correct = correct + correct_count(net(X), y)
        total += y.shape[0]
    if total == 0:
        raise ValueError("batches must yield at least one example")
    return correct.item() / total


def evaluate_loss(net: Callable[[np.ndarray], np.ndarray], batches: Batches,
                  loss: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> float:
    """Mean of ``loss`` over every value it returns on all minibatches, read back once (devices as above)."""
    device, total, count = device_of(net), 0, 0
    for X, y in batches:
        X, y = _to(device, X, y)
        values = loss(net(X), y)
        total = total + values.sum()
        count += values.size
    if count == 0:
        raise ValueError("batches must yield at least one example")
    return total.item() / count


# ------------------------------------------------------------------ the loop

def format_metrics(record: dict[str, float]) -> str:
    """An epoch's metrics as "train loss 0.380, test acc 0.845" (its example count and seconds left out)."""
    return ", ".join(f"{k} {v:.3f}" for k, v in record.items() if k not in ("examples", "seconds"))


@dataclass
class History:
    """What ``Loop.fit`` recorded: one dict of numbers per epoch."""

    records: list[dict[str, float]] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        """Every epoch's value of ``key``, such as ``history["test acc"]``."""
        if not self.records or key not in self.records[-1]:
            known = sorted(self.records[-1]) if self.records else []
            raise KeyError(f"no {key!r} in the history; it records {known}")
        return [record[key] for record in self.records]

    @property
    def seconds(self) -> float:
        """Training time over all epochs (evaluation excluded)."""
        return sum(record["seconds"] for record in self.records)

    @property
    def examples_per_second(self) -> float:
        """Training throughput over all epochs (evaluation excluded)."""
        return sum(record["examples"] for record in self.records) / self.seconds

    def summary(self) -> str:
        """One line: the last epoch's metrics and the throughput."""
        throughput = f"{self.examples_per_second:,.0f} examples/s over {self.seconds:.1f} s"
        return f"{format_metrics(self.records[-1])}; {throughput}"


class Observer(Protocol):
    """Something that watches training: a live plot, a progress line."""

    def epoch_end(self, epoch: int, record: dict[str, float]) -> None: ...

    def end(self, history: History) -> None: ...


class ProgressLine:
    """Prints one progress line per epoch and a summary at the end (for command-line runs)."""

    def __init__(self, num_epochs: int, title: str | None = None, xlabel: str = "epoch"):
        self.num_epochs, self.title, self.xlabel = positive_int("num_epochs", num_epochs), title, xlabel

    def epoch_end(self, epoch: int, record: dict[str, float]) -> None:
        done = round(20 * epoch / self.num_epochs)
        prefix = f"{self.title}: " if self.title else ""
        print(f"{prefix}[{'#' * done}{'.' * (20 - done)}] {self.xlabel} {epoch}/{self.num_epochs}: "
              f"{format_metrics(record)} ({record['seconds']:.1f} s)", flush=True)

    def end(self, history: History) -> None:
        print(history.summary(), flush=True)


def default_observer(num_epochs: int, title: str | None = None, series: Sequence[str] = (
                     "train loss", "train acc", "test acc"), xlabel: str = "epoch") -> Observer:
    """A live plot of ``series`` in Jupyter, a progress line elsewhere; ``xlabel`` names what ``num_epochs`` counts."""
    if plot.in_notebook():
        return plot.TrainingPlot(num_epochs, series=series, title=title, xlabel=xlabel)
    return ProgressLine(num_epochs, title, xlabel)


class Loop:
    """Train a model minibatch by minibatch: forward, loss, backward, clip, update.

    * ``net(X)`` returns the outputs; with ``begin_state`` (language models) it is called as
      ``net(X, state)``, returns ``(outputs, state)``, and the state comes from
      ``begin_state(batch_size)``. With ``carry_state`` one minibatch's state starts the next
      (sequential sampling), detached so that gradients stop at the minibatch boundary; otherwise
      each minibatch starts afresh. Every epoch starts afresh.
    * ``loss(outputs, y)`` returns one value per example (or per token), not their mean; the
      updater is told how many there were.
    * ``updater`` is a Gluon ``Trainer`` or a function of that count that updates the parameters
      from their gradients (``optim.scheduled_sgd``).
    * ``clip_norm`` clips the gradient of the mean loss to that L2 norm: the gradients of a
      ``ScheduledSGD``'s ``params``, or else of the parameters of ``net``, a Gluon block. After each
      step, ``grad_norm`` holds that norm before clipping, as an MXNet scalar (``clip_norm=inf``
      measures it without ever clipping).
    * ``compute_gradients(X, y)``, when given, replaces the forward and backward passes: it returns
      ``(outputs, loss values)`` and leaves the gradients where the updater reads them (chapter 2
      derives a linear model's by hand). Without it, ``net`` and ``loss`` are required.
    * ``accuracy`` adds ``train acc`` to each epoch's record, ``perplexity`` adds ``train ppl``, the
      exponential of the mean loss.
    * ``devices``: each minibatch goes to the model's device (of a Gluon net's parameters or a
      ``ScheduledSGD``'s arrays) unless this names one. Several split every minibatch with Gluon's
      ``split_and_load``; the net must then be a Gluon Block initialized on them all and the
      updater a ``Trainer``, which sums their gradients in its kvstore when it updates.

    ``step`` trains on one minibatch, ``epoch`` on all of them, ``fit`` for
    several epochs with evaluation and observers.
    """

    def __init__(self, net: Callable | None, loss: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
                 updater: Updater, *, accuracy: bool = False, perplexity: bool = False,
                 clip_norm: float | None = None, begin_state: Callable[[int], Any] | None = None,
                 carry_state: bool = True,
                 compute_gradients: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
                 devices: Devices = None):
        if compute_gradients is None:
            for name, value in (("net", net), ("loss", loss)):
                if not callable(value):
                    raise ValueError(f"{name} must be callable unless compute_gradients is given, got {value!r}")
        if not isinstance(updater, gluon.Trainer) and not callable(updater):
            raise ValueError(f"updater must be a gluon.Trainer or a function of the loss-value count, got {updater!r}")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"clip_norm must be positive or None, got {clip_norm!r}")
        if clip_norm is not None and not (isinstance(updater, ScheduledSGD) or isinstance(net, gluon.Block)):
            raise ValueError("clip_norm needs the parameters: a ScheduledSGD updater, or a Gluon Block as net "
                             f"(with a Trainer), got {net!r} and {updater!r}")
        self._devices = None if devices is None else [devices] if isinstance(devices, mx.Context) else list(devices)
        if self._devices is not None:
            if not self._devices or not all(isinstance(d, mx.Context) for d in self._devices):
                raise ValueError(f"devices must be an MXNet device or a non-empty list of them, got {devices!r}")
            if len(self._devices) > 1 and not (isinstance(net, gluon.Block) and isinstance(updater, gluon.Trainer)
                                               and compute_gradients is None and begin_state is None
                                               and clip_norm is None):
                raise ValueError("several devices need a Gluon Block as net and a gluon.Trainer as updater, without "
                                 "compute_gradients, begin_state or clip_norm (the Trainer sums the devices' "
                                 f"gradients only when it updates); got {len(self._devices)} devices")
        self.net, self.loss, self.updater = net, loss, updater
        self._grad_params: list | None = None  # a Gluon net's trainable parameters, found once
        self._update = updater.step if isinstance(updater, gluon.Trainer) else updater
        self.accuracy, self.perplexity, self.clip_norm = accuracy, perplexity, clip_norm
        self.begin_state, self.carry_state = begin_state, carry_state
        self.compute_gradients = compute_gradients or self.autograd_gradients
        self.state: Any = None
        self.grad_norm: np.ndarray | None = None
        self._state_rows = 0  # the batch size the state was made for
        self._reset_sums()

    def _reset_sums(self) -> None:  # the sums become MXNet arrays, on the model's device, at the first step
        self._loss_sum, self._correct, self._count, self._examples = 0, 0, 0, 0

    @property
    def devices(self) -> list[mx.Context]:
        """The devices minibatches go to: those given, else the model's (empty while unknown)."""
        if self._devices is None:
            found = _every_device(self.net) if isinstance(self.net, gluon.Block) else [device_of(self.updater)]
            if len(found) > 1:
                raise ValueError(f"net is initialized on {found}: pass devices={found} to split minibatches")
            self._devices = None if found in ([], [None]) else found
        return self._devices or []

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The net's outputs on ``X``; a language model starts from, or carries on, its hidden state."""
        if self.begin_state is None:
            return self.net(X)
        if self.state is None or not self.carry_state or self._state_rows != X.shape[0]:
            self.state, self._state_rows = self.begin_state(X.shape[0]), X.shape[0]
        else:
            self.state = _detach(self.state)
        outputs, self.state = self.net(X, self.state)
        return outputs

    def autograd_gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The default ``compute_gradients``: forward pass and loss recorded, then backward."""
        with autograd.record():
            outputs = self.forward(X)
            values = self.loss(outputs, y)
        values.backward()  # the gradient of the sum of the loss values
        return outputs, values

    def gradients(self) -> list[np.ndarray]:
        """The gradients the updater applies: of a ``ScheduledSGD``'s arrays, or of a Gluon net's parameters."""
        if isinstance(self.updater, ScheduledSGD):
            return [p.grad for p in self.updater.params]
        if isinstance(self.net, gluon.Block):
            if self._grad_params is None:
                self._grad_params = [p for p in self.net.collect_params().values() if p.grad_req != "null"]
            return [p.grad() for p in self._grad_params]
        raise ValueError(f"net must be a Gluon Block when the updater is a {type(self.updater).__name__}, "
                         f"to read its parameters' gradients; got {self.net!r}")

    def split_gradients(self, X: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Several devices: one slice of the minibatch on each, forward and backward there.

        Returns ``(outputs, loss values, labels)`` of every slice; each
        device's parameters hold the gradient of its slice's loss.
        """
        devices = self.devices
        if X.shape[0] < len(devices):
            raise ValueError(f"a minibatch of {X.shape[0]} examples cannot be split across {len(devices)} devices")
        Xs, ys = (gluon.utils.split_and_load(a, devices, even_split=False) for a in (X, y))
        with autograd.record():
            outputs = [self.net(X_part) for X_part in Xs]
            values = [self.loss(out, y_part) for out, y_part in zip(outputs, ys, strict=True)]
        autograd.backward(values)
        return list(zip(outputs, values, ys, strict=True))

    def step(self, X: np.ndarray, y: np.ndarray) -> None:
        """Train on one minibatch and add its loss (and correct predictions) to the epoch's sums."""
        devices, examples = self.devices, X.shape[0]
        if len(devices) > 1:
            pieces = self.split_gradients(X, y)
        else:
            X, y = _to(devices[0] if devices else None, X, y)
            pieces = [(*self.compute_gradients(X, y), y)]
        if any(values.ndim == 0 for _, values, _ in pieces):
            raise ValueError("loss must return one value per example (or per token), not their mean")
        size = sum(values.size for _, values, _ in pieces)
        if self.clip_norm is not None:  # the gradient of the sum is size times the mean's
            self.grad_norm = clip_gradients(self.gradients(), self.clip_norm * size) / size
        self._update(size)
        home = pieces[0][1].ctx  # the sums stay on the first device
        for outputs, values, labels in pieces:
            self._loss_sum = self._loss_sum + values.sum().as_in_ctx(home)
            if self.accuracy:
                self._correct = self._correct + correct_count(outputs, labels).as_in_ctx(home)
        self._count += size
        self._examples += examples

    def epoch(self, batches: Batches) -> dict[str, float]:
        """One pass over ``batches``; returns the epoch's record (train loss, ..., examples, seconds)."""
        start = time.perf_counter()
        self._reset_sums()
        self.state = None
        for X, y in batches:
            self.step(X, y)
        if self._count == 0:
            raise ValueError("batches must yield at least one example")
        record = {"train loss": self._loss_sum.item() / self._count}  # the one wait per epoch
        if self.accuracy:
            record["train acc"] = self._correct.item() / self._count
        if self.perplexity:
            record["train ppl"] = math.exp(record["train loss"])
        record.update(examples=self._examples, seconds=time.perf_counter() - start)
        return record

    def fit(self, batches: Batches, num_epochs: int, evaluate: Callable[[], dict[str, float]] | None = None,
            observers: Sequence[Observer] = ()) -> History:
        """Train for ``num_epochs``; after each, add ``evaluate()``'s numbers and tell the observers.

        ``batches`` is walked once per epoch, so it must start over each time (a list, or an object
        such as ``data.ArrayLoader``); a one-shot iterator (a generator) would be empty after one epoch.
        """
        positive_int("num_epochs", num_epochs)
        if isinstance(batches, Iterator):
            raise ValueError(f"batches must start over at each epoch (a list, or an iterable object such as "
                             f"data.ArrayLoader), got a one-shot iterator {batches!r}: pass list(...) of it, or an "
                             "object whose __iter__ makes a new iterator")
        history = History()
        for epoch in range(1, num_epochs + 1):
            record = self.epoch(batches)
            if evaluate is not None:
                record.update(evaluate())
            history.records.append(record)
            for observer in observers:
                observer.epoch_end(epoch, record)
        for observer in observers:
            observer.end(history)
        return history


def _detach(state: Any) -> Any:
    """The hidden state with its computation history cut off (arrays, or tuples/lists of them)."""
    if isinstance(state, (tuple, list)):
        return type(state)(_detach(s) for s in state)
    return state.detach()


def train_classifier(net: Callable[[np.ndarray], np.ndarray], train_iter: Batches, test_iter: Batches,
                     loss: Callable[[np.ndarray, np.ndarray], np.ndarray], num_epochs: int,
                     updater: Updater, title: str | None = None, show: bool = True) -> History:
    """Train a classifier with ``Loop``, measuring test accuracy after every epoch.

    With ``show`` a live plot (in Jupyter) or a progress line (elsewhere) follows training. Returns the
    history: ``history["test acc"][-1]`` is the final test accuracy; throughput excludes evaluation.
    """
    positive_int("num_epochs", num_epochs)
    observers = [default_observer(num_epochs, title)] if show else []
    return Loop(net, loss, updater, accuracy=True).fit(
        train_iter, num_epochs, evaluate=lambda: {"test acc": evaluate_accuracy(net, test_iter)},
        observers=observers)
