# satmon: `make run` starts the whole system, `make test` runs every test.
# Both set themselves up on a fresh Debian machine (Python 3.11, Java 17, Maven).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV     := $(PYTHON) -m uv
UV_VERSION := 0.13.8

.PHONY: install run up down status test lint unit bench drills clean victorialogs

install: $(VENV)/.installed victorialogs

victorialogs: $(VENV)/.installed  ## the log store: built once from its Go module, cached in ~/.cache/satmon
	@$(BIN)/python -m satmon.stack.victorialogs

# the compiled scans are part of the package: a changed C source rebuilds it (uv would
# reuse its cached build of the editable package otherwise)
$(VENV)/.installed: pyproject.toml $(wildcard src/satmon/*/*.c)
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv==$(UV_VERSION)"
	@test -x $(BIN)/python || $(UV) venv --python 3.11 $(VENV)
	$(UV) pip install --python $(BIN)/python -e ".[triton,dev]" --reinstall-package satmon
	@touch $@

run: install          ## everything: servers, functions, dispatcher, simulator (Ctrl-C stops)
	@echo "satmon: once up, the dashboard is at http://$${SATMON_UI_HOST:-127.0.0.1}:$${SATMON_UI_PORT:-8080}/"
	$(BIN)/satmon up

up: install           ## the same, in the background
	$(BIN)/satmon up --detach

down:
	$(BIN)/satmon down

status:
	$(BIN)/satmon status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@for f in functions/*/main.py; do $(BIN)/mypy "$$f" || exit 1; done  # one at a time: each is module `main`

unit: install         ## tests that need no server
	$(BIN)/pytest -m "not integration"

test: install lint    ## lint, then every test against the real servers (started if needed)
	$(BIN)/satmon up --detach --without simulator
	$(BIN)/pytest

drills: install       ## fault drills: kill -9 of each component mid-stream, one summary table
	$(BIN)/satmon up --detach --without simulator
	$(BIN)/pytest -m chaos tests/chaos $(if $(DRILLS),-k "$(DRILLS)")

bench: install
	$(BIN)/satmon up --detach --without simulator
	$(BIN)/python -m bench

clean: down
	rm -rf .satmon
