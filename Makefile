PY ?= python

.PHONY: install test lint schemas record bench

install:            ## editable install with test tools
	$(PY) -m pip install -e '.[test]'

test:               ## offline, key-free: replays cassettes, blocks the network
	$(PY) -m pytest --record-mode=none --block-network

lint:
	ruff check summarizer tests scripts benchmarks
	ruff format --check summarizer tests scripts benchmarks
	lint-imports

schemas:            ## re-export schemas/ after changing a model
	$(PY) -m summarizer.schemas schemas

record:             ## re-record cassettes/seeds/ against the real local model (starts the server)
	$(PY) scripts/record_cassettes.py

bench:              ## seed quality (fast), batch throughput (~20 min), local overhead (runtime; slow)
	$(PY) benchmarks/seed_quality.py
	$(PY) benchmarks/batch_throughput.py
	$(PY) benchmarks/local_overhead.py
