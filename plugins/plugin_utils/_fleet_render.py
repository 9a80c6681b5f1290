# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet report as a terminal and CI read it: summary text (the run's end and summary.txt), JUnit XML.

Each renderer takes the list of HostAudit from _fleet_model.read_fleet and returns a string; nothing here
reads files or Ansible state, so the filters and the report action plugin render the same text. report.md is
_fleet_markdown's. Every line of the summary goes through ``_fleet_text.visible``: a control character in a
name is shown as ``\\x1b``, never sent to the terminal.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import AUDIT_FAILED_ID
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_findings import finding_title
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_model import summary
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_words import (
    change_lines,
    counts_in_words,
    describe_audited,
    host_status,
    plural,
    problem_lines,
    render_value,
)
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible

JUNIT_SUITE_NAME = "hostnet.dockerhost"
SUMMARY_TITLE = "hostnet.dockerhost audit"


def one_line(text):
    return " ".join(str(text).split())


def fleet_line(stats, sep=": "):
    # "not compliant" in lower case here: the host lines say "NOT compliant", which a reader (or grep) finds
    not_compliant = len(stats["noncompliant_hosts"]) - len(stats["failed_hosts"])
    return "%s%s%d compliant, %d not compliant, %d not audited" % (
        plural(stats["hosts"], "host"), sep, stats["compliant_hosts"], not_compliant, len(stats["failed_hosts"]))


def changed_line(audits):
    changed = [audit for audit in audits if audit.changes]
    enforced = [audit for audit in audits if audit.enforced is not None]
    if not enforced:
        return None
    if not changed:
        return "this run enforced on %s and changed nothing" % plural(len(enforced), "host")
    return "this run changed %s on %s" % (
        plural(sum(audit.changes for audit in changed), "thing"), plural(len(changed), "host"))


# ---------------------------------------------------------------------------------------- summary text


def summary_text(audits, report_dir=None):
    """The terminal summary and summary.txt: the fleet in a few lines, then a few lines per host.

    A host that is compliant and has nothing more to say takes one line; otherwise what was looked at,
    what this run changed, the host's warnings and its error and warning findings follow, indented.
    """
    stats = summary(audits)
    sev = stats["by_severity"]
    out = ["%s: %s" % (SUMMARY_TITLE, fleet_line(stats, ", ")),
           "findings: %s error, %s warning, %s info" % (sev["error"], sev["warning"], sev["info"])]
    changed = changed_line(audits)
    if changed:
        out.append(changed)
    rollout_line = rollout.fleet_words({audit.host: audit.migration for audit in audits})
    if rollout_line:
        out.append(rollout_line)
    for audit in audits:
        status = host_status(audit)
        looked_at = describe_audited(audit.audited)
        if audit.failed:
            out.append("  %s: audit failed: %s" % (audit.host, one_line(audit.msg)))
        else:
            counts = audit.counts()
            head = "  %s: %s" % (audit.host, status)
            if any(counts.values()):
                head += " (%s)" % counts_in_words(counts)
            details = change_lines(audit.enforced) or audit.warnings or audit.migration or [
                f for f in audit.findings if f["severity"] != "info"]
            if not details:
                out.append(head + (" - %s" % looked_at if looked_at else ""))
                continue
            out.append(head)
            if looked_at:
                out.append("    looked at: %s" % looked_at)
        for line in change_lines(audit.enforced):
            out.append("    changed: %s" % line)
        for line in problem_lines(audit.enforced):
            out.append("    %s" % one_line(line))
        for warning in audit.warnings:
            out.append("    warning: %s" % one_line(warning))
        if audit.migration:
            out.append("    team->bond: %s" % one_line(rollout.migration_words(audit.migration)))
        if audit.failed:
            if not rollout.stopped_the_rollout(audit.migration):  # the audit itself ran; the line above says why
                out.append("    try: %s" % audit.findings[0]["remediation"])
            continue
        for finding in audit.findings:
            if finding["severity"] == "info":
                continue
            line = "    [%s] %s: %s" % (finding["severity"], finding["id"], finding_title(finding))
            if finding["remediation"]:
                line += " -> %s" % one_line(finding["remediation"])
            out.append(line)
    if report_dir:
        out.append("report: %s/report.md (also report.json, junit.xml)" % str(report_dir).rstrip("/"))
    # each line escaped whole: a newline inside a name shows as \n instead of starting a line of its own
    return "\n".join(visible(line) for line in out) + "\n"


