"""Helpers shared by the chapters of the book.

One module per concern:

* ``manifest``: the book's chapters (titles, default seeds, time budgets).
* ``expectations`` and ``results``: the bounds each chapter's results must meet, and the
  "Results of this run" table that shows and checks them.
* ``runtime``: CPU threads, seeds, the device to train on, and versions.
* ``data``: data sets (verified downloads, IDX files) and minibatches.
* ``train``: metrics and the training loop every chapter uses, on one device or several.
* ``optim``: updaters (minibatch SGD, Gluon trainers), learning-rate schedules, gradient clipping.
* ``plot``: figures and live training plots in notebooks.
* ``figures``: the book's diagrams, drawn by code.
* ``text``: tokens, vocabularies and minibatches of subsequences for language models.
* ``playground``: chapter 7's playground (a subpackage): 2-D data sets, input features, small
  MLPs trained through ``train.Loop``, their pictures, animations and live controls.
* ``models``: layer output shapes and parameter counts of Gluon models.
* ``gradcheck``: gradients checked against autograd or finite differences.
* ``timing``: wall times that wait for MXNet's asynchronous engine.
* ``exercises``: self-checks for exercises whose answer can be computed.
* ``checks``: argument checks and array conversion that the other modules share.

Importing this package sets ``OMP_NUM_THREADS`` to the CPUs this process can
use, unless it is already set; it must therefore be imported before MXNet
(otherwise it warns and leaves MXNet's default). That is its only side effect.
"""
from d2lhelpers import runtime as _runtime

__version__ = "0.1.0"

# stacklevel 3 attributes the warning to the line that imported d2lhelpers
# (warnings skips importlib's own frames), not to this file.
_runtime.configure_threads(stacklevel=3)
