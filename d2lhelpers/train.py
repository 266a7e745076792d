"""Metrics and the training loop for classifiers.

The loop keeps its running sums (loss, correct predictions) as MXNet arrays
and reads them back once per epoch: converting a value to a Python number
after every batch would make the CPU wait for MXNet's asynchronous engine
at every step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from d2l import mxnet as d2l
from mxnet import autograd, gluon, np

from d2lhelpers.plot import TrainingPlot

Batches = Iterable[tuple[np.ndarray, np.ndarray]]

# d2l's timer is right for the job: start(), stop(), sum(), avg(), cumsum().
Timer = d2l.Timer


def sgd(params: list[np.ndarray], lr: float, batch_size: int) -> None:
    """Minibatch stochastic gradient descent: p -= lr * grad / batch_size, in place."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def correct_count(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Number of correct predictions, as an MXNet scalar (no host synchronisation).

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


Updater = gluon.Trainer | Callable[[int], None]


def train_epoch(net: Callable[[np.ndarray], np.ndarray], batches: Batches,
                loss: Callable[[np.ndarray, np.ndarray], np.ndarray],
                updater: Updater) -> tuple[float, float, int]:
    """One pass over ``batches``; returns (mean loss, training accuracy, examples seen).

    ``loss`` must return one value per example. ``updater`` is a Gluon
    ``Trainer`` or any function that takes the batch size and updates the
    parameters from their gradients (such as ``lambda n: sgd(params, lr, n)``).
    """
    step = updater.step if isinstance(updater, gluon.Trainer) else updater
    total_loss, correct, n = np.zeros(()), np.zeros(()), 0
    for X, y in batches:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        if l.shape != (X.shape[0],):
            raise ValueError(f"loss must return one value per example, shape ({X.shape[0]},); "
                             f"got {l.shape}")
        l.backward()
        step(X.shape[0])
        total_loss = total_loss + l.sum()
        correct = correct + correct_count(y_hat, y)
        n += X.shape[0]
    if n == 0:
        raise ValueError("batches must yield at least one example")
    return total_loss.item() / n, correct.item() / n, n


@dataclass
class History:
    """Per-epoch results of ``train_classifier``."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    examples_per_second: float = 0.0


def train_classifier(net: Callable[[np.ndarray], np.ndarray], train_iter: Batches, test_iter: Batches,
                     loss: Callable[[np.ndarray, np.ndarray], np.ndarray], num_epochs: int,
                     updater: Updater, title: str | None = None) -> History:
    """Train ``net`` for ``num_epochs``, showing loss and accuracies as it goes.

    In Jupyter a live plot is redrawn after every epoch and one static
    figure remains; elsewhere a progress line is printed per epoch. Returns
    the per-epoch history; training throughput excludes evaluation.
    """
    if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive int, got {num_epochs!r}")
    history, timer, examples = History(), Timer(), 0
    board = TrainingPlot(num_epochs, title=title)
    for epoch in range(1, num_epochs + 1):
        timer.start()
        train_loss, train_acc, n = train_epoch(net, train_iter, loss, updater)
        history.seconds.append(timer.stop())
        examples += n
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.test_acc.append(evaluate_accuracy(net, test_iter))
        board.update(epoch, train_loss, train_acc, history.test_acc[-1], history.seconds[-1])
    history.examples_per_second = examples / sum(history.seconds)
    board.close(f"loss {history.train_loss[-1]:.3f}, train acc {history.train_acc[-1]:.3f}, "
                f"test acc {history.test_acc[-1]:.3f}; {history.examples_per_second:,.0f} "
                f"examples/s over {sum(history.seconds):.1f} s")
    return history
