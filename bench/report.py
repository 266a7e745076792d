"""The benchmark's report: one table, ``results.md`` and ``results.json``, from one dictionary of results.

``bench.run`` gathers everything a run measured into a dictionary that JSON
can hold (its layout is ``results.json``'s); the functions here turn it into
table rows, a fixed-width table for the terminal and a Markdown page. They
import neither MXNet nor nbclient, so the report can be rendered anywhere.
"""
from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from d2lhelpers import expectations, runtime

VALUE_FORMATS = {  # how a glued value is shown, by metric
    "test accuracy": ".3f",
    "validation perplexity": ".3f",
    "largest error": ".1e",
    "largest relative error": ".1e",
    "GFLOP/s": ".1f",
}
PACKAGES = ("mxnet", "numpy", "d2l", "nbclient", "nbformat")
HEADER = ("part", "what", "this run", "expected", "verdict")


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    part: str
    what: str
    value: str
    expected: str = ""
    verdict: str = ""


# ------------------------------------------------------------------ machine

def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def vector_extensions(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The widest SIMD instruction sets the CPU reports (Linux), which bound its float32 peak."""
    try:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("flags")), [])
    except OSError:
        return "unknown"
    found = [name for name in ("avx512f", "avx2", "fma", "avx") if name in flags]
    return ", ".join(found) or "none of avx512f, avx2, fma, avx"


def memory_gb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Total memory in GB (Linux), or None if unknown."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) * 1024 / 1e9, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine() -> dict:
    """What the numbers were measured on."""
    return {"cpu": cpu_model(), "vector_extensions": vector_extensions(), "logical_cpus": os.cpu_count(),
            "usable_cpus": runtime.usable_cpus(), "memory_gb": memory_gb(), "os": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)")}


def versions() -> dict:
    """Versions of Python and of the packages the numbers depend on."""
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


# ------------------------------------------------------------------ rows

def format_value(metric: str, value: float | None) -> str:
    """A glued value as the table shows it (``"0.845"``, ``"3.2e-07"``), ``"-"`` when there is none."""
    if value is None:
        return "-"
    return format(value, VALUE_FORMATS.get(metric, ".4g"))


def chapter_rows(chapters: dict) -> list[Row]:
    """Time and result rows of the ``chapters`` part of the results (chapters left out of the run omitted)."""
    rows = []
    errors = {run["chapter"]: run["error"] for run in chapters["runs"]}
    for check in chapters["times"]:
        if check["status"] == "not run":
            continue
        error = errors.get(check["chapter"], "")
        seconds = "-" if check["seconds"] is None else f"{check['seconds']:.1f} s"
        verdict = check["status"] + (f": {error[:60]}" if error else "")
        rows.append(Row("time", f"chapter {check['chapter']}", seconds, f"<= {check['budget']:.0f} s", verdict))
    book = chapters["book"]
    scope = ("all chapters" if book["complete"]
             else f"{book['chapters_timed']} of {book['chapters_planned']} chapters")
    rows.append(Row("time", f"whole book ({scope})", f"{book['seconds']:.1f} s", f"<= {book['budget']:.0f} s",
                    book["status"] + ("" if book["complete"] else " (incomplete)")))
    for check in chapters["results"]:
        if check["status"] == "not run":
            continue
        number = int(check["chapter"][:2])
        rows.append(Row("result", f"ch. {number} {check['description']}", format_value(check["metric"], check["value"]),
                        check["expected"], check["status"]))
    return rows


def micro_rows(micro: dict) -> list[Row]:
    """Throughput rows of the ``micro`` part: ratios, GFLOP/s against the GEMM peak, feeding share."""
    peak = micro["gemm"]["gflops"]
    gemm = micro["gemm"]
    rows = [Row("GEMM", f"float32 peak, {gemm['n']}x{gemm['n']} matrices, {path}", f"{rate:.1f} GFLOP/s",
                verdict="the peak" if path == gemm["path"] else "")
            for path, rate in gemm["median_gflops"].items()]
    at_least = expectations.LOOP_OVER_BARE_AT_LEAST
    for m in micro["models"]:
        rate, name = m["examples_per_second"], m["model"]
        if "book_over_bare" in m:
            ratio = m["book_over_bare"]
            rows.append(Row("loop", f"{name}: book loop / bare loop, examples/s",
                            f"{ratio:.2f} ({rate['book']:,.0f} / {rate['bare']:,.0f})", f">= {at_least:.2f}",
                            "met" if ratio >= at_least else "not met"))
        if "book_over_d2l" in m:
            ratio = m["book_over_d2l"]
            rows.append(Row("loop", f"{name}: book loop / d2l's loop and loader, examples/s",
                            f"{ratio:.2f} ({rate['book']:,.0f} / {rate['d2l']:,.0f})", "",
                            "book faster" if ratio > 1 else "d2l faster"))
        if "book" in m["gflops"]:
            rows.append(Row("loop", f"{name}: training GFLOP/s, book loop",
                            f"{m['gflops']['book']:.1f} = {m['gflops']['book'] / peak:.1%} of GEMM peak"))
        if "feed_share_of_bare" in m:
            rows.append(Row("loop", f"{name}: feeding the data, share of a bare epoch",
                            f"{m['feed_share_of_bare']:.1%}"))
    return rows


def thread_rows(threads: dict) -> list[Row]:
    """One row per setting and load of the ``threads`` part (median examples/s)."""
    rows = []
    for run in threads["runs"]:
        value = "failed" if run["median"] is None else f"{run['median']:,.0f} examples/s"
        attempts = len(run["errors"]) + len(run["examples_per_second"])
        rows.append(Row("threads", f"LeNet epoch, {run['setting']}, {run['load']}", value,
                        verdict=f"failed {len(run['errors'])} of {attempts} runs" if run["errors"] else ""))
    return rows


def d2l_summary(result: dict) -> str:
    """One d2l model's outcome in a few words: its result and time, or its error."""
    if "error" in result:
        return f"failed: {result['error'][:80]}"
    if "test_accuracy" in result:
        return (f"test accuracy {result['test_accuracy']:.3f} after {result['epochs']} epochs, "
                f"{result['seconds']:.0f} s ({result['examples_per_second']:,.0f} examples/s)")
    if "extrapolated_training_seconds" in result:
        return (f"{result['seconds_per_batch']:.2f} s per minibatch: {result['extrapolated_epoch_seconds']:,.0f} s "
                f"per epoch, {result['extrapolated_training_seconds'] / 3600:.1f} h for {result['epochs']} epochs "
                "(extrapolated)")
    if "networks" in result:
        return "; ".join([f"{result['ngram']['order']}-gram {result['ngram']['validation_perplexity']:.2f}",
                          *(f"{n['name']} {n['window_perplexity']:.2f} (lowest {n['lowest_window_perplexity']:.2f}), "
                            f"{n['seconds']:.0f} s" for n in result["networks"])])
    return "; ".join(f"{split.split('_')[0]}'s split: validation perplexity {found['validation_perplexity']:.2f} "
                     f"after {found['epochs']} epochs, {found['seconds']:.0f} s"
                     for split, found in result.items() if split.endswith("_split"))


def book_values(results: dict) -> dict[str, float]:
    """The numbers the chapters glued in this run (empty without the chapters part)."""
    return {name: value for run in results.get("chapters", {}).get("runs", [])
            for name, value in run["values"].items()}


def _book(names: list[str], values: dict[str, float]) -> str:
    """The book's results ``names`` of this run as "0.845 / 0.845", or "" when the chapters did not run."""
    shown = [format(values[name], ".3f") for name in names if name in values]
    return f"book: {' / '.join(shown)}" if shown else ""


def d2l_rows(d2l: dict, values: dict[str, float]) -> list[Row]:
    """One row per d2l model (per split for a language model), with the book's result of this run beside it."""
    if "skipped" in d2l:
        return [Row("d2l", "d2l's recipes", "-", verdict=d2l["skipped"])]
    rows = []
    for result in [*d2l["recipes"], *d2l["cnns"]]:
        what = f"d2l {result.get('section', '')}: {result['name']}"
        if "error" in result:
            rows.append(Row("d2l", what, "-", verdict=d2l_summary(result)))
        elif "test_accuracy" in result:
            rows.append(Row("d2l", f"{what}, test accuracy", f"{result['test_accuracy']:.3f} "
                            f"({result['seconds']:.0f} s)", _book(result["book_results"], values)))
        elif "extrapolated_training_seconds" in result:
            rows.append(Row("d2l", f"{what}, {result['epochs']} epochs at {result['settings'].split(',')[0]} "
                            "(extrapolated)",
                            f"{result['extrapolated_training_seconds']:,.0f} s",
                            _book([result["book_result"]], values)))
        else:
            for split in ("d2l", "book"):
                found = result.get(f"{split}_split")
                if found:
                    rows.append(Row("d2l", f"{what}, validation perplexity, {split}'s split",
                                    f"{found['validation_perplexity']:.2f} ({found['seconds']:.0f} s)",
                                    _book(result["book_results"], values) if split == "book" else ""))
    split = d2l.get("book_on_d2l_split")
    if split and "error" in split:
        rows.append(Row("d2l", "book on d2l's split", "-", verdict=d2l_summary(split)))
    elif split:
        ngram = split["ngram"]
        rows.append(Row("d2l", f"book on d2l's split: smoothed {ngram['order']}-gram, validation perplexity",
                        f"{ngram['validation_perplexity']:.2f}"))
        for net in split["networks"]:
            rows.append(Row("d2l", f"book on d2l's split: {net['name']}, validation perplexity (lowest)",
                            f"{net['window_perplexity']:.2f} ({net['lowest_window_perplexity']:.2f}; "
                            f"{net['seconds']:.0f} s)", f"d2l's {net['d2l_recipe']}: see below"))
    return rows


def spread_rows(spread: dict) -> list[Row]:
    """One row per glued result with a bound: minimum / median / maximum over the seeds, and how many met it."""
    rows = []
    for name, entry in spread["results"].items():
        if not entry["expected"]:
            continue
        count = len(entry["values"])
        value = " / ".join(format(entry[k], ".4g") for k in ("min", "median", "max"))
        rows.append(Row("seeds", f"ch. {int(entry['chapter'][:2])} {name} (min / median / max)", value,
                        entry["expected"], f"met at {entry['met']} of {count} seeds"))
    return rows


def rows(results: dict) -> list[Row]:
    """Every row of the table, for the parts the results hold."""
    found = []
    if "chapters" in results:
        found += chapter_rows(results["chapters"])
        if "spread" in results["chapters"]:
            found += spread_rows(results["chapters"]["spread"])
    if "d2l" in results:
        found += d2l_rows(results["d2l"], book_values(results))
    if "micro" in results:
        found += micro_rows(results["micro"])
    if "threads" in results:
        found += thread_rows(results["threads"])
    return found


def shortfalls(results: dict) -> list[str]:
    """Rows whose verdict is a failure: not met, over budget, failed, missing."""
    bad = ("not met", "over budget", "failed", "missing")
    found = [f"{r.what}: {r.verdict}" for r in rows(results) if r.verdict.startswith(bad)]
    spread = results.get("chapters", {}).get("spread", {"results": {}, "failures": []})
    found += [f"chapter {f['chapter']} at seed {f['seed']}: {f['status']}"
              + (f": {f['error'][:60]}" if f["error"] else "") for f in spread["failures"]]
    return found + [f"{name}: met at {e['met']} of {len(e['values'])} seeds" for name, e in spread["results"].items()
                    if e["expected"] and e["met"] < len(e["values"])]


# ------------------------------------------------------------------ output

def text_table(table: list[Row], width: int = 70) -> str:
    """The rows as a fixed-width table for the terminal; cells longer than ``width`` are cut."""
    cells = [HEADER] + [(r.part, r.what, r.value, r.expected, r.verdict) for r in table]
    cells = [[c if len(c) <= width else c[:width - 3] + "..." for c in line] for line in cells]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown_table(header: tuple[str, ...], body: list[tuple]) -> str:
    def cell(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in line) + " |" for line in body]
    return "\n".join(lines) + "\n"


