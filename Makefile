# Two commands do all the set-up on a fresh Debian/Ubuntu machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: demo test install system-deps serve stop clean

## install: the OS packages (PostgreSQL, PostGIS, pgRouting; the CJK font the PDF report needs) and the venv
install: system-deps $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh fonts-noto-cjk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## demo: start the embedded PostGIS, migrate, load the demo town, serve on http://$(HOST):$(PORT)
demo: install
	$(BIN)/gisapp db up
	$(BIN)/gisapp db migrate
	$(BIN)/gisapp demo
	$(BIN)/gisapp serve --host $(HOST) --port $(PORT)

## test: the whole suite against a real PostGIS (and Debian's Chromium for the map page), in random
## order (pytest-randomly prints "Using --randomly-seed=N": give it again to repeat that order) and
## on one worker per core (pytest-xdist; each worker has databases of its own)
TEST_WORKERS ?= auto
test: install
	bash scripts/install-system-deps.sh chromium fonts-noto-cjk
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

## stop: stop the embedded PostGIS
stop:
	$(BIN)/gisapp db down

## clean: stop the embedded PostGIS and delete its data and the venv
clean:
	-$(BIN)/gisapp db destroy --yes
	rm -rf $(VENV)
