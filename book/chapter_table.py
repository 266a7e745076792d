"""Regenerate the README's chapter table from the committed notebooks.

Usage: python book/chapter_table.py [--check]

The table sits in README.md between ``<!-- chapters:begin -->`` and
``<!-- chapters:end -->``. Topics are written once, in ``TOPICS`` below; a
chapter is "written" when its notebook is in chapters/, else "planned"; its
time is the wall time ``book/build.py`` recorded in the notebook's metadata
(``d2lbook.seconds``) when it last executed it. Without ``--check`` the README
is rewritten in place (``make readme``; ``make book`` runs it too); with
``--check`` it only exits with status 1 when the README differs.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS, README = ROOT / "chapters", ROOT / "README.md"
BEGIN, END = "<!-- chapters:begin -->", "<!-- chapters:end -->"

TOPICS = {  # notebook name without .ipynb -> topic; the order of the table
    "00_introduction": "machine learning, deep learning, how to use the book, environment check",
    "01_basics": "arrays and autograd; linear regression; Fashion-MNIST; softmax regression; multilayer perceptron",
    "02_overfitting": "training vs generalization error; polynomial under-, good and overfitting; "
                      "K-fold cross-validation; weight decay; dropout",
    "03_backprop": "forward and backward propagation by hand, gradient checks, memory, numerical stability, "
                   "Xavier initialization",
    "04_cnn": "cross-correlation, padding and stride, channels, pooling, LeNet (classic and modernized)",
    "05_modern_cnn": "AlexNet, VGG, NiN, GoogLeNet, batch norm, ResNet",
    "06_rnn": "text preprocessing, language models, RNN, GRU, LSTM",
    "07_playground": "an interactive neural-network playground",
}
HEADER = ("| notebook | topic | status | time on 2 CPU cores |\n"
          "| --- | --- | --- | --- |\n")


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
    """The chapter table in Markdown, from the notebooks in ``chapters``."""
    notebooks = {path.stem: path for path in chapters.glob("*.ipynb")}
    unknown = sorted(set(notebooks) - set(TOPICS))
    if unknown:
        raise SystemExit(f"error: no topic for {', '.join(unknown)}: add it to TOPICS in {Path(__file__).name}")
    rows = []
    for name, topic in TOPICS.items():
        if name in notebooks:
            time = format_seconds(recorded_seconds(notebooks[name]))
            rows.append(f"| `chapters/{name}.ipynb` | {topic} | written | {time} |\n")
        else:
            rows.append(f"| `{name}` | {topic} | planned | |\n")
    return HEADER + "".join(rows)


def render(readme: str, chapters: Path = CHAPTERS) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise SystemExit(f"error: README.md needs one '{BEGIN}' line followed by one '{END}' line")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table(chapters)}{END}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date, change nothing")
    args = parser.parse_args()
    current = README.read_text()
    wanted = render(current)
    if current == wanted:
        print("README.md: chapter table up to date")
    elif args.check:
        sys.exit("error: README.md's chapter table is out of date: run 'make readme'")
    else:
        README.write_text(wanted)
        print("README.md: chapter table regenerated")


if __name__ == "__main__":
    main()
