# Two commands set everything up on a fresh clone:
#   make console   installs into .venv and chats with the bot locally (embedded SQLite + seed)
#   make test      installs into .venv and runs the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install console console-admin test lint bench browser clean

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
	$(VENV)/bin/mypy bot handlers web services render kinds store core fake_telegram
	$(VENV)/bin/lint-imports

# Headless Chromium for the browser tests (tests/test_web_browser.py), from Debian's packages;
# Playwright drives it and never downloads a browser of its own. Needs root (CI runs as root);
# without chromium those tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium is installed."; \
	elif [ "$$(id -u)" -ne 0 ]; then echo "chromium is missing: run 'make browser' as root."; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

bench: $(STAMP)
	$(PY) -m bench.bench_commands

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
