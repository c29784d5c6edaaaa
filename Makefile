# 越安家 (Yuean) — everyday commands. `make help` lists them.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-installed

# The environment the test suite runs in: the real PostgreSQL and Redis on this machine.
TEST_ENV := \
	DJANGO_DEBUG=true \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean \
	REDIS_URL=redis://127.0.0.1:6379/15 \
	YUEAN_SMS_BACKEND=notifications.channels.MemorySmsBackend

PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test lint check-deploy migrations-check services browser-deps

help:
	@echo "make run               start the demo on http://127.0.0.1:8000 (SQLite, no services needed)"
	@echo "make test              run the test suite against PostgreSQL and Redis (PYTEST_ARGS=... to pass options)"
	@echo "make lint              ruff check and the import layers (lint-imports)"
	@echo "make check-deploy      Django's deployment checks with a production-like environment"
	@echo "make migrations-check  fail if a model change has no migration"

# --- environment ---------------------------------------------------------------------------------

$(PY):
	@echo "==> creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt is newer than the stamp (or the venv is new).
$(STAMP): requirements.txt | $(PY)
	@echo "==> installing requirements.txt into $(VENV)"
	@$(PY) -m pip install --quiet --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

install: $(STAMP)

services:
	@echo "==> PostgreSQL and Redis"
	@bash scripts/services-up

browser-deps:
	@echo "==> Chromium and CJK fonts for the browser tests"
	@bash scripts/browser-deps

# --- everyday ------------------------------------------------------------------------------------

run: $(STAMP)
	@echo "==> migrating the demo database (db.sqlite3)"
	@$(PY) manage.py migrate --no-input
	@echo "==> demo accounts"
	@$(PY) manage.py seed_demo
	@$(PY) manage.py seed_housing_demo
	@$(PY) manage.py seed_points_demo
	@$(PY) manage.py seed_education_demo
	@echo "==> http://127.0.0.1:8000/  (Ctrl-C to stop)"
	@$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP) browser-deps services
	@echo "==> pytest $(PYTEST_ARGS)"
	@$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	@echo "==> ruff check"
	@$(PY) -m ruff check .
	@echo "==> lint-imports (dependencies point one way)"
	@$(VENV)/bin/lint-imports --no-cache --no-logo

migrations-check: $(STAMP)
	@echo "==> makemigrations --check"
	@$(PY) manage.py makemigrations --check --dry-run

# Production settings with throw-away secrets generated on the spot; nothing here is ever used to run.
check-deploy: $(STAMP)
	@echo "==> check --deploy (DJANGO_DEBUG=false)"
	@DJANGO_DEBUG=false \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	YUEAN_PII_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	YUEAN_PII_HASH_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')" \
	DJANGO_ALLOWED_HOSTS=portal.example.cn \
	DJANGO_CSRF_TRUSTED_ORIGINS=https://portal.example.cn \
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/yuean \
	$(PY) manage.py check --deploy --fail-level WARNING