def _chapters_markdown(chapters: dict) -> str:
    runs = {r["chapter"]: r for r in chapters["runs"]}

    def seconds(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    body = [(c["chapter"], c["status"], seconds(c["seconds"]), f"{c['budget']:.0f}",
             seconds(runs.get(c["chapter"], {}).get("recorded_seconds")), runs.get(c["chapter"], {}).get("error", ""))
            for c in chapters["times"] if c["status"] != "not run"]
    text = ("## Chapters\n\nEach chapter executed top to bottom in a fresh kernel (seed: "
            f"{chapters['seed']}); wall time, the kernel's start included.\n\n")
    text += _markdown_table(("chapter", "status", "seconds", "budget (s)", "recorded by make book (s)", "error"), body)
    body = [(int(c["chapter"][:2]), c["description"], c["name"], format_value(c["metric"], c["value"]),
             c["expected"], c["status"]) for c in chapters["results"] if c["status"] != "not run"]
    text += "\n" + _markdown_table(("ch.", "result", "glue name", "this run", "expected", "verdict"), body)
    others = [(run["chapter"], name, f"{value:.6g}") for run in chapters["runs"]
              for name, value in run["values"].items() if name not in expectations.EXPECTATIONS]
    if others:
        text += ("\nOther numbers the chapters glued (without an absolute bound; "
                 "the chapters check some of them against each other):\n\n")
        text += _markdown_table(("chapter", "glue name", "this run"), others)
    return text


def _spread_markdown(spread: dict) -> str:
    seeds = spread["seeds"]
    text = (f"## Seed spread\n\nEvery chapter run above at {len(seeds)} seeds: {', '.join(seeds)} "
            "(`D2L_SEED`; \"default\" is each chapter's own). Each glued number at every seed, and its minimum, "
            "median and maximum; \"met\" counts the seeds at which it met its bound.\n\n")
    body = [(int(e["chapter"][:2]), name, *(format(e["values"][s], ".4g") if s in e["values"] else "-" for s in seeds),
             *(format(e[k], ".4g") for k in ("min", "median", "max")), e["expected"],
             f"{e['met']} of {len(e['values'])}" if e["expected"] else "")
            for name, e in spread["results"].items()]
    text += _markdown_table(("ch.", "glue name", *seeds, "min", "median", "max", "expected", "met"), body)
    relative = [(int(e["chapter"][:2]), name, *(f"{e['values'][s]:.4g} / {e['references'][s]:.4g} = "
                                                 f"{e['ratios'][s]:.3g}" if s in e.get("ratios", {}) else "-"
                                                 for s in seeds), e["expected"])
                for name, e in spread["results"].items() if e.get("ratios")]
    if relative:
        text += ("\nRelative results at each seed: the value, that seed's own reference (what the bound "
                 "compares it with) and their ratio:\n\n")
        text += _markdown_table(("ch.", "glue name", *seeds, "expected"), relative)
    body = [(chapter, *(f"{t['values'][s]:.1f}" if s in t["values"] else "-" for s in seeds),
             f"{t['min']:.1f}", f"{t['median']:.1f}", f"{t['max']:.1f}") for chapter, t in spread["times"].items()]
    text += "\nWall time (s):\n\n" + _markdown_table(("chapter", *seeds, "min", "median", "max"), body)
    if spread["failures"]:
        text += "\nChapters that did not execute:\n\n" + _markdown_table(
            ("chapter", "seed", "status", "error"), [(f["chapter"], f["seed"], f["status"], f["error"])
                                                     for f in spread["failures"]])
    return text


def _d2l_markdown(d2l: dict, values: dict[str, float]) -> str:
    text = "## d2l 1.0.3, measured here\n\n"
    if "skipped" in d2l:
        return text + d2l["skipped"] + "\n"
    text += ("d2l's own model, training code and hyperparameters (`bench/d2l_recipes.py`), with only these "
             "changes:\n\n" + "".join(f"* {change}\n" for change in d2l["changes"]) + "\n")
    failed = [r for r in [*d2l["recipes"], *d2l["cnns"]] if "error" in r]
    classifiers = [r for r in d2l["recipes"] if "test_accuracy" in r]
    body = [(r["name"], r["section"], r["settings"], f"{r['test_accuracy']:.3f}", f"{r['seconds']:.0f}",
             f"{r['examples_per_second']:,.0f}", _book(r["book_results"], values).removeprefix("book: ") or "-")
            for r in classifiers]
    text += _markdown_table(("model", "d2l section", "d2l's settings", "test accuracy", "seconds of fit",
                             "training examples/s", "book, this run"), body)
    lms = [r for r in d2l["recipes"] if "d2l_split" in r or "book_split" in r]
    body = [(r["name"], r["section"], r["settings"], split.split("_")[0], found["epochs"],
             f"{found['training_windows']:,}", f"{found['validation_perplexity']:.2f}", f"{found['seconds']:.0f}",
             f"{found['examples_per_second']:,.0f}",
             (_book(r["book_results"], values).removeprefix("book: ") or "-") if split == "book_split" else "-")
            for r in lms for split, found in r.items() if split.endswith("_split")]
    text += ("\nLanguage models. d2l's split: windows of 33 characters starting at each of the first 10,000 "
             "positions train, the next 5,000 validate, each window scored from a zero state (d2l's scoring). "
             "The book's split: the first 90% of the characters train, the last 10% validate, scored as chapter 6 "
             "scores them (consecutive 32 x 32 minibatches carrying the state); there d2l's recipe trains on as "
             "many windows as over its own split, in whole epochs.\n\n")
    text += _markdown_table(("model", "d2l section", "d2l's settings", "split", "epochs", "training windows",
                             "validation perplexity", "seconds of fit", "training windows/s", "book, this run"), body)
    text += _d2l_split_markdown(d2l)
    body = [(r["name"], r["section"], r["settings"], r["batches_timed"], f"{r['seconds_per_batch']:.2f}",
             f"{r['extrapolated_epoch_seconds']:,.0f}", f"{r['extrapolated_training_seconds']:,.0f}",
             format_value("test accuracy", values.get(r["book_result"])))
            for r in d2l["cnns"] if "error" not in r]
    text += ("\nModern CNNs at d2l's resolution, timed over a few minibatches and extrapolated (not trained): "
             "seconds per minibatch, then an epoch of 469 minibatches and d2l's epochs, without validation.\n\n")
    text += _markdown_table(("model", "d2l section", "d2l's settings", "minibatches timed", "s per minibatch",
                             "epoch (s, extrapolated)", "training (s, extrapolated)", "book's accuracy, this run"),
                            body)
    if failed:
        text += "\nFailed: " + "; ".join(f"{r['name']}: {r['error']}" for r in failed) + "\n"
    return text


def _d2l_split_markdown(d2l: dict) -> str:
    """d2l's split, like with like: d2l's networks, the book's networks and n-gram, all scored window by window."""
    split = d2l.get("book_on_d2l_split")
    if not split:
        return ""
    text = "\n### d2l's split, like with like\n\n"
    if "error" in split:
        return text + f"The book's models on d2l's split failed: {split['error']}\n"
    ngram = split["ngram"]
    text += ("Every model below reads d2l's training characters (the first "
             f"{split['training_characters']:,}) and is scored as d2l scores its networks: each of the "
             f"{split['validation_windows']:,} validation windows of 32 characters from a zero state "
             "(`bench/d2l_split.py`). The book's networks keep chapter 6's recipe and its number of updates; "
             "made for 15 times as many characters, it overfits these, so the validation perplexity is also "
             "given at its lowest over the checkpoints (epochs 1, 2, 4, 8, ... and eight evenly spaced; chosen on "
             "the validation windows, so optimistic). "
             "'carried' is the chapter's own scoring of the same characters (32 x 32 minibatches carrying the "
             "state). The smoothed n-gram: interpolated absolute discounting, d = 0.75, each order scored on "
             "the same windows (orders 1-8: "
             + ", ".join(f"{n}: {ppl:.2f}" for n, ppl in ngram["by_order"].items()) + ").\n\n")
    body = [(f"d2l {r['section']}: {r['name']}", r["settings"], f"{r['d2l_split']['epochs']} epochs",
             f"{r['d2l_split']['validation_perplexity']:.2f}", "-", "-", "-", f"{r['d2l_split']['seconds']:.0f}")
            for r in d2l["recipes"] if "d2l_split" in r]
    body.append((f"book 6.3: smoothed {ngram['order']}-gram (best order)", "counts, no training", "-",
                 f"{ngram['validation_perplexity']:.2f}", "-", "-", "-", "-"))
    body += [(f"book 6: {n['name']}", "chapter 6's recipe", f"{n['epochs']} epochs, {n['updates']:,} updates",
              f"{n['window_perplexity']:.2f}",
              f"{n['lowest_window_perplexity']:.2f} (after {n['lowest_after_updates']})",
              f"{n['carried_perplexity']:.2f}", f"{n['train_perplexity']:.2f}", f"{n['seconds']:.0f}")
             for n in split["networks"]]
    return text + _markdown_table(("model", "settings", "training", "validation perplexity", "lowest (updates)",
                                   "carried", "training perplexity", "seconds of training"), body)


def _micro_markdown(micro: dict) -> str:
    gemm = micro["gemm"]
    every = "; ".join(f"`{path}` " + ", ".join(f"{g:.1f}" for g in rates) for path, rates in gemm["all_gflops"].items())
    text = (f"## Training loop\n\nfloat32 GEMM peak: {gemm['gflops']:.1f} GFLOP/s, the median of {gemm['repeats']} "
            f"products of {gemm['n']}x{gemm['n']} matrices through `{gemm['path']}` (every product, in GFLOP/s: "
            f"{every}).\n\n")
    body = []
    for m in micro["models"]:
        for variant, rate in m["examples_per_second"].items():
            body.append((m["model"], variant, f"{rate:,.0f}", f"{m['median_seconds'][variant]:.3f}",
                         ", ".join(f"{s:.3f}" for s in m["seconds"][variant]), f"{m['gflops'][variant]:.2f}",
                         f"{m['fraction_of_gemm_peak'][variant]:.1%}" if "fraction_of_gemm_peak" in m else "-"))
    text += _markdown_table(("model", "loop", "examples/s", "median s/epoch", "every epoch (s)", "GFLOP/s",
                             "of GEMM peak"), body)
    text += "\n" + _markdown_table(
        ("model", "what", "examples per epoch", "forward MFLOPs per example", "feeding, share of a bare epoch"),
        [(m["model"], m["description"], f"{m['examples_per_epoch']:,}", f"{m['forward_mflops_per_example']:.3f}",
          f"{m['feed_share_of_bare']:.1%}" if "feed_share_of_bare" in m else "-") for m in micro["models"]])
    return text


def _threads_markdown(threads: dict) -> str:
    text = (f"## Thread policy\n\nOne epoch of the modernized LeNet ({threads['batches']} minibatches of 256, "
            f"hybridized, the book's loop), each in a fresh process; median of {threads['repeats']}. "
            "Busy: one other process spinning on a CPU throughout.\n\n")
    body = [(r["setting"], r["load"], "-" if r["median"] is None else f"{r['median']:,.0f}",
             ", ".join(f"{x:,.0f}" for x in r["examples_per_second"]), "; ".join(e[:80] for e in r["errors"]))
            for r in threads["runs"]]
    text += _markdown_table(("setting", "load", "median examples/s", "every run", "errors"), body)
    if threads["verdict"]:
        text += "\n" + "\n".join(f"* {line}" for line in threads["verdict"]) + "\n"
    return text


def markdown(results: dict) -> str:
    """The whole report as a Markdown page."""
    parts = ", ".join(results["parts"])
    text = (f"# Benchmark results\n\nMeasured by `python -m bench.run` (`make bench`) on {results['date']}; "
            f"parts: {parts}.\n\n")
    settings = ", ".join(f"{k} {v}" for k, v in results.get("settings", {}).items())
    info = [(k, v) for k, v in results["machine"].items()] + [(k, v) for k, v in results["versions"].items()]
    text += "## Machine and versions\n\n" + _markdown_table(("item", "value"), info)
    if settings:
        text += f"\nSettings: {settings}.\n"
    table = rows(results)
    text += "\n## Summary\n\n" + _markdown_table(HEADER, [(r.part, r.what, r.value, r.expected, r.verdict)
                                                          for r in table])
    if "chapters" in results:
        text += "\n" + _chapters_markdown(results["chapters"])
        if "spread" in results["chapters"]:
            text += "\n" + _spread_markdown(results["chapters"]["spread"])
    if "d2l" in results:
        text += "\n" + _d2l_markdown(results["d2l"], book_values(results))
    if "micro" in results:
        text += "\n" + _micro_markdown(results["micro"])
    if "threads" in results:
        text += "\n" + _threads_markdown(results["threads"])
    if results.get("notes"):
        text += "\n## How it was measured\n\n" + "\n".join(f"* {note}" for note in results["notes"]) + "\n"
    return text


def _replace_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a failure never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write(results: dict, out_dir: Path, stem: str = "results") -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.json`` into ``out_dir``; returns their paths.

    Both texts are made before either file is touched, and each file is
    replaced whole, so results that cannot be rendered leave the previous
    files as they were.
    """
    md_text, json_text = markdown(results), json.dumps(results, indent=1, sort_keys=False) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    _replace_text(md, md_text)
    _replace_text(js, json_text)
    return md, js


def write_study(out: Path | None, stem: str, results: dict, report: str) -> None:
    """Print a study's Markdown ``report`` and, when ``out`` is given, write it and ``results`` there as ``stem``.md
    and ``stem``.json (the studies: ``language_model``, ``modern_cnn_recipe``, ``rnn_cells``, ``dropout_control``)."""
    print(report)
    if out is None:
        print("(not written: a partial run writes only with --out)", file=sys.stderr)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / f"{stem}.md").write_text(report)
    print(f"wrote {out / (stem + '.md')} and {stem}.json")
