# Build and test tooling for the mailops.hosted_exchange collection.
# `make help` lists the targets; `make test` is what CI runs (.ci/run).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

REPO        := $(CURDIR)
PYTHON      ?= python3
VENV        := $(REPO)/.venv
BIN         := $(VENV)/bin
VENV_PY     := $(BIN)/python
STAMP       := $(VENV)/.requirements-dev.stamp
BUILD       := $(REPO)/.build
DIST        := $(BUILD)/dist
COLLECTIONS := $(BUILD)/collections
PROVIDER    ?= rackspace
SANITY_ARGS ?=
PYTEST_ARGS ?=
MOLECULE_SCENARIOS ?=

# Everything that runs ansible sees the venv's tools and the collection as installed by
# `make install`, never whatever else the machine may have.
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)

# osaapi goes in by its own pip call (see requirements-dev.txt): its pin lives there
# on the "#nodeps" line so the venv stamp covers it too.
OSAAPI_PIN = $(shell sed -n 's/^.nodeps[[:space:]]*//p' requirements-dev.txt)

GATES := install sanity lint docs docs-lint docs-site build importer ee changelog unit oldest-python integration molecule compat awx

.PHONY: help venv test $(GATES) demo bench clean distclean

help:
	@echo "make venv         create/update .venv from requirements-dev.txt (no-op when up to date)"
	@echo "make install      build the collection into .build/dist and install it into .build/collections"
	@echo "make test         venv + every gate below, then a PASS/FAIL summary (what CI runs)"
	@echo "make sanity       ansible-test sanity on a copy at .build/sanity/ansible_collections/... (SANITY_ARGS=...)"
	@echo "make lint         ansible-lint, production profile (.ansible-lint)"
	@echo "make docs         ansible-doc renders every module in plugins/modules"
	@echo "make docs-lint    antsibull-docs lint-collection-docs: module/role docs, extra docs, links"
	@echo "make docs-site    HTML docs site (antsibull-docs + Sphinx, offline) in .build/docs-site"
	@echo "make build        ansible-galaxy collection build (docs/*.md -> docs/docsite/rst first)"
	@echo "make importer     galaxy-importer on the built tarball, as Galaxy / Automation Hub import it (offline)"
	@echo "make ee           ansible-builder create: execution environment build context in .build/ee, checked"
	@echo "make changelog    antsibull-changelog lint (fragments and changelog.yaml)"
	@echo "make unit         pytest tests/unit (PYTEST_ARGS=...)"
	@echo "make integration  pytest tests/integration against the installed collection (PYTEST_ARGS=...)"
	@echo "make molecule     Molecule scenarios of both roles on every provider's sandbox (MOLECULE_SCENARIOS=onboard_odin ...)"
	@echo "make compat       onboarding smoke on the oldest and newest ansible-core within requires_ansible (COMPAT_CORES=...)"
	@echo "make awx          audit and onboard playbooks through ansible-runner as AWX runs them (AWX_HIRES=1000)"
	@echo "make demo         onboard playbook against a local sandbox (PROVIDER=rackspace|hostway|odin)"
	@echo "make bench        requests and time against the sandbox, as ratios next to the floor (BENCH_HIRES=300)"
	@echo "make oldest-python  client-layer unit tests on the oldest supported Python (OLDEST_PYTHON=python3.10)"
	@echo "make clean        remove .build, tests/output and docs/docsite/rst; distclean also removes .venv"

venv: $(STAMP)

# Rebuilt only when requirements-dev.txt is newer than the stamp. osaapi is a
# stdlib-only sdist: it is built with the pinned setuptools rather than in an isolated
# build environment that would fetch whatever setuptools is newest.
$(STAMP): requirements-dev.txt
	@test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet "$$(grep -E '^pip==' requirements-dev.txt)"
	$(VENV_PY) -m pip install --quiet -r requirements-dev.txt
	@test -n "$(OSAAPI_PIN)" || { echo "requirements-dev.txt has no '#nodeps osaapi==...' line" >&2; exit 1; }
	$(VENV_PY) -m pip install --quiet --no-deps --ignore-requires-python --no-build-isolation "$(OSAAPI_PIN)"
	$(VENV_PY) -m pip check
	touch $@

# The guides in docs/*.md go into the collection as antsibull-docs extra docs
# (docs/docsite/rst/*.rst, generated, not committed) so the docs site shows them;
# problems in them are warnings here and failures in docs-lint / docs-site.
build: $(STAMP)
	rm -rf $(DIST)
	mkdir -p $(DIST)
	$(VENV_PY) scripts/extra_docs.py
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST) $(REPO)

