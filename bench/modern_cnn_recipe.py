"""Chapter 5's recipe: the validation runs behind its peak learning rates and dropout rates.

Usage, from the repository's root: python -m bench.modern_cnn_recipe [--variants NAME ...] [--out DIR]

Every network of chapter 5 trains with one recipe (section 5.1: Adam with a
warm-up and a cosine schedule, four epochs on 55,000 images with random
flips). The chapter gives AlexNet a peak rate of 0.003 and the networks with
batch normalization 0.01, AlexNet's dense layers dropout 0.5 and VGG's 0.2.
This script trains AlexNet and VGG with each of those choices and its
neighbours, one change at a time, at the chapter's default seed, and reports
the validation accuracy on the 5,000 held-out training images: the final one
(what the chapter's curves end at) and the best after any half epoch.

It runs the chapter's own code. The cells that define the data, the recipe
(``fit``) and the two networks are read from ``chapters/05_modern_cnn.ipynb``
by their ids and executed here, so these runs cannot drift from the chapter;
only the test set is left out (``fit``'s "test accuracy nan" line says so),
since choices are made on validation images. A full run (about 8 minutes on 2
cores) writes ``bench/modern_cnn_recipe.md`` and ``.json``; a partial run
writes only where ``--out`` says. Set ``D2L_DATA_MIRROR`` when offline; run it
on an idle machine.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import d2lhelpers  # noqa: F401  (sets the thread count before MXNet loads)
from bench import report as report_module

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "05_modern_cnn.ipynb"
CELLS = {  # id -> what the cell defines, in the chapter's order
    "f3937536": "imports, the seed and the device",
    "d6f849b9": "the data and the augmentations",
    "6cf23d4f": "the recipe: fit, the flipped minibatches and the validation images",
    "61d75819": "alexnet()",
    "b7804c02": "conv_bn, the convolution with batch normalization",
    "37cd423f": "vgg()",
}
VGG = [(1, 16), (2, 32), (2, 64)]  # the chapter's VGG
VARIANTS: dict[str, tuple[str, float, float, str]] = {  # name -> (network, peak rate, dropout, what it is)
    "alexnet": ("alexnet", 0.003, 0.5, "the chapter's AlexNet"),
    "alexnet-lr-0.001": ("alexnet", 0.001, 0.5, "peak rate 0.001 instead of 0.003"),
    "alexnet-lr-0.01": ("alexnet", 0.01, 0.5, "peak rate 0.01 instead of 0.003"),
    "alexnet-dropout-0.2": ("alexnet", 0.003, 0.2, "dropout 0.2 instead of 0.5"),
    "vgg": ("vgg", 0.01, 0.2, "the chapter's VGG"),
    "vgg-lr-0.003": ("vgg", 0.003, 0.2, "peak rate 0.003 instead of 0.01"),
    "vgg-lr-0.03": ("vgg", 0.03, 0.2, "peak rate 0.03 instead of 0.01"),
    "vgg-dropout-0.5": ("vgg", 0.01, 0.5, "dropout 0.5 instead of 0.2"),
}


def chapter_code(cell_ids=tuple(CELLS)) -> dict:
    """The chapter's cells ``cell_ids`` executed in order in a fresh namespace, with the test set left out."""
    from bench.chapters import cells_namespace

    namespace = cells_namespace(CHAPTER, cell_ids, "bench.modern_cnn_recipe.CELLS")
    namespace["test_accuracy"] = lambda net: (math.nan, math.nan)  # choices are made on validation images only
    return namespace


def with_dropout(net, rate: float):
    """A copy of the sequential ``net`` (not yet initialized) with every top-level dropout layer at ``rate``."""
    from mxnet.gluon import nn

    if not 0 <= rate < 1:
        raise ValueError(f"rate must be in [0, 1), got {rate}")
    copy = nn.HybridSequential()
    for block in net:
        copy.add(nn.Dropout(rate) if isinstance(block, nn.Dropout) else block)
    return copy


def train_variant(name: str, chapter: dict) -> dict:
    """Train variant ``name`` with the chapter's ``fit``; its validation accuracies, loss and seconds."""
    import mxnet as mx
    import numpy
    from mxnet import init

    if name not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {name!r}")
    network, lr, dropout, _ = VARIANTS[name]
    mx.random.seed(chapter["SEED"])  # every variant starts from the same draws
    numpy.random.seed(chapter["SEED"])
    net = with_dropout(chapter["alexnet"]() if network == "alexnet" else chapter["vgg"](VGG), dropout)
    net.initialize(init.Xavier(), ctx=chapter["device"])
    history = chapter["fit"](name, net, lr=lr)["history"]
    return {"network": network, "lr": lr, "dropout": dropout, "val_acc": history["val acc"][-1],
            "best_val_acc": max(history["val acc"]), "train_loss": history["train loss"][-1],
            "seconds": history.seconds}


def markdown(results: dict) -> str:
    """The report: one row per variant, the chapter's choices first."""
    lines = ["# Chapter 5's recipe: peak learning rates and dropout, one change at a time", "",
             f"Written by `python -m bench.modern_cnn_recipe` on {results['date']}, seed {results['seed']}, "
             f"{results['cpus']} CPUs, one run per variant. Each trains with chapter 5's own `fit` (Adam, warm-up "
             "and cosine schedule, 4 epochs on 55,000 flipped images). Validation accuracy is measured on the "
             "5,000 held-out training images after every half epoch: 'final' after the last, 'best' the highest. "
             "The test set is not used.", "",
             "| variant | network | what changed | peak rate | dropout | final validation accuracy | best | "
             "final training loss | seconds |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in results["variants"].items():
        lines.append(f"| {name} | {row['network']} | {VARIANTS[name][3]} | {row['lr']:g} | {row['dropout']:g} | "
                     f"{row['val_acc']:.4f} | {row['best_val_acc']:.4f} | {row['train_loss']:.3f} | "
                     f"{row['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.modern_cnn_recipe", description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="NAME",
                        help=f"among {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--out", type=Path, help="folder for modern_cnn_recipe.md and .json (default: bench/, "
                                                 "for a full run only)")
    args = parser.parse_args(argv)
    full = args.variants == list(VARIANTS)
    out = args.out or (ROOT / "bench" if full else None)
    chapter = chapter_code()
    results = {"date": time.strftime("%Y-%m-%d"), "seed": chapter["SEED"], "cpus": chapter["runtime"].usable_cpus(),
               "variants": {}}
    for k, name in enumerate(args.variants, 1):
        print(f"[{k}/{len(args.variants)}] {name}: {VARIANTS[name][3]}", flush=True)
        row = train_variant(name, chapter)
        results["variants"][name] = row
        print(f"    validation accuracy {row['val_acc']:.4f} in {row['seconds']:.0f} s", flush=True)
    report = markdown(results)
    report_module.write_study(out, "modern_cnn_recipe", results, report)


if __name__ == "__main__":
    main()
