"""The book's training loop, with its metrics, updaters and learning-rate schedules.

One loop, ``Loop``, trains every model of the book: classifiers and
regressions, language models whose hidden state is carried from one
minibatch to the next, networks whose gradients are derived by hand, and the
playground's models, trained one step or one epoch at a time. Everything a
reader watches (a live plot, a progress line) is an optional *observer* that
the loop calls after each epoch.

The loop keeps its running sums (loss, correct predictions) as MXNet arrays
and reads them back once per epoch: turning a value into a Python number
after every minibatch would make Python wait for MXNet's asynchronous engine
at every step.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import mxnet as mx
from mxnet import autograd, gluon, np

from d2lhelpers import plot
from d2lhelpers.checks import non_negative_int, positive_int

Batches = Iterable[tuple[np.ndarray, np.ndarray]]
Updater = gluon.Trainer | Callable[[int], None]  # a Trainer, or a function of the loss-value count


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


def evaluate_accuracy(net: Callable[[np.ndarray], np.ndarray], batches: Batches) -> float:
    """Accuracy of ``net`` over all minibatches of ``batches``, read back once."""
    correct, total = np.zeros(()), 0
    for X, y in batches:
        correct = correct + correct_count(net(X), y)
        total += y.shape[0]
    if total == 0:
        raise ValueError("batches must yield at least one example")
    return correct.item() / total


def evaluate_loss(net: Callable[[np.ndarray], np.ndarray], batches: Batches,
                  loss: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> float:
    """Mean of ``loss`` over every value it returns on all minibatches, read back once."""
    total, count = np.zeros(()), 0
    for X, y in batches:
        values = loss(net(X), y)
        total = total + values.sum()
        count += values.size
    if count == 0:
        raise ValueError("batches must yield at least one example")
    return total.item() / count


# ---------------------------------------------------- updaters and schedules

def sgd(params: list[np.ndarray], lr: float, batch_size: int) -> None:
    """Minibatch stochastic gradient descent: p -= lr * grad / batch_size, in place."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def lr_schedule(kind: str, base_lr: float, num_steps: int,
                warmup_steps: int = 0) -> mx.lr_scheduler.LRScheduler:
    """The learning rate of each update step: ``schedule(t)`` for t = 1, 2, ..., ``num_steps``.

    ``kind`` is ``"constant"`` or ``"cosine"``: the cosine schedule
    (Loshchilov and Hutter, 2017) decays from ``base_lr`` to 0 over
    ``num_steps``. With ``warmup_steps`` the rate first rises linearly from 0
    to ``base_lr``. The result is one of MXNet's schedulers, which a Gluon
    ``Trainer`` accepts as ``lr_scheduler`` and a from-scratch loop calls.
    """
    positive_int("num_steps", num_steps)
    if kind not in ("constant", "cosine"):
        raise ValueError(f"kind must be 'constant' or 'cosine', got {kind!r}")
    if not base_lr > 0:
        raise ValueError(f"base_lr must be positive, got {base_lr!r}")
    if non_negative_int("warmup_steps", warmup_steps) >= num_steps:
        raise ValueError(f"warmup_steps must be an int in [0, num_steps), got {warmup_steps!r}")
    if kind == "cosine":
        return mx.lr_scheduler.CosineScheduler(num_steps, base_lr=base_lr, warmup_steps=warmup_steps)
    return mx.lr_scheduler.FactorScheduler(num_steps + 1, factor=1.0, base_lr=base_lr, warmup_steps=warmup_steps)


class ScheduledSGD:
    """An updater for from-scratch models: step t applies ``sgd`` with rate ``schedule(t)``, t = 1, 2, ...

    Call it with the number of loss values the gradients were summed over.
    ``params`` are the arrays it updates (``Loop`` clips their gradients).
    """

    def __init__(self, params: Sequence[np.ndarray], schedule: Callable[[int], float]):
        self.params, self.schedule, self.steps = list(params), schedule, 0

    def __call__(self, batch_size: int) -> None:
        self.steps += 1
        sgd(self.params, self.schedule(self.steps), batch_size)


def scheduled_sgd(params: Sequence[np.ndarray], schedule: Callable[[int], float]) -> ScheduledSGD:
    """Minibatch SGD on ``params`` with the learning rate ``schedule(t)`` at step t (see ``ScheduledSGD``)."""
    return ScheduledSGD(params, schedule)


def make_trainer(net: gluon.Block, optimizer: str = "sgd", lr: float = 0.1, num_steps: int | None = None,
                 schedule: str = "constant", warmup_steps: int = 0, wd: float = 0.0,
                 **options: Any) -> gluon.Trainer:
    """A Gluon ``Trainer`` for ``net`` with one of the book's learning-rate schedules.

    ``schedule`` and ``warmup_steps`` are those of ``lr_schedule``; a cosine
    schedule or a warm-up needs ``num_steps``, the total number of updates.
    ``wd`` is weight decay (chapter 2); other keyword arguments go to the
    optimizer (for example ``momentum`` or ``beta1``).
    """
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    settings: dict[str, Any] = {"learning_rate": lr, "wd": wd, **options}
    if schedule != "constant" or warmup_steps:
        if num_steps is None:
            raise ValueError(f"num_steps is needed for a {schedule!r} schedule or a warm-up")
        settings["lr_scheduler"] = lr_schedule(schedule, lr, num_steps, warmup_steps)
    return gluon.Trainer(net.collect_params(), optimizer, settings)


