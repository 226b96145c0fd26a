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
# Two workers (one per core); tests of one file stay together so module fixtures synthesize once.
PYTEST_ARGS ?= -n 2 --dist loadfile
# The end-to-end tests: a local SparkSession, the embedded emulator (deploys, the reference workflow
# run), the wheel built and installed (from PyPI with the lowest and highest allowed aws-cdk-lib),
# 50 MB objects through the pre-processor.
# Two runs: moto's in-process mock (mock_aws, used by the slow runtime tests) resets every backend
# of its process, so those never share a process with the emulator's tests.
E2E_MARKS := spark or deploy or pipeline or packaging or local or slow
E2E_EMULATOR_MARKS := spark or deploy or pipeline or local
E2E_OTHER_MARKS := packaging or slow

.PHONY: install test test-e2e test-all snapshot-update synth lint clean docs

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test,dev,spark,local,bench]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make test: the fast suite, the edit-test loop (unit, snapshot, compliance, runtime, docs; under a minute)
test: install
	$(PY) -m pytest $(PYTEST_ARGS) -m 'not ($(E2E_MARKS))'

## make test-e2e: the end-to-end tests (Spark, emulator deploys, the workflow run, packaging; minutes)
test-e2e: install
	$(PY) -m pytest $(PYTEST_ARGS) -m '$(E2E_EMULATOR_MARKS)'
	$(PY) -m pytest $(PYTEST_ARGS) -m '$(E2E_OTHER_MARKS)'

## make test-all: every test (what CI runs): the fast suite, then the end-to-end tests
test-all: test test-e2e

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

## make deploy-local: the reference app deployed with the pinned CDK CLI into AWS emulated on this
## machine (moto, in this process, on 127.0.0.1; no AWS account): bootstrap, deploy, inventory of
## every resource, data-plane smoke, destroy. KEEP=1 keeps it serving until Ctrl-C instead (use it
## with AWS_ENDPOINT_URL, then `make destroy-local` from another shell); PORT=N picks the port.
deploy-local: install
	$(PY) -m ml_constructs.local deploy $(if $(KEEP),--keep) $(if $(PORT),--port $(PORT)) $(LOCAL_ARGS)

## make destroy-local: destroy the stacks in the emulator that `make deploy-local KEEP=1` keeps
destroy-local: install
	$(PY) -m ml_constructs.local destroy $(if $(PORT),--port $(PORT))

clean:
	rm -rf cdk.out .pytest_cache

## make docs: regenerate the architecture picture of the reference app (Graphviz from Debian)
docs: install
	command -v dot >/dev/null || (apt-get update -qq && apt-get install -y -qq graphviz)
	$(PY) -m ml_constructs.diagram > docs/architecture.dot
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg
	dot -Tpng -Gdpi=110 docs/architecture.dot -o docs/architecture.png
