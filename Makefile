# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run chat test lint i18n bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || { echo "need Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

run: $(STAMP)
	$(BIN)/cutri seed-demo --if-empty
	$(BIN)/cutri run

chat: $(STAMP)
	$(BIN)/cutri chat

# The suite runs on several workers (pytest-xdist): much of its time is spent waiting on
# processes and sockets, so more workers than cores still pay. mypy runs beside it, and its
# report is printed at the end; the target fails if any of the three does.
TEST_WORKERS ?= 4

test: $(STAMP)
	@echo "mypy runs beside the tests; its report follows them"
	@$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & typing=$$!; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load; tests=$$?; \
	$(BIN)/ruff check bot handlers scheduler storage tests bench; lint=$$?; \
	wait $$typing; typed=$$?; cat $(VENV)/mypy.log; \
	[ $$tests -eq 0 ] && [ $$lint -eq 0 ] && [ $$typed -eq 0 ]

lint: $(STAMP)
	$(BIN)/ruff check bot handlers scheduler storage tests bench
	$(BIN)/mypy

i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header --sort-output -o var/cutri.pot .
	for lang in vi en; do \
	  $(BIN)/pybabel update -i var/cutri.pot -d handlers/locales -D cutri -l $$lang --omit-header --no-fuzzy-matching --ignore-obsolete; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP)
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-$$TEST_DATABASE_URL} $(BIN)/python -m bench.handling
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-$$TEST_DATABASE_URL} $(BIN)/python -m bench.inbound
	$(BIN)/python -m bench.broadcast
	-$(BIN)/python -m bench.petitions
