# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller's fleet report as one pipeline: read once into one fleet value, render every file from it.

    host files of this run  ─┐
                              ├─> FleetValue (results, audits read once, report.json) ─> render_files()
    slices' report.json    ──┘                                                       report.json, junit.xml,
                                                                                     report.md, summary.txt

``FleetValue`` holds each host's lean result, the same fleet read and checked once (``_fleet_model``), and
the report.json document built from it. The four files and the gate are functions of that value; the action
plugins (``fleet_report``) and the filters (``merge_reports``, ``fleet_report``) are thin wrappers.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_markdown, _fleet_render
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import FleetInputError
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_model import flatten, read_fleet, summary
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible

STATUSES = ("compliant", "not_compliant", "audit_failed")
# Keys the report keeps per host beside the module's own (everything but findings and state).
_STATUS_ONLY_KEYS = ("status", "counts", "run_id", "time")


@dataclass
class FleetValue:
    """One fleet, read once: ``results`` {host: lean result}, ``audits`` (HostAudit by host), ``report``."""

    results: dict
    audits: list
    report: dict
    checks: object = None  # the checks the run audited (None: every known check)


def fleet_value(results, run_id=None, time=None, meta=None, stamps=None, checks=None):
    """The fleet value of {host: lean result}: read and checked once, report.json built from it.

    ``stamps`` {host: (run_id, time)} says which run wrote each host's result (default: this run, now).
    """
    try:
        audits = read_fleet(results)
    except FleetInputError as exc:
        raise fleet.FleetError(str(exc)) from None
    time = time or fleet.now()
    stamps = stamps or {}
    stats = summary(audits)
    hosts = {}
    for audit in audits:
        status = {key: value for key, value in results[audit.host].items() if key not in ("findings", "state")}
        status["status"] = "audit_failed" if audit.failed else ("compliant" if audit.compliant else "not_compliant")
        status["compliant"] = audit.compliant
        status["counts"] = audit.counts()
        if audit.failed:
            status["failed"] = True
            status.setdefault("msg", audit.findings[0]["current"])
        status["run_id"], status["time"] = stamps.get(audit.host) or (run_id, time)
        hosts[audit.host] = status
    report = {"format": fleet.FORMAT, "run_id": run_id, "time": time}
    if checks is not None:
        report["checks"] = list(checks)
    report.update(meta or {})
    report.update(summary=stats, findings=flatten(audits), hosts=hosts)
    return FleetValue(results, audits, report, checks)


def build_report(results, run_id=None, time=None, meta=None, stamps=None, checks=None):
    """report.json of a fleet {host: lean result}: summary, findings, per-host status; no read model."""
    return fleet_value(results, run_id, time, meta, stamps, checks).report


def render_files(value, report_dir=None):
    """{file name: text} of the four report files, all from the one fleet value."""
    return {
        # indented for people up to a thousand hosts; beyond, compact (json's fast encoder: 10x faster)
        "report.json": fleet.to_json(value.report, compact=len(value.audits) > 1000),
        "junit.xml": _fleet_render.junit(value.audits, list(value.checks or fleet.CHECKS)),
        "report.md": _fleet_markdown.markdown(value.audits),
        "summary.txt": _fleet_render.summary_text(value.audits, report_dir),
    }


# ------------------------------------------------------------------------------------------ this run


def from_host_files(report_dir, targets, run_id, checks=None):
    """The fleet value of this run's targets, each host file read once; a target without one is failed."""
    results, stamps = {}, {}
    for host in targets:
        document = fleet.read_json(os.path.join(report_dir, fleet.HOSTS_DIR, fleet.host_file_name(host)))
        result = fleet.result_of(document, host, run_id)
        if result is None:
            results[host] = {"failed": True, "msg": fleet.NO_RESULT_MSG}
        else:
            results[host] = result
            stamps[host] = (run_id, document.get("time"))
    return fleet_value(results, run_id=run_id, stamps=stamps, checks=checks)


# ----------------------------------------------------------------------------------------- the merge


