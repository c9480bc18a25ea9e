# The two commands a newcomer needs: `make run` and `make test`.
# Both set up .venv from the pinned requirements on first use (and when they change).

# Another interpreter gets its own environment: make test PYTHON=python3.10 VENV=.venv-3.10
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test unit lint package bench mutation sam checkov screenshot clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .  # the sms-export command
	$(BIN)/python -m pip check
	touch $(STAMP)

## Run the function locally on the samples in events/, against the embedded emulator and moto.
run: $(STAMP)
	PYTHONPATH=function:tooling $(BIN)/python -m localrun

## Lint, type-check and test.
test: lint
	$(BIN)/python -m pytest

## The fast suite: the pure core and the runner (tests/unit), no lint.
unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmarks: a table of figures, each against a baseline measured beside it.
## Some of them only: make bench ONLY="fleet throttled" (names: python bench/run.py --help).
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(ONLY),--only $(ONLY))

## docs/report-sample.png, the README's picture of report.html (needs chromium).
screenshot: $(STAMP)
	PYTHONPATH=function:tooling $(BIN)/python tooling/screenshot.py

## Mutation testing of the pure core and the runner; the record is bench/MUTATION.md.
mutation: $(STAMP)
	$(BIN)/python tooling/mutation.py

## SAM's own check of template.yaml, and the Lambda package it builds, imported on the
## runtime's Python, found by tooling/find-python (on PATH, else pyenv's: a pyenv shim of an
## inactive version is on PATH but fails) and put first on PATH, where sam build looks for
## it too. aws-sam-cli pins its own boto3 and friends, so it lives in its own environment.
SAM_VENV := .venv-sam
SAM      := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 $(SAM_VENV)/bin/sam
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0
	touch $@

sam: $(SAM_VENV)/.installed checkov
	$(SAM) validate --lint
	python=$$(tooling/find-python 3.12) && export PATH="$$(dirname "$$python"):$$PATH" && \
	$(SAM) build --manifest requirements.txt && \
	cd .aws-sam/build/ExportFunction && python3.12 -s -c \
		"import index, sms_export.api; print('the built package imports:', index.__file__)"

## checkov on both deployments; any failed check fails. A check that does not fit is skipped
## beside its resource, with the reason (Metadata.checkov.skip, #checkov:skip=). checkov
## pins its own boto3 and friends too, so it gets its own environment; offline: no
## guidelines download, no PyPI version check. checkov 3.3.30 has no checks for the
## huaweicloud provider: on deploy/functiongraph it finds no resource it knows
## (resource_count 0 in -o json), so that scan passes without checking anything yet.
CHECKOV_VENV := .venv-checkov
CHECKOV      := CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE $(CHECKOV_VENV)/bin/checkov --skip-download --compact --quiet
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	touch $@

checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV) --framework cloudformation --file template.yaml
	$(CHECKOV) --framework terraform --directory deploy/functiongraph

## Build dist/functiongraph.zip for FunctionGraph (FG_PYTHON=3.10 for the older runtime).
FG_PYTHON ?= 3.12
package: $(STAMP)
	$(BIN)/python tooling/package.py --python $(FG_PYTHON)

clean:
	rm -rf .venv .venv-* .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis dist .mutation
