# The archive's everyday commands. Only Python 3.11+ and make are needed:
# the first command run creates .venv and installs everything into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: install run test fuzz lint format sample backup restore clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_sample --if-empty
	$(BIN)/python manage.py demo_accounts
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, spread over the machine's cores; ARGS="-k name" narrows it.
test: install
	$(BIN)/pytest -n $${PYTEST_WORKERS:-auto} $(ARGS)

# Retake the README's screenshots (docs/screenshots/) with the browser tests.
.PHONY: screenshots
screenshots: install
	ARCHIVE_SCREENSHOTS=1 $(BIN)/pytest tests/e2e

# The fuzz tests of the suite, with many more examples (FUZZ_EXAMPLES).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(BIN)/pytest -n $${PYTEST_WORKERS:-auto} tests/test_fuzz_urls.py tests/test_fuzz_admin.py tests/test_import_fuzz.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

sample: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_sample

# An XML backup that loads into either database; on PostgreSQL a pg_dump beside it.
backup: install
	$(BIN)/python manage.py backup_archive --output backups/archive-$$(date -u +%Y%m%dT%H%M%SZ).xml.gz
	@case "$$DATABASE_URL" in postgres*) \
		pg_dump --format=custom --file=backups/archive-$$(date -u +%Y%m%dT%H%M%SZ).pgdump "$$DATABASE_URL" \
		&& echo "pg_dump written beside it";; esac

# make restore FILE=backups/archive-....xml.gz into a fresh database.
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/archive-<time>.xml.gz"; exit 2; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py restore_archive "$(FILE)"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info

# The performance benchmark (issue 6): builds or reuses a synthetic archive of 100,000 articles in
# bench/bench.sqlite3 (or BENCH_DATABASE_URL), serves it with gunicorn and production settings, loads
# each page with wrk and writes bench/results/latest.json and latest.md.
.PHONY: bench
bench: install
	$(BIN)/python bench/run.py

# Each page on two archives served at once, loaded in turn (bench/scale.py): by default the
# PostgreSQL databases bench_m (100,000 articles) and bench_l (1,000,000), built when missing.
.PHONY: bench-scale
bench-scale: install
	$(BIN)/python bench/scale.py

# 60 s of wrk at 32 connections over valid public URLs, gunicorn on PostgreSQL (bench/loadtest.py);
# soak: the same while imports and editorial saves run against the database.
.PHONY: loadtest soak
loadtest: install
	$(BIN)/python bench/loadtest.py
soak: install
	$(BIN)/python bench/loadtest.py --soak
