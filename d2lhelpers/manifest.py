"""The book's chapters, listed once: notebook, title, topic, default seed and time budget.

The README's chapter table, chapter 0's table of contents, the benchmark
(through ``expectations``, which also checks that every bound names a
chapter listed here) and the tests read this list; a test fails unless it
names exactly the notebooks in ``chapters/``, with their default seeds.
Adding a chapter means adding its notebook to ``chapters/`` and one
``Chapter`` here (see CONTRIBUTING.md).

Time budgets are for one chapter executed alone, top to bottom in a fresh
kernel, on 2 CPU cores with nothing else running. ``BOOK_SECONDS`` bounds
the sum of the chapters' measured times. It is smaller than the sum of the
chapters' budgets: each chapter's budget is room for that chapter alone, and
not every chapter may use all of its room at once.

Plain data only: importing this module has no side effect and does not
import MXNet.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book.

    ``name`` is the notebook's file name without ``.ipynb``; ``seed`` the
    default seed its first code cell passes to ``runtime.set_seed`` (the
    committed outputs come from it); ``seconds`` its time budget.
    """

    name: str
    title: str
    topic: str
    seed: int
    seconds: float

    @property
    def notebook(self) -> str:
        """The notebook's path relative to the repository root."""
        return f"chapters/{self.name}.ipynb"

    @property
    def number(self) -> int:
        """The chapter's number, from the two digits its name starts with."""
        return int(self.name[:2])


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("00_introduction", "Introduction",
            "machine learning, deep learning, how to use the book, environment check", 0, 120.0),
    Chapter("01_basics", "Basics: from linear regression to the multilayer perceptron",
            "arrays and autograd; linear regression, maximum likelihood, normal equations, the Hessian and "
            "the step-size bound, SGD's noise floor; Fashion-MNIST; softmax regression, training loop, validation, "
            "confusion matrix; multilayer perceptron", 1, 120.0),
    Chapter("02_overfitting", "Overfitting and regularization",
            "training vs generalization error; polynomial under-, good and overfitting; K-fold cross-validation; "
            "weight decay, early stopping, priors, L1; noise injection; dropout; paired comparisons; random labels, "
            "double descent", 1, 120.0),
    Chapter("03_backprop", "Forward and backward propagation",
            "forward and backward propagation by hand, gradient checks, the cost of reverse mode, memory, "
            "numerical stability, Xavier and He initialization", 1, 120.0),
    Chapter("04_cnn", "Convolutional neural networks",
            "blocks and parameters; cross-correlation, padding and stride, channels, pooling; Adam; "
            "LeNet (classic and modernized); its changes one at a time; shift tolerance", 4, 180.0),
    Chapter("05_modern_cnn", "Modern convolutional networks",
            "AlexNet and data augmentation; batch normalization from scratch; VGG, NiN, GoogLeNet and ResNet "
            "sized for 28x28; a short-training recipe; receptive fields; parameters, FLOPs and time compared",
            5, 600.0),
    Chapter("06_rnn_lstm", "Recurrent neural networks",
            "sequences, text preprocessing, Zipf's law, language models and perplexity, RNN, gradient clipping, "
            "smoothed n-gram models, GRU, LSTM, embeddings, temperature sampling", 6, 300.0),
    Chapter("07_playground", "A neural-network playground", "an interactive neural-network playground", 7, 120.0),
)

BOOK_SECONDS = 1500.0
"""Time budget of the whole book: the chapters' measured times added up (25 minutes)."""


def names() -> list[str]:
    """The chapters' names in the book's order."""
    return [c.name for c in CHAPTERS]


def chapter(name: str) -> Chapter:
    """The chapter called ``name`` (notebook name without .ipynb); ValueError if the book has none."""
    for c in CHAPTERS:
        if c.name == name:
            return c
    raise ValueError(f"chapter must be one of {', '.join(names())}, got {name!r}")


def contents() -> str:
    """The table of contents in Markdown: number, title, topic and time budget of each chapter."""
    rows = [f"| {c.number} | {c.title} | {c.topic} | {c.seconds / 60:g} min |" for c in CHAPTERS]
    return "\n".join(["| chapter | title | what it covers | time on 2 CPU cores, at most |",
                      "| --- | --- | --- | --- |", *rows]) + "\n"
