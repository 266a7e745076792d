"""Chapter 6's best network, one ingredient changed at a time: where its recipe came from.

Usage, from the repository's root: python -m bench.language_model [--epochs N] [--variants NAME ...] [--out DIR]

Section 6.10 trains an embedding, two LSTM layers, dropout and Adam on The
Time Machine, on the chapter's 32 x 32 minibatches. Each variant here trains the same
recipe with one of those ingredients changed back to what the chapter's
smaller models use (or to a neighbouring value), at the chapter's default
seed, and reports its validation perplexity (scored as the chapter scores
it: 32 x 32 sequential minibatches of the last 10% of the text, carrying the
state) and its training seconds. The chapter's smoothed n-gram baseline is
reported beside them. A full run (every variant at the chapter's number of
epochs, about 15 minutes on 2 cores) writes ``bench/language_model.md`` and
``language_model.json``; a run with other settings writes only where
``--out`` says. Set ``D2L_DATA_MIRROR`` when offline; run it on an idle machine.
"""
from __future__ import annotations

import argparse
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import d2lhelpers  # noqa: F401  (sets the thread count before MXNet loads)
from bench import report as report_module
from d2lhelpers import data, optim, runtime, text, train

ROOT = Path(__file__).resolve().parent.parent
SEED = 6  # chapter 6's default seed


@dataclass(frozen=True)
class Recipe:
    """The settings of one run; the defaults are section 6.10's."""

    embed_size: int | None = 64
    num_hiddens: int = 384
    num_layers: int = 2
    dropout: float = 0.5
    batch_size: int = 32
    num_steps: int = 32
    optimizer: str = "adam"
    lr: float = 0.003
    epochs: int = 12


VARIANTS: dict[str, tuple[str, dict]] = {  # name -> (what changed, the changed settings)
    "recipe": ("section 6.10's recipe", {}),
    "one-hot": ("one-hot inputs instead of a 64-wide embedding (so no dropout on the inputs)", {"embed_size": None}),
    "one-layer": ("one LSTM layer instead of two", {"num_layers": 1}),
    "narrower": ("256 hidden units instead of 384", {"num_hiddens": 256}),
    "dropout-0": ("no dropout instead of 0.5", {"dropout": 0.0}),
    "dropout-0.2": ("dropout 0.2 instead of 0.5", {"dropout": 0.2}),
    "16x64": ("minibatches of 16 subsequences of 64 characters (longer) instead of 32 x 32", {"batch_size": 16,
                                                                                                "num_steps": 64}),
}


def recipe_of(name: str, epochs: int | None = None) -> Recipe:
    """The recipe of variant ``name``, with ``epochs`` if given."""
    if name not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {name!r}")
    recipe = replace(Recipe(), **VARIANTS[name][1])
    return recipe if epochs is None else replace(recipe, epochs=epochs)


def normalize(raw_text: str) -> str:
    """Chapter 6's normalization (d2l's too): lower case, every run of other characters than a-z one space."""
    return re.sub("[^a-z]+", " ", raw_text.lower())


def encode(book: str | None = None) -> tuple:
    """The chapter's character vocabulary of ``book`` (normalized The Time Machine if None) and its token indices."""
    import numpy

    book = normalize(data.read_time_machine()) if book is None else book
    vocab = text.Vocab(text.tokenize(book, "char"))
    return vocab, numpy.array(vocab[list(book)])


def corpus_split() -> tuple:
    """The chapter's vocabulary and its 90% / 10% split of The Time Machine, as token indices."""
    vocab, corpus = encode()
    split = int(0.9 * len(corpus))
    return vocab, corpus[:split], corpus[split:]


