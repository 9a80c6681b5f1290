# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_summary filter (the work is done in plugins/plugin_utils/fleet_filters.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: fleet_summary
author: hostnet.dockerhost maintainers
version_added: 0.1.0
short_description: Count findings and compliant hosts of a fleet
description:
  - Summarises a fleet (a dict that maps each hostname to its netstate_info result) for dashboards and C(when) conditions.
  - A host whose audit could not run counts as non-compliant, is listed in C(failed_hosts), and
    adds one C(error) under the check C(audit).
  - A host is compliant as its C(compliant) result says; when that is missing, it is compliant when
    it has no C(error) and no C(warning) finding. Counts are made from the findings, not copied from
    the C(summary) of each result, so they always agree with the other reports.
  - A list of findings with C(host) (the output of P(hostnet.dockerhost.fleet_findings#filter) or
    P(hostnet.dockerhost.select_findings#filter)) is accepted too; hosts without findings are then
    unknown to it.
positional: _input
options:
  _input:
    description: The fleet, or a list of findings that carry C(host).
    type: raw
    required: true
requirements:
  - jmespath (on the controller)
'''

EXAMPLES = r'''
- name: Fail the play when any host is not compliant
  ansible.builtin.assert:
    that: (fleet | hostnet.dockerhost.fleet_summary).compliant_hosts == (fleet | length)
    fail_msg: "Not compliant: {{ (fleet | hostnet.dockerhost.fleet_summary).noncompliant_hosts | join(', ') }}"
  run_once: true

# from the command line
# ansible localhost -m debug -a "msg={{ fleet | hostnet.dockerhost.fleet_summary }}" -e @fleet.json
'''

RETURN = r'''
_value:
  description: The summary.
  type: dict
  contains:
    hosts:
      description: Number of hosts in the fleet.
      type: int
    compliant_hosts:
      description: Number of compliant hosts.
      type: int
    noncompliant_hosts:
      description: Names of the hosts that are not compliant, failed ones included, sorted.
      type: list
      elements: str
    failed_hosts:
      description: Names of the hosts whose audit could not run, sorted.
      type: list
      elements: str
    changed_hosts:
      description: Names of the hosts where an enforcing run changed something (their C(enforced) result), sorted.
      type: list
      elements: str
      version_added: 0.2.0
    by_severity:
      description: Number of findings per severity, always with the keys C(error), C(warning), C(info).
      type: dict
    by_check:
      description:
        - Number of findings per check. The five checks are always present; C(audit) and any other
          check appear when they have findings.
      type: dict
    by_host:
      description:
        - Per host, C(error), C(warning), C(info) counts, C(compliant), and C(changes) (how many changes an
          enforcing run reported under C(enforced); 0 without one).
      type: dict
    worst_severity:
      description: The worst severity found, or C(null) when there is no finding at all.
      type: str
  sample:
    hosts: 3
    compliant_hosts: 1
    noncompliant_hosts: [docker1, docker2]
    failed_hosts: [docker2]
    changed_hosts: [docker3]
    by_severity: {error: 2, warning: 1, info: 0}
    by_check: {promisc: 1, bridge_mac: 0, forwarding: 1, networkd: 0, capture: 0, audit: 1}
    by_host:
      docker1: {error: 1, warning: 1, info: 0, compliant: false, changes: 0}
      docker2: {error: 1, warning: 0, info: 0, compliant: false, changes: 0}
      docker3: {error: 0, warning: 0, info: 0, compliant: true, changes: 3}
    worst_severity: error
'''

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import fleet_summary


class FilterModule:
    """Counts of a fleet's findings."""

    def filters(self):
        return {"fleet_summary": fleet_summary}
