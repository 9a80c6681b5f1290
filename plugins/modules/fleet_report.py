#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin plugins/action/fleet_report.py, on the controller; this file documents it.

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Build the fleet report on the controller in one pass, from this run's host files or from slices
version_added: 0.2.0
description:
  - The report task of the playbook C(hostnet.dockerhost.harden_docker_hosts) and
    C(hostnet.dockerhost.merge_reports). Writes C(report.json) (summary, findings, per-host status; no
    read model), C(junit.xml), C(report.md) and C(summary.txt) into O(report_dir), all four from one reading
    of the fleet.
  - With O(targets) and O(run_id) it reads each target's C(hosts/<host>.json) of this run once; a target without
    one (unreachable, or the audit did not complete; or a stale file of an earlier run) is C(audit_failed).
  - With O(merge_from) it merges the C(report.json) of slice report directories (see the
    P(hostnet.dockerhost.merge_reports#filter) filter) and copies the slices' host files.
  - Runs on the controller only (an action plugin); nothing is sent to a host.
author:
  - hostnet.dockerhost maintainers (@hostnet)
attributes:
  check_mode:
    support: full
    description: Writes the report on the controller in check mode too - the report is the product of C(--check).
extends_documentation_fragment:
  - hostnet.dockerhost.fleet
  - hostnet.dockerhost.fleet.run_id
options:
  targets:
    description: The hosts of this run.
    type: list
    elements: str
  merge_from:
    description:
      - Slice report directories (or their C(report.json)), or glob patterns of them, to merge.
      - A slice whose C(report.json) has another format version or a host status this version does not know is
        refused, naming the directory.
    type: raw
  duplicates:
    description: A host in two slices - V(error) names it, V(newest) keeps the later result.
    type: raw
    default: error
  fail_on:
    description: The gate level; hosts whose findings reach it are returned in RV(fail_hosts).
    type: raw
    default: none
  checks:
    description: The checks this run audited (from M(hostnet.dockerhost.fleet_run)); C(junit.xml) has a test case
      per host for these only (a host's own C(checks) win).
    type: list
    elements: str
    version_added: 0.5.0
"""

EXAMPLES = r"""
- name: Build the fleet report from this run's host results
  hostnet.dockerhost.fleet_report:
    report_dir: "{{ __hostnet_run.report_dir }}"
    run_id: "{{ __hostnet_run.run_id }}"
    targets: "{{ __hostnet_run.targets }}"
    fail_on: "{{ __hostnet_run.fail_on }}"
  register: __hostnet_report
"""

RETURN = r"""
summary:
  description: As P(hostnet.dockerhost.fleet_summary#filter).
  returned: success
  type: dict
summary_lines:
  description: C(summary.txt), line by line - its first 1000 lines and a line that says how many more are in the file.
  returned: success
  type: list
  elements: str
fail_hosts:
  description: The hosts whose audit failed or whose findings reach O(fail_on).
  returned: success
  type: list
  elements: str
fail_messages:
  description: Per host in RV(fail_hosts), why it fails.
  returned: success
  type: dict
gate_hosts:
  description: The hosts whose findings reach O(fail_on).
  returned: success
  type: list
  elements: str
report_dir:
  description: The report directory, absolute.
  returned: success
  type: str
run_id:
  description: The run id of the report.
  returned: success
  type: str
merged_from:
  description: Per slice merged - C(source), C(run_id), C(time), C(hosts).
  returned: with O(merge_from)
  type: list
  elements: dict
"""
