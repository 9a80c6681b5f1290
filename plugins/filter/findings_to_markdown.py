# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The findings_to_markdown filter (the work is done in plugins/plugin_utils/fleet_filters.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: findings_to_markdown
author: hostnet.dockerhost maintainers
version_added: 0.1.0
short_description: Render a fleet audit as a Markdown report
description:
  - Returns a Markdown document (GitHub Flavored Markdown) that reads as well in a terminal as rendered.
  - First the fleet in a sentence (hosts compliant, not compliant, not audited; findings per severity;
    what an enforcing run changed), then a table of hosts - status (C(compliant), C(NOT compliant),
    C(audit failed), C(compliant, nothing to audit)), error, warning and info counts, what was changed
    (only when some host has C(enforced)) and what the audit looked at.
  - "Then C(## Pictures): for every host with findings whose result has C(topology) (netstate_info returns it
    with findings), its bond/team ports -> bond/team -> bridge -> container veths chain as a Mermaid flowchart in
    a C(```mermaid) block - the interfaces a finding names outlined by severity (classes C(error), C(warning),
    C(info)), the container veths one node with a count. Hosts whose picture comes out the same share one
    diagram, introduced by their names. Node ids are generated and every label is quoted and encoded, so no
    name becomes Mermaid syntax."
  - "Then a section per host - its status, what was looked at (the result's C(audited.description), or
    one built from its counts), its C(warnings), what the enforcing run changed (each bridge pinned from
    which MAC to which and where the MAC came from, each port made promiscuous, each interface given
    forwarding, each team migrated; C(enforced) in either shape, lists of names or of dicts), then one
    block per finding - a heading C(### HOST: ID on INTERFACE (SEVERITY)), the finding in words, why,
    the current and expected values in words (C(addr_assign_type) explained), the check, and the
    remediation in a fenced code block."
  - Names are data - Markdown punctuation is escaped, code spans and fences outgrow any backtick run in them,
    a pipe never splits a table cell, and control characters are shown as escapes such as C(\x1b).
  - A host with no bridge, bond, team or Docker (by C(audited)) is C(compliant, nothing to audit), so it
    does not read like a healthy Docker host. A result without C(audited) or C(enforced) simply has
    no such lines.
  - Markdown punctuation in values is escaped (underscores only where they could start emphasis, so
    names stay readable); table cells keep their shape whatever the values hold.
positional: _input
options:
  _input:
    description:
      - The fleet (a dict that maps each hostname to its netstate_info result, with the optional
        C(audited), C(warnings) and C(enforced) of each host), or a list of findings that carry C(host).
    type: raw
    required: true
requirements:
  - jmespath (on the controller)
'''

EXAMPLES = r'''
- name: Write the Markdown report
  ansible.builtin.copy:
    content: "{{ fleet | hostnet.dockerhost.findings_to_markdown }}"
    dest: "{{ playbook_dir }}/reports/netstate.md"
    mode: "0644"
  delegate_to: localhost
  run_once: true

- name: A report of the serious findings only
  ansible.builtin.set_fact:
    md: "{{ fleet | hostnet.dockerhost.fleet_findings | hostnet.dockerhost.select_findings(severity='warning')
            | hostnet.dockerhost.findings_to_markdown }}"
'''

RETURN = r'''
_value:
  description: The Markdown document.
  type: str
'''

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import findings_to_markdown


class FilterModule:
    """A Markdown report of a fleet."""

    def filters(self):
        return {"findings_to_markdown": findings_to_markdown}
