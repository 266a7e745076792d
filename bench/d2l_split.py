"""The book's language models on d2l's split of The Time Machine, scored as d2l scores its own.

``bench.d2l_recipes`` trains d2l's RNN, GRU and LSTM on d2l's split and on
the book's. This module supplies the other half of each pair on d2l's split:
chapter 6's Gluon RNN (ReLU, 256 units), GRU and LSTM (256 units), its best
network (section 6.10) and its smoothed n-gram, trained on the characters
d2l trains on and scored the way d2l scores its models.

* d2l's split: d2l's 10,000 training windows of 33 characters start at
  positions 0 to 9,999, so they cover characters 0 to 10,031; its 5,000
  validation windows start at 10,000 to 14,999 (the first 32 validation
  characters are also training characters, in d2l as here).
* d2l's scoring: every validation window read from a zero state, the
  perplexity of all 32 predictions of all 5,000 windows. The n-gram is
  scored on the same windows, its context cut at the window's start.
* The networks keep the chapter's recipe (32 x 32 minibatches, sequential,
  the state carried; optimizer, rate, cosine schedule, clipping at 1) and
  the chapter's number of updates: its epochs times its 152 minibatches per
  epoch. d2l's training characters fill 9 such minibatches, so an epoch
  here is 9 updates and the RNN trains for 84 of them.

The chapter's ``gluon_model`` is run from the chapter's own cell
(``bench.chapters.cells_namespace``), and the best network's settings are
``bench.language_model.Recipe``'s, so neither can drift from the chapter.
Each network also gets the chapter's own scoring on d2l's validation
characters (sequential 32 x 32 minibatches carrying the state), to show
what the zero states cost it.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy

from bench import language_model
from d2lhelpers import text

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "06_rnn_lstm.ipynb"
GLUON_MODEL_CELL = "9443a872"  # chapter 6's gluon_model
D2L_TRAIN_WINDOWS, D2L_VAL_WINDOWS, NUM_STEPS = 10_000, 5_000, 32  # d2l's num_train, num_val, num_steps
BATCH_SIZE = 32  # the chapter's minibatches: 32 subsequences of NUM_STEPS characters
CHAPTER_BATCHES_PER_EPOCH = 152  # the chapter's training part in 32 x 32 minibatches (its cell ba3518ae prints it)
NGRAM_ORDERS = range(1, 9)
SEED = 6  # chapter 6's default seed


@dataclass(frozen=True)
class BookModel:
    """One of chapter 6's networks: how to build it, how the chapter trains it, what it pairs with."""

    name: str
    chapter_result: str  # glue name of the chapter's result on its own split
    d2l_recipe: str  # the d2l recipe (bench.d2l_recipes.RECIPES) it is compared with
    optimizer: str
    lr: float
    chapter_epochs: int
    layer: str = "LSTM"  # rnn.RNN, rnn.GRU or rnn.LSTM through the chapter's gluon_model; "best": section 6.10's


_BEST = language_model.Recipe()
MODELS: dict[str, BookModel] = {m.name: m for m in (
    BookModel("RNN (ReLU, 256 units), Gluon", "rnn_concise_val_ppl", "RNN", "sgd", 4.0, 5, "RNN"),
    BookModel("GRU (256 units), Gluon", "gru_concise_val_ppl", "GRU", "sgd", 4.0, 5, "GRU"),
    BookModel("LSTM (256 units), Gluon", "lstm_concise_val_ppl", "LSTM", "sgd", 8.0, 5, "LSTM"),
    BookModel("best network: 2 x 384 LSTM, embedding, dropout, Adam", "best_network_val_ppl", "LSTM",
              _BEST.optimizer, _BEST.lr, _BEST.epochs, "best"),
)}


def split(book: str | None = None) -> tuple[text.Vocab, numpy.ndarray, numpy.ndarray]:
    """The chapter's vocabulary, d2l's training characters (0 to 10,031) and its validation ones (10,000 to 15,031)."""
    vocab, corpus = language_model.encode(book)
    train_end = D2L_TRAIN_WINDOWS + NUM_STEPS  # the last training window starts at 9,999, its labels end at 10,031
    val_end = D2L_TRAIN_WINDOWS + D2L_VAL_WINDOWS + NUM_STEPS
    if len(corpus) < val_end:
        raise ValueError(f"book must hold at least {val_end:,} characters for d2l's split, got {len(corpus):,}")
    return vocab, corpus[:train_end], corpus[D2L_TRAIN_WINDOWS:val_end]


