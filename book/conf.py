"""Sphinx configuration of the HTML book.

The book is built from the committed, executed notebooks in chapters/ (never
re-executed here) plus the pages in book/, with warnings as errors. Every
asset is local: MathJax comes from sphinx-mathjax-offline, widget JavaScript
from book/node_modules (installed from npm by `make book` and copied to
_static/ by book/build.py), so the built
site makes no request to another host.
"""
import os
import re
import subprocess
from pathlib import Path

BOOK_ROOT = Path(__file__).resolve().parent  # the staged copy lives in _build/src, inside the checkout

project = "Deep learning, built step by step"
author = "the authors of this book"
copyright = "2026, " + author
language = "en"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "node_modules", "README.md"]

# Notebooks are rendered from their committed outputs.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Widget JavaScript served from the build instead of a CDN.
html_static_path = ["_static"]
nb_ipywidgets_js = {  # loaded in this order
    "require.js": {},
    "widget-assets-path.js": {},
    "embed-amd.js": {"data-jupyter-widgets-cdn": "_static/", "data-jupyter-widgets-cdn-only": ""},
}

html_theme = "sphinx_book_theme"
html_title = project


def repository_url() -> str:
    """The GitHub address Binder and the repository button point at.

    ``$BOOK_REPOSITORY_URL`` when set, else the ``origin`` remote of this
    checkout when it is on GitHub, else a placeholder to be replaced.
    """
    if os.environ.get("BOOK_REPOSITORY_URL"):
        return os.environ["BOOK_REPOSITORY_URL"]
    try:
        origin = subprocess.run(["git", "-C", str(BOOK_ROOT), "remote", "get-url", "origin"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        origin = ""
    match = re.match(r"^(?:https://github\.com/|git@github\.com:)([\w.-]+/[\w.-]+?)(?:\.git)?$", origin)
    return f"https://github.com/{match.group(1)}" if match else "https://github.com/d2l-mxnet-book/book"


REPOSITORY = repository_url()
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "",
    "use_download_button": True,
    "use_repository_button": True,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
}
html_last_updated_fmt = None