def _checked_report(report, where):
    """A slice's report.json, refused when it is not one this version reads (format, statuses)."""
    if not isinstance(report, Mapping) or not isinstance(report.get("hosts"), Mapping) \
            or not isinstance(report.get("findings"), list):
        raise fleet.FleetError("%s: not a hostnet.dockerhost report.json (needs 'hosts' and 'findings')" % where)
    if report.get("format") != fleet.FORMAT:
        raise fleet.FleetError("%s: report format %s is not one this collection reads (format %d); merge it with "
                               "the collection version that wrote it" % (where, visible(repr(report.get("format"))),
                                                                         fleet.FORMAT))
    for host, status in report["hosts"].items():
        if not isinstance(status, Mapping):
            raise fleet.FleetError("%s: hosts[%s] is not a dict" % (where, visible(repr(host))))
        if status.get("status") not in STATUSES:
            raise fleet.FleetError("%s: host %s has the unknown status %s; a report says %s"
                                   % (where, visible(repr(host)), visible(repr(status.get("status"))),
                                      ", ".join(STATUSES)))
    return report


def fleet_from_report(report, where="report"):
    """The fleet {host: lean result} a report.json was built from (findings back under their host), and
    {host: (run_id, time)} of each host's result."""
    _checked_report(report, where)
    results, stamps = {}, {}
    for host, status in report["hosts"].items():
        stamps[str(host)] = (status.get("run_id") or report.get("run_id"), status.get("time") or report.get("time"))
        result = {key: value for key, value in status.items() if key not in _STATUS_ONLY_KEYS}
        if result.get("failed"):
            result.pop("compliant", None)
        else:
            result["findings"] = []
        results[str(host)] = result
    for index, finding in enumerate(report["findings"]):
        host = finding.get("host") if isinstance(finding, Mapping) else None
        if host not in results:
            raise fleet.FleetError("%s: findings[%d] names host %s, which is not in its hosts"
                                   % (where, index, visible(repr(host))))
        if results[host].get("failed"):
            continue  # the audit_failed finding is made again from failed/msg
        results[host]["findings"].append({key: value for key, value in finding.items() if key != "host"})
    return results, stamps


def merge(reports, duplicates="error"):
    """The fleet value of any number of slices.

    ``reports`` is a list of report.json documents (or ``{"source": name, "report": document}``). A host in
    two slices is an error naming it and both sources, unless ``duplicates='newest'``: then the result with
    the later time stamp wins (a tie is still an error).
    """
    if duplicates not in fleet.DUPLICATES:
        raise fleet.FleetError("duplicates: %r; use one of %s" % (duplicates, ", ".join(fleet.DUPLICATES)))
    if isinstance(reports, Mapping) or not isinstance(reports, (list, tuple)):
        raise fleet.FleetError("expected a list of reports (report.json documents), got %s" % type(reports).__name__)
    if not reports:
        raise fleet.FleetError("no reports to merge")
    results, origin, stamps, sources, checks = {}, {}, {}, [], []
    for index, entry in enumerate(reports):
        if isinstance(entry, Mapping) and "report" in entry and "hosts" not in entry:
            source, report = str(entry.get("source") or "reports[%d]" % index), entry["report"]
        else:
            source, report = "reports[%d]" % index, entry
        part, part_stamps = fleet_from_report(report, source)
        sources.append({"source": source, "run_id": report.get("run_id"), "time": report.get("time"), "hosts": len(part)})
        checks += [check for check in report.get("checks") or fleet.CHECKS if check not in checks]
        for host, result in part.items():
            stamp = str(part_stamps[host][1] or "")
            if host in results:
                other_source, other_stamp = origin[host]
                if duplicates == "error" or stamp == other_stamp:
                    raise fleet.FleetError(
                        "host %s is in two slices (%s and %s); a host belongs to one slice. Merge with "
                        "duplicates=newest (hostnet_merge_duplicates=newest) to keep the newer result"
                        % (visible(repr(host)), other_source, source)
                    )
                if stamp < other_stamp:
                    continue
            results[host] = result
            origin[host] = (source, stamp)
            stamps[host] = part_stamps[host]
    return fleet_value(results, run_id="merge-" + fleet.new_run_id(), meta={"merged_from": sources}, stamps=stamps,
                       checks=checks)


