# make grade: checks backprop.py as the course's grader will, on its visible checks.
# make grade SUBMISSION=backprop.ipynb: checks the notebook instead.
# The first run installs what the checker needs into .venv (a minute; needs Python 3.10 or newer).
PYTHON ?= python3
SUBMISSION ?= backprop.py
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: grade install clean

grade: install
	$(PY) -m backprop_check $(SUBMISSION)

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

clean:
	rm -rf $(VENV)
