#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin plugins/action/fleet_host_result.py, on the controller; this file documents it.

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_host_result
short_description: Write one host's audit result on the controller as hosts/<host>.json
version_added: 0.2.0
description:
  - A task of the playbook C(hostnet.dockerhost.harden_docker_hosts) for every host. Writes the host's result under
    C(<report_dir>/hosts/) on the controller, stamped with the run id; the fleet report is built from these files
    in one pass.
  - The file holds the compact result (C(findings), C(summary), C(compliant); C(failed) and C(msg) when the audit
    did not run; C(enforced) after an enforcing run) and, only when the audit returned it, the read model as
    C(state).
  - Runs on the controller (an action plugin); nothing is sent to the host, so it costs one file write per host.
    Its own result is the compact result without the state; register it in place of the module's result so
    that the controller does not keep the read model.
author:
  - hostnet.dockerhost maintainers (@hostnet)
attributes:
  check_mode:
    support: full
    description: Writes the result file on the controller in check mode too; the host is not touched.
extends_documentation_fragment:
  - hostnet.dockerhost.fleet
  - hostnet.dockerhost.fleet.run_id
options:
  run_id:
    required: true
  result:
    description: The registered result of M(hostnet.dockerhost.netstate_info).
    type: raw
  error:
    description: Why the audit or the enforcement did not complete; the host is then reported C(audit_failed).
    type: str
  enforced:
    description:
      - The registered results of an enforcing run (C(findings_before), C(promisc), C(bridge_mac), C(forwarding),
        C(team_to_bond)) and C(errors), the fixes that failed as the playbook's rescue recorded them
        (C(fix), C(task), C(msg)); what really changed is kept as C(enforced), with C(errors) (one entry per
        failed fix, and per failed bridge of the C(bridge_mac) loop) and C(skipped) (items a fix left unchanged
        on purpose, with the reason).
      - When a fix failed, the host is reported failed with every failed fix in its message, and C(enforced)
        still says what each fix changed.
    type: dict
  host:
    description: The host's name; the inventory name by default.
    type: str
  migration:
    description:
      - The host's team->bond migration - a step of the playbook's rollout play (C(batch), C(batch_hosts),
        C(started), C(ended), C(check_mode), C(not_attempted), the role's C(result) or the failed step's C(error)),
        or a record already made - kept as C(migration) (status, reason, batch, times, bridges).
      - Given without O(result) and O(error), it is added to this run's file of the host in place.
      - A migration that failed or rolled back marks the host failed, so that the run fails after the report.
    type: dict
    version_added: 0.5.0
"""

EXAMPLES = r"""
- name: Keep the result for the fleet report
  hostnet.dockerhost.fleet_host_result:
    report_dir: "{{ __hostnet_run.report_dir }}"
    run_id: "{{ __hostnet_run.run_id }}"
    result: "{{ __hostnet_audit }}"
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
  description: Whether the audit (or the enforcement) did not complete.
  returned: always
  type: bool
audit_error:
  description: Why, when it did not.
  returned: always
  type: str
enforced:
  description: What an enforcing run changed, and which fixes failed or skipped items (see docs/fleet-and-reports.md).
  returned: when O(enforced) is given
  type: dict
path:
  description: The file written.
  returned: always
  type: str
migration:
  description:
    - The host's migration record - C(status) (V(migrated), V(nothing_to_migrate), V(rolled_back), V(failed) or
      V(not_attempted)), C(reason), C(batch), C(batch_hosts), C(started), C(ended), C(bridges), C(txid),
      C(transaction) (see docs/fleet-and-reports.md).
  returned: when O(migration) is given and the record is kept
  type: dict
"""