def windows(tokens: Sequence[int], num_windows: int, num_steps: int = NUM_STEPS) -> tuple[numpy.ndarray, ...]:
    """d2l's windows: X[i] = tokens[i:i + num_steps], Y[i] = tokens[i + 1:i + num_steps + 1], i < num_windows."""
    tokens = numpy.asarray(tokens)
    if len(tokens) < num_windows + num_steps:
        raise ValueError(f"tokens must hold at least num_windows + num_steps = {num_windows + num_steps} tokens, "
                         f"got {len(tokens)}")
    starts = numpy.arange(num_windows)[:, None] + numpy.arange(num_steps + 1)
    return tokens[starts[:, :-1]], tokens[starts[:, 1:]]


def ngram_window_perplexity(model: text.NGramModel, X: numpy.ndarray, Y: numpy.ndarray) -> float:
    """d2l's scoring for the n-gram: prediction j of a window sees the window's first j + 1 characters only."""
    total, count = 0.0, 0
    cache: dict[tuple, float] = {}
    for x, y in zip(X.tolist(), Y.tolist(), strict=True):
        for j, token in enumerate(y):
            context = tuple(x[max(j + 2 - model.order, 0):j + 1])  # at most order - 1 characters
            key = (context, token)
            if key not in cache:
                cache[key] = math.log(model.probability(context, token))
            total -= cache[key]
            count += 1
    return math.exp(total / count)


def best_ngram(train_tokens: Sequence[int], X: numpy.ndarray, Y: numpy.ndarray, vocab_size: int,
               orders: Sequence[int] = NGRAM_ORDERS) -> dict:
    """The smoothed n-gram (d = 0.75) of every order in ``orders``, scored on the windows; the best order's."""
    by_order = {n: ngram_window_perplexity(text.NGramModel(train_tokens, n, vocab_size), X, Y) for n in orders}
    order = min(by_order, key=by_order.get)
    return {"order": order, "validation_perplexity": by_order[order],
            "by_order": {str(n): ppl for n, ppl in by_order.items()}}


def network_window_perplexity(net: Callable, X: numpy.ndarray, Y: numpy.ndarray, chunk: int = 1000) -> float:
    """d2l's scoring for a network: every window from a zero state (dropout off), ``chunk`` windows at a time."""
    from mxnet import np

    total = 0.0
    for start in range(0, len(X), chunk):
        x, y = np.array(X[start:start + chunk], dtype="int32"), np.array(Y[start:start + chunk])
        outputs, _ = net(x, net.begin_state(x.shape[0]))
        total += float(text.lm_loss(outputs, y).sum().item())
    return math.exp(total / Y.size)


def build(model: BookModel, vocab_size: int, gluon_model: Callable | None = None):
    """A fresh, initialized network of ``model``; the chapter's ``gluon_model`` builds all but the best one."""
    from mxnet import init
    from mxnet.gluon import rnn

    if model.layer == "best":
        layer = rnn.LSTM(_BEST.num_hiddens, num_layers=_BEST.num_layers, dropout=_BEST.dropout)
        net = text.LanguageModel(layer, vocab_size, embed_size=_BEST.embed_size, dropout=_BEST.dropout)
        net.initialize(init.Xavier())
        net.hybridize()
        return net
    if gluon_model is None:
        raise ValueError(f"gluon_model (chapter 6's) is needed to build {model.name!r}")
    options = {"activation": "relu"} if model.layer == "RNN" else {}
    return gluon_model(getattr(rnn, model.layer), 256, **options)


def chapter_gluon_model(vocab: text.Vocab) -> Callable:
    """Chapter 6's ``gluon_model``, run from its own cell, for networks over ``vocab`` on the CPU."""
    import mxnet as mx
    from mxnet import init
    from mxnet.gluon import rnn

    from bench.chapters import cells_namespace

    given = {"init": init, "rnn": rnn, "LanguageModel": text.LanguageModel, "vocab": vocab, "device": mx.cpu()}
    return cells_namespace(CHAPTER, [GLUON_MODEL_CELL], "bench.d2l_split.GLUON_MODEL_CELL", given)["gluon_model"]


