# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The select_findings filter (the work is done in plugins/plugin_utils/fleet_filters.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: select_findings
author: hostnet.dockerhost maintainers
version_added: 0.1.0
short_description: Select findings by minimum severity, id, host, check or a JMESPath query
description:
  - Selects findings from a flat list of findings or from a fleet dict (which is flattened first,
    as P(hostnet.dockerhost.fleet_findings#filter) does).
  - All given criteria must match. The selection runs as one compiled JMESPath expression.
  - O(query) is a raw JMESPath expression applied last, to the selected list; its result is returned
    as it is, so it need not be a list.
positional: _input
options:
  _input:
    description: A list of findings, or a fleet (a dict that maps each hostname to its netstate_info result).
    type: raw
    required: true
  severity:
    description:
      - The B(minimum) severity. V(warning) selects warnings and errors, V(info) selects everything.
      - Case does not matter. Any other name is an error.
    type: str
    choices: [error, warning, info]
  ids:
    description:
      - Finding ids to keep, for example V(lag_port_not_promisc). A single string is one id.
      - An empty list selects nothing. Omit the option to keep every id.
      - An unknown id is an error that lists the valid ones (V(lag_port_not_promisc), V(bridge_mac_inherited),
        V(interface_forwarding_off), V(global_forwarding_off), V(networkd_forwarding_key_ignored),
        V(networkd_forwarding_forced_off), V(capture_any_duplicates), V(host_file_unreadable),
        V(audit_failed), and any id present in the input), because a misspelt id would select nothing
        and look like a clean fleet.
    type: list
    elements: str
  hosts:
    description:
      - Hosts to keep. A single string is one host. An empty list selects nothing.
      - A finding without C(host) (possible only in a hand-made list) never matches.
    type: list
    elements: str
  checks:
    description:
      - Checks to keep, out of V(promisc), V(bridge_mac), V(forwarding), V(networkd), V(capture),
        V(audit) (hosts whose audit failed) and any other check present in the input.
      - An unknown check is an error, because a misspelt check would select nothing and look like
        a clean fleet.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression applied to the selected list, for example V([].host | sort(@)) or V(length(@)).
      - An invalid expression is an error that quotes the expression.
    type: str
requirements:
  - jmespath (on the controller)
seealso:
  - plugin: hostnet.dockerhost.fleet_findings
    plugin_type: filter
'''

EXAMPLES = r'''
# warnings and errors of the whole fleet
serious: "{{ fleet | hostnet.dockerhost.select_findings(severity='warning') }}"

# forwarding problems on two hosts
fwd: "{{ fleet | hostnet.dockerhost.select_findings(checks='forwarding', hosts=['docker1', 'docker2']) }}"

# the hosts that have a LAG port out of promiscuous mode
hosts_to_fix: >-
  {{ fleet | hostnet.dockerhost.select_findings(ids=['lag_port_not_promisc'], query='[].host') | unique }}

# a raw query on a flat list: interfaces with errors, as "host/interface"
ifaces: >-
  {{ fleet | hostnet.dockerhost.fleet_findings
           | hostnet.dockerhost.select_findings(severity='error', query="[?interface].join('/', [host, interface])") }}
'''

RETURN = r'''
_value:
  description:
    - The findings that match, in input order (report order for a fleet), or, with O(query), whatever
      the query returns.
  type: raw
'''

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import select_findings


class FilterModule:
    """Findings matching every given criterion."""

    def filters(self):
        return {"select_findings": select_findings}