# --offline: the collection has no dependencies and no Galaxy server is reachable.
install: build
	rm -rf $(COLLECTIONS)
	$(BIN)/ansible-galaxy collection install --offline --force -p $(COLLECTIONS) $(DIST)/*.tar.gz

sanity: $(STAMP)
	$(VENV_PY) scripts/sanity.py $(SANITY_ARGS)

# After install: the playbooks and roles call the collection's modules, which
# ansible-lint's syntax check must resolve (offline, so it cannot install them itself).
lint: install
	$(BIN)/ansible-lint $(if $(CI),--nocolor)

docs: install
	scripts/check_docs.sh

# Lints the sources (plugins/, roles/, docs/docsite/); RST generated from docs/*.md first
# (--check: a guide missing from extra-docs.yml or a broken link fails here, while
# `make build` only warns about it).
docs-lint: $(STAMP)
	$(VENV_PY) scripts/extra_docs.py --check
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs $(REPO)

# Builds from the installed collection; offline, Sphinx warnings are errors.
docs-site: install
	scripts/docs_site.sh

# The tarball as Galaxy / Private Automation Hub import it (scripts/galaxy-importer.cfg);
# fails on a refused import and on any warning in the importer's log.
importer: build
	scripts/importer.sh

# No container engine here: writes the build context of execution-environment.yml and checks it.
ee: build
	$(VENV_PY) scripts/ee_context.py

changelog: $(STAMP)
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

unit: $(STAMP)
	scripts/pytest_gate.sh tests/unit $(PYTEST_ARGS)

integration: install
	scripts/pytest_gate.sh tests/integration $(PYTEST_ARGS)

# extensions/molecule/<role>_<provider>: molecule test of each (from extensions/, as `molecule test
# --all`), default driver, the provider's sandbox started by the scenario's create and stopped by
# its destroy (no container engine).
molecule: install
	scripts/molecule.sh $(MOLECULE_SCENARIOS)

# The onboarding smoke (tests/compat/: check, apply, rerun against the Rackspace sandbox) on the
# oldest and the newest ansible-core within requires_ansible (meta/runtime.yml), each in its own
# venv .build/compat/<core>/ from tests/compat/requirements-<core>.txt, COMPAT_TIMEOUT seconds at
# most per core. COMPAT_PYTHON_<core> is the Python that core's venv is made with - a version
# (found on PATH, in pyenv or uv) or a path: 2.21 needs 3.12+; the supported Python range decides.
COMPAT_CORES ?= 2.16 2.21
COMPAT_PYTHON_2.16 ?= 3.11
COMPAT_PYTHON_2.21 ?= 3.12
COMPAT_TIMEOUT ?= 600
compat: install
	COMPAT_TIMEOUT=$(COMPAT_TIMEOUT) scripts/compat.sh $(foreach core,$(COMPAT_CORES),$(core)=$(COMPAT_PYTHON_$(core)))

# playbooks/audit.yml and onboard.yml through ansible-runner with the credential's variables in
# env/envvars, as AWX runs a job, over AWX_HIRES hires against a time-scaled Rackspace sandbox
# (tests/awx/; each job's private data dir stays in .build/awx/<job>/), AWX_JOB_TIMEOUT seconds
# at most per job.
AWX_HIRES ?= 1000
AWX_JOB_TIMEOUT ?= 900
awx: install
	AWX_HIRES=$(AWX_HIRES) AWX_JOB_TIMEOUT=$(AWX_JOB_TIMEOUT) scripts/pytest_gate.sh tests/awx $(PYTEST_ARGS)

# Runs every gate even when one fails, prints a summary, fails if any failed.
test:
	scripts/run_gates.sh venv $(GATES)

demo: install
	PROVIDER=$(PROVIDER) scripts/demo.sh

# Not part of `make test`: it measures time, which depends on the machine (request counts are
# deterministic and asserted by the integration tests instead).
BENCH_HIRES ?= 300
bench: install
	$(VENV_PY) scripts/bench.py --hires $(BENCH_HIRES)

# The client layer's unit tests on the oldest Python the modules support (the doc fragment's requirements
# say which), with the oldest ansible-core, requests and urllib3 allowed; about a minute. Debian 12 has no
# Python 3.10: the script takes the one pyenv holds on this project's machines, or OLDEST_PYTHON.
oldest-python:
	scripts/oldest_python.sh $(PYTEST_ARGS)

clean:
	rm -rf $(BUILD) tests/output .pytest_cache docs/docsite/rst

distclean: clean
	rm -rf $(VENV)
