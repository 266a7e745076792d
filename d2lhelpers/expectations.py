"""What the book promises: each chapter's time budget and the bounds its results must meet.

This is the one place these numbers are written. The chapters' "Results of
this run" cells check their glued results with ``meets`` and describe the
bounds with ``in_words``; ``book/chapter_table.py`` shows them in the
README with ``describe``; the benchmark (``bench/``) compares a fresh run of
every chapter against them.

The numbers come from the book's design document (section 3, "Targets"):
test accuracies on the full Fashion-MNIST test set, validation perplexities
on the last 10% of The Time Machine, and the wall time of each chapter
executed top to bottom in a fresh kernel on 2 CPU cores. The other bounds are
the absolute checks the chapters have always made (chapter 3's gradient
errors, chapter 7's playground accuracies, ...). Checks relative to another
result of the same run ("below the unigram's perplexity") stay in the
chapters.

Plain data and small functions only: importing this module has no side
effect and does not import MXNet.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

BOOK_SECONDS = 1500.0
"""Time budget of the whole book, every chapter executed one after another (25 minutes)."""

CHAPTER_SECONDS: dict[str, float] = {  # notebook name without .ipynb -> time budget in seconds
    "00_introduction": 120.0,
    "01_basics": 120.0,
    "02_overfitting": 120.0,
    "03_backprop": 120.0,
    "04_cnn": 180.0,
    "05_modern_cnn": 600.0,
    "06_rnn_lstm": 240.0,
    "07_playground": 120.0,
}

LOOP_OVER_BARE_AT_LEAST = 0.90
"""The book's training loop keeps at least this share of a bare forward/backward/update loop's examples/s."""

# How each metric's bounds are written: accuracies with two decimals (0.90), perplexities with
# one (5.0), errors that are powers of ten in scientific notation (1e-5).
METRIC_FORMATS: dict[str, str] = {
    "test accuracy": ".2f",
    "validation perplexity": ".1f",
    "largest error": ".2f",
    "largest relative error": ".0e",
    "GFLOP/s": "g",
}


@dataclass(frozen=True)
class Expectation:
    """The bound one glued result must meet.

    ``at_least`` and ``at_most`` are the bounds (one or both); with
    ``strict`` the bound itself fails (``>`` and ``<`` rather than ``>=``
    and ``<=``). ``d2l`` is the figure *Dive into Deep Learning* publishes
    for the same model, as text, where the design document gives one.
    """

    chapter: str
    description: str
    metric: str
    at_least: float | None = None
    at_most: float | None = None
    strict: bool = False
    d2l: str = ""

    def __post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise ValueError(f"{self.description}: an expectation needs at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"{self.description}: at_least {self.at_least} exceeds at_most {self.at_most}")
        if self.metric not in METRIC_FORMATS:
            raise ValueError(f"metric must be one of {sorted(METRIC_FORMATS)}, got {self.metric!r}")
        if self.chapter not in CHAPTER_SECONDS:
            raise ValueError(f"chapter must be one of {sorted(CHAPTER_SECONDS)}, got {self.chapter!r}")


def _accuracy(chapter: str, description: str, at_least: float, d2l: str = "") -> Expectation:
    """A test accuracy of at least ``at_least``, the most common expectation."""
    return Expectation(chapter, description, "test accuracy", at_least=at_least, d2l=d2l)


EXPECTATIONS: dict[str, Expectation] = {  # glue name -> its expectation, in the order of the book
    "intro_gemm_gflops": Expectation("00_introduction", "1024x1024 matrix product", "GFLOP/s",
                                     at_least=1, strict=True),
    "linreg_w_error": Expectation("01_basics", "linear regression from scratch, largest error in w",
                                  "largest error", at_most=0.01, strict=True),
    "linreg_b_error": Expectation("01_basics", "linear regression from scratch, error in b",
                                  "largest error", at_most=0.01, strict=True),
    "softmax_scratch_test_acc": _accuracy("01_basics", "softmax regression, from scratch", 0.84, "0.846"),
    "softmax_concise_test_acc": _accuracy("01_basics", "softmax regression, Gluon", 0.84, "0.846"),
    "mlp_scratch_test_acc": _accuracy("01_basics", "MLP, from scratch", 0.86, "0.856 - 0.861"),
    "mlp_concise_test_acc": _accuracy("01_basics", "MLP, Gluon", 0.86, "0.856 - 0.861"),
    "dropout_scratch_test_acc": _accuracy("02_overfitting", "MLP with dropout, from scratch", 0.87,
                                          "0.865 - 0.873"),
    "dropout_concise_test_acc": _accuracy("02_overfitting", "MLP with dropout, Gluon", 0.87, "0.865 - 0.873"),
    "backprop_max_rel_err_autograd": Expectation(
        "03_backprop", "hand-derived gradients against autograd (float32)", "largest relative error",
        at_most=1e-5, strict=True),
    "backprop_max_rel_err_numeric": Expectation(
        "03_backprop", "hand-derived gradients against finite differences (float64)", "largest relative error",
        at_most=1e-6, strict=True),
    "backprop_handmade_test_acc": _accuracy("03_backprop", "MLP trained with hand-derived gradients", 0.85),
    "backprop_autograd_test_acc": _accuracy("03_backprop", "MLP trained with autograd", 0.85),
    "lenet_classic_test_acc": _accuracy("04_cnn", "LeNet, classic (sigmoid, average pooling)", 0.83,
                                        "0.72 - 0.83"),
    "lenet_modern_test_acc": _accuracy("04_cnn", "LeNet, modernized", 0.89, "0.88 - 0.89 (BN-LeNet)"),
    "alexnet_test_acc": _accuracy("05_modern_cnn", "AlexNet-style", 0.89, "0.886 - 0.891 (at 224x224)"),
    "bn_scratch_test_acc": _accuracy("05_modern_cnn", "deep MLP with batch normalization from scratch", 0.87),
    "vgg_test_acc": _accuracy("05_modern_cnn", "VGG-style", 0.91, "0.904 - 0.930 (at 224x224)"),
    "nin_test_acc": _accuracy("05_modern_cnn", "NiN-style", 0.88, "0.84 - 0.877"),
    "googlenet_test_acc": _accuracy("05_modern_cnn", "GoogLeNet-style", 0.90, "0.846 - 0.907 (at 96x96)"),
    "resnet_test_acc": _accuracy("05_modern_cnn", "ResNet-style", 0.92, "0.911 - 0.928 (at 96x96)"),
    "rnn_concise_val_ppl": Expectation("06_rnn_lstm", "character-level RNN, Gluon", "validation perplexity",
                                       at_most=6.0),
    "lstm_concise_val_ppl": Expectation("06_rnn_lstm", "character-level LSTM, Gluon", "validation perplexity",
                                        at_most=5.0),
    "playground_xor_linear_test_acc": Expectation(
        "07_playground", "XOR, linear model on x1, x2", "test accuracy", at_most=0.65, strict=True),
    "playground_xor_hidden_test_acc": Expectation(
        "07_playground", "XOR, one hidden layer of 4 ReLU units", "test accuracy", at_least=0.95, strict=True),
    "playground_spiral_test_acc": Expectation(
        "07_playground", "spiral, two hidden layers of 8 tanh units", "test accuracy", at_least=0.90,
        strict=True),
}


def expectation(name: str) -> Expectation:
    """The expectation of the glued result ``name``; ValueError if it has none."""
    if name not in EXPECTATIONS:
        raise ValueError(f"name must be a glued result with an expectation ({', '.join(EXPECTATIONS)}), "
                         f"got {name!r}")
    return EXPECTATIONS[name]


def for_chapter(chapter: str) -> dict[str, Expectation]:
    """The expectations of one chapter's results, by glue name (empty for a chapter with none)."""
    time_budget(chapter)  # rejects unknown chapters
    return {name: e for name, e in EXPECTATIONS.items() if e.chapter == chapter}


