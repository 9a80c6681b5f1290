# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The merge_reports filter: one fleet report from the report.json of any number of slices (the work is done in
plugins/plugin_utils/report_pipeline.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: merge_reports
author: hostnet.dockerhost maintainers
version_added: 0.2.0
short_description: Merge the reports of fleet slices into one fleet report
description:
  - Each slice of a fleet (an AWX job slice, one controller of several, one C(ansible-playbook) run with
    C(--limit)) writes its own report directory with C(report.json). This filter builds the report of the
    whole fleet from those C(report.json) documents - the same summary, findings and per-host status as one
    run over every host would have written.
  - The summary is counted again from the merged findings, never added up from the slices.
  - A host that is in two slices is an error that names it and both slices, unless O(duplicates=newest).
  - The playbook C(hostnet.dockerhost.merge_reports) does the same from directories and also writes
    C(junit.xml), C(report.md), C(summary.txt) and the slices' C(hosts/<host>.json).
positional: _input
options:
  _input:
    description:
      - The slices' C(report.json) documents, or dicts C({source, report}) where C(source) names the slice in
        messages.
    type: list
    elements: dict
    required: true
  duplicates:
    description:
      - What a host in more than one slice means.
      - V(error) - fail, naming the host and the slices (slices partition a fleet; an overlap means the
        inputs are mixed up).
      - V(newest) - keep the result with the later time stamp (a re-run of a slice, or of failed hosts,
        into another directory); equal time stamps are still an error.
    type: str
    choices: [error, newest]
    default: error
requirements:
  - jmespath (on the controller)
'''

EXAMPLES = r'''
- name: Merge two slice reports
  ansible.builtin.set_fact:
    fleet_report: >-
      {{ [lookup('ansible.builtin.file', 'slice1/report.json') | from_json,
          lookup('ansible.builtin.file', 'slice2/report.json') | from_json]
         | hostnet.dockerhost.merge_reports }}

- name: A re-run of the failed hosts wins over the first run
  ansible.builtin.set_fact:
    fleet_report: "{{ [first, retry] | hostnet.dockerhost.merge_reports(duplicates='newest') }}"
'''

RETURN = r'''
_value:
  description: The merged report, shaped as C(report.json).
  type: dict
  contains:
    summary:
      description: As P(hostnet.dockerhost.fleet_summary#filter) of the merged fleet.
      type: dict
    findings:
      description: Every host's findings, each with C(host), in report order.
      type: list
      elements: dict
    hosts:
      description:
        - Per host - C(status) (C(compliant), C(not_compliant), C(audit_failed)), C(compliant), C(counts),
          C(msg) of a failed audit, C(enforced) after an enforcing run, and the C(run_id) and C(time) of the
          run that wrote the result.
      type: dict
    merged_from:
      description: Per slice - C(source), C(run_id), C(time), C(hosts).
      type: list
      elements: dict
    run_id:
      description: The merge's own id.
      type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet, report_pipeline


def merge_reports(reports, duplicates="error"):
    """The merged report (report.json of the whole fleet)."""
    try:
        return report_pipeline.merge(fleet.plain(reports), duplicates).report
    except fleet.FleetError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """Merge slice reports of hostnet.dockerhost."""

    def filters(self):
        return {"merge_reports": merge_reports}
