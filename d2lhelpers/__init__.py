"""Helpers shared by the chapters of the book.

One module per concern: ``runtime`` (threads, seeds, versions), ``data``
(data sets, IDX files, minibatches), ``train`` (metrics and training loops),
``plot`` (figures in notebooks) and ``figures`` (the book's diagrams).

Importing this package sets ``OMP_NUM_THREADS`` to the CPUs this process can
use, unless it is already set; it must therefore be imported before MXNet.
That is its only side effect.
"""
from d2lhelpers import runtime as _runtime

__version__ = "0.1.0"

_runtime.configure_threads()
