# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The findings_to_junit filter (the work is done in plugins/plugin_utils/fleet_filters.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: findings_to_junit
author: hostnet.dockerhost maintainers
version_added: 0.1.0
short_description: Render a fleet audit as JUnit XML for CI test reports
description:
  - Returns a JUnit XML document (UTF-8, with an XML declaration) with a C(testsuites) root named
    C(hostnet.dockerhost) and one C(testsuite) per host, so that CI reports show a pass/fail row per
    host.
  - Each host has one C(testcase classname=HOST name=CHECK) per check its audit ran (the C(checks) of its
    netstate_info result), so a check that was not audited never shows as passed; without them, per check
    of O(checks).
  - "A check with C(error) or C(warning) findings fails; the C(failure) message says each finding in
    words (C(lag_port_not_promisc: port eno1 of a bridged bond or team is not promiscuous)), its body the
    interface, current and expected values, remediation and why of each finding."
  - C(info) findings never fail a test; they go to the C(system-out) of their test case.
  - A host whose audit could not run has an C(error) in every one of its test cases.
  - C(tests), C(failures) and C(errors) are counted on every suite and on the root.
  - A host's own C(system-out) says what its audit looked at (C(audited)), what an enforcing run changed
    (C(enforced)) and the host's C(warnings), when its result has them.
positional: _input
options:
  _input:
    description: The fleet (a dict that maps each hostname to its netstate_info result), or a list of findings that carry C(host).
    type: raw
    required: true
  checks:
    description:
      - The checks to report, one test case each, for every host (a host's own C(checks) are then not used).
        Default is each host's own C(checks), else V(promisc), V(bridge_mac), V(forwarding), V(networkd),
        V(capture), and any other check that has findings.
      - An unknown check is an error.
    type: list
    elements: str
requirements:
  - jmespath (on the controller)
'''

EXAMPLES = r'''
- name: Write the JUnit report for the CI job
  ansible.builtin.copy:
    content: "{{ fleet | hostnet.dockerhost.findings_to_junit }}"
    dest: "{{ playbook_dir }}/reports/netstate.xml"
    mode: "0644"
  delegate_to: localhost
  run_once: true

- name: Only the forwarding checks
  ansible.builtin.set_fact:
    xml: "{{ fleet | hostnet.dockerhost.findings_to_junit(checks=['forwarding', 'networkd']) }}"
'''

RETURN = r'''
_value:
  description: The JUnit XML document.
  type: str
  sample: |
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="hostnet.dockerhost" tests="5" failures="1" errors="0">
      <testsuite name="docker1" hostname="docker1" tests="5" failures="1" errors="0" skipped="0">
        <testcase classname="docker1" name="promisc">
          <failure message="lag_port_not_promisc: port eno1 of a bridged bond or team is not promiscuous"
                   type="error">error lag_port_not_promisc on eno1: port eno1 of a bridged bond or team is not promiscuous
      current:     false
      expected:    true
      remediation: ip link set dev eno1 promisc on
      why:         A bridged LAG port must be promiscuous.</failure>
        </testcase>
        <testcase classname="docker1" name="bridge_mac" />
        <testcase classname="docker1" name="forwarding" />
        <testcase classname="docker1" name="networkd" />
        <testcase classname="docker1" name="capture" />
        <system-out>looked at: read 131 links: 3 bridges, 1 bond, Docker 20.10 with 2 bridges, systemd-networkd 252 running</system-out>
      </testsuite>
    </testsuites>
'''

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import findings_to_junit


class FilterModule:
    """JUnit XML of a fleet's findings."""

    def filters(self):
        return {"findings_to_junit": findings_to_junit}
