"""The book's benchmark: accuracy, wall time and throughput of every chapter.

Run it with ``make bench`` (about 35 minutes; ``make bench QUICK=1`` runs only the micro-benchmarks,
``make bench SEEDS=3`` the chapters at three seeds) or ``python -m bench.run --help``. The modules:

* ``run``: the command line; runs the parts below, prints one table, writes
  ``bench/results.md`` and ``bench/results.json``.
* ``chapters``: executes each chapter notebook in a fresh kernel, reads the
  numbers it glued, compares them and its wall time with
  ``d2lhelpers.expectations``; the spread of those numbers over seeds.
* ``d2l_recipes``: d2l 1.0.3's own models, training code and
  hyperparameters for the models the book shares with it, trained here; its
  modern CNNs timed on a few minibatches and extrapolated.
* ``micro``: examples/s of the book's training loop against a bare loop and
  against d2l's own loop (``d2l_loop``) on three models (``nets``), and the
  GFLOP/s they reach against the machine's GEMM peak (``flops``).
* ``threads``: the same LeNet epoch (``lenet_epoch``, in subprocesses) with
  one or all CPUs' worth of OpenMP threads, on an idle and on a busy machine.
* ``report``: the table, the Markdown and JSON files, machine and versions.

Importing this package imports ``d2lhelpers`` first, which sets
``OMP_NUM_THREADS`` before any module here loads MXNet.
"""
import d2lhelpers  # noqa: F401  (sets OMP_NUM_THREADS before MXNet loads)
