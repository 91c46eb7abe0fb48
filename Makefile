# Two commands set everything up on a fresh clone:
#   make console   installs into .venv and chats with the bot locally (embedded SQLite + seed)
#   make test      installs into .venv and runs the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install console console-admin test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

console: $(STAMP)
	$(PY) -m bot console

console-admin: $(STAMP)
	$(PY) -m bot console --admin

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy bot handlers services render kinds store core fake_telegram
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m bench.bench_commands

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