def merge_reports(reports, duplicates="error"):
    """(fleet {host: lean result}, merged report.json) of any number of slices (see ``merge``)."""
    value = merge(reports, duplicates)
    return value.results, value.report


def read_slices(patterns):
    """[{source: directory, report: its report.json}] of the slice directories, globs expanded, in order given."""
    if not patterns:
        raise fleet.FleetError("hostnet_merge_from: name the slice report directories to merge (a list)")
    entries, seen = [], set()
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise fleet.FleetError("hostnet_merge_from: %s matches no directory" % visible(repr(pattern)))
        for directory in matches:
            directory = os.path.abspath(directory)
            if directory in seen:
                continue
            seen.add(directory)
            path = os.path.join(directory, "report.json") if os.path.isdir(directory) else directory
            document = fleet.read_json(path)
            if document is None:
                raise fleet.FleetError("hostnet_merge_from: %s has no readable report.json" % visible(directory))
            entries.append({"source": directory, "report": document})
    return entries


def _is_host_file_of(path, host, run_id):
    """True when the host file at ``path`` is ``host``'s of the run ``run_id``: its head is compared with what
    fleet.host_document writes (exact, so no host name can fake it), else the whole file is read."""
    head = fleet.host_file_head(host, run_id)
    try:
        with open(path, "rb") as handle:
            if handle.read(len(head)) == head:
                return True
    except OSError:
        return False
    return fleet.result_of(fleet.read_json(path), host, run_id) is not None


def _place(source, target):
    """target becomes source's content atomically: a hard link where the file system allows, else a copy."""
    try:
        os.link(source, target)  # a new report directory: one call
        return
    except FileExistsError:
        pass
    except OSError:
        fleet.write_text(target, fleet.to_json(fleet.read_json(source)))
        return
    tmp = "%s.hostnet-%d.tmp" % (target, os.getpid())
    try:
        os.link(source, tmp)
    except OSError:
        fleet.write_text(target, fleet.to_json(fleet.read_json(source)))
        return
    os.replace(tmp, target)


def copy_host_files(slices, value, report_dir):
    """The merged report's hosts/: each host's file from the slice whose result the merge kept (10,000 files
    are linked, not parsed and written again)."""
    os.makedirs(os.path.join(report_dir, fleet.HOSTS_DIR), exist_ok=True)
    kept = value.report["hosts"]
    for entry in slices:
        run_id = entry["report"].get("run_id")
        for host in entry["report"].get("hosts", {}):
            if kept.get(host, {}).get("run_id") != run_id:
                continue
            name = fleet.host_file_name(host)
            source = os.path.join(entry["source"], fleet.HOSTS_DIR, name)
            if _is_host_file_of(source, host, run_id):
                _place(source, os.path.join(report_dir, fleet.HOSTS_DIR, name))


# ------------------------------------------------------------------------------------------ the gate


def gate(value, fail_on, report_dir):
    """(fail_hosts, fail_messages, gate_hosts): the hosts whose audit failed or whose findings reach fail_on,
    each with why - in words a terminal shows as they are (names from hosts escaped)."""
    report = value.report
    gated = fleet.gate_hosts(report, fail_on)
    messages = {}
    for host in report["summary"]["failed_hosts"]:
        status = report["hosts"][host]
        msg = str(status.get("msg"))
        # an enforcing run that failed, or a team->bond migration that failed or rolled back, says so itself
        messages[host] = visible(msg if msg.startswith("Enforcing failed") or rollout.stopped_the_rollout(status.get("migration"))
                                 else "The audit of %s did not run: %s" % (host, msg))
    for host in gated:
        if host not in messages:
            messages[host] = visible(fleet.gate_message(report, host, fail_on, report_dir))
    return sorted(messages), messages, gated
