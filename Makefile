# Nära — every set-up step lives here; `make run` and `make test` work on a fresh clone.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
FLASK   := $(BIN)/flask --app app
export FLASK_APP := app

.PHONY: run test install install-test vendor sw-manifest translations migrate seed lint bench wrk i18n-update e2e unit chromium pdf-libs clean lighthouse

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q ".[test]"
	touch $@

install: .stamp-install vendor translations pdf-libs

# WeasyPrint (the right-to-read copy, the archive packages' PDF/A) loads Debian's Pango and
# HarfBuzz's subset library; without the latter its import warns, which the tests treat as
# an error (seen on a fresh machine: the first PDF test of each worker failed).
pdf-libs:
	@{ ldconfig -p | grep -q libharfbuzz-subset.so.0 && ldconfig -p | grep -q libpangoft2-1.0.so.0; } || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# The static build (views/assets.py: static/dist/ with hashed, minified, pre-compressed files
# and one stylesheet per page type) and the service worker's precache list from its manifest
# (always run: both rewrite only what changed; the app also rebuilds stale files at start).
sw-manifest: static/vendor/htmx.min.js | .stamp-install
	$(BIN)/python scripts/build_sw.py

vendor: static/vendor/htmx.min.js sw-manifest

translations: .stamp-install
	$(BIN)/pybabel compile --statistics -d translations

i18n-update: .stamp-install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -N --no-fuzzy-matching -i translations/messages.pot -d translations
	$(BIN)/pybabel compile --statistics -d translations

migrate: install
	$(FLASK) db-upgrade

seed: migrate
	$(FLASK) demo-seed

run: seed
	$(FLASK) run --host 127.0.0.1 --port 5000

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

lint: .stamp-install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# pytest exits 5 when it collected nothing; that is a failure here, never a pass.
test: install chromium lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 1; fi; exit $$rc

unit: install
	$(BIN)/python -m pytest -m "not e2e" -q

e2e: install chromium
	$(BIN)/python -m pytest -m e2e -q

# Every bench/*.py except helpers (_*.py, baseline_app.py) is a benchmark that prints a table.
# Every benchmark runs even when one misses its target; the missed ones are listed last.
# stats.py runs last: its million-row tables leave the disk and PostgreSQL busy for a while
# (autovacuum, freed pages), which cost the HTTP benchmarks after it up to 40 % of their rate.
# wrk drives the HTTP benchmarks (Debian's package); without it they use a Python client.
wrk:
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) || echo "wrk not installed: the HTTP benchmarks use their Python client"

# Each benchmark records its figures (bench/_report.py: record(module, rows)) in bench/.results/;
# the last step writes them all, with the machine's versions, to bench/RESULTS.md.
bench: install wrk chromium
	@rm -rf bench/.results; missed=""; for b in $$(ls bench/*.py | grep -v -e '/_' -e 'baseline_app.py' -e 'stats.py') bench/stats.py; do \
		echo "== $$b"; $(BIN)/python $$b || missed="$$missed $$b"; done; \
	$(BIN)/python bench/_report.py; \
	if [ -n "$$missed" ]; then echo "targets missed in:$$missed"; exit 1; fi

# Lighthouse mobile on every room's pages (issue 15: ≥ 99), median of 3 runs each, in Debian's
# chromium; writes bench/LIGHTHOUSE.md. Lighthouse has its own package.json so that the app's
# `npm ci` (and CI's) stays small; only this target installs it.
LIGHTHOUSE_ARGS ?=
bench/lighthouse/node_modules/.package-lock.json: bench/lighthouse/package.json bench/lighthouse/package-lock.json
	npm ci --no-audit --no-fund --prefix bench/lighthouse

lighthouse: install chromium bench/lighthouse/node_modules/.package-lock.json
	CHROME_PATH=/usr/bin/chromium $(BIN)/python bench/lighthouse/run.py $(LIGHTHOUSE_ARGS)

clean:
	rm -rf $(VENV) node_modules bench/lighthouse/node_modules bench/.lighthouse static/vendor static/dist .stamp-* instance
