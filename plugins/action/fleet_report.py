# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostnet.dockerhost.fleet_report: build the fleet report in one pass, on the controller.

Internal to the collection's playbooks (harden_docker_hosts, merge_reports). Either from this run's host files
(C(targets) and C(run_id): each target's C(hosts/<host>.json) stamped with this run id; a target without one is
C(audit_failed)), or from the C(report.json) of slice report directories (C(merge_from), a list of
directories or glob patterns). The fleet is read once into one value (plugins/plugin_utils/report_pipeline.py)
and report.json, junit.xml, report.md and summary.txt are rendered from it into C(report_dir). Returns the
summary, the summary lines, and C(fail_hosts) with C(fail_messages): the hosts whose audit failed or whose
findings reach C(fail_on), for the playbook to fail.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet, report_pipeline
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.playbook_variables import validate_variables

ARGUMENT_SPEC = dict(
    report_dir=dict(type="raw", required=True),
    run_id=dict(type="str"),
    targets=dict(type="list", elements="str"),
    checks=dict(type="list", elements="str"),
    merge_from=dict(type="raw"),
    duplicates=dict(type="raw", default="error"),
    fail_on=dict(type="raw", default="none"),
)


TERMINAL_LINES = 1000  # the run prints summary.txt up to this many lines (a 10,000-host merge has 27,000)


def terminal_lines(summary_text, report_dir):
    lines = summary_text.splitlines()
    if len(lines) <= TERMINAL_LINES:
        return lines
    return lines[:TERMINAL_LINES] + ["... %d more lines in %s" % (len(lines) - TERMINAL_LINES,
                                                                  os.path.join(report_dir, "summary.txt"))]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            given = {"hostnet_report_dir": args["report_dir"], "hostnet_fail_on": args["fail_on"],
                     "hostnet_merge_duplicates": args["duplicates"]}
            if args["merge_from"] is not None:
                given["hostnet_merge_from"] = args["merge_from"]
            checked = validate_variables(given)
            report_dir = checked["hostnet_report_dir"]
            if args["merge_from"] is not None:
                slices = report_pipeline.read_slices(checked["hostnet_merge_from"])
                value = report_pipeline.merge(slices, checked["hostnet_merge_duplicates"])
            elif args["targets"] is not None and args["run_id"]:
                value = report_pipeline.from_host_files(report_dir, args["targets"], args["run_id"], args["checks"])
            else:
                raise AnsibleActionFail("give targets and run_id (a run's report) or merge_from (a merge)")
            files = report_pipeline.render_files(value, report_dir)
        except fleet.FleetError as exc:
            raise AnsibleActionFail(str(exc)) from None

        try:
            os.makedirs(report_dir, exist_ok=True)
            for name in fleet.REPORT_FILES:
                fleet.write_text(os.path.join(report_dir, name), files[name])
            if args["merge_from"] is not None:
                report_pipeline.copy_host_files(slices, value, report_dir)
        except OSError as exc:
            raise AnsibleActionFail("cannot write the report into %s: %s" % (report_dir, exc)) from None

        fail_hosts, messages, gated = report_pipeline.gate(value, checked["hostnet_fail_on"], report_dir)
        return dict(
            changed=False,
            report_dir=report_dir,
            run_id=value.report["run_id"],
            summary=value.report["summary"],
            summary_lines=terminal_lines(files["summary.txt"], report_dir),
            fail_hosts=fail_hosts,
            fail_messages=messages,
            gate_hosts=gated,
            merged_from=value.report.get("merged_from"),
        )
