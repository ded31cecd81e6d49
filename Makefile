# The newcomer's two commands: `make grade` and `make test`. Both install what they need into .venv
# (and so do `make test-fast` and `make lint`, the maintainer's).
# When the grader runs as root, student code runs as an unprivileged user, who must be able to
# read the interpreter's library: prefer the system Python (under /usr) to one in root's home.
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do $$p -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 10)' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
SUBMISSION ?= student_template/backprop.py
FORMAT ?= text
JOBS ?= 2

# every version installed comes from the lock (pip reads PIP_CONSTRAINT in its build environments too)
LOCKED := PIP_CONSTRAINT=requirements.lock

.PHONY: install grade test test-fast lint batch bench bundle handout lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(LOCKED) $(PY) -m pip install --quiet pip setuptools
	$(LOCKED) $(PY) -m pip install --quiet -e '.[test]'
	touch $@

grade: install
	$(PY) -m grader grade $(SUBMISSION) --format $(FORMAT)

# the HTML report is tested in a real headless browser: Debian's chromium, installed here when missing (as root)
test: install
	sh tests/browser/install.sh
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

# everything but the tests marked slow (corpora, attack suites, batches, LMS runs) or browser: under a minute on two cores
test-fast: install
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -m "not slow and not browser"

# ruff's lint and format (`.venv/bin/python -m ruff format .` applies it), and a lax mypy over grader/
lint: $(VENV)/.installed-lint
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

$(VENV)/.installed-lint: $(VENV)/.installed
	$(LOCKED) $(PY) -m pip install --quiet -e '.[test,lint]'
	touch $@

# a TA's batch: make batch DIR=submissions/ [OUT=graded/] [JOBS=2]
OUT ?= graded
batch: install
	@test -n "$(DIR)" || { echo "make batch needs DIR=folder-of-submissions"; exit 2; }
	$(PY) -m grader batch $(DIR) -o $(OUT) --jobs $(JOBS)

bench: install
	$(PY) bench/bench.py
	$(PY) bench/batch_bench.py
	$(PY) bench/verdicts_bench.py
	$(PY) bench/lms_bench.py
	$(PY) bench/handout_bench.py
	STYLE_SPACE_EXAMPLES=200 $(PY) -m pytest -n $(JOBS) -q tests/test_style_space.py
	HANDOUT_CORPUS=all $(PY) -m pytest -n $(JOBS) --dist loadgroup -q tests/test_handout.py

# dist/autograder.zip for Gradescope and dist/prairielearn/ for a PrairieLearn course (lms/README.md);
# the build needs only the standard library
bundle:
	$(PYTHON) lms/build_bundle.py

# dist/handout.zip: what students get (the notebook, the .py, and a checker that holds no solution)
handout: install
	$(PY) -m grader handout -o dist/handout.zip

# re-resolve requirements.lock after a change of pyproject.toml's dependencies, with the oldest Python it serves
LOCK_PYTHON ?= python3.10
lock: install
	$(PY) tools/lock.py $(LOCK_PYTHON)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
