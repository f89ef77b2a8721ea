# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install airflow bench clean

# Reinstall when the dependency list changes (the stamp is older than pyproject.toml).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# A run where some departments failed exits 2 (named in its output); the others are published, so serve.
run: $(STAMP)
	$(BIN)/credithub run || [ $$? -eq 2 ]
	$(BIN)/credithub serve

test: $(STAMP)
	GX_ANALYTICS_ENABLED=False $(BIN)/python -m pytest -q $(PYTEST_ARGS)

airflow: $(STAMP)
	bash scripts/airflow-standalone.sh

clean:
	rm -rf var .pytest_cache
