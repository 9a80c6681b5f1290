#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin plugins/action/fleet_audit.py; this file documents it.

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_audit
short_description: Audit one host with netstate_info and keep its result on the controller as hosts/<host>.json
version_added: 0.5.0
description:
  - The audit task of the playbook C(hostnet.dockerhost.harden_docker_hosts), for every host. Checks the host's own
    values of the playbook variables (O(variables)), runs M(hostnet.dockerhost.netstate_info) on the host with
    O(audit) as its options, and writes the result under C(<report_dir>/hosts/) on the controller, stamped with the
    run id, as M(hostnet.dockerhost.fleet_host_result) does - one task per host instead of two.
  - A wrong variable value or a failed audit is written as the host's C(failed) result with the reason (the host is
    then C(audit_failed) in the report and nothing is enforced on it); the task itself does not fail, so the report
    is still written. An unreachable host stays unreachable (the report counts it C(audit_failed)).
author:
  - hostnet.dockerhost maintainers (@hostnet)
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode; netstate_info only reads, the result file is written on the controller.
extends_documentation_fragment:
  - hostnet.dockerhost.fleet
  - hostnet.dockerhost.fleet.run_id
options:
  run_id:
    required: true
  audit:
    description: The options of M(hostnet.dockerhost.netstate_info).
    type: dict
    default: {}
  variables:
    description:
      - This host's values of the playbook variables (C(hostnet_enforce), C(hostnet_bridge_mac_policy)...; host or
        group variables may differ from the run's), checked as M(hostnet.dockerhost.fleet_run) checks the run's.
    type: dict
  migration:
    description:
      - Why the host takes no part in the team->bond rollout (C(not_attempted) - C(hostnet_team_to_bond is false),
        C(hostnet_enforce is false)); kept as the host's C(migration) record when the audit counted teams on it.
    type: dict
"""

EXAMPLES = r"""
- name: Audit the host and keep its result for the fleet report
  hostnet.dockerhost.fleet_audit:
    report_dir: "{{ __hostnet_run.report_dir }}"
    run_id: "{{ __hostnet_run.run_id }}"
    audit:
      checks: "{{ __hostnet_run.checks }}"
      unknown_interfaces: warn
  register: __hostnet_audit
"""

RETURN = r"""
findings:
  description: The findings, as M(hostnet.dockerhost.netstate_info) returns them.
  returned: when the audit ran
  type: list
  elements: dict
compliant:
  description: As M(hostnet.dockerhost.netstate_info) returns it.
  returned: when the audit ran
  type: bool
audit_failed:
  description: Whether the audit did not run (a wrong variable, a failed module).
  returned: always
  type: bool
audit_error:
  description: Why, when it did not.
  returned: always
  type: str
path:
  description: The file written.
  returned: always
  type: str
"""
