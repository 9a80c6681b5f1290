# hostnet.dockerhost - the two commands of the README are `make audit` and `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

REPO := $(CURDIR)
VENV ?= $(REPO)/.venv
PYTHON := $(VENV)/bin/python
COLLECTIONS_DIR := $(REPO)/.build/collections
REPORT_DIR ?= $(REPO)/reports/hostnet-audit
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_NOCOLOR ?= 1
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

.PHONY: help venv collection audit test test-fast unit integration sanity lint bench bench-fleet bench-merge mermaid-parser clean

help:
	@echo "make audit      - check-mode audit of localhost; prints the summary, writes $(REPORT_DIR)"
	@echo "make test       - the whole test suite: unit, sanity, lint, namespace integration, VM lab"
	@echo "make test-fast  - everything but the VM lab"
	@echo "make lab-images / lab-up / lab-ssh / lab-down / test-lab - the qemu lab (tests/lab/README.md)"
	@echo "make bench      - netstate_info vs ping vs setup timings at 10..2000 bridge ports"
	@echo "make bench-fleet - the playbook --check vs ping vs setup over 10, 50, 100 namespace hosts (FLEET_SIZES=...)"

$(VENV)/.stamp: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

collection:
	mkdir -p $(COLLECTIONS_DIR)/ansible_collections/hostnet
	ln -sfn $(REPO) $(COLLECTIONS_DIR)/ansible_collections/hostnet/dockerhost

# The main job: a check-mode audit of the embedded default target (localhost).
audit: venv collection
	ansible-playbook -i playbooks/inventory/localhost.yml hostnet.dockerhost.harden_docker_hosts --check \
	  -e hostnet_report_dir=$(REPORT_DIR)

unit: venv collection
	$(PYTHON) -m pytest -q tests/unit

# Mermaid's own parser for report.md's diagrams (node and npm; the unit test skips without it, CI requires it)
mermaid-parser:
	npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error

integration: venv collection
	$(PYTHON) -m pytest -q tests/integration

sanity: venv collection
	tests/sanity/run.sh

lint: venv collection
	ansible-lint --offline -q

test-fast: unit sanity lint integration

test: test-fast test-lab

bench: venv collection
	$(PYTHON) bench/netstate_bench.py

FLEET_SIZES ?= 10 50 100
bench-fleet: venv collection
	$(PYTHON) bench/fleet_bench.py --sizes $(FLEET_SIZES)

clean:
	rm -rf .build reports tests/output

# The VM lab: lab-images, lab-up, lab-ssh, lab-down, lab-list, test-lab (see tests/lab/README.md).
include tests/lab/lab.mk
lab-images lab-up: venv collection
