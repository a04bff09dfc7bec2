# ecm_ops: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
PY := $(VENV)/bin/python
# Extra pip requirement applied after installing (CI uses it to test Django 6.1 on Python 3.12+).
DJANGO_SPEC ?=

.PHONY: demo test bench lint format install install-dev worker cron clean settings-table

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip; }
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt $(if $(DJANGO_SPEC),"$(DJANGO_SPEC)")
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make demo: install, migrate, seed demo data and serve http://127.0.0.1:$(PORT)
## With REDIS_URL set it also runs an RQ worker (with the scheduler) and the ecm_ops cron
## (the reaper), stopped again when the server stops.
demo: $(VENV)/.installed-dev
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ecm_ops_demo
	@if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL is set: starting an RQ worker (with the scheduler) and the ecm_ops cron (reaper)."; \
		$(PY) manage.py rqworker default --with-scheduler --worker-class ecm_ops.jobs.worker.Worker & worker=$$!; \
		$(PY) manage.py rqcron ecm_ops.cron & cron=$$!; \
		trap 'kill $$worker $$cron 2>/dev/null' EXIT INT TERM; \
	else \
		echo "REDIS_URL is not set: background jobs run INLINE in the web process (demo mode)."; \
	fi; \
	if [ -z "$$ANTHROPIC_API_KEY" ]; then \
		echo "ANTHROPIC_API_KEY is not set: drafts come from the offline demo provider."; \
	fi; \
	echo "Serving the sandbox at http://127.0.0.1:$(PORT)/admin/ (logins above)"; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: install what tests need and run the whole suite
test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: run every benchmark in bench/ through bench/run_all.py, which judges each figure
## against its goal, prints a summary and exits non-zero when a goal is missed. SQLite in memory
## and inline jobs by default; PostgreSQL + real RQ workers when DATABASE_URL and REDIS_URL are
## set. BENCH=checks runs only the scripts whose name contains "checks".
bench: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=sandbox_site.settings.test $(PY) bench/run_all.py $(BENCH)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: $(VENV)/.installed
	$(PY) manage.py rqworker default --with-scheduler --worker-class ecm_ops.jobs.worker.Worker

cron: $(VENV)/.installed
	$(PY) manage.py rqcron ecm_ops.cron

clean:
	rm -rf $(VENV) sandbox.sqlite3 .pytest_cache .ruff_cache

## make settings-table: print the README's ECM_OPS settings table from ecm_ops/conf.py
settings-table: $(VENV)/.installed
	@$(PY) .ci/settings_table.py
