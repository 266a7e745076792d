"""Chapter 6's recurrent cells compared at their best learning rates, at three seeds.

Usage, from the repository's root: python -m bench.rnn_cells [--cells NAME ...] [--rates R ...] [--seeds S ...]
       [--out DIR]

Sections 6.6 to 6.9 train Gluon's RNN (ReLU and tanh), GRU and LSTM with
256 hidden units the same way (SGD on a cosine schedule, clipping at 1,
five epochs of the chapter's 32 x 32 sequential minibatches, the chapter's
initialization), but each at one learning rate, from one seed. Here each
cell trains at every rate of a small grid and at three seeds, and the report
gives each cell's validation perplexity at every rate (median, minimum and
maximum over the seeds) and at its best rate (the rate with the lowest
median), so that section 6.11's comparison of the cells rests on more than
one run at one rate. A full run (about 6 minutes on 2 cores) writes
``bench/rnn_cells.md`` and ``.json``; a partial run writes only where
``--out`` says. Set ``D2L_DATA_MIRROR`` when offline; run it on an idle machine.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import d2lhelpers  # noqa: F401  (sets the thread count before MXNet loads)
from bench import report as report_module
from d2lhelpers import optim, runtime, text, train

ROOT = Path(__file__).resolve().parent.parent
CELLS = {  # name -> (Gluon layer, its options)
    "RNN (ReLU)": ("RNN", {"activation": "relu"}),
    "RNN (tanh)": ("RNN", {"activation": "tanh"}),
    "GRU": ("GRU", {}),
    "LSTM": ("LSTM", {}),
}
RATES = (1.0, 2.0, 4.0, 8.0)
SEEDS = (6, 101, 202)  # chapter 6's default seed and the benchmark's two others


def train_cell(cell: str, lr: float, seed: int, vocab, train_corpus, val_corpus, num_hiddens: int = 256,
               epochs: int = 5) -> dict:
    """Train one cell as sections 6.6 to 6.9 do (their ``gluon_model`` and ``train_language_model``)."""
    import mxnet as mx
    import numpy
    from mxnet import init, npx
    from mxnet.gluon import rnn

    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    npx.set_np()
    mx.random.seed(seed)  # the seed itself (runtime.set_seed would prefer $D2L_SEED)
    numpy.random.seed(seed)
    layer_name, options = CELLS[cell]
    layer = getattr(rnn, layer_name)(num_hiddens, i2h_weight_initializer=init.Normal(1.0),
                                     h2h_weight_initializer=init.Normal(num_hiddens ** -0.5), **options)
    net = text.LanguageModel(layer, len(vocab))
    net.initialize(init.Normal(num_hiddens ** -0.5))  # the output layer's weights; biases zero
    net.hybridize()
    batches = text.SubsequenceBatches(train_corpus, 32, 32, sampling="sequential")
    val_batches = text.SubsequenceBatches(val_corpus, 32, 32, sampling="sequential", random_offset=False)
    trainer = optim.make_trainer(net, "sgd", lr=lr, num_steps=epochs * len(batches), schedule="cosine")
    loop = train.Loop(net, text.lm_loss, trainer, perplexity=True, clip_norm=1.0, begin_state=net.begin_state,
                      carry_state=True)
    history = loop.fit(batches, epochs, evaluate=lambda: {"val ppl": text.perplexity(net, net.begin_state,
                                                                                       val_batches)})
    return {"val_ppl": history["val ppl"][-1], "train_ppl": history["train ppl"][-1], "seconds": history.seconds}


def summary(runs: list[dict]) -> dict:
    """Per cell: median, minimum and maximum validation perplexity at each rate, and the best rate (lowest median)."""
    cells: dict = {}
    for run in runs:
        value = run["val_ppl"] if run["val_ppl"] == run["val_ppl"] else math.inf  # a run that diverged to NaN
        cells.setdefault(run["cell"], {}).setdefault(run["lr"], []).append(value)
    out = {}
    for cell, by_rate in cells.items():
        rates = {lr: {"median": statistics.median(v), "min": min(v), "max": max(v), "seeds": len(v)}
                 for lr, v in by_rate.items()}
        out[cell] = {"rates": rates, "best_lr": min(rates, key=lambda lr: rates[lr]["median"])}
    return out


def markdown(results: dict) -> str:
    """The report: every cell at every rate, then each cell at its best rate."""
    table = summary(results["runs"])
    rates = sorted({run["lr"] for run in results["runs"]})
    lines = ["# Chapter 6's recurrent cells at their best learning rates", "",
             f"Written by `python -m bench.rnn_cells` on {results['date']}, {results['cpus']} CPUs, seeds "
             f"{', '.join(str(s) for s in results['seeds'])}. Every cell has 256 hidden units and trains as in "
             "sections 6.6 to 6.9 (SGD on a cosine schedule from the rate given, clipping at 1, 5 epochs of 32 x 32 "
             "sequential minibatches, the chapter's initialization). Validation perplexity is scored as the chapter "
             "scores it; each entry is the median over the seeds, with the minimum and maximum.", "",
             "| cell | " + " | ".join(f"rate {lr:g}" for lr in rates) + " |",
             "| --- |" + " --- |" * len(rates)]
    for cell, row in table.items():
        entries = [row["rates"].get(lr) for lr in rates]
        lines.append(f"| {cell} | " + " | ".join(
            "" if e is None else f"{e['median']:.2f} ({e['min']:.2f}-{e['max']:.2f})" for e in entries) + " |")
    lines += ["", "At each cell's best rate (lowest median):", "", "| cell | best rate | median | min | max |",
              "| --- | --- | --- | --- | --- |"]
    for cell, row in sorted(table.items(), key=lambda item: item[1]["rates"][item[1]["best_lr"]]["median"]):
        best = row["rates"][row["best_lr"]]
        lines.append(f"| {cell} | {row['best_lr']:g} | {best['median']:.3f} | {best['min']:.3f} | {best['max']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rnn_cells", description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS), metavar="NAME",
                        help=f"among {', '.join(CELLS)} (default: all)")
    parser.add_argument("--rates", nargs="+", type=float, default=list(RATES), help="peak learning rates")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--out", type=Path, help="folder for rnn_cells.md and .json (default: bench/, for a full "
                                                 "run only)")
    args = parser.parse_args(argv)
    if any(lr <= 0 for lr in args.rates):
        parser.error(f"--rates must be positive, got {args.rates}")
    full = args.cells == list(CELLS) and args.rates == list(RATES) and args.seeds == list(SEEDS)
    out = args.out or (ROOT / "bench" if full else None)
    from bench.language_model import corpus_split

    vocab, train_corpus, val_corpus = corpus_split()
    results = {"date": time.strftime("%Y-%m-%d"), "cpus": runtime.usable_cpus(), "seeds": args.seeds, "runs": []}
    todo = [(cell, lr, seed) for seed in args.seeds for lr in args.rates for cell in args.cells]
    for k, (cell, lr, seed) in enumerate(todo, 1):
        row = train_cell(cell, lr, seed, vocab, train_corpus, val_corpus)
        results["runs"].append({"cell": cell, "lr": lr, "seed": seed, **row})
        print(f"[{k}/{len(todo)}] {cell}, rate {lr:g}, seed {seed}: validation perplexity {row['val_ppl']:.3f} "
              f"in {row['seconds']:.1f} s", flush=True)
    report = markdown(results)
    report_module.write_study(out, "rnn_cells", results, report)


if __name__ == "__main__":
    main()
