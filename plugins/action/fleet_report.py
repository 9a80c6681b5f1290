# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostnet.dockerhost.fleet_report: build the fleet report in one pass, on the controller.

Internal to the collection's playbooks (harden_docker_hosts, merge_reports). Either from this run's host files
(C(targets) and C(run_id): each target's C(hosts/<host>.json) stamped with this run id; a target without one is
C(audit_failed)), or from the C(report.json) of slice report directories (C(merge_from), a list of
directories or glob patterns). Writes report.json, junit.xml, report.md and summary.txt (rendered from
C(summary_template) with C(__hostnet_fleet), C(__hostnet_summary), C(__hostnet_report) and
C(hostnet_report_dir)) into C(report_dir). Returns the summary, the summary lines, and C(fail_hosts) with
C(fail_messages): the hosts whose audit failed or whose findings reach C(fail_on), for the playbook to fail.
"""

from __future__ import annotations

import glob
import os

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.hostnet.dockerhost.plugins.filter import fleet_report
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet

try:  # ansible-core 2.19 templates only trusted text
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - older ansible-core
    def trust_as_template(text):
        return text

ARGUMENT_SPEC = dict(
    report_dir=dict(type="path", required=True),
    run_id=dict(type="str"),
    targets=dict(type="list", elements="str"),
    merge_from=dict(type="list", elements="str"),
    duplicates=dict(type="str", default="error", choices=list(fleet.DUPLICATES)),
    fail_on=dict(type="str", default="none"),
    summary_template=dict(type="str", default="summary.txt.j2"),
)


def collect_fleet(report_dir, targets, run_id):
    """{host: lean result} of this run's targets, read from their host files in one pass, and their stamps."""
    fleet_results, stamps = {}, {}
    for host in targets:
        document = fleet.read_json(os.path.join(report_dir, fleet.HOSTS_DIR, fleet.host_file_name(host)))
        result = fleet.result_of(document, host, run_id)
        if result is None:
            fleet_results[host] = {"failed": True, "msg": fleet.NO_RESULT_MSG}
        else:
            fleet_results[host] = result
            stamps[host] = (run_id, document.get("time"))
    return fleet_results, stamps


def slice_reports(patterns):
    """[(directory, report.json document)] of the slice directories, globs expanded, in the order given."""
    entries, seen = [], set()
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise AnsibleActionFail("hostnet_merge_from: %r matches no directory" % pattern)
        for directory in matches:
            directory = os.path.abspath(directory)
            if directory in seen:
                continue
            seen.add(directory)
            path = os.path.join(directory, "report.json") if os.path.isdir(directory) else directory
            document = fleet.read_json(path)
            if document is None:
                raise AnsibleActionFail("hostnet_merge_from: %s has no readable report.json" % directory)
            entries.append({"source": directory, "report": document})
    return entries


def copy_host_files(slices, report, report_dir):
    """The merged report's hosts/: each host's file from the slice whose result the merge kept."""
    os.makedirs(os.path.join(report_dir, fleet.HOSTS_DIR), exist_ok=True)
    for entry in slices:
        run_id = entry["report"].get("run_id")
        for host in entry["report"].get("hosts", {}):
            if report["hosts"].get(host, {}).get("run_id") != run_id:
                continue
            name = fleet.host_file_name(host)
            document = fleet.read_json(os.path.join(entry["source"], fleet.HOSTS_DIR, name))
            if fleet.result_of(document, host, run_id) is not None:
                fleet.write_text(os.path.join(report_dir, fleet.HOSTS_DIR, name), fleet.to_json(document))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def _summary_text(self, template_name, task_vars, extra):
        path = self._find_needle("templates", template_name)
        text = self._loader.get_text_file_contents(path) if hasattr(self._loader, "get_text_file_contents") \
            else self._loader._get_file_contents(path)[0]  # pylint: disable=protected-access
        variables = dict(task_vars)
        variables.update(extra)
        templar = self._templar.copy_with_new_env(available_variables=variables)
        return str(templar.template(trust_as_template(text)))

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        report_dir = os.path.abspath(args["report_dir"])
        try:
            fail_on = fleet.validate_fail_on(args["fail_on"])
            if args["merge_from"] is not None:
                if not args["merge_from"]:
                    raise AnsibleActionFail("hostnet_merge_from: name the slice report directories to merge (a list)")
                slices = slice_reports(args["merge_from"])
                fleet_results, report = fleet.merge_reports(slices, args["duplicates"])
            elif args["targets"] is not None and args["run_id"]:
                fleet_results, stamps = collect_fleet(report_dir, args["targets"], args["run_id"])
                report = fleet.build_report(fleet_results, run_id=args["run_id"], stamps=stamps)
            else:
                raise AnsibleActionFail("give targets and run_id (a run's report) or merge_from (a merge)")
            files = {
                "report.json": fleet.to_json(report),
                "junit.xml": fleet_report.findings_to_junit(fleet_results),
                "report.md": fleet_report.findings_to_markdown(fleet_results),
            }
            files["summary.txt"] = self._summary_text(args["summary_template"], task_vars, {
                "__hostnet_fleet": fleet_results,
                "__hostnet_summary": report["summary"],
                "__hostnet_report": report,
                "hostnet_report_dir": report_dir,
            })
        except fleet.FleetError as exc:
            raise AnsibleActionFail(str(exc)) from None
        except AnsibleActionFail:
            raise
        except AnsibleError as exc:
            raise AnsibleActionFail("cannot build the report: %s" % exc) from None

        try:
            os.makedirs(report_dir, exist_ok=True)
            for name in fleet.REPORT_FILES:
                fleet.write_text(os.path.join(report_dir, name), files[name])
            if args["merge_from"]:
                copy_host_files(slices, report, report_dir)
        except OSError as exc:
            raise AnsibleActionFail("cannot write the report into %s: %s" % (report_dir, exc)) from None

        failed = report["summary"]["failed_hosts"]
        gated = fleet.gate_hosts(report, fail_on)
        messages = {}
        for host in failed:
            msg = str(report["hosts"][host].get("msg"))
            # an enforcing run that failed says so itself (what failed; what changed is in the report)
            messages[host] = msg if msg.startswith("Enforcing failed") else "The audit did not run: %s" % msg
        for host in gated:
            if host not in messages:
                messages[host] = fleet.gate_message(report, host, fail_on, report_dir)
        return dict(
            changed=False,
            report_dir=report_dir,
            run_id=report["run_id"],
            summary=report["summary"],
            summary_lines=files["summary.txt"].splitlines(),
            fail_hosts=sorted(messages),
            fail_messages=messages,
            gate_hosts=gated,
            merged_from=report.get("merged_from"),
        )
