"""The book's benchmark: accuracy, wall time and throughput of every chapter.

Usage, from the repository's root: python -m bench.run [--quick] [--parts chapters,d2l,micro,threads] [options]
(``make bench``; ``make bench QUICK=1`` or ``QUICK=1`` in the environment is ``--quick``.)

Four parts, each optional:

* ``chapters``: every chapter notebook executed in a fresh kernel (copies in
  a temporary folder; the committed notebooks are not touched), its wall time
  and glued results compared with ``d2lhelpers.expectations``; with
  ``--seeds N`` each chosen chapter runs at its default seed and N - 1
  others, and every glued result's minimum, median and maximum are reported;
* ``d2l``: d2l 1.0.3's own models, training code and hyperparameters for
  every model the book shares with it, trained here to a final test accuracy
  or validation perplexity (``bench.d2l_recipes``); its modern CNNs timed on
  a few minibatches and their training time extrapolated; and the book's
  language models trained and scored on d2l's split (``bench.d2l_split``);
* ``micro``: examples/s of the book's training loop against a bare
  forward/backward/update loop and against d2l 1.0.3's loop, on an MLP,
  LeNet and a small ResNet, with the GFLOP/s reached against the machine's
  float32 GEMM peak measured in the same run;
* ``threads``: one LeNet epoch with 1 thread and with all usable CPUs (plain
  and with libgomp's passive waiting), on an idle machine and with one other
  busy process.

It prints a progress line per step and, at the end, one table. A full run
(all parts at the default sizes, about 35 minutes) writes
``bench/results.md`` and ``bench/results.json``; a run with ``--seeds N``
writes ``bench/seeds.md`` and ``bench/seeds.json``; any other run writes
only where ``--out`` says, so a quick run never replaces a full one.
Set ``D2L_DATA_MIRROR`` when offline. Run it on a machine with nothing else
busy: every timing is a median of several, and every comparison a ratio of
timings taken in the same run, but a busy machine still skews them.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench import chapters, report
from d2lhelpers import expectations, runtime

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("chapters", "d2l", "micro", "threads")
BOOK_ON_D2L_SPLIT = "book-on-d2l-split"  # the d2l part's job that trains the book's models on d2l's split
DEFAULTS = {"rounds": 5, "repeats": 3, "thread_batches": 40, "gemm_size": 2048, "d2l_batches": 3}
NOTES = {  # how each part measures, for results.md
    "all": "Every timing is the median of several repeats, and the variants compared with each other run in "
           "alternating rounds after an untimed warm-up round, so that noise spreads evenly over them; every "
           "timing waits for MXNet's queued work (`npx.waitall()`).",
    "chapters": "Chapters: each notebook is copied to a temporary folder and executed there by nbclient in a new "
                "`python3` kernel whose working folder is `chapters/`; its wall time includes the kernel's start. "
                "A chapter's own results cell also makes its relative checks, so an executed chapter passed them.",
    "micro": "Training loop: each model is hybridized and trained by SGD (learning rate 0.1) on the first examples "
             "of Fashion-MNIST's training set in minibatches of 256. 'bare' is forward, loss, backward and "
             "`trainer.step` over the book's in-memory minibatches; 'book' is `d2lhelpers.train.Loop.epoch` with "
             "training accuracy on the same minibatches; 'feed' only gathers the minibatches. FLOPs: 2 per "
             "multiply-add of dense and convolution layers, counted from the layers' shapes by one forward pass "
             "(other layers left out); a training step counts as 3 forward passes. The GEMM peak is the median "
             "speed of the product of two large square float32 matrices at this run's thread count, along the "
             "faster of MXNet's two paths: `np.dot` (the BLAS the wheel bundles; OpenBLAS in MXNet 1.9.1's pip "
             "wheel) and `npx.fully_connected` (oneDNN, which dense and convolution layers use). Both are reported.",
    "d2l": "d2l's recipes: each model of d2l 1.0.3 that the book shares is trained here by d2l's own code "
           "(`d2l.Trainer.fit` with its data modules) and d2l's hyperparameters, seeded with 0 (or `D2L_SEED` "
           "when set), and scored once after training over the whole test set (validation set): see "
           "`bench/d2l_recipes.py`, and the changes listed in the d2l section above. Its seconds are the wall "
           "time of d2l's whole `fit`, which validates after every epoch as d2l does; its examples (windows) "
           "per second are the training examples seen over that time. The modern CNNs are timed over a few of "
           "d2l's minibatches at d2l's resolution after one untimed minibatch, and their training time is "
           "extrapolated to d2l's 10 epochs of 469 minibatches, without validation.",
    "d2l_loop": "d2l's loop is d2l 1.0.3's own code: `d2l.Classifier`, `d2l.Trainer.fit_epoch` and `d2l.FashionMNIST` "
           "(Gluon's FashionMNIST data set, resized and turned into tensors per example, a `gluon.data.DataLoader` "
           "with d2l's 4 worker processes), with four changes needed to run it offline on the same model and data: "
           "(1) Gluon's FashionMNIST checks the SHA-1 of an older release of the files, which the official ones no "
           "longer match, and then downloads: its `download` is replaced by `d2lhelpers.data.fetch` (the same "
           "files, checked by SHA-256) while the data set is built, and Gluon's code parses them; (2) its training "
           "set is cut to the same first examples (`Dataset.take`); (3) its worker processes deliver minibatches "
           "in shared memory (`cpu_shared(0)`), which a hybridized network refuses, so `prepare_batch` copies "
           "them to `cpu(0)`, as d2l's own does for a GPU; (4) only training is timed: no validation loader, and "
           "its ProgressBoard records its points (a host synchronization per minibatch, as in d2l) without "
           "drawing them.",
    "threads": "Thread policy: each measurement is a fresh process (`python -m bench.lenet_epoch`) with "
               "OMP_NUM_THREADS and the libgomp wait variables set in its environment; 'busy' runs a Python busy "
               "loop on one CPU throughout that measurement (started and stopped by the benchmark, bounded in "
               "time).",
}


class Progress:
    """Prints progress lines with the time elapsed since the run started."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        minutes, seconds = divmod(int(time.perf_counter() - self.start), 60)
        print(f"[{minutes:3d}:{seconds:02d}] {message}", flush=True)