# ----------------------------------------------------------------------------------------------- JUnit

# XML 1.0 cannot carry these characters even as character references, so ElementTree would write a
# document that CI parsers reject.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text):
    return _XML_ILLEGAL.sub(lambda match: "\\x%02x" % ord(match.group()) if ord(match.group()) < 0x100 else "\ufffd", text)


def finding_block(finding):
    """A finding as indented plain text (JUnit bodies)."""
    where = "on %s" % finding["interface"] if finding["interface"] is not None else "(host-wide)"
    lines = ["%s %s %s: %s" % (finding["severity"], finding["id"], where, finding_title(finding))]
    for label, value in (
        ("current", render_value(finding["current"])),
        ("expected", render_value(finding["expected"])),
        ("remediation", finding["remediation"] or "-"),
        ("why", finding["why"] or "-"),
    ):
        text = str(value).replace("\r\n", "\n").replace("\n", "\n" + " " * 15)
        lines.append("  %-12s %s" % (label + ":", text))
    return "\n".join(lines)


def _failure_message(findings):
    titles = ["%s: %s" % (f["id"], finding_title(f)) for f in findings]
    if len(titles) == 1:
        return titles[0]
    return "%d findings: %s" % (len(titles), "; ".join(titles))


def _suite_out(audit):
    lines = []
    looked_at = describe_audited(audit.audited)
    if looked_at:
        lines.append("looked at: %s" % looked_at)
    lines += ["changed: %s" % line for line in change_lines(audit.enforced)]
    lines += problem_lines(audit.enforced)
    lines += ["warning: %s" % warning for warning in audit.warnings]
    return "\n".join(lines)


def junit(audits, checks, per_host=True):
    """JUnit XML: one testsuite per host, one testcase per (host, check) the host's audit ran.

    A host's own ``checks`` (what its netstate_info ran) win when ``per_host``; else, and for a host whose
    audit did not run, ``checks`` (the run's). A check that was not audited has no test case, so a CI
    dashboard never shows it passed.
    """
    # One <testsuite> per host under a <testsuites> root. GitHub reporters (dorny/test-reporter,
    # mikepenz/action-junit-report) and GitLab's suite view show a pass/fail row per suite, so a broken
    # host stands out at a glance; Jenkins groups by classname (the host) either way. A single suite would
    # give one row of totals and hide which host is broken. Jenkins reads dots in a classname as a
    # package path, so FQDN hosts show as a package tree there: still correct, just nested.
    root = ET.Element("testsuites", name=JUNIT_SUITE_NAME)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for audit in audits:
        host = _xml_text(audit.host)
        suite = ET.SubElement(root, "testsuite", name=host, hostname=host)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for check in (audit.checks if per_host and audit.checks is not None else checks):
            case = ET.SubElement(suite, "testcase", classname=host, name=_xml_text(check))
            counts["tests"] += 1
            if audit.failed:
                error = ET.SubElement(
                    case, "error", message=_xml_text("audit could not run: %s" % audit.msg), type=AUDIT_FAILED_ID
                )
                error.text = _xml_text(finding_block(audit.findings[0]))
                counts["errors"] += 1
                continue
            mine = [f for f in audit.findings if f["check"] == check]
            bad = [f for f in mine if f["severity"] != "info"]
            info = [f for f in mine if f["severity"] == "info"]
            if bad:
                failure = ET.SubElement(case, "failure", message=_xml_text(_failure_message(bad)), type=bad[0]["severity"])
                failure.text = _xml_text("\n\n".join(finding_block(f) for f in bad))
                counts["failures"] += 1
            if info:
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text("\n\n".join(finding_block(f) for f in info))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("skipped", "0")
        told = _suite_out(audit)
        if told:
            ET.SubElement(suite, "system-out").text = _xml_text(told)
    for key, value in totals.items():
        root.set(key, str(value))
    if len(audits) <= 1000:  # indented for people; a big fleet's file is for CI, and indenting is a third of it
        ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
