"""Micro-benchmarks of the training loop: examples/s of three loops on the same model and data.

For each model of ``bench.nets``, on the first examples of Fashion-MNIST's
training set, one epoch of:

* ``bare``: a bare forward/backward/update loop over the book's in-memory
  minibatches (``d2lhelpers.data.ArrayLoader``), nothing else;
* ``book``: the book's loop, ``d2lhelpers.train.Loop.epoch`` with training
  accuracy, on the same minibatches;
* ``d2l``: d2l 1.0.3's own loop and data loader (see ``bench.d2l_loop``);
* ``feed``: only the minibatches, no model, to show what feeding data costs.

Every loop trains its own copy of the model, hybridized, with SGD at the
same learning rate. The variants run in alternating rounds and each is
summarized by its median epoch time.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mxnet import autograd, gluon
from mxnet.gluon import nn

from bench import d2l_loop, nets
from d2lhelpers import data, models, timing, train
from d2lhelpers.checks import positive_int

EXAMPLE_SHAPE = (1, 28, 28)
LEARNING_RATE = 0.1
DEFAULT_BATCHES = {"MLP": 100, "LeNet": 40, "ResNet": 10}  # minibatches of 256 per timed epoch
TRAINING_VARIANTS = ("bare", "book", "d2l")


@dataclass
class MicroResult:
    """The epoch times of every variant on one model, and what follows from them."""

    model: str
    description: str
    batch_size: int
    num_examples: int
    forward_flops: int
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def median_seconds(self, variant: str) -> float:
        if variant not in self.seconds:
            raise ValueError(f"variant must be one of {sorted(self.seconds)}, got {variant!r}")
        return timing.median(self.seconds[variant])

    def examples_per_second(self, variant: str) -> float:
        """Examples per second of ``variant`` at its median epoch time."""
        return self.num_examples / self.median_seconds(variant)

    def ratio(self, variant: str, reference: str) -> float:
        """Examples/s of ``variant`` over those of ``reference`` (above 1: ``variant`` is faster)."""
        return self.median_seconds(reference) / self.median_seconds(variant)

    def gflops(self, variant: str) -> float:
        """Training GFLOP/s ``variant`` reached (3 forward passes' worth of FLOPs per example)."""
        return models.gflops(self.forward_flops, self.examples_per_second(variant))

    def to_dict(self, gemm_gflops: float | None = None) -> dict:
        """Every figure, for results.json; with ``gemm_gflops``, also each loop's fraction of that peak."""
        variants = [v for v in TRAINING_VARIANTS if v in self.seconds]
        summary = {
            "model": self.model, "description": self.description, "batch_size": self.batch_size,
            "examples_per_epoch": self.num_examples, "forward_mflops_per_example": self.forward_flops / 1e6,
            "seconds": self.seconds,
            "median_seconds": {v: self.median_seconds(v) for v in self.seconds},
            "examples_per_second": {v: self.examples_per_second(v) for v in variants},
            "gflops": {v: self.gflops(v) for v in variants},
        }
        if "bare" in self.seconds and "book" in self.seconds:
            summary["book_over_bare"] = self.ratio("book", "bare")
        if "d2l" in self.seconds and "book" in self.seconds:
            summary["book_over_d2l"] = self.ratio("book", "d2l")
        if "feed" in self.seconds and "bare" in self.seconds:
            summary["feed_share_of_bare"] = self.median_seconds("feed") / self.median_seconds("bare")
        if gemm_gflops:
            summary["fraction_of_gemm_peak"] = {v: self.gflops(v) / gemm_gflops for v in variants}
        return summary


def hybridized(net: nn.HybridBlock) -> nn.HybridBlock:
    net.hybridize()
    return net


def sgd(net: nn.Block) -> gluon.Trainer:
    return gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LEARNING_RATE})


def bare_epoch(net: nn.Block, loss: gluon.loss.Loss, trainer: gluon.Trainer,
               batches: data.ArrayLoader) -> Callable[[], None]:
    """One epoch of forward, loss, backward and update, and nothing else."""
    def epoch() -> None:
        for X, y in batches:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(X.shape[0])
    return epoch


def feed_epoch(batches: data.ArrayLoader) -> Callable[[], None]:
    """One pass over the minibatches that only waits for each to be gathered."""
    def epoch() -> None:
        for X, _ in batches:
            X.wait_to_read()
    return epoch


def run_model(name: str, fashion: data.FashionMNIST, batches: int, rounds: int, batch_size: int = 256,
              with_d2l: bool = True, progress: Callable[[str], None] = print) -> MicroResult:
    """Time every variant on the model ``name`` over ``batches`` minibatches of the training set."""
    positive_int("batches", batches)
    num_examples = min(batches * batch_size, fashion.train_images.shape[0])
    images, labels = fashion.train_images[:num_examples], fashion.train_labels[:num_examples]
    loader = data.ArrayLoader(images, labels, batch_size, shuffle=True)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    result = MicroResult(name, nets.MODELS[name][1], batch_size, num_examples,
                         models.forward_flops(nets.make(name), EXAMPLE_SHAPE))
    bare_net, book_net = hybridized(nets.make(name)), hybridized(nets.make(name))
    book_loop = train.Loop(book_net, loss, sgd(book_net), accuracy=True)
    variants = {"feed": feed_epoch(loader), "bare": bare_epoch(bare_net, loss, sgd(bare_net), loader),
                "book": lambda: book_loop.epoch(loader)}
    if with_d2l:
        variants["d2l"] = d2l_loop.epoch_function(hybridized(nets.make(name)), LEARNING_RATE, num_examples,
                                                  batch_size)
    progress(f"{name}: warm-up round, then {rounds} timed rounds of {', '.join(variants)} "
             f"({num_examples:,} examples each)")
    result.seconds = timing.alternating(
        variants, rounds, on_round=lambda r: progress(f"{name}: round {r}/{rounds}"))
    return result
