# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
SIMULATOR_PORT ?= 8001
MANAGE := $(BIN)/python manage.py

.PHONY: run banner test setup lint messages fonts migrate worker beat clean browser bench

# Browser tests drive Debian's Chromium (Playwright's own browser downloads are not used); without the CJK
# fonts Chinese renders as boxes. Installed with the system's package tool when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed messages fonts

# The filing package's PDF is set in Noto Sans CJK (FILING_PDF_FONT, tongzhirong/financing/package_pdf.py):
# Debian's fonts-noto-cjk, installed with the system's package tool when missing.
FILING_PDF_FONT ?= /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
fonts:
	@if [ ! -f "$(FILING_PDF_FONT)" ]; then \
	  echo "Installing Debian's fonts-noto-cjk for the filing package's PDF"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends fonts-noto-cjk; \
	fi

# The zh_Hans catalogue is compiled at setup (.mo files are build output, not committed).
messages: $(VENV)/.installed
	@$(MANAGE) compilemessages --locale zh_Hans --ignore '$(VENV)' -v0

migrate: setup
	$(MANAGE) migrate --noinput -v0

## make run: set up, migrate, register the committed models, start the register simulator (the demo's fact
## sources over HTTP, on 127.0.0.1:$(SIMULATOR_PORT)), load the demo world when the database is empty, serve on
## 127.0.0.1:$(PORT). The simulator stops with the server.
run: migrate
	$(MANAGE) train_models --if-missing
	@$(MANAGE) register_simulator --port $(SIMULATOR_PORT) & simulator=$$!; \
	trap 'kill $$simulator 2>/dev/null' EXIT INT TERM; \
	export FACTS_HTTP_URL=http://127.0.0.1:$(SIMULATOR_PORT); \
	$(MANAGE) seed_demo --if-empty && $(MAKE) --no-print-directory banner && $(MANAGE) runserver 127.0.0.1:$(PORT)

banner:
	@echo
	@echo "  通知融 is running:  http://127.0.0.1:$(PORT)/"
	@echo "  Admin:              http://127.0.0.1:$(PORT)/admin/"
	@echo "  API docs (Swagger): http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  OpenAPI schema:     http://127.0.0.1:$(PORT)/api/schema/"
	@echo "  Health:             http://127.0.0.1:$(PORT)/health/ready"
	@echo "  Demo accounts (password: $${DEMO_PASSWORD:-tongzhirong-demo}): demo-sme demo-bank-officer"
	@echo "    demo-bank-checker demo-insurer demo-guarantor demo-appraiser demo-city demo-admin"
	@echo "  Register simulator: http://127.0.0.1:$(SIMULATOR_PORT)/health (the demo's fact sources over HTTP)"
	@echo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run -v0
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" \
	    || ! dpkg -s chromium-l10n >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium, its translations and fonts-noto-cjk for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-l10n \
	    fonts-noto-cjk; \
	fi

## make test: set up, lint, check import contracts, run the whole pytest suite (browser tests included)
test: lint browser
	$(BIN)/pytest -q $(PYTEST_ARGS)

## make bench: every benchmark in bench/ at a small size, one table of ratios (bench/run_all.py)
bench: migrate
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

worker: setup
	$(BIN)/celery -A tongzhirong worker --loglevel=INFO --concurrency=2

beat: setup
	$(BIN)/celery -A tongzhirong beat --loglevel=INFO --schedule /tmp/celerybeat-schedule

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache db.sqlite3
