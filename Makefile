# 稳经济政策助手 — every task in one place. `make help` lists them.
PYTHON ?= python3.10
VENV ?= .venv
BIN := $(VENV)/bin
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install test kb-check clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml constraints.txt
	@scripts/check-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -c constraints.txt -e ".[bot,dev]"
	$(BIN)/pip check
	touch $@

install: $(BIN)/.installed  ## create .venv with pinned dependencies (Python 3.10)

test: install  ## run the whole test suite
	$(BIN)/python -m pytest

kb-check: install  ## validate the knowledge base files and print the 19 measures
	$(BIN)/policybot kb list

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache
