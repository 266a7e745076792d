"""Sphinx configuration of the HTML book.

The book is built from the committed, executed notebooks in chapters/ (never
re-executed here) plus the pages in book/, with warnings as errors. Every
asset is local: MathJax comes from sphinx-mathjax-offline, widget JavaScript
from book/node_modules (installed from npm by `make book` and copied to
_static/ by book/build.py), so the built
site makes no request to another host.
"""
import os

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
REPOSITORY = os.environ.get("BOOK_REPOSITORY_URL", "https://github.com/d2l-mxnet-book/book")
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
