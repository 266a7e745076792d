"""Benchmark: data feeding and the book's training loop against a bare loop.

Prints, for the Gluon MLP of chapter 1 on Fashion-MNIST (batch 256):
* the time of one shuffled pass over the training set that only feeds data,
  as a share of a bare MLP epoch (target: under 10%);
* examples/s of a bare forward/backward/update loop and of
  ``train.Loop.epoch`` with accuracy (target: the book's loop keeps at least 90%).

Run with ``make bench`` (set D2L_DATA_MIRROR when offline).
"""
import d2lhelpers  # noqa: F401  (sets OMP_NUM_THREADS before MXNet loads)
from d2lhelpers import runtime

runtime.set_seed(0)
import statistics  # noqa: E402
import time  # noqa: E402

from mxnet import autograd, gluon, init, npx  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

from d2lhelpers import data, train  # noqa: E402

ROUNDS = 5


def mlp() -> tuple[nn.HybridSequential, gluon.Trainer]:
    net = nn.HybridSequential()
    net.add(nn.Flatten(), nn.Dense(256, activation="relu"), nn.Dense(10))
    net.initialize(init.Normal(0.01))
    net.hybridize()
    return net, gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})


def seconds(epoch_fn) -> float:
    """Wall time of one call of ``epoch_fn``, including the work MXNet queued."""
    start = time.perf_counter()
    epoch_fn()
    npx.waitall()
    return time.perf_counter() - start


def medians(*epoch_fns) -> list[float]:
    """Median epoch time of each function, run in alternation after one warm-up round.

    Alternating rounds spreads machine noise (another process, frequency
    changes) evenly over the variants being compared.
    """
    for fn in epoch_fns:
        seconds(fn)
    times = [[seconds(fn) for fn in epoch_fns] for _ in range(ROUNDS)]
    return [statistics.median(column) for column in zip(*times, strict=True)]


def main() -> None:
    fashion = data.load_fashion_mnist()
    train_iter, _ = data.fashion_mnist_loaders(256, fashion)
    n = fashion.train_images.shape[0]
    loss = gluon.loss.SoftmaxCrossEntropyLoss()

    def feed_only():
        for X, _ in train_iter:
            X.wait_to_read()

    bare_net, bare_trainer = mlp()

    def bare():
        for X, y in train_iter:
            with autograd.record():
                l = loss(bare_net(X), y)
            l.backward()
            bare_trainer.step(X.shape[0])

    net, trainer = mlp()
    loop = train.Loop(net, loss, trainer, accuracy=True)
    feed, bare_s, book_s = medians(feed_only, bare, lambda: loop.epoch(train_iter))
    print(f"threads (OMP_NUM_THREADS): {runtime.configure_threads()}; median of {ROUNDS} epochs each")
    print(f"data feeding, one epoch:   {feed:.3f} s = {100 * feed / bare_s:.1f}% of a bare MLP epoch (target < 10%)")
    print(f"bare loop:                 {n / bare_s:,.0f} examples/s ({bare_s:.2f} s/epoch)")
    print(f"train.Loop.epoch:          {n / book_s:,.0f} examples/s ({book_s:.2f} s/epoch), "
          f"{100 * bare_s / book_s:.0f}% of the bare loop (target >= 90%)")


if __name__ == "__main__":
    main()
