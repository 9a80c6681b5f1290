# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_summary_text filter (the work is done in plugins/plugin_utils/fleet_filters.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: fleet_summary_text
author: hostnet.dockerhost maintainers
version_added: 0.2.0
short_description: Render a fleet audit as a short plain-text summary for the terminal
description:
  - Returns the text that the harden_docker_hosts playbook prints at the end of a run and writes to
    C(summary.txt) (the report pipeline on the controller renders both with the same code as this filter).
  - First the fleet in two or three lines (hosts compliant, not compliant, not audited; findings per
    severity; what an enforcing run changed), then each host. A compliant host with nothing more to
    say takes one line with what its audit looked at (C(compliant, nothing to audit) when it has no
    bridge, bond, team or Docker). Other hosts add indented lines - C(looked at), one C(changed) line
    per change of an enforcing run (C(bridge br0 pinned from MAC a to b (the uplink's MAC, systemd-networkd))),
    one C(warning) line per host warning, and one line per C(error) or C(warning) finding with its
    remediation; a host whose audit could not run says why and what to try.
  - Each line ends with a newline, the last one too.
  - Control characters in names and messages (ESC, CR, a newline inside a name, other C0 and C1 controls, DEL)
    are shown as escapes such as C(\x1b), so a hostile interface or host name cannot drive the terminal.
positional: _input
options:
  _input:
    description:
      - The fleet (a dict that maps each hostname to its netstate_info result, with the optional
        C(audited), C(warnings) and C(enforced) of each host), or a list of findings that carry C(host).
    type: raw
    required: true
  report_dir:
    description: The report directory; when given, a last line points to C(report.md) in it.
    type: str
requirements:
  - jmespath (on the controller)
seealso:
  - plugin: hostnet.dockerhost.findings_to_markdown
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Print the summary of the fleet audit
  ansible.builtin.debug:
    msg: "{{ (fleet | hostnet.dockerhost.fleet_summary_text(report_dir='/tmp/audit')).splitlines() }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: The summary, lines separated and ended by a newline.
  type: str
  sample: |
    hostnet.dockerhost audit: 3 hosts, 2 compliant, 1 not compliant, 0 not audited
    findings: 1 error, 0 warning, 0 info
    this run changed 3 things on 1 host
      docker1: NOT compliant (1 error, 0 warning, 0 info)
        looked at: read 131 links: 3 bridges, 1 bond, Docker 20.10 with 2 bridges, systemd-networkd 252 running
        [error] lag_port_not_promisc: port eno2 of a bridged bond or team is not promiscuous -> ip link set dev eno2 promisc on
      docker2: compliant
        looked at: read 44 links: 2 bridges, Docker 24.0 with 1 bridge, systemd-networkd 257 running
        changed: bridge br0 pinned from MAC 02:42:ac:11:00:02 to 52:54:00:12:34:56 (the uplink's MAC, systemd-networkd)
        changed: eno1 made promiscuous (port of bond0, systemd-networkd)
        changed: docker0 given IPv4 forwarding (IPv4Forwarding=yes, systemd-networkd)
      plain3: compliant, nothing to audit - read 2 links: no bridge, bond, team or Docker
    report: /tmp/audit/report.md (also report.json, junit.xml)
'''

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import fleet_summary_text


class FilterModule:
    """The terminal summary of a fleet."""

    def filters(self):
        return {"fleet_summary_text": fleet_summary_text}
