"""One timed epoch of the modernized LeNet, run in a subprocess by the thread-policy benchmark.

Usage: python -m bench.lenet_epoch [--batches N] [--batch-size B]

Trains chapter 4's modernized LeNet (hybridized, SGD, the book's loop) for one
epoch over the first N minibatches of Fashion-MNIST, after a short untimed
warm-up, and prints one JSON line: ``{"examples_per_second": ...,
"seconds": ..., "examples": ..., "omp_num_threads": ...}``. The parent
process chooses ``OMP_NUM_THREADS`` and any OpenMP wait policy through this
process's environment, since MXNet reads them once, when it loads.
"""
from __future__ import annotations

import argparse
import json
import os

from mxnet import gluon, npx

from bench import nets
from d2lhelpers import data, runtime, timing, train

WARMUP_BATCHES = 3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="minibatches in the timed epoch")
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)
    if args.batches < 1 or args.batch_size < 1:
        parser.error("--batches and --batch-size must be positive")
    npx.set_np()
    runtime.set_seed(0)
    fashion = data.load_fashion_mnist()
    n = min(args.batches * args.batch_size, fashion.train_images.shape[0])
    warmup = data.ArrayLoader(fashion.train_images[:WARMUP_BATCHES * args.batch_size],
                              fashion.train_labels[:WARMUP_BATCHES * args.batch_size], args.batch_size)
    batches = data.ArrayLoader(fashion.train_images[:n], fashion.train_labels[:n], args.batch_size, shuffle=True)
    net = nets.lenet()
    net.hybridize()
    loop = train.Loop(net, gluon.loss.SoftmaxCrossEntropyLoss(),
                      gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}), accuracy=True)
    loop.epoch(warmup)
    seconds = timing.seconds(lambda: loop.epoch(batches))
    print(json.dumps({"examples_per_second": n / seconds, "seconds": seconds, "examples": n,
                      "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}), flush=True)


if __name__ == "__main__":
    main()