def time_budget(chapter: str) -> float:
    """Seconds the chapter (notebook name without .ipynb) may take, top to bottom in a fresh kernel."""
    if chapter not in CHAPTER_SECONDS:
        raise ValueError(f"chapter must be one of {', '.join(CHAPTER_SECONDS)}, got {chapter!r}")
    return CHAPTER_SECONDS[chapter]


def meets(name: str, value: float) -> bool:
    """Whether ``value`` meets the expectation of the glued result ``name`` (NaN never does)."""
    e = expectation(name)
    if isinstance(value, bool) or not hasattr(value, "__float__"):
        raise ValueError(f"value must be a number, got {value!r}")
    x = float(value)
    if math.isnan(x):
        return False
    if e.at_least is not None and (x <= e.at_least if e.strict else x < e.at_least):
        return False
    return not (e.at_most is not None and (x >= e.at_most if e.strict else x > e.at_most))


def _number(value: float, metric: str) -> str:
    """A bound as the book writes it: 0.84, 5.0, 1e-5."""
    text = format(value, METRIC_FORMATS[metric])
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m.group(1) == '-' else ''}{m.group(2)}", text)


def describe(name: str) -> str:
    """The bound of the glued result ``name`` in symbols: ``">= 0.84"``, ``"<= 5.0"``, ``"> 0.95"``."""
    e = expectation(name)
    parts = []
    if e.at_least is not None:
        parts.append(f"{'>' if e.strict else '>='} {_number(e.at_least, e.metric)}")
    if e.at_most is not None:
        parts.append(f"{'<' if e.strict else '<='} {_number(e.at_most, e.metric)}")
    return " and ".join(parts)


def in_words(name: str) -> str:
    """The bound of the glued result ``name`` for readers: ``"0.84 or more"``, ``"at most 5.0"``, ``"below 0.65"``."""
    e = expectation(name)
    low = None if e.at_least is None else _number(e.at_least, e.metric)
    high = None if e.at_most is None else _number(e.at_most, e.metric)
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"above {low}" if e.strict else f"{low} or more"
    return f"below {high}" if e.strict else f"at most {high}"
