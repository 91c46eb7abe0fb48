# Two commands set everything up on a fresh clone:
#   make console   installs into .venv and chats with the bot locally (embedded SQLite + seed)
#   make test      installs into .venv and runs the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

LOCALES := core/locales
CATALOGS := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: install console console-admin test lint bench browser clean i18n

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Compiled catalogs are built, never committed (core/i18n.py compiles a missing one in memory).
%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile -i $< -o $@

# The bot's own modules are compiled here: an editable install leaves them as source, and a
# service that cannot write next to them (systemd's ProtectSystem) would compile ~100 modules
# at every start (~0.15 s). Python still recompiles any module whose source is newer.
PACKAGES := bot core handlers kinds render services store web

install: $(STAMP) $(COMPILED)
	$(PY) -m compileall -q $(PACKAGES)

console: install
	$(PY) -m bot console

console-admin: install
	$(PY) -m bot console --admin

test: install
	$(PY) -m pytest

# Extract the interface's strings (msgids in English) and merge them into the uk/ru catalogs.
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location \
		--sort-output --no-wrap --project=peace-briefing-bot -o $(LOCALES)/messages.pot .
	$(VENV)/bin/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages \
		--no-fuzzy-matching --ignore-obsolete --no-wrap
	$(MAKE) $(COMPILED)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy bot handlers web services render kinds store core fake_telegram tests bench
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