def parse_parts(text: str) -> tuple[str, ...]:
    """``"micro,threads"`` -> ("micro", "threads"), in the benchmark's order; ValueError for unknown parts."""
    wanted = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PARTS]
    if unknown or not wanted:
        raise ValueError(f"parts must be a comma-separated list of {', '.join(PARTS)}, got {text!r}")
    return tuple(p for p in PARTS if p in wanted)


def quick_from_env(environ: dict[str, str]) -> bool:
    """Whether ``QUICK`` is set to something other than empty or 0."""
    return environ.get("QUICK", "").strip() not in ("", "0")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked; ``parts`` becomes a tuple of part names (``--quick``: only micro)."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the micro-benchmarks (also QUICK=1)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated parts among {', '.join(PARTS)}")
    parser.add_argument("--chapters", nargs="+", default=(), metavar="NAME",
                        help="execute only these chapters (notebook names without .ipynb)")
    parser.add_argument("--chapters-dir", type=Path, default=ROOT / "chapters")
    parser.add_argument("--keep-notebooks", type=Path, metavar="DIR",
                        help="leave the executed copies of the chapters in DIR, with --seeds in one folder per "
                             "seed (default: a temporary folder)")
    parser.add_argument("--batches", type=int, metavar="N",
                        help="minibatches per timed epoch in the micro-benchmarks and thread runs "
                             "(default: 100 MLP, 40 LeNet, 10 ResNet; 40 for threads)")
    parser.add_argument("--rounds", type=int, default=DEFAULTS["rounds"], help="timed rounds per micro-benchmark")
    parser.add_argument("--repeats", type=int, default=DEFAULTS["repeats"], help="runs per thread setting and load")
    parser.add_argument("--gemm-size", type=int, default=DEFAULTS["gemm_size"], help="n of the n x n GEMM")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="run the chapters at N seeds: each one's default, then 101, 202, ...; report every "
                             "glued result's minimum, median and maximum (writes bench/seeds.md and seeds.json)")
    parser.add_argument("--d2l-models", nargs="+", default=(), metavar="NAME",
                        help="train or time only these of d2l's models (names as in bench/d2l_recipes.py), or "
                             f"{BOOK_ON_D2L_SPLIT}: the book's language models on d2l's split")
    parser.add_argument("--d2l-batches", type=int, default=DEFAULTS["d2l_batches"], metavar="N",
                        help="minibatches timed per modern CNN of d2l")
    parser.add_argument("--no-d2l", action="store_true", help="leave out the d2l part and d2l's loop in micro")
    parser.add_argument("--out", type=Path, help="folder for results.md and results.json "
                                                 "(default: bench/ for a full run, none otherwise)")
    args = parser.parse_args(argv)
    try:
        args.parts = ("micro",) if args.quick or quick_from_env(os.environ) else parse_parts(args.parts)
    except ValueError as error:
        parser.error(str(error))
    unknown = [name for name in args.chapters if name not in expectations.CHAPTER_SECONDS]
    if unknown:
        parser.error(f"--chapters takes names among {', '.join(expectations.CHAPTER_SECONDS)}, got {unknown}")
    if args.no_d2l:
        args.parts = tuple(p for p in args.parts if p != "d2l")
    if args.seeds > 1 and "chapters" not in args.parts:
        parser.error("--seeds runs the chapters part: add chapters to --parts")
    if args.d2l_models:
        try:
            d2l_recipes = importlib.import_module("bench.d2l_recipes")  # loads MXNet and d2l, to check the names
        except Exception as error:  # noqa: BLE001 (d2l cannot run: say so rather than show a traceback)
            parser.error(f"--d2l-models: d2l cannot run here ({type(error).__name__}: {error})")
        known = [*d2l_recipes.RECIPES, *d2l_recipes.CNNS, BOOK_ON_D2L_SPLIT]
        unknown = [name for name in args.d2l_models if name not in known]
        if unknown:
            parser.error(f"--d2l-models takes names among {', '.join(known)}, got {unknown}")
    for name in ("batches", "rounds", "repeats", "gemm_size", "seeds", "d2l_batches"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
    return args


def is_full_run(args: argparse.Namespace) -> bool:
    """All parts, every chapter, default sizes and d2l's loop: the run whose results bench/ keeps."""
    return (args.parts == PARTS and not args.chapters and args.batches is None and not args.no_d2l
            and args.seeds == 1 and not args.d2l_models and args.chapters_dir.resolve() == ROOT / "chapters"
            and all(getattr(args, k) == v for k, v in DEFAULTS.items() if k != "thread_batches"))


def run_chapters(args: argparse.Namespace, progress: Progress) -> dict:
    """The ``chapters`` part: every chapter executed, timed and compared; with ``--seeds``, at every seed.

    The first seed's runs (each chapter's default, or ``D2L_SEED`` as set
    when ``--seeds`` is 1) fill the usual tables; a spread adds ``spread``.
    """
    seeds = [None, *chapters.extra_seeds(args.seeds - 1)]
    runs_by_seed = {}
    with tempfile.TemporaryDirectory(prefix="d2l-bench-") as tmp:
        for seed in seeds:
            label = "default" if seed is None else str(seed)
            work_dir = (args.keep_notebooks or Path(tmp)) / ("" if len(seeds) == 1 else f"seed-{label}")
            work_dir.mkdir(parents=True, exist_ok=True)
            if len(seeds) == 1:  # D2L_SEED as the caller set it, if at all
                runs_by_seed[label] = chapters.run_all(args.chapters_dir, work_dir, args.chapters, progress)
                continue
            progress(f"seed {label} ({len(runs_by_seed) + 1} of {len(seeds)})")
            with chapters.seed_variable(seed):
                runs_by_seed[label] = chapters.run_all(args.chapters_dir, work_dir, args.chapters, progress)
    runs = runs_by_seed["default"]
    set_seed = os.environ.get(runtime.SEED_VARIABLE, "").strip()
    found = {"runs": [asdict(r) for r in runs.values()],
             "times": [asdict(c) for c in chapters.compare_times(runs)],
             "book": chapters.book_time(runs),
             "results": [asdict(c) for c in chapters.compare_results(runs)],
             "seed": (f"{runtime.SEED_VARIABLE}={set_seed}" if set_seed and len(seeds) == 1
                      else "each chapter's default")}
    if len(seeds) > 1:
        found["spread"] = chapters.spread(runs_by_seed)
    return found


def run_d2l(args: argparse.Namespace, progress: Progress) -> dict:
    """The ``d2l`` part: d2l's recipes trained here, its modern CNNs timed; skipped if d2l cannot run."""
    try:
        d2l_recipes = importlib.import_module("bench.d2l_recipes")  # loads MXNet and d2l
        d2l_split = importlib.import_module("bench.d2l_split")
    except Exception as error:  # noqa: BLE001 (any failure to load d2l means the same: skip it, say why)
        message = f"d2l's recipes skipped: the d2l package cannot run here ({type(error).__name__}: {error})"
        progress(message)
        return {"skipped": message}
    from mxnet import npx

    npx.set_np()
    jobs = [("recipes", name, lambda r=r: d2l_recipes.run(r)) for name, r in d2l_recipes.RECIPES.items()]
    jobs += [("cnns", name, lambda c=c: d2l_recipes.extrapolate(c, args.d2l_batches))
             for name, c in d2l_recipes.CNNS.items()]
    jobs.append(("book_on_d2l_split", BOOK_ON_D2L_SPLIT, lambda: d2l_split.run(progress=progress)))
    jobs = [job for job in jobs if not args.d2l_models or job[1] in args.d2l_models]
    found = {"changes": list(d2l_recipes.CHANGES), "recipes": [], "cnns": []}
    doing = {"recipes": "training with d2l's recipe", "cnns": "timing d2l's minibatches",
             "book_on_d2l_split": "the book's n-gram and networks, trained and scored on d2l's split"}
    for number, (kind, name, job) in enumerate(jobs, 1):
        progress(f"d2l {name} ({number}/{len(jobs)}): {doing[kind]}")
        runtime.set_seed(0)
        try:
            result = job()
        except Exception as error:  # noqa: BLE001 (one recipe failing leaves the others to run)
            result = {"name": name, "error": f"{type(error).__name__}: {error}"[:500]}
        if kind == "book_on_d2l_split":
            found[kind] = result
        else:
            found[kind].append(result)
        progress(f"d2l {name}: " + report.d2l_summary(result))
    return found


def run_micro(args: argparse.Namespace, progress: Progress) -> dict:
    """The ``micro`` part: the GEMM peak, then each model's loops."""
    from mxnet import npx

    from bench import flops, micro  # loads MXNet and d2l, which the chapters part does not need
    from d2lhelpers import data

    npx.set_np()
    runtime.set_seed(0)
    progress(f"GEMM peak: products of {args.gemm_size}x{args.gemm_size} float32 matrices")
    gemm = flops.gemm_peak(args.gemm_size)
    progress("GEMM peak: " + ", ".join(f"{path} {rate:.1f}" for path, rate in gemm["median_gflops"].items())
             + " GFLOP/s")
    fashion = data.load_fashion_mnist()
    models = []
    for name, default in micro.DEFAULT_BATCHES.items():
        result = micro.run_model(name, fashion, args.batches or default, args.rounds, with_d2l=not args.no_d2l,
                                 progress=progress)
        models.append(result.to_dict(gemm["gflops"]))
        rates = ", ".join(f"{v} {r:,.0f}" for v, r in models[-1]["examples_per_second"].items())
        progress(f"{name}: examples/s {rates}")
    return {"gemm": gemm, "models": models}


def run_threads(args: argparse.Namespace, progress: Progress) -> dict:
    """The ``threads`` part: one LeNet epoch per setting, idle and busy."""
    from bench import threads

    batches = args.batches or DEFAULTS["thread_batches"]
    choices = threads.settings(runtime.usable_cpus())
    runs = threads.measure(choices, batches, args.repeats, progress)
    medians = {(r.setting.label, r.load): r.median for r in runs if r.median is not None}
    return {"batches": batches, "repeats": args.repeats, "runs": [r.to_dict() for r in runs],
            "verdict": threads.verdict(medians)}


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    progress = Progress()
    full = is_full_run(args)
    out = args.out or (ROOT / "bench" if full or args.seeds > 1 else None)
    results = {"date": report.now(), "parts": list(args.parts), "machine": report.machine(),
               "versions": report.versions(),
               "settings": {"rounds": args.rounds, "repeats": args.repeats, "batches": args.batches or "default",
                            "gemm_size": args.gemm_size, "seeds": args.seeds, "full run": full}}
    progress(f"benchmark: {', '.join(args.parts)}; OMP_NUM_THREADS={results['machine']['OMP_NUM_THREADS']}, "
             f"load average {results['machine']['load_average_at_start']}")
    runners = {"chapters": run_chapters, "d2l": run_d2l, "micro": run_micro, "threads": run_threads}
    for part in args.parts:
        results[part] = runners[part](args, progress)
    shown = ["all", *args.parts] + (["d2l_loop"] if "micro" in args.parts and not args.no_d2l else [])
    results["notes"] = [NOTES[key] for key in NOTES if key in shown]
    print()
    print(report.text_table(report.rows(results)))
    for line in results.get("threads", {}).get("verdict", []):
        print(f"threads: {line}")
    problems = report.shortfalls(results)
    if problems:
        print(f"\n{len(problems)} shortfall(s):" + "".join(f"\n  {p}" for p in problems))
    else:
        print("\nEverything measured meets its expectation.")
    if out is None:
        print("Not a full run, so bench/results.md and results.json are left as they were (--out DIR writes them).")
    else:
        md, js = report.write(results, out, "seeds" if args.seeds > 1 else "results")
        print(f"Wrote {md} and {js}")


if __name__ == "__main__":
    sys.exit(main())