def clip_gradients(grads: Sequence[np.ndarray], max_norm: float) -> np.ndarray:
    """Rescale ``grads`` in place so that their joint L2 norm is at most ``max_norm``.

    Returns the norm before clipping as an MXNet scalar; nothing waits for
    its value, so clipping costs no host synchronization.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm!r}")
    norm = np.sqrt(sum((g ** 2).sum() for g in grads))
    scale = np.minimum(1.0, max_norm / (norm + 1e-12))
    for g in grads:
        g[:] = g * scale
    return norm


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

    def __init__(self, num_epochs: int, title: str | None = None):
        self.num_epochs, self.title = positive_int("num_epochs", num_epochs), title

    def epoch_end(self, epoch: int, record: dict[str, float]) -> None:
        done = round(20 * epoch / self.num_epochs)
        prefix = f"{self.title}: " if self.title else ""
        print(f"{prefix}[{'#' * done}{'.' * (20 - done)}] epoch {epoch}/{self.num_epochs}: {format_metrics(record)} "
              f"({record['seconds']:.1f} s)", flush=True)

    def end(self, history: History) -> None:
        print(history.summary(), flush=True)


def default_observer(num_epochs: int, title: str | None = None,
                     series: Sequence[str] = ("train loss", "train acc", "test acc")) -> Observer:
    """A live plot of ``series`` in Jupyter, a progress line elsewhere."""
    if plot.in_notebook():
        return plot.TrainingPlot(num_epochs, series=series, title=title)
    return ProgressLine(num_epochs, title)


class Loop:
    """Train a model minibatch by minibatch: forward, loss, backward, clip, update.

    * ``net(X)`` returns the outputs; when ``begin_state`` is given, the net
      is called as ``net(X, state)`` and returns ``(outputs, state)``, and
      the state is created by ``begin_state(batch_size)`` (for language
      models). With ``carry_state`` the state of one minibatch starts the
      next (sequential sampling), detached so that gradients stop at the
      minibatch boundary; otherwise each minibatch starts afresh. Every
      epoch starts afresh: its first minibatch need not continue the last
      one of the previous epoch.
    * ``loss(outputs, y)`` returns one value per example (or per token), not
      their mean; the updater is told how many there were.
    * ``updater`` is a Gluon ``Trainer`` or a function of that count that
      updates the parameters from their gradients (``scheduled_sgd``).
    * ``clip_norm`` clips the gradient of the mean loss to that L2 norm:
      the gradients of a ``ScheduledSGD``'s ``params``, or else of the
      parameters of ``net``, a Gluon block. After each step, ``grad_norm`` holds that
      gradient's norm before clipping, as an MXNet scalar (``clip_norm=inf``
      measures it without ever clipping).
    * ``compute_gradients(X, y)``, when given, replaces the forward and
      backward passes: it returns ``(outputs, loss values)`` and leaves the
      gradients where the updater reads them (chapter 3 derives them by hand).
      Without it, ``net`` and ``loss`` are required.
    * ``accuracy`` adds ``train acc`` to each epoch's record, ``perplexity``
      adds ``train ppl``, the exponential of the mean loss.

    ``step`` trains on one minibatch, ``epoch`` on all of them, ``fit`` for
    several epochs with evaluation and observers.
    """

    def __init__(self, net: Callable | None, loss: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
                 updater: Updater, *, accuracy: bool = False, perplexity: bool = False,
                 clip_norm: float | None = None, begin_state: Callable[[int], Any] | None = None,
                 carry_state: bool = True,
                 compute_gradients: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None):
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
        self.net, self.loss, self.updater = net, loss, updater
        self._update = updater.step if isinstance(updater, gluon.Trainer) else updater
        self.accuracy, self.perplexity, self.clip_norm = accuracy, perplexity, clip_norm
        self.begin_state, self.carry_state = begin_state, carry_state
        self.compute_gradients = compute_gradients or self.autograd_gradients
        self.state: Any = None
        self.grad_norm: np.ndarray | None = None
        self._state_rows = 0  # the batch size the state was made for
        self._reset_sums()

    def _reset_sums(self) -> None:
        self._loss_sum, self._correct, self._count, self._examples = np.zeros(()), np.zeros(()), 0, 0

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
            return [p.grad() for p in self.net.collect_params().values() if p.grad_req != "null"]
        raise ValueError(f"net must be a Gluon Block when the updater is a {type(self.updater).__name__}, "
                         f"to read its parameters' gradients; got {self.net!r}")

    def step(self, X: np.ndarray, y: np.ndarray) -> None:
        """Train on one minibatch and add its loss (and correct predictions) to the epoch's sums."""
        outputs, values = self.compute_gradients(X, y)
        if values.ndim == 0:
            raise ValueError("loss must return one value per example (or per token), not their mean")
        if self.clip_norm is not None:  # the gradient of the sum is values.size times the mean's
            self.grad_norm = clip_gradients(self.gradients(), self.clip_norm * values.size) / values.size
        self._update(values.size)
        self._loss_sum = self._loss_sum + values.sum()
        self._count += values.size
        self._examples += X.shape[0]
        if self.accuracy:
            self._correct = self._correct + correct_count(outputs, y)

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

        ``batches`` is walked once per epoch, so it must start over each
        time (a list, or an object such as ``data.ArrayLoader``); a one-shot
        iterator (a generator) is refused, since it would be empty after
        the first epoch.
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

    With ``show`` a live plot (in Jupyter) or a progress line (elsewhere)
    follows training. Returns the history: ``history["test acc"][-1]`` is
    the final test accuracy; training throughput excludes evaluation.
    """
    positive_int("num_epochs", num_epochs)
    observers = [default_observer(num_epochs, title)] if show else []
    return Loop(net, loss, updater, accuracy=True).fit(
        train_iter, num_epochs, evaluate=lambda: {"test acc": evaluate_accuracy(net, test_iter)},
        observers=observers)
