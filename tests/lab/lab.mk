# tests/lab/lab.mk - the real-kernel lab: Debian guests under qemu (software emulation), molecule
# scenarios in extensions/molecule/. Included from the top-level Makefile, which provides PYTHON and
# exports ANSIBLE_COLLECTIONS_PATH (a directory holding ansible_collections/hostnet/dockerhost -> repo).
#
#   make lab-images                     build the guest images the scenarios need (cached in $(HOSTNET_LAB_CACHE))
#   make lab-up FLAVOUR=trixie-networkd boot one guest and leave it running (lab-ssh, lab-down)
#   make lab-ssh FLAVOUR=...            shell in that guest
#   make lab-down FLAVOUR=...           stop that guest (manual-<flavour>), drop its overlay
#   make lab-list                       running lab guests
#   make test-lab                       every molecule scenario (LAB_SCENARIOS="a b" for a subset,
#                                       LAB_JOBS=1 for one at a time; default 2; LAB_RETRIES=0 for no
#                                       second attempt of a failed scenario; default 1; none after
#                                       LAB_RETRY_UNTIL s of lab, default 2400)

PYTHON ?= python3
LAB_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
LABCTL = $(PYTHON) $(LAB_DIR)/labctl
MOLECULE ?= molecule
FLAVOUR ?= bookworm-networkd
LAB_NAME ?= manual-$(FLAVOUR)
# Longest first, so that two at a time (LAB_JOBS) end close together.
LAB_SCENARIOS ?= docker_lynis t2b_nm t2b_networkd enforce_script enforce_networkd enforce_nm enforce_ifupdown enforce_netplan \
	bond_bridge nm_team networkd_257 bridge_churn team_bridge networkd_252
# The guests (molecule platforms) of the scenarios that run: an interrupted run stops these and no other
# (other people's guests may run beside).
LAB_GUESTS = $(shell $(PYTHON) -c 'import sys, yaml; print(" ".join(p["name"] for f in sys.argv[1:] for p in (yaml.safe_load(open(f)) or {}).get("platforms", [])))' $(foreach s,$(LAB_SCENARIOS),extensions/molecule/$(s)/molecule.yml))

.PHONY: lab-images lab-up lab-ssh lab-down lab-list test-lab

# The images the chosen scenarios boot (every flavour: `tests/lab/labctl images`).
LAB_FLAVOURS = $(shell $(PYTHON) -c 'import sys, yaml; print(" ".join(sorted({p["flavour"] for f in sys.argv[1:] for p in (yaml.safe_load(open(f)) or {}).get("platforms", [])})))' $(foreach s,$(LAB_SCENARIOS),extensions/molecule/$(s)/molecule.yml))

lab-images:
	$(LABCTL) images $(LAB_FLAVOURS)

lab-up:
	$(LABCTL) up $(FLAVOUR) --name $(LAB_NAME)
	@echo "lab guest $(LAB_NAME) is running: make lab-ssh FLAVOUR=$(FLAVOUR); make lab-down when done"

lab-ssh:
	$(LABCTL) ssh $(LAB_NAME)

lab-down:
	$(LABCTL) down $(LAB_NAME)

lab-list:
	$(LABCTL) list

# Each scenario boots its own guest and destroys it, also when it fails; the trap stops what is left of
# this run's guests (an interrupted run), never anyone else's. All scenarios run even when one fails;
# the target fails if any did. LAB_JOBS scenarios run at once (tests/lab/run-scenarios; their logs and
# timings.txt in $(HOSTNET_LAB_CACHE)/logs).
LAB_JOBS ?= 2
LAB_RETRIES ?= 1
test-lab: lab-images
	@set -u; logs="$${HOSTNET_LAB_CACHE:-$(CURDIR)/.lab-cache}/logs"; \
	trap '$(LABCTL) down $(LAB_GUESTS)' EXIT; \
	MOLECULE=$(MOLECULE) LAB_RETRIES=$(LAB_RETRIES) $(LAB_DIR)/run-scenarios $(LAB_JOBS) "$$logs" $(LAB_SCENARIOS)
