# Two commands do all the set-up on a fresh machine:
#   make run    the whole system on this machine (embedded default: SQLite, filesystem broker, mail as files)
#   make test   lint, type-check and the test suite (needs PostgreSQL and Redis on 127.0.0.1;
#               installs Debian's chromium for the browser tests when it is missing)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium through Playwright; nothing downloads a browser.
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint lock bench clean

$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . --config-settings editable_mode=compat
	touch $(STAMP)

# `make run PORT=8080` serves on another port (and the links in emails follow); default 8000.
run: $(STAMP)
	$(BIN)/sia run$(if $(PORT), --port $(PORT))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Two processes, the machine's two cores (each with Redis databases of its own).
test: lint $(CHROMIUM)
	$(BIN)/pytest -q -n 2

# Re-pin after editing dependencies in pyproject.toml (the lock names no registry host).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --no-header --generate-hashes -q -o requirements.lock
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header --generate-hashes -q -o requirements-dev.lock

# Every bench runs even when an earlier one misses its goal; the last step prints the run's figures
# beside the previous run's (var/bench.json, var/bench-previous.json) and fails if a goal was missed.
BENCHES := cli_help retention testsets evidence_read evidence_check mail_relay upload_verdict \
	deadline_scan review_pages load avisos_import avisos_service scale_out

bench: $(STAMP)
	$(BIN)/python -m bench.report --start
	status=0; for module in $(BENCHES); do $(BIN)/python -m bench.$$module || status=1; done; \
		$(BIN)/python -m bench.report && exit $$status

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
