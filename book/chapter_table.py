"""Regenerate the README's chapter and results tables from the committed notebooks.

Usage: python book/chapter_table.py [--check]

The table sits in README.md between ``<!-- chapters:begin -->`` and
``<!-- chapters:end -->``. The chapters and their topics come from
``d2lhelpers.manifest``; a chapter is "written" when its notebook is in
chapters/, else "planned"; its
time is the wall time ``book/build.py`` recorded in the notebook's metadata
(``d2lbook.seconds``) when it last executed it. Without ``--check`` the README
is rewritten in place (``make readme``; ``make book`` runs it too); with
``--check`` it only exits with status 1 when the README differs.

The results table, between ``<!-- results:begin -->`` and
``<!-- results:end -->``, shows the numbers each chapter's "Results of this
run" cell glued (``myst_nb.glue``) in its committed outputs, for the rows in
``RESULTS``, and the bounds ``d2lhelpers.expectations`` holds for them
(which the chapters check through ``d2lhelpers.results``). Its last column,
"d2l, measured here", is read from the benchmark's last full run
(``bench/results.json``, ``make bench``): d2l 1.0.3's own model, code and
hyperparameters trained on this machine, with d2l's settings in a footnote
below the table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script, this file's folder is on the path, not the repository's
from book import notebooks  # noqa: E402
from d2lhelpers import expectations, manifest  # noqa: E402

CHAPTERS, README, BENCH = ROOT / "chapters", ROOT / "README.md", ROOT / "bench" / "results.json"
BEGIN, END = "<!-- chapters:begin -->", "<!-- chapters:end -->"
RESULTS_BEGIN, RESULTS_END = "<!-- results:begin -->", "<!-- results:end -->"
HEADER = ("| notebook | topic | status | time on 2 CPU cores |\n"
          "| --- | --- | --- | --- |\n")

RESULTS = [  # (chapter, model, metric, names of the glued values shown as "a / b")
    ("01_basics", "softmax regression, from scratch / Gluon", "test accuracy",
     ("softmax_scratch_test_acc", "softmax_concise_test_acc")),
    ("01_basics", "MLP, one hidden layer of 256, from scratch / Gluon", "test accuracy",
     ("mlp_scratch_test_acc", "mlp_concise_test_acc")),
    ("02_overfitting", "MLP with dropout (hidden layers of 300 and 100), from scratch", "test accuracy",
     ("dropout_scratch_test_acc",)),
    ("03_backprop", "MLP trained with hand-derived gradients / with autograd", "test accuracy",
     ("backprop_handmade_test_acc", "backprop_autograd_test_acc")),
    ("04_cnn", "LeNet, classic (sigmoid, average pooling), Adam, 5 epochs", "test accuracy",
     ("lenet_classic_test_acc",)),
    ("04_cnn", "LeNet with max pooling, ReLU and batch normalization, Adam, 5 epochs", "test accuracy",
     ("lenet_modern_test_acc",)),
    ("05_modern_cnn", "AlexNet-style, 4 epochs on 55,000 images (flip-averaged test predictions, as every model "
     "of chapter 5)", "test accuracy", ("alexnet_test_acc",)),
    ("05_modern_cnn", "deep MLP with batch normalization from scratch, 4 epochs", "test accuracy",
     ("bn_scratch_test_acc",)),
    ("05_modern_cnn", "VGG-style, 4 epochs", "test accuracy", ("vgg_test_acc",)),
    ("05_modern_cnn", "NiN-style, 4 epochs", "test accuracy", ("nin_test_acc",)),
    ("05_modern_cnn", "GoogLeNet-style, 4 epochs", "test accuracy", ("googlenet_test_acc",)),
    ("05_modern_cnn", "ResNet-style, 4 epochs", "test accuracy", ("resnet_test_acc",)),
    ("06_rnn_lstm", "character-level RNN, from scratch (tanh, 128 units) / Gluon (ReLU, 256 units)",
     "validation perplexity",
     ("rnn_scratch_val_ppl", "rnn_concise_val_ppl")),
    ("06_rnn_lstm", "smoothed n-gram counts (interpolated absolute discounting), best order", "validation perplexity",
     ("ngram_best_val_ppl",)),
    ("06_rnn_lstm", "LSTM, Gluon / 2-layer LSTM on an embedding, with dropout and Adam", "validation perplexity",
     ("lstm_concise_val_ppl", "best_network_val_ppl")),
    ("07_playground", "linear model on XOR (x1, x2) / one hidden layer of 4 ReLU units", "test accuracy",
     ("playground_xor_linear_test_acc", "playground_xor_hidden_test_acc")),
    ("07_playground", "spiral on x1, x2: three layers of 8 ReLU units (median of 3 starts)", "test accuracy",
     ("playground_spiral_deep_test_acc",)),
    ("07_playground", "circle, tanh units at learning rate 0.03 / at rate 3 / then 100 epochs at 0.03", "test accuracy",
     ("playground_lr_small_test_acc", "playground_lr_too_large_test_acc", "playground_lr_recovered_test_acc")),
    ("07_playground", "circle, hidden layers of linear units", "test accuracy",
     ("playground_linear_activation_circle_acc",)),
    ("07_playground", "noisy circle, 100 training points: no penalty / L2", "train minus test accuracy",
     ("playground_overfit_gap", "playground_l2_gap")),
    ("07_playground", "noisy circle: no penalty / L2 (final) / multigauss regression", "test loss",
     ("playground_overfit_test_loss_rise", "playground_l2_test_loss", "playground_multigauss_test_loss")),
]
RESULTS_HEADER = ("| chapter | model | metric | this run | checked | d2l, measured here [^d2l] |\n"
                  "| --- | --- | --- | --- | --- | --- |\n")


def format_seconds(seconds: float | None) -> str:
    """``~6 s``, ``~85 s``, ``~130 s`` (two significant figures), ``~12 min`` from 10 minutes on."""
    if seconds is None:
        return "not yet measured"
    if seconds >= 600:
        return f"~{round(seconds / 60)} min"
    if seconds >= 100:
        return f"~{round(seconds, -1):.0f} s"
    return f"~{max(1, round(seconds))} s"


def recorded_seconds(path: Path) -> float | None:
    """The ``d2lbook.seconds`` a notebook's last execution by book/build.py recorded, if any."""
    return json.loads(path.read_text()).get("metadata", {}).get("d2lbook", {}).get("seconds")


