# spinnpop: the commands README.rst gives, on a fresh machine.
#
#   make demo    train an MLP on the emulator and report its accuracy
#   make test    the test suite
#   make bench   benchmarks against PyTorch and the numpy reference
#   make aplx    the models for SpiNNaker (needs SPINN_DIRS)
#
# Everything installs into .venv here; the host C is rebuilt when changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NATIVE := spinnpop/_native

.PHONY: demo test bench aplx native clean

$(VENV)/installed: setup.py pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

native: $(VENV)/installed
	$(MAKE) --no-print-directory -C c_models host HOST_OUT=$(CURDIR)/$(NATIVE)

demo: native
	$(BIN)/python -m spinnpop.demo

test: native
	$(BIN)/python -m pytest -q

# PyTorch is the peer the benchmarks measure against (CPU build).
bench: native
	$(BIN)/python -c "import torch" 2>/dev/null || \
	    $(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/python benchmarks/run.py

# The tools' make files convert log calls with SpiNNUtilities' python.
aplx: $(VENV)/installed
	PATH=$(CURDIR)/$(BIN):$$PATH $(MAKE) -C c_models aplx

clean:
	$(MAKE) -C c_models clean
	rm -rf $(NATIVE) build *.egg-info
