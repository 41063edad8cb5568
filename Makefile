# Two entry points, each sets up .venv by itself:
#   make demo   build the bundled sample shot and matte it
#   make test   run the test suite
# .venv gets every extra (torch with CUDA, training, farm, nuke, dev, bench): about 3.3 GB of
# wheels, 6.8 GB on disk. A user who only runs mattes needs `pip install .` (no torch, 645 MB).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.py setup.cfg constraints.txt | sha1sum | cut -c1-12)
DEMO   := demo

.PHONY: demo test venv clean

venv: $(STAMP)

$(STAMP): setup.py setup.cfg constraints.txt
	@test -x $(PY) || echo "creating $(VENV): downloads about 3.3 GB (torch with CUDA) unless pip's cache has it"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q pip==26.3
	$(PY) -m pip install -q -c constraints.txt -e '.[torch,training,farm,nuke,dev,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --dist loadfile tests

demo: $(STAMP)
	$(PY) -m cmn_vfx.demo --out $(DEMO)

clean:
	rm -rf $(VENV) $(DEMO) *.egg-info