def table(chapters: Path = CHAPTERS) -> str:
    """The chapter table in Markdown, from ``d2lhelpers.manifest`` and the notebooks in ``chapters``."""
    found = {path.stem: path for path in chapters.glob("*.ipynb")}
    unknown = sorted(set(found) - set(manifest.names()))
    if unknown:
        raise SystemExit(f"error: {', '.join(unknown)} not in d2lhelpers/manifest.py: add a Chapter for each")
    rows = []
    for chapter in manifest.CHAPTERS:
        if chapter.name in found:
            time = format_seconds(recorded_seconds(found[chapter.name]))
            rows.append(f"| `{chapter.notebook}` | {chapter.topic} | written | {time} |\n")
        else:
            rows.append(f"| `{chapter.name}` | {chapter.topic} | planned | |\n")
    return HEADER + "".join(rows)


LM_NOTE = ("on the book's split of The Time Machine (the last 10% validates) d2l's language models train on as "
           "many windows as its epochs cover on its own split, in whole epochs, and are scored as chapter 6 scores "
           "the book's models")


def d2l_measured(bench: dict) -> tuple[dict[str, str], list[str]]:
    """From the benchmark's results: the d2l entry of each book result it matches, and the footnote's lines.

    A classifier gives its test accuracy, a language model its validation
    perplexity on d2l's split and on the book's, a modern CNN its
    extrapolated training time (d2l's resolution is too slow to train here).
    """
    d2l = bench.get("d2l")
    if not d2l or "skipped" in d2l:
        return {}, []
    entries, notes = {}, []
    for r in [*d2l.get("recipes", []), *d2l.get("cnns", [])]:
        if "error" in r:
            continue
        names = r["book_results"] if "book_results" in r else [r["book_result"]]
        if not names:  # a model the table has no row for (d2l's GRU)
            continue
        if "test_accuracy" in r:
            text = f"{r['test_accuracy']:.3f}"
        elif "extrapolated_training_seconds" in r:
            text = f"not trained: ~{r['extrapolated_training_seconds'] / 3600:.1f} h (extrapolated)"
        else:
            ppl = {split: r[f"{split}_split"]["validation_perplexity"] for split in ("d2l", "book")
                   if f"{split}_split" in r}
            text = " / ".join(f"{value:.2f} ({split}'s split)" for split, value in ppl.items())
            if "book" in ppl and LM_NOTE not in notes:
                notes.insert(0, LM_NOTE)
        for name in names:
            entries[name] = f"{r['name']}: {text}"
        notes.append(f"{r['name']} (d2l {r['section']}): {r['settings']}")
    return entries, notes