def train(model: BookModel, vocab: text.Vocab, train_tokens: numpy.ndarray, val_tokens: numpy.ndarray,
          gluon_model: Callable | None = None, chapter_batches: int = CHAPTER_BATCHES_PER_EPOCH,
          seed: int = SEED, checkpoints: int = 8, progress: Callable[[str], None] = print) -> dict:
    """Train ``model`` on ``train_tokens`` for the chapter's number of updates; score it both ways.

    ``chapter_batches`` (minibatches per chapter epoch) sets the number of
    updates, ``model.chapter_epochs * chapter_batches``, rounded to whole
    epochs over ``train_tokens``. The validation windows are scored
    ``checkpoints`` times at even spacing and after epochs 1, 2, 4, 8, ...
    (``curve``), since the chapter's recipe, made for 15 times as many
    characters, may overfit these. Returns
    the epochs, updates, training seconds, the final training perplexity,
    the final and lowest validation perplexity scored d2l's way
    (``window``; the lowest is chosen on the validation windows, so it is
    optimistic) and the final one scored the chapter's way (``carried``).
    """
    from mxnet import npx

    from d2lhelpers import optim, runtime
    from d2lhelpers import train as book_train

    npx.set_np()
    runtime.set_seed(seed)
    batches = text.SubsequenceBatches(train_tokens, BATCH_SIZE, NUM_STEPS, sampling="sequential")
    epochs = max(1, round(model.chapter_epochs * chapter_batches / len(batches)))
    net = build(model, len(vocab), gluon_model)
    trainer = optim.make_trainer(net, model.optimizer, lr=model.lr, num_steps=epochs * len(batches),
                                 schedule="cosine")
    loop = book_train.Loop(net, text.lm_loss, trainer, perplexity=True, clip_norm=1.0, begin_state=net.begin_state,
                           carry_state=True)
    X, Y = windows(val_tokens, len(val_tokens) - NUM_STEPS)
    every = max(1, epochs // checkpoints)  # evenly spaced, and at epochs 1, 2, 4, ... where overfitting starts
    scored = {*range(every, epochs + 1, every), *(2 ** k for k in range(epochs.bit_length())), epochs}
    curve, seconds = [], 0.0  # (updates, window perplexity) after each epoch in ``scored``
    for epoch in range(1, epochs + 1):
        record = loop.epoch(batches)
        seconds += record["seconds"]
        if epoch in scored:
            curve.append((epoch * len(batches), network_window_perplexity(net, X, Y)))
            progress(f"  {model.name}: epoch {epoch}/{epochs}, training perplexity {record['train ppl']:.2f}, "
                     f"validation {curve[-1][1]:.2f} ({seconds:.0f} s of training)")
    carried = text.SubsequenceBatches(val_tokens, BATCH_SIZE, NUM_STEPS, sampling="sequential",
                                      random_offset=False)
    lowest = min(curve, key=lambda point: point[1])
    return {"name": model.name, "chapter_result": model.chapter_result, "d2l_recipe": model.d2l_recipe,
            "epochs": epochs, "updates": epochs * len(batches), "seconds": seconds,
            "train_perplexity": record["train ppl"], "window_perplexity": curve[-1][1],
            "lowest_window_perplexity": lowest[1], "lowest_after_updates": lowest[0], "curve": curve,
            "carried_perplexity": text.perplexity(net, net.begin_state, carried)}


def run(names: Sequence[str] = tuple(MODELS), progress: Callable[[str], None] = print) -> dict:
    """The n-gram and the networks ``names`` on d2l's split: results.json's ``book_on_d2l_split``."""
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise ValueError(f"names must be among {', '.join(MODELS)}, got {unknown}")
    vocab, train_tokens, val_tokens = split()
    X, Y = windows(val_tokens, D2L_VAL_WINDOWS)
    progress("book on d2l's split: smoothed n-grams of orders 1-8, scored window by window")
    found = {"training_characters": len(train_tokens), "validation_windows": len(X),
             "ngram": best_ngram(train_tokens, X, Y, len(vocab)), "networks": []}
    gluon_model = chapter_gluon_model(vocab) if any(MODELS[n].layer != "best" for n in names) else None
    for name in names:
        progress(f"book on d2l's split: {name}, the chapter's recipe")
        found["networks"].append(train(MODELS[name], vocab, train_tokens, val_tokens, gluon_model,
                                       progress=progress))
    return found
