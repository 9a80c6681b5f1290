# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_findings filter (the work is done in plugins/plugin_utils/fleet_filters.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: fleet_findings
author: hostnet.dockerhost maintainers
version_added: 0.1.0
short_description: Flatten netstate_info results of many hosts into one list of findings
description:
  - Takes a I(fleet), a dict that maps each hostname to what
    M(hostnet.dockerhost.netstate_info) returned for that host, and returns every finding of every
    host in one list, each with an added C(host) key.
  - The list is sorted by host, severity (C(error) first), check, interface (host-wide findings
    first) and id.
  - A host whose audit could not run (its result has C(failed), C(unreachable) or C(skipped) set, or
    no C(findings)) becomes one finding with C(id=audit_failed), C(check=audit), C(severity=error),
    and its C(msg) as C(current) and C(why). Such a host is never dropped.
  - A list of findings is accepted as input as well, when each finding carries C(host).
  - Every finding in the output has the keys C(host), C(id), C(check), C(severity), C(interface),
    C(current), C(expected), C(remediation) and C(why); missing optional keys are C(null).
positional: _input
options:
  _input:
    description:
      - The fleet, a dict that maps each hostname to its netstate_info result.
      - Raises an error naming the host and the finding when a finding is not a dict, lacks C(id),
        C(check) or C(severity), or has a severity other than C(error), C(warning), C(info).
    type: raw
    required: true
requirements:
  - jmespath (on the controller)
seealso:
  - plugin: hostnet.dockerhost.select_findings
    plugin_type: filter
  - plugin: hostnet.dockerhost.fleet_summary
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Audit every Docker host
  hostnet.dockerhost.netstate_info:
  register: __audit
  ignore_errors: true
  ignore_unreachable: true

- name: Gather the fleet on the controller
  ansible.builtin.set_fact:
    # a host that has no result at all still gets an entry: it must show up as failed
    fleet: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
              | map(attribute='__audit', default={'failed': true, 'msg': 'no audit result'}))) }}
  run_once: true

- name: One line per finding
  ansible.builtin.debug:
    msg: "{{ item.host }} {{ item.severity }} {{ item.id }} {{ item.interface | default('-', true) }}"
  loop: "{{ fleet | hostnet.dockerhost.fleet_findings }}"
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - The findings of all hosts, sorted, each with a C(host) key.
  type: list
  elements: dict
  sample:
    - host: docker1
      id: lag_port_not_promisc
      check: promisc
      severity: error
      interface: eno1
      current: false
      expected: true
      remediation: ip link set dev eno1 promisc on
      why: A bridged LAG port must be promiscuous or frames for container MACs are dropped.
    - host: docker2
      id: audit_failed
      check: audit
      severity: error
      interface:
      current: "Failed to connect to the host via ssh: Connection timed out"
      expected: the audit runs on this host
      remediation: ansible docker2 -m ansible.builtin.ping
      why: "Failed to connect to the host via ssh: Connection timed out"
'''

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import fleet_findings


class FilterModule:
    """Flat list of findings of every host."""

    def filters(self):
        return {"fleet_findings": fleet_findings}
