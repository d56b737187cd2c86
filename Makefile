# make run   set up if needed, build or refresh the index, start the chat on http://127.0.0.1:7860
# make test  set up if needed, then ruff and the whole pytest suite (browser test included)
# make test-fast  ruff and the unit tests only (under a minute)

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q -c constraints.txt
STAMP  := $(VENV)/.installed
export POLICYQA_HOME ?= $(CURDIR)/.policyqa
export HF_HUB_OFFLINE = 1
export GRADIO_ANALYTICS_ENABLED = False
export ANONYMIZED_TELEMETRY = False

.PHONY: setup browser index run test test-fast lint format docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium and a CJK font for the real-browser test (never `playwright install`).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

index: setup
	$(VENV)/bin/policyqa ingest || test $$? -eq 1

run: index
	$(VENV)/bin/policyqa serve --host 127.0.0.1 --port 7860

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: setup browser lint
	$(VENV)/bin/pytest

test-fast: setup lint
	$(VENV)/bin/pytest -m unit

docs: setup
	$(VENV)/bin/python -m policyqa.docs > docs/help.md

clean:
	rm -rf .policyqa out test-artifacts .pytest_cache .ruff_cache
