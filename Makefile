# The README's commands. Each target installs what it needs, idempotently.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
CDK := node_modules/.bin/cdk
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.cache/jsii
export CDK_DISABLE_VERSION_CHECK := true
export CDK_CLI_NOTICES := false

.PHONY: install test snapshot-update synth lint clean

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev,spark,local]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make test: the whole suite (unit, snapshot, compliance, runtime, local deploy)
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## make snapshot-update: rewrite the reference snapshots after an intended change (review the diff)
snapshot-update: install
	$(PY) -m pytest tests/app $(PYTEST_ARGS) --snapshot-update

## make synth: cdk synth of the reference app with the pinned CDK CLI (templates in cdk.out/)
synth: install
	$(CDK) synth --quiet
	@ls cdk.out/*.template.json

## make lint: ruff + mypy on the package
lint: install
	$(PY) -m ruff check ml_constructs stacks tests app.py
	$(PY) -m mypy ml_constructs

clean:
	rm -rf cdk.out .pytest_cache
