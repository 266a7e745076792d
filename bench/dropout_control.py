"""Chapter 2's dropout control: the Gluon MLP with and without dropout on all 60,000 training images, at three seeds.

Usage, from the repository's root: python -m bench.dropout_control [--seeds N ...] [--out DIR]

Section 2.5 trains its dropout MLP from scratch on the 60,000 Fashion-MNIST
training images and asks whether dropout helps there. One pair of runs cannot
answer that, so the answer is measured here: for each seed, the chapter's
Gluon network (``dropout_net``) with dropout 0.2 in both hidden layers and
without dropout, both from the same initial weights and on the same
minibatches, with the chapter's recipe (minibatches of 256, 16 epochs, SGD
with a cosine schedule from 0.5). For each pair it reports the test
accuracies, their difference with its paired standard error (the chapter's
``paired_comparison``), and the accuracy on the training images with dropout
off, whose gap to the test accuracy measures the overfitting.

It runs the chapter's own code: the cells that define the data, the recipe,
``dropout_net`` and ``paired_comparison`` are read from
``chapters/02_overfitting.ipynb`` by their ids and executed here. A full run
(about 2 minutes on 2 cores) writes ``bench/dropout_control.md`` and
``.json``; other seeds write only where ``--out`` says. Set
``D2L_DATA_MIRROR`` when offline; run it on an idle machine.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import d2lhelpers  # noqa: F401  (sets the thread count before MXNet loads)
from bench import report as report_module
from bench.chapters import cells_namespace

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "02_overfitting.ipynb"
CELLS = {  # id -> what the cell defines, in the chapter's order
    "c001": "imports, the seed and the device",
    "c031": "dropout(H, p), from scratch",
    "c035": "the network's sizes and dropout rates, the network from scratch",
    "c036": "the data",
    "c038r": "the recipe: minibatches, epochs, learning rate, loss",
    "c041": "dropout_net(p1, p2), the Gluon MLP",
    "4c7c5cf9": "paired_comparison",
}
SEEDS = (1, 101, 202)  # the chapter's default seed and the two others of bench/seeds-02_overfitting.md
RATES = (0.2, 0.0)  # the chapter's dropout, and none


def chapter_code(cell_ids=tuple(CELLS)) -> dict:
    """The chapter's cells ``cell_ids`` executed in order in a fresh namespace."""
    return cells_namespace(CHAPTER, cell_ids, "bench.dropout_control.CELLS")


def train_pair(seed: int, chapter: dict) -> dict:
    """Train the chapter's Gluon MLP with and without dropout from the seed's draws; the pair's results."""
    import mxnet as mx
    import numpy

    from d2lhelpers import data, optim, train

    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    fashion, train_iter = chapter["fashion"], chapter["train_iter"]
    full_train = data.ArrayLoader(fashion.train_images, fashion.train_labels, 1000)
    runs, right = {}, {}
    for p in RATES:
        mx.random.seed(seed)  # the same initial weights ...
        numpy.random.seed(seed)  # ... and minibatches for both
        net = chapter["dropout_net"](p, p)
        trainer = optim.make_trainer(net, "sgd", lr=chapter["lr"], num_steps=chapter["num_epochs"] * len(train_iter),
                                     schedule="cosine")
        history = train.Loop(net, chapter["loss"], trainer).fit(train_iter, chapter["num_epochs"])
        right[p] = (net(fashion.test_images).argmax(axis=1).astype("int32") == fashion.test_labels).asnumpy()
        runs[p] = {"test_acc": float(right[p].mean()), "train_acc": train.evaluate_accuracy(net, full_train),
                   "seconds": history.seconds}
    a_only, b_only, difference, paired_se, _ = chapter["paired_comparison"](right[RATES[0]], right[RATES[1]])
    return {"dropout": runs[RATES[0]], "none": runs[RATES[1]], "difference": difference, "paired_se": paired_se,
            "right_only_with_dropout": a_only, "right_only_without": b_only}


def markdown(results: dict) -> str:
    """The report: one row per seed and network."""
    lines = ["# Chapter 2: does dropout help on all 60,000 training images?", "",
             f"Written by `python -m bench.dropout_control` on {results['date']}, {results['cpus']} CPUs. "
             "For each seed, chapter 2's Gluon MLP (300 and 100 ReLU units) with dropout 0.2 in both hidden "
             "layers and without dropout, from the same initial weights and on the same minibatches, with the "
             "chapter's recipe (minibatches of 256, 16 epochs, SGD with a cosine schedule from 0.5). Training "
             "accuracy: on the 60,000 training images with dropout off. Difference: test accuracy with dropout "
             "minus without, on the same 10,000 test images, in paired standard errors (section 2.5).", "",
             "| seed | dropout | test accuracy | training accuracy | gap | difference | paired standard errors | "
             "seconds |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for seed, pair in results["seeds"].items():
        for key, label in (("dropout", "0.2"), ("none", "none")):
            run = pair[key]
            comparison = (f"{pair['difference']:+.4f} | {pair['difference'] / pair['paired_se']:+.1f}"
                          if key == "dropout" else " | ")
            lines.append(f"| {seed} | {label} | {run['test_acc']:.4f} | {run['train_acc']:.4f} | "
                         f"{run['train_acc'] - run['test_acc']:.4f} | {comparison} | {run['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dropout_control", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS), metavar="N",
                        help=f"seeds to run (default: {' '.join(map(str, SEEDS))})")
    parser.add_argument("--out", type=Path, help="folder for dropout_control.md and .json (default: bench/, for "
                                                 "the default seeds only)")
    args = parser.parse_args(argv)
    out = args.out or (ROOT / "bench" if args.seeds == list(SEEDS) else None)
    chapter = chapter_code()
    results = {"date": time.strftime("%Y-%m-%d"), "cpus": chapter["runtime"].usable_cpus(), "seeds": {}}
    for k, seed in enumerate(args.seeds, 1):
        print(f"[{k}/{len(args.seeds)}] seed {seed}: dropout 0.2, then none", flush=True)
        pair = train_pair(seed, chapter)
        results["seeds"][str(seed)] = pair
        print(f"    test accuracy {pair['dropout']['test_acc']:.4f} with dropout, {pair['none']['test_acc']:.4f} "
              f"without", flush=True)
    report_module.write_study(out, "dropout_control", results, markdown(results))


if __name__ == "__main__":
    main()
