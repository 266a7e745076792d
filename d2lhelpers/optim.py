"""Updaters, learning-rate schedules and gradient clipping for the book's models.

``sgd`` is the update chapter 1 derives; ``ScheduledSGD`` applies it with a
schedule to from-scratch parameters; ``make_trainer`` builds a Gluon
``Trainer`` with the same schedules; ``clip_gradients`` rescales gradients
to a maximal norm (chapter 6). ``train.Loop`` takes any of these updaters and
clips through ``clip_gradients``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mxnet as mx
from mxnet import gluon, np

from d2lhelpers.checks import non_negative_int, positive_int


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
