# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-output

.PHONY: install test lint fmt demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench examples
	$(BIN)/ruff format src tests bench examples

test: lint
	$(BIN)/pytest -n 2 -q

# The closed loop on a simulated fleet (a fresh home each run), then a drift report.
demo: $(STAMP)
	rm -rf $(DEMO_DIR)/home
	STEWARD_HOME=$${STEWARD_HOME:-$(abspath $(DEMO_DIR))/home} $(BIN)/steward demo \
		$(if $(filter 0,$(NO_SERVE)),,--no-serve)
	@echo "Inspect: STEWARD_HOME=$(abspath $(DEMO_DIR))/home $(BIN)/steward audit verify"
	@echo "Serve it: STEWARD_HOME=$(abspath $(DEMO_DIR))/home $(BIN)/steward serve --dev" \
		"(or make demo NO_SERVE=0)"
	$(BIN)/python examples/maintenance_data.py $(DEMO_DIR)
	$(BIN)/steward drift $(DEMO_DIR)/reference.parquet $(DEMO_DIR)/current.parquet \
		--format html -o $(DEMO_DIR)/drift-report.html --quiet
	@echo "HTML drift report: $$(realpath $(DEMO_DIR)/drift-report.html)"

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .hypothesis
