# Two commands for a newcomer: `make run` and `make test`. Everything else
# here is what those two are made of.

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
SERVICES := bash scripts/services/services.sh

# The local services started by `make services`, on these ports (set them
# to run a second checkout beside this one); override the URLs to use others.
export KAFKA_PORT ?= 9092
export KAFKA_CONTROLLER_PORT ?= 9093
export KAFKA_SASL_PORT ?= 9094
export REDIS_PORT ?= 6379
export POSTGRES_PORT ?= 5432
export WEB_PORT ?= 8000
export DATABASE_URL ?= postgres://fraud:fraud@127.0.0.1:$(POSTGRES_PORT)/fraud
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)
export REDIS_URL ?= redis://127.0.0.1:$(REDIS_PORT)/0
# The Redis database `make test` uses, and empties, before the suite.
TEST_REDIS_URL ?= redis://127.0.0.1:$(REDIS_PORT)/1
# A key for these local runs only; production sets its own (see README).
export SECRET_KEY ?= local-only-key-never-use-in-production
export PYTHON := $(PY)

.PHONY: help venv services services-stop services-status topics migrate admin \
	run test test-fast eval bench browser lint audit clean

help:
	@echo "make run    - set up everything and run web, producer, detector, worker"
	@echo "make test   - set up and start the services, then run the whole suite"
	@echo "make test-fast - pure and database tests only (no Kafka, no browser)"
	@echo "make services / services-stop / services-status - Kafka, Redis, PostgreSQL"
	@echo "make eval   - detection quality of the rules in force (labelled scenarios)"
	@echo "make bench  - benchmarks"
	@echo "make lint   - ruff"
	@echo "make audit  - known vulnerabilities in the pinned requirements"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

PYTHON_BOOTSTRAP := $(shell command -v python3.11 || command -v python3)

services: venv
	$(SERVICES) start
	$(PY) manage.py createtopics

services-stop:
	$(SERVICES) stop

services-status:
	$(SERVICES) status

topics: venv
	$(PY) manage.py createtopics

migrate: venv
	$(PY) manage.py migrate --noinput

admin: migrate
	$(PY) manage.py ensureadmin

run: export DJANGO_DEBUG ?= true
run: services migrate admin
	@echo "Live page: http://127.0.0.1:$(WEB_PORT)/  (admin: /admin/)"
	PATH="$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

# Tests queue real Celery tasks; a Redis database of their own keeps them
# out of the queue that `make run`'s worker reads.
test: export REDIS_URL = $(TEST_REDIS_URL)
test: services lint audit browser
	$(PY) -c "import redis; redis.Redis.from_url('$(REDIS_URL)').flushdb()"
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick loop while working: pure and database tests, no Kafka, no
# browser, no fresh processes (`make test` runs everything), and a tenth of
# the property tests' examples (tests/properties.py). It needs only
# PostgreSQL and Redis, so Kafka is neither built nor started for it.
test-fast: export REDIS_URL = $(TEST_REDIS_URL)
test-fast: venv
	$(SERVICES) start postgres
	$(SERVICES) start redis
	$(PY) -m pytest -q -m "not integration and not fresh_process" \
		--hypothesis-profile=quick $(PYTEST_ARGS)

bench: services migrate
	$(PY) -m benchmarks.engine
	$(PY) -m benchmarks.pipeline
	$(PY) -m benchmarks.soak
	$(PY) -m benchmarks.scaleout
	$(PY) -m benchmarks.admin_changelist
	$(PY) -m benchmarks.typologies

eval: services migrate
	$(PY) manage.py evaluate

# The browser tests drive Debian's Chromium (no browser can be downloaded).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	    || { apt-get update -q >/dev/null && \
	         DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  else echo "install Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in the pinned requirements (pip-audit): fails on
# one, prints "skipped: ..." and passes when no advisory database answers.
audit: venv
	$(PY) scripts/audit.py

clean: services-stop
	rm -rf $(VENV) .services staticfiles db.sqlite3
