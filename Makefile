# 稳经济政策助手 — every task in one place. `make help` lists them.
PYTHON ?= python3.10
VENV ?= .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
RASA_ARGS := --config bot/config.yml --domain bot/domain
export RASA_TELEMETRY_ENABLED := false
export BIN

.PHONY: help install run train validate test unit-test e2e-test evaluate servers stop kb-check clean browser benchmark replicas stop-replicas

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml constraints.txt
	@scripts/check-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -c constraints.txt -e ".[bot,dev]"
	$(BIN)/pip check
	touch $@

# --- web chat widget: npm packages pinned by channels/webchat/package-lock.json (socket.io client, axe-core)
WEBCHAT := channels/webchat
$(WEBCHAT)/node_modules/.installed: $(WEBCHAT)/package.json $(WEBCHAT)/package-lock.json
	cd $(WEBCHAT) && npm ci --no-audit --no-fund
	touch $@

# --- staff application: Apache ECharts for the analytics page, pinned by channels/staff/package-lock.json
STAFF := channels/staff
$(STAFF)/node_modules/.installed: $(STAFF)/package.json $(STAFF)/package-lock.json
	cd $(STAFF) && npm ci --no-audit --no-fund
	touch $@

# The browser tests (widget and staff panel, tests/e2e/*browser*) drive Debian's chromium, with a CJK font for the screenshots.
browser:  ## install Debian's chromium and a Chinese font for the browser tests, if missing (needs root)
	@scripts/ensure-chromium.sh
# ---

install: $(BIN)/.installed $(WEBCHAT)/node_modules/.installed $(STAFF)/node_modules/.installed  ## create .venv with pinned dependencies (Python 3.10) and the widget's and staff app's npm packages

validate: install  ## check generated files are current and the Rasa data is consistent
	$(BIN)/python scripts/generate.py --check
	$(RASA) data validate $(RASA_ARGS) --data data

train: validate  ## train the model if the data, config or knowledge base changed (progress is shown)
	$(RASA) train $(RASA_ARGS) --data data --out models --fixed-model-name policybot

run: train  ## install, train if needed, start both servers and chat in the terminal (AS_OF=2022-09-01 replays a date)
	scripts/chat.sh $(if $(AS_OF),--as-of $(AS_OF))

servers: train  ## start the Rasa and action servers, the widget demo page and the staff panel in the background (`make stop` ends them)
	scripts/servers.sh start

stop:  ## stop background servers
	scripts/servers.sh stop

test: train browser  ## the whole test suite: knowledge base, engine, NLU, actions, and conversations with the servers
	$(BIN)/python -m pytest

unit-test: install  ## everything that needs no trained model
	$(BIN)/python -m pytest --ignore=tests/e2e

evaluate: servers  ## accuracy on the held-out questions through the REST channel, and `rasa test nlu` on them
	$(BIN)/python scripts/evaluate_heldout.py --failures var/heldout_failures.json
	$(BIN)/python scripts/heldout_to_rasa.py var/heldout_nlu.yml
	$(RASA) test nlu --nlu var/heldout_nlu.yml --model models/policybot.tar.gz --out var/nlu_results
	scripts/servers.sh stop

benchmark: train  ## performance from outside: parse, turns at 1/10/50 users, msg/s (one replica, two behind nginx), turn 1 vs 40, RSS, start-up, a table against the targets (TRAIN=1 adds training)
	$(BIN)/python scripts/benchmark.py $(if $(TRAIN),--train)

replicas: train  ## scaled out: two Rasa replicas on DATABASE_URL (PostgreSQL) and REDIS_URL behind nginx (README "Scale-out")
	scripts/replicas.sh start

stop-replicas:  ## stop what `make replicas` started
	scripts/replicas.sh stop

kb-check: install  ## validate the knowledge base files and print the 19 measures
	$(BIN)/policybot kb list

clean:  ## remove the virtual environment, models and caches
	rm -rf $(VENV) .pytest_cache models .rasa var