def train_recipe(recipe: Recipe, vocab, train_corpus, val_corpus, seed: int = SEED) -> dict:
    """Train one recipe as section 6.10 does; its final validation perplexity and training seconds."""
    from mxnet import init, npx
    from mxnet.gluon import rnn

    npx.set_np()  # MXNet's NumPy interface, as in the chapters
    runtime.set_seed(seed)
    batches = text.SubsequenceBatches(train_corpus, recipe.batch_size, recipe.num_steps, sampling="sequential")
    val_batches = text.SubsequenceBatches(val_corpus, 32, 32, sampling="sequential", random_offset=False)
    layer = rnn.LSTM(recipe.num_hiddens, num_layers=recipe.num_layers, dropout=recipe.dropout)
    net = text.LanguageModel(layer, len(vocab), embed_size=recipe.embed_size, dropout=recipe.dropout)
    net.initialize(init.Xavier())
    net.hybridize()
    trainer = optim.make_trainer(net, recipe.optimizer, lr=recipe.lr, num_steps=recipe.epochs * len(batches),
                                 schedule="cosine")
    loop = train.Loop(net, text.lm_loss, trainer, perplexity=True, clip_norm=1.0, begin_state=net.begin_state,
                      carry_state=True)
    history = loop.fit(batches, recipe.epochs, observers=[train.ProgressLine(recipe.epochs)],
                       evaluate=lambda: {"val ppl": text.perplexity(net, net.begin_state, val_batches)})
    return {"val_ppl": history["val ppl"][-1], "best_val_ppl": min(history["val ppl"]),
            "train_ppl": history["train ppl"][-1], "seconds": history.seconds}


def markdown(results: dict) -> str:
    """results.md-style report: the baseline, then one row per variant."""
    lines = ["# Chapter 6's best network, one ingredient changed at a time", "",
             f"Written by `python -m bench.language_model` on {results['date']}, seed {results['seed']}, "
             f"{results['cpus']} CPUs. Validation perplexity is scored as chapter 6 scores it (32 x 32 sequential "
             "minibatches of the last 10% of The Time Machine, carrying the state); 'lowest' is the lowest "
             "after any epoch, 'final' the one the chapter reports.", "",
             f"Baseline: the smoothed {results['ngram_order']}-gram (interpolated absolute discounting, d = 0.75) "
             f"reaches {results['ngram_ppl']:.3f}; 0.9 times that is {0.9 * results['ngram_ppl']:.3f}.", "",
             "| variant | what changed | epochs | final validation perplexity | lowest | final training perplexity "
             "| training seconds |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in results["variants"].items():
        lines.append(f"| {name} | {VARIANTS[name][0]} | {row['recipe']['epochs']} | {row['val_ppl']:.3f} | "
                     f"{row['best_val_ppl']:.3f} | {row['train_ppl']:.3f} | {row['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.language_model", description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="NAME",
                        help=f"among {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--epochs", type=int, help="epochs of every variant (default: the recipe's)")
    parser.add_argument("--out", type=Path, help="folder for language_model.md and .json (default: bench/, "
                                                 "for a full run only)")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs must be a positive integer, got {args.epochs}")
    full = args.variants == list(VARIANTS) and args.epochs is None
    out = args.out or (ROOT / "bench" if full else None)
    vocab, train_corpus, val_corpus = corpus_split()
    orders = range(1, 9)
    ngram_ppl = {n: text.NGramModel(train_corpus, n, len(vocab)).perplexity(val_corpus) for n in orders}
    order = min(ngram_ppl, key=ngram_ppl.get)
    results = {"date": time.strftime("%Y-%m-%d"), "seed": SEED, "cpus": runtime.usable_cpus(),
               "ngram_order": order, "ngram_ppl": ngram_ppl[order], "variants": {}}
    for k, name in enumerate(args.variants, 1):
        recipe = recipe_of(name, args.epochs)
        print(f"[{k}/{len(args.variants)}] {name}: {VARIANTS[name][0]}", flush=True)
        row = train_recipe(recipe, vocab, train_corpus, val_corpus)
        results["variants"][name] = {"recipe": asdict(recipe), **row}
        print(f"    validation perplexity {row['val_ppl']:.3f} in {row['seconds']:.0f} s", flush=True)
    report = markdown(results)
    report_module.write_study(out, "language_model", results, report)


if __name__ == "__main__":
    main()
