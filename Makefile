# Every target bootstraps .venv from pyproject.toml on first use, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: server client test lint typecheck imports snapshots bench bench-growth bench-cluster bench-peer clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

server: $(STAMP)
	$(BIN)/chat-server $(ARGS)

client: $(STAMP)
	$(BIN)/chat-client $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app bench tests
	$(BIN)/ruff format --check app bench tests

typecheck: $(STAMP)
	$(BIN)/mypy --strict app bench

imports: $(STAMP)
	$(BIN)/lint-imports

test: lint typecheck imports
	$(BIN)/python -m pytest

# After a deliberate change to what the client's window looks like: redraw its snapshots
# (review them in the diff) and the README's picture.
snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/tui/test_snapshots.py --snapshot-update
	cp tests/tui/__snapshots__/test_snapshots/test_a_busy_room.svg docs/images/client.svg

# The three workloads of docs/PERFORMANCE.md against chat-server and, if installed, ngircd.
bench: $(STAMP)
	$(BIN)/chat-bench-suite --json-out bench/last-run.json

# W1's burst at 100, 1,000 and 5,000 clients against both servers, and 10,000 registering
# (long: ngircd registers thousands slowly).
bench-growth: $(STAMP)
	$(BIN)/chat-bench-suite --growth --json-out bench/growth-run.json

# The cluster: a fresh redis-server (the venv's, appendfsync always) and 4 chat-server nodes
# per workload, clients spread over the nodes: messages/s with every one on every node, p99
# latency across nodes at a steady 1,000 messages/s, W1 across 2 nodes against one server.
bench-cluster: $(STAMP)
	$(BIN)/chat-bench-suite --cluster --json-out bench/cluster-run.json

# The comparison peer: Debian's ngircd (needs root).
bench-peer:
	apt-get install -y ngircd

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
