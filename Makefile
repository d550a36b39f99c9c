# Two targets do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench wheel bundle clean ref-tools

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The reference tools the interoperability tests (tests/interop) run apart from the product: PyTorch's CPU build
# (pip takes 2.13.0 from this machine's wheel store, about 190 MB; 1 GB and under 2 minutes installed), NumPy, h5py.
REF := .venv-ref
REF_STAMP := $(REF)/.installed

$(REF_STAMP):
	$(PYTHON) -m venv $(REF)
	$(REF)/bin/python -m pip install --quiet torch==2.13.0 numpy h5py
	touch $(REF_STAMP)

ref-tools: $(REF_STAMP)

run: $(STAMP)
	$(VENV)/bin/neurocanvas

# The import contracts of pyproject.toml first (core GUI-free, core's layers), then the tests. No cache: grimp's
# cache misses an import that resolves differently once a new module appears, and the graph takes 0.3 s anyway.
test: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider tests

# What CI runs (.ci/run): the reference tools in their own environment, then the whole suite with its interop tier.
check: ref-tools test

bench: $(STAMP)
	$(VENV)/bin/neurocanvas bench

# The sdist and the wheel in dist/ (resources and samples inside the packages).
wheel: $(STAMP)
	rm -f dist/neurocanvas-*
	$(PY) -m build --outdir dist .

# A standalone folder, dist/neurocanvas/, made by PyInstaller from the wheel in a venv of its own; run from build/
# so that the checkout's packages cannot stand in for the installed ones (packaging/README.md).
bundle: wheel
	$(PYTHON) -m venv build/bundle-venv
	build/bundle-venv/bin/pip install --quiet dist/neurocanvas-*.whl pyinstaller
	cd build && bundle-venv/bin/pyinstaller --noconfirm --distpath ../dist --workpath pyinstaller ../packaging/neurocanvas.spec

clean:
	rm -rf $(VENV) $(REF) build dist *.egg-info