def read_bench(path: Path = BENCH) -> dict:
    """The benchmark's last full run, or an empty dictionary when there is none."""
    return json.loads(path.read_text()) if path.is_file() else {}


def results_table(chapters: Path = CHAPTERS, bench: dict | None = None) -> str:
    """The results table in Markdown, from the numbers glued in the notebooks in ``chapters``."""
    d2l, notes = d2l_measured(read_bench() if bench is None else bench)
    rows, cache = [], {}
    for chapter, model, metric, names in RESULTS:
        path = chapters / f"{chapter}.ipynb"
        if not path.is_file():
            continue
        values = cache.setdefault(chapter, notebooks.glued_values(json.loads(path.read_text())))
        missing = [name for name in names if name not in values]
        if missing:
            raise SystemExit(f"error: {path.name} glues no {', '.join(missing)}: re-execute it (make book)")
        shown = " / ".join(f"{values[name]:.3f}" for name in names)
        measured = "; ".join(dict.fromkeys(d2l[name] for name in names if name in d2l)) or "-"
        rows.append(f"| {int(chapter[:2])} | {model} | {metric} | {shown} | {checked(names)} | {measured} |\n")
    footnote = ("\n[^d2l]: d2l 1.0.3's own model, training code and hyperparameters, run by `make bench` on this "
                "machine ([bench/results.md](bench/results.md), which lists the few changes needed to run them "
                "offline): " + ("; ".join(notes) if notes else "not measured yet") + ".\n")
    return RESULTS_HEADER + "".join(rows) + footnote


def checked(names: tuple[str, ...]) -> str:
    """The "checked" entry of a results row: the values' bounds from ``d2lhelpers.expectations``.

    One bound if they share it (``">= 0.84"``), else each in turn (``"< 0.65 / > 0.95"``).
    """
    texts = [expectations.describe(name) for name in names]
    return texts[0] if len(set(texts)) == 1 else " / ".join(texts)


def _replace(readme: str, begin: str, end: str, body: str) -> str:
    if readme.count(begin) != 1 or readme.count(end) != 1 or readme.index(begin) > readme.index(end):
        raise SystemExit(f"error: README.md needs one '{begin}' line followed by one '{end}' line")
    head, rest = readme.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}{end}{tail}"


def render(readme: str, chapters: Path = CHAPTERS, bench: dict | None = None) -> str:
    """``readme`` with the chapter and results tables between their markers made anew."""
    readme = _replace(readme, BEGIN, END, table(chapters))
    return _replace(readme, RESULTS_BEGIN, RESULTS_END, results_table(chapters, bench))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date, change nothing")
    args = parser.parse_args()
    current = README.read_text()
    wanted = render(current)
    if current == wanted:
        print("README.md: chapter and results tables up to date")
    elif args.check:
        sys.exit("error: README.md's chapter or results table is out of date: run 'make readme'")
    else:
        README.write_text(wanted)
        print("README.md: chapter and results tables regenerated")


if __name__ == "__main__":
    main()
