# The two commands: `make run` (the platform) and `make test` (every test). See README.md.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench migrate install demo canary

run: $(STAMP)
	$(PY) scripts/run_local.py

test: $(STAMP)
	$(PY) scripts/run_tests.py $(ARGS)

bench: $(STAMP)
	$(PY) bench/run.py

# the newest guarded libraries in a scratch venv against the guards and transport tests (docs/operations.md)
canary: $(STAMP)
	$(PY) scripts/canary.py

demo: $(STAMP)
	$(PY) scripts/demo_data.py

migrate: $(STAMP)
	$(PY) -m kepu_common.cli migrate

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip<25" "setuptools<70" wheel
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)
