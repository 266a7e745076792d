# The book's commands. Every target that needs Python sets up .venv first.
# MXNet 1.9.1 (retired upstream) needs numpy < 1.24, whose wheels stop at
# Python 3.11: so the environment is Python 3.11 and nothing else.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

BOOK_JS := book/node_modules/.package-lock.json
LINT := d2lhelpers tests bench book

.PHONY: lab check test lint book html readme bench check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is not Python 3.11 (found: $$($(PYTHON) --version 2>&1))." >&2; \
	  echo "The book pins MXNet 1.9.1, which breaks with numpy >= 1.24; numpy 1.23.5 has" >&2; \
	  echo "no wheels for Python 3.12+. Install Python 3.11 and run: make PYTHON=/path/to/python3.11 ..." >&2; \
	  exit 1; }

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml | check-python
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	  echo "error: $(VENV) was made with another Python; remove it (rm -rf $(VENV)) and retry." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements-dev.txt -e .
	touch $(STAMP)

# Jupyter refuses to run as root unless told to (containers often run as root).
lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/ $(if $(filter 0,$(shell id -u)),--allow-root)

# Everyday checks, no chapter re-execution: lint, unit tests, the checks on the
# committed notebooks, the HTML build and the browser test. Runs every step and
# fails at the end if any failed, so one run shows all problems.
check: html
	@status=0; \
	echo "$(VENV)/bin/ruff check $(LINT)"; $(VENV)/bin/ruff check $(LINT) || status=1; \
	echo "$(PY) -m pytest tests -m 'not slow'"; $(PY) -m pytest tests -m "not slow" || status=1; \
	if [ $$status -ne 0 ]; then echo "make check: FAILED (see ruff and pytest output above)" >&2; fi; \
	exit $$status

# What CI runs: lint, the HTML build, then pytest over tests/ and chapters/ (nbval
# re-executes every notebook). NB=chapters/04_cnn.ipynb: nbval re-executes only
# that notebook, nothing else.
ifdef NB
test: $(STAMP)
	$(PY) -m pytest $(NB)
else
test: lint html
	$(PY) -m pytest
endif

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT)

# Widget JavaScript for the HTML book, pinned in book/package-lock.json.
$(BOOK_JS): book/package.json book/package-lock.json
	npm ci --prefix book --no-audit --no-fund

# The HTML book: executes chapters whose code changed (FORCE=1: all), then builds _build/html.
book: $(STAMP) $(BOOK_JS)
	$(PY) book/build.py $(if $(FORCE),--force)
	$(PY) book/chapter_table.py

# The README's chapter table, from the times recorded in the notebooks' metadata.
readme: $(STAMP)
	$(PY) book/chapter_table.py

# The HTML book from the committed notebooks as they are (what make test checks).
html: $(STAMP) $(BOOK_JS)
	$(PY) book/build.py --no-execute

# The benchmark (about 40 minutes): every chapter's time and results against d2lhelpers/expectations.py,
# d2l 1.0.3's own recipes trained here beside the book's models, the training loop's throughput against a
# bare loop and d2l's, the thread policy; writes bench/results.md and bench/results.json.
# QUICK=1: only the training-loop micro-benchmarks, printed. SEEDS=3: only the chapters, each at its default
# seed and at 101 and 202, with every glued result's minimum, median and maximum (bench/seeds.md and
# seeds.json); CHAPTERS="05_modern_cnn" limits the chapters run. python -m bench.run --help lists the rest:
# --out DIR writes any run's results; a partial run never replaces the full run's files.
bench: $(STAMP)
	$(PY) -m bench.run $(if $(filter-out 0,$(QUICK)),--quick) \
		$(if $(filter-out 0 1,$(SEEDS)),--parts chapters --seeds $(SEEDS)) $(if $(CHAPTERS),--chapters $(CHAPTERS))

clean:
	rm -rf $(VENV) .pytest_cache _build book/node_modules
