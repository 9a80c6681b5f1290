# hostnet.dockerhost - the two commands of the README are `make audit` and `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

REPO := $(CURDIR)
VENV ?= $(REPO)/.venv
# what $(VENV) is built from: requirements-dev.txt (ansible-core 2.19); make test-ansible-2.18 builds .venv-2.18
# from tests/requirements-ansible-2.18.txt
VENV_REQUIREMENTS ?= requirements-dev.txt
VENV_2_18 ?= $(REPO)/.venv-2.18
# galaxy-importer, ansible-builder, antsibull-docs, antsibull-changelog (make publish-check, docs)
PUBLISH_VENV ?= $(REPO)/.venv-publish
PYTHON := $(VENV)/bin/python
COLLECTIONS_DIR := $(REPO)/.build/collections
REPORT_DIR ?= $(REPO)/reports/hostnet-audit
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_NOCOLOR ?= 1
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

.PHONY: help venv collection audit test test-fast unit units-ansible-test integration sanity lint bench bench-fleet bench-merge \
	mermaid-parser clean test-ansible-2.18 test-ansible-2.18-integration publish-venv publish-check docs changelog-lint \
	integration-ansible-test

help:
	@echo "make audit      - check-mode audit of localhost; prints the summary, writes $(REPORT_DIR)"
	@echo "make test       - the whole test suite: unit, sanity, lint, namespace integration, VM lab"
	@echo "make test-fast  - everything but the VM lab"
	@echo "make unit / units-ansible-test / sanity / integration / lint - one part"
	@echo "make test-ansible-2.18 - sanity and units again with ansible-core 2.18 (.venv-2.18)"
	@echo "make publish-check - build the tarball, Galaxy's import check, the execution environment's build context"
	@echo "make docs       - the docs site (antsibull-docs) in .build/docs-site/build/html, with its strict lint"
	@echo "make lab-images / lab-up / lab-ssh / lab-down / test-lab - the qemu lab (tests/lab/README.md)"
	@echo "make bench      - netstate_info vs ping vs setup timings at 10..2000 bridge ports"
	@echo "make bench-fleet - the playbook --check vs ping vs setup over 10, 50, 100 namespace hosts (FLEET_SIZES=...)"

$(VENV)/.stamp: requirements.txt $(VENV_REQUIREMENTS) tests/unit/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -r $(VENV_REQUIREMENTS)
	touch $@

venv: $(VENV)/.stamp

collection:
	mkdir -p $(COLLECTIONS_DIR)/ansible_collections/hostnet
	ln -sfn $(REPO) $(COLLECTIONS_DIR)/ansible_collections/hostnet/dockerhost

# The main job: a check-mode audit of the embedded default target (localhost).
audit: venv collection
	ansible-playbook -i playbooks/inventory/localhost.yml hostnet.dockerhost.harden_docker_hosts --check \
	  -e hostnet_report_dir=$(REPORT_DIR)

# The unit tests with pytest, and the same the standard way: ansible-test units on a copy of the checkout
# (tests/ansible-test.sh), which imports the code through Ansible's collection loader.
unit: venv collection
	$(PYTHON) -m pytest -q tests/unit

units-ansible-test: venv collection
	tests/ansible-test.sh units --local

# Mermaid's own parser for report.md's diagrams (node and npm; the unit test skips without it, CI requires it)
mermaid-parser:
	npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error

# The namespace tier (pytest files that build their own namespaces). `make integration-ansible-test` runs the
# same through ansible-test integration (the target tests/integration/targets/netns); make test checks that
# ansible-test lists that target.
integration: venv collection
	$(PYTHON) -m pytest -q tests/integration
	tests/ansible-test.sh integration --list-targets --allow-destructive | grep -qx netns

integration-ansible-test: venv collection
	tests/ansible-test.sh integration --local --allow-destructive netns

sanity: venv collection
	tests/sanity/run.sh

# As in a fresh clone: plain ansible-lint finds the collection under test itself (it installs it into .ansible/).
lint: venv
	env -u ANSIBLE_COLLECTIONS_PATH ansible-lint -q

# The second claimed ansible-core: the same sanity and units in .venv-2.18 (the namespace tier with 2.18:
# test-ansible-2.18-integration, not yet part of make test).
test-ansible-2.18:
	$(MAKE) unit sanity VENV=$(VENV_2_18) VENV_REQUIREMENTS=tests/requirements-ansible-2.18.txt

test-ansible-2.18-integration:
	$(MAKE) integration VENV=$(VENV_2_18) VENV_REQUIREMENTS=tests/requirements-ansible-2.18.txt

$(PUBLISH_VENV)/.stamp: tests/publish/requirements.txt
	python3 -m venv $(PUBLISH_VENV)
	$(PUBLISH_VENV)/bin/python -m pip install -q --upgrade pip
	$(PUBLISH_VENV)/bin/python -m pip install -q -r tests/publish/requirements.txt
	touch $@

publish-venv: $(PUBLISH_VENV)/.stamp

# What a maintainer about to publish runs: the tarball, galaxy-importer on it, an execution environment's build
# context that installs it (tests/publish/check.sh).
publish-check: publish-venv
	PATH=$(PUBLISH_VENV)/bin:$$PATH tests/publish/check.sh

changelog-lint: publish-venv
	$(PUBLISH_VENV)/bin/antsibull-changelog lint

# The docs site: antsibull-docs' strict lint of every plugin's and role's docs, then the site itself.
docs: publish-venv
	PATH=$(PUBLISH_VENV)/bin:$$PATH tests/publish/docs-site.sh

test-fast: unit units-ansible-test sanity lint integration test-ansible-2.18 publish-check changelog-lint docs

test: test-fast test-lab

bench: venv collection
	$(PYTHON) bench/netstate_bench.py

FLEET_SIZES ?= 10 50 100
bench-fleet: venv collection
	$(PYTHON) bench/fleet_bench.py --sizes $(FLEET_SIZES)

clean:
	rm -rf .build reports tests/output .ansible

# The VM lab: lab-images, lab-up, lab-ssh, lab-down, lab-list, test-lab (see tests/lab/README.md).
include tests/lab/lab.mk
lab-images lab-up: venv collection
