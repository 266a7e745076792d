"""d2l 1.0.3's own MXNet training loop and data loader, set up to be timed one epoch at a time.

d2l 1.0 has no ``train_ch6`` any more: a model is a ``d2l.Classifier``
(a Gluon Block with ``training_step`` and ``configure_optimizers``), the data a
``d2l.FashionMNIST`` (Gluon's FashionMNIST data set, resized and converted to
tensors per example, read by a ``gluon.data.DataLoader`` with 4 worker
processes), and ``d2l.Trainer.fit`` runs ``fit_epoch`` once per epoch. This
module runs exactly that code, with four differences, each needed to time it
offline on the same model and data as the book's loop:

* Gluon's FashionMNIST downloads its files and checks them against the SHA-1
  of an older release, which the official files no longer match. While the
  data set is built, its ``download`` is replaced by
  ``d2lhelpers.data.fetch``, which returns the verified file from the cache
  or the mirror. Gluon's own code still parses the files.
* The training set is cut to its first ``num_examples`` examples
  (``Dataset.take``), like the other loops' data.
* The loader's worker processes hand out batches in shared memory
  (``cpu_shared(0)``), which a hybridized network refuses as input, so
  ``prepare_batch`` copies each batch to ``cpu(0)``, as d2l's own
  ``prepare_batch`` does for a GPU.
* Only training is timed: the trainer has no validation loader, and the
  model's ``ProgressBoard`` keeps its points (one host synchronization per
  minibatch, as in d2l) without drawing them (``display=False``), as the
  book's loop is timed without its live plot.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import mxnet as mx
from d2l import mxnet as d2l
from mxnet.gluon import nn
from mxnet.gluon.data.vision import datasets

from d2lhelpers import data
from d2lhelpers.checks import positive_int


def fetch_for_gluon(url: str, path: str | None = None, sha1_hash: str | None = None, **kwargs) -> str:
    """Stands in for ``mxnet.gluon.utils.download``: the verified local copy of the file ``url`` names."""
    return str(data.fetch(f"fashion-mnist/{url.rsplit('/', 1)[-1]}"))


@contextlib.contextmanager
def gluon_reads_verified_files() -> Iterator[None]:
    """While active, Gluon's vision data sets read Fashion-MNIST through ``d2lhelpers.data.fetch``."""
    original = datasets.download
    datasets.download = fetch_for_gluon
    try:
        yield
    finally:
        datasets.download = original


class Classifier(d2l.Classifier):
    """A d2l classifier around a given network, trained by minibatch SGD at rate ``lr`` (d2l's default optimizer)."""

    def __init__(self, net: nn.Block, lr: float):
        super().__init__()
        self.save_hyperparameters()


class CPUTrainer(d2l.Trainer):
    """d2l's Trainer, copying each minibatch from the loader's shared memory to ``cpu(0)``."""

    def prepare_batch(self, batch):
        return [a.as_in_ctx(mx.cpu()) for a in batch]


def epoch_function(net: nn.Block, lr: float, num_examples: int, batch_size: int) -> Callable[[], None]:
    """A function that trains ``net`` for one epoch with d2l's loop and loader on the first ``num_examples``."""
    positive_int("num_examples", num_examples)
    positive_int("batch_size", batch_size)
    with gluon_reads_verified_files():
        fashion = d2l.FashionMNIST(batch_size=batch_size)
    fashion.train = fashion.train.take(num_examples)
    model = Classifier(net, lr)
    model.board.display = False
    trainer = CPUTrainer(max_epochs=1)
    # What d2l.Trainer.fit does before its loop over epochs, and no validation.
    trainer.prepare_data(fashion)
    trainer.val_dataloader = None
    trainer.prepare_model(model)
    trainer.optim = model.configure_optimizers()
    trainer.epoch = trainer.train_batch_idx = trainer.val_batch_idx = 0
    return trainer.fit_epoch
