# Two entry points, each sets up .venv by itself:
#   make demo   build the bundled sample shot and matte it
#   make test   run the test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.py setup.cfg constraints.txt | sha1sum | cut -c1-12)
DEMO   := demo

.PHONY: demo test venv clean

venv: $(STAMP)

$(STAMP): setup.py setup.cfg constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q pip==26.3
	$(PY) -m pip install -q -c constraints.txt -e '.[training,farm,dev,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --dist loadfile tests

demo: $(STAMP)
	$(PY) -m cmn_vfx.demo --out $(DEMO)

clean:
	rm -rf $(VENV) $(DEMO) *.egg-info
