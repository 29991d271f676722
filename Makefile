# Every target bootstraps .venv with plain `python3 -m venv` + pip (no uv needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROVIDERS := $(patsubst %/pyproject.toml,%,$(wildcard providers/*/pyproject.toml))
PROVIDER_PKGS := $(wildcard providers/*/failover_sync_*)
LINT_PATHS := failover_sync tests $(wildcard bench) $(PROVIDERS)
# checkov pins packages (packaging<24, an old boto3) that clash with the dev tools: it gets a
# virtualenv of its own inside .venv.
TOOLS := $(VENV)/tools
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION := 3.3.30

CORE_STAMP := $(VENV)/.core-installed

.PHONY: demo check test lint bench system-deps clean

$(STAMP): pyproject.toml $(wildcard providers/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints-dev.txt -e '.[dev]' $(foreach p,$(PROVIDERS),-e '$(p)[test]')
	touch $(STAMP) $(CORE_STAMP)

# The demo needs only the core: a fresh clone runs it without the dev toolchain.
$(CORE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(CORE_STAMP)

$(TOOLS_STAMP): Makefile
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $(TOOLS_STAMP)

demo: $(CORE_STAMP)
	$(BIN)/failover-sync demo

# Fast feedback (well under a minute): lint of the Python code, types, layers, unit tests.
check: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy failover_sync $(PROVIDER_PKGS)
	$(BIN)/lint-imports
	$(BIN)/pytest -q tests/unit

# Debian packages that the real-server tests need (PowerDNS, BIND, Unbound, ...), installed
# with apt-get when missing and we are root; otherwise the run fails with a clear message.
system-deps:
	scripts/install-system-deps
	scripts/install-npm-deps

lint: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy failover_sync $(PROVIDER_PKGS)
	$(BIN)/lint-imports
	$(BIN)/python scripts/gen_adapter_schemas.py --check
	$(BIN)/hadolint Dockerfile
	$(BIN)/kubernetes-validate --strict --quiet --no-warn terraform/kubernetes/*.yaml terraform/kubernetes/cluster/*.yaml
	$(BIN)/python scripts/lint_hcl.py terraform
	$(TOOLS)/bin/checkov --quiet --compact --skip-download -d terraform --framework terraform kubernetes
	$(TOOLS)/bin/checkov --quiet --compact --skip-download -d .github --framework github_actions

test: lint system-deps
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/plan_scale.py
	$(BIN)/python bench/probe_scale.py
	$(BIN)/python bench/probe_engine.py
	$(BIN)/python bench/run_loop.py
	$(BIN)/python bench/failover_latency.py --trials 20 --failures 2 --recheck 0.1
	$(BIN)/python bench/cluster_failover.py
	$(BIN)/python bench/cloudflare_calls.py
	$(BIN)/python bench/route53_calls.py
	$(BIN)/python bench/azure_calls.py
	$(BIN)/python bench/akamai_calls.py
	$(BIN)/python bench/dnsmadeeasy_calls.py
	$(BIN)/python bench/cold_start.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
