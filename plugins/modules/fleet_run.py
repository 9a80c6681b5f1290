#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin plugins/action/fleet_run.py, on the controller; this file documents it.

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_run
short_description: Check the fleet playbook's variables and start a run, before any host is touched
version_added: 0.2.0
description:
  - The first task of the playbook C(hostnet.dockerhost.harden_docker_hosts), on the controller. Checks the gate level,
    the checks, the host pattern, the interface lists, the lynis profile path, the report directory, the bridge MAC
    policy and the booleans - the enforcing play's too, also under C(--check) - and fails with a message naming
    each variable that is wrong, so that a pipeline gate never passes because less was audited than asked.
  - Returns a run id that stamps every host's result file, so that a file an earlier run left in the same report
    directory never counts as this run's.
  - Runs on the controller only (an action plugin); nothing is sent to a host.
author:
  - hostnet.dockerhost maintainers (@hostnet)
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode; it only creates the report directory on the controller.
extends_documentation_fragment:
  - hostnet.dockerhost.fleet
options:
  fail_on:
    description: The gate level, V(none), V(error), V(warning) or V(info), in any case.
    type: raw
    default: none
  checks:
    description: The checks to run, a non-empty list of known checks; a repeated check is kept once.
    type: raw
    default: [promisc, bridge_mac, forwarding, networkd, capture]
  hosts:
    description: The host pattern of the audit; it must match at least one inventory host (within C(--limit)).
    type: raw
    default: all
  include:
    description: The playbook's C(hostnet_include), a list of interface names; none may be in O(exclude) too.
    type: raw
    default: []
  exclude:
    description: The playbook's C(hostnet_exclude), a list of interface names; none may be in O(include) too.
    type: raw
    default: []
  promisc_interfaces:
    description: The playbook's C(hostnet_promisc_interfaces), a list of valid interface names.
    type: raw
    default: []
    version_added: 0.4.0
  lynis_profile:
    description: The playbook's C(hostnet_lynis_profile), empty (off) or an absolute path.
    type: raw
    default: ""
    version_added: 0.4.0
  report_dir:
    description:
      - The report directory on the controller; created with its C(hosts/) subdirectory.
      - It must be absolute; empty (an unset CI variable) or relative is an error, so a report never lands in
        whatever directory the run was started from.
    type: raw
  bridge_mac_policy:
    description: The playbook's C(hostnet_bridge_mac_policy), V(auto), V(uplink) or V(derived).
    type: raw
    version_added: 0.5.0
  strict:
    description: The playbook's C(hostnet_strict), a boolean.
    type: raw
    version_added: 0.5.0
  return_state:
    description: The playbook's C(hostnet_return_state), a boolean.
    type: raw
    version_added: 0.5.0
  enforce:
    description:
      - The playbook's C(hostnet_enforce), a boolean (C(true)/C(false), also C(yes)/C(no), C(on)/C(off), C(1)/C(0), any
        case); any other value (C(maybe)) is an error, also under C(--check).
    type: raw
    version_added: 0.5.0
  persist:
    description: The playbook's C(hostnet_persist), a boolean.
    type: raw
    version_added: 0.5.0
  team_to_bond:
    description: The playbook's C(hostnet_team_to_bond), a boolean.
    type: raw
    version_added: 0.5.0
  serial:
    description:
      - The playbook's C(hostnet_serial), hosts per batch of the team->bond rollout - a number (1 or more), a
        percentage of the rollout's hosts (C("25%"), 1 to 100), or a non-empty list of them.
    type: raw
    default: 1
    version_added: 0.5.0
  canary:
    description: The playbook's C(hostnet_canary), the number of hosts migrated first, alone in their batch (0 - none).
    type: raw
    default: 0
    version_added: 0.5.0
"""

EXAMPLES = r"""
- name: Check the variables before any host is touched
  hostnet.dockerhost.fleet_run:
    fail_on: "{{ hostnet_fail_on }}"
    checks: "{{ hostnet_checks }}"
    hosts: "{{ hostnet_hosts | default('all') }}"
    report_dir: "{{ hostnet_report_dir }}"
  register: __hostnet_run
"""

RETURN = r"""
run_id:
  description: This run's id.
  returned: success
  type: str
  sample: 20261130T030647Z-d3f9912c
fail_on:
  description: The gate level, lower-cased.
  returned: success
  type: str
checks:
  description: The checks, each once.
  returned: success
  type: list
  elements: str
report_dir:
  description: The report directory, absolute.
  returned: success
  type: str
targets:
  description: The inventory hosts the pattern matches within C(--limit).
  returned: success
  type: list
  elements: str
variables:
  description: Every variable checked, normalised (C(hostnet_enforce) a real boolean, ...).
  returned: success
  type: dict
rollout_serial:
  description: The team->bond rollout play's C(serial) - the canary batch first, then O(serial)'s sizes.
  returned: success
  type: list
  elements: raw
  sample: [1, "25%"]
"""
