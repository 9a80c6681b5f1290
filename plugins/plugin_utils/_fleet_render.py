# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet report as people read it: summary text (terminal and summary.txt), Markdown, JUnit XML.

Each renderer takes the list of HostAudit from _fleet_model.read_fleet and returns a string; nothing here
reads files or Ansible state, so the filters and the report action plugin render the same text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import AUDIT_CHECK, AUDIT_FAILED_ID
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_findings import finding_title
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_model import summary
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_words import (
    change_lines,
    changes_in_short,
    counts_in_words,
    describe_audited,
    host_status,
    key_words,
    plural,
    problem_lines,
    render_value,
    value_words,
)

JUNIT_SUITE_NAME = "hostnet.dockerhost"
MARKDOWN_TITLE = "hostnet.dockerhost network audit"
SUMMARY_TITLE = "hostnet.dockerhost audit"


def _one_line(text):
    return " ".join(str(text).split())


def _fleet_line(stats, sep=": "):
    # "not compliant" in lower case here: the host lines say "NOT compliant", which a reader (or grep) finds
    not_compliant = len(stats["noncompliant_hosts"]) - len(stats["failed_hosts"])
    return "%s%s%d compliant, %d not compliant, %d not audited" % (
        plural(stats["hosts"], "host"), sep, stats["compliant_hosts"], not_compliant, len(stats["failed_hosts"]))


def _changed_line(audits):
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
    out = ["%s: %s" % (SUMMARY_TITLE, _fleet_line(stats, ", ")),
           "findings: %s error, %s warning, %s info" % (sev["error"], sev["warning"], sev["info"])]
    changed = _changed_line(audits)
    if changed:
        out.append(changed)
    for audit in audits:
        status = host_status(audit)
        looked_at = describe_audited(audit.audited)
        if audit.failed:
            out.append("  %s: audit failed: %s" % (audit.host, _one_line(audit.msg)))
        else:
            counts = audit.counts()
            head = "  %s: %s" % (audit.host, status)
            if any(counts.values()):
                head += " (%s)" % counts_in_words(counts)
            details = change_lines(audit.enforced) or audit.warnings or [
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
            out.append("    %s" % _one_line(line))
        for warning in audit.warnings:
            out.append("    warning: %s" % _one_line(warning))
        if audit.failed:
            out.append("    try: %s" % audit.findings[0]["remediation"])
            continue
        for finding in audit.findings:
            if finding["severity"] == "info":
                continue
            line = "    [%s] %s: %s" % (finding["severity"], finding["id"], finding_title(finding))
            if finding["remediation"]:
                line += " -> %s" % _one_line(finding["remediation"])
            out.append(line)
    if report_dir:
        out.append("report: %s/report.md (also report.json, junit.xml)" % str(report_dir).rstrip("/"))
    return visible("\n".join(out) + "\n", whole_document=True)  # names from hosts: no raw control characters


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


def junit(audits, checks):
    """JUnit XML: one testsuite per host, one testcase per (host, check)."""
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
        for check in checks:
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
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -------------------------------------------------------------------------------------------- Markdown

# Escaped wherever they appear; "_" only where it could open or close emphasis (GFM never reads an
# underscore between two letters or digits as emphasis), so names like bridge_mac_inherited stay readable
# in a terminal.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?\w+;)")
_IDENTIFIER = re.compile(r"^[\w.:/@%+=,-]+$")


def md_text(value):
    """Plain text for a table cell, list item or heading: Markdown punctuation escaped, newlines as <br>."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(_MD_SPECIAL.sub(lambda m: "\\" + m.group(), line) for line in text.split("\n"))


def _md_code_line(line):
    fence = "`" * (max((len(run) for run in re.findall("`+", line)), default=0) + 1)
    if line.startswith("`") or line.endswith("`") or (line.startswith(" ") and line.endswith(" ") and line.strip()):
        line = " %s " % line
    # GFM splits table cells before inline parsing, so a pipe needs "\|" even inside a code span. A
    # backslash right before a pipe cannot be shown exactly there; doubling it keeps the table intact at
    # the cost of one extra backslash on screen.
    line = re.sub(r"(\\*)\|", lambda match: match.group(1) * 2 + "\\|", line)
    return "%s%s%s" % (fence, line, fence)


def md_code(value):
    """A code span per line, joined by <br> (a code span cannot hold a newline inside a table)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return "—"
    return "<br>".join(_md_code_line(line) for line in lines)


def _md_value(text):
    """A name, MAC, path or number as code; prose as escaped text."""
    return md_code(text) if _IDENTIFIER.match(text) else md_text(text)


def _md_fence(text, info="sh"):
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    fence = "`" * max(3, max((len(run) + 1 for run in re.findall("`{3,}", text)), default=3))
    return "%s%s\n%s\n%s" % (fence, info, text, fence)


def _md_row(cells):
    return "| %s |" % " | ".join(cells)


def _md_value_lines(label, value):
    """``- Now: ...`` for a finding's current or expected value; a dict with many keys as a nested list."""
    if isinstance(value, dict) and len(value) > 2:
        lines = ["- %s:" % label]
        for key, item in value.items():
            words = key_words(str(key))
            lines.append("  - %s: %s" % (md_text(words) if words is not None else md_code(key), value_words(item, str(key), _md_value)))
        return lines
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            words = key_words(str(key))
            pairs.append("%s: %s" % (md_text(words) if words is not None else md_code(key), value_words(item, str(key), _md_value)))
        return ["- %s: %s" % (label, "; ".join(pairs) if pairs else "none")]
    return ["- %s: %s" % (label, value_words(value, code=_md_value))]


def _md_finding(audit, finding):
    where = " on %s" % md_text(finding["interface"]) if finding["interface"] is not None else ""
    out = ["### %s: %s%s (%s)" % (md_text(audit.host), md_text(finding["id"]), where, finding["severity"]), ""]
    title = finding_title(finding)
    out += [md_text(title[:1].upper() + title[1:]) + ".", ""]
    if finding["why"]:
        out.append("- Why: %s" % md_text(_one_line(finding["why"])))
    if not (finding["id"] == AUDIT_FAILED_ID and finding["check"] == AUDIT_CHECK):
        out += _md_value_lines("Now", finding["current"])
        out += _md_value_lines("Expected", finding["expected"])
        out.append("- Check: %s" % md_text(finding["check"]))
    if finding["remediation"]:
        # an info finding is not a fault: its remediation is advice
        label = "Try:" if finding["id"] == AUDIT_FAILED_ID else "Tip:" if finding["severity"] == "info" else "Fix:"
        out += ["", label, "", _md_fence(finding["remediation"])]
    out.append("")
    return out


def _md_host(audit, any_enforced):
    out = ["## %s" % md_text(audit.host), ""]
    counts = audit.counts()
    if audit.failed and audit.enforced is not None and audit.enforced.get("errors"):
        out += ["**Enforcing failed** on this host (what failed and what was changed is below), so it counts as "
                "NOT compliant.", ""]
    elif audit.failed:
        out += ["**The audit could not run**, so this host counts as NOT compliant.", ""]
    else:
        found = ", ".join(plural(counts[name], name, name if name == "info" else None)
                          for name in ("error", "warning", "info") if counts[name])
        if audit.nothing_to_audit:
            out += ["Compliant, with nothing to audit: no bridge, bond, team or Docker on this host.", ""]
        else:
            out += ["%s: %s." % ("Compliant" if audit.compliant else "NOT compliant", found or "no findings"), ""]
    facts = []
    looked_at = describe_audited(audit.audited)
    if looked_at:
        facts.append("- Looked at: %s" % md_text(looked_at))
    for warning in audit.warnings:
        facts.append("- Warning: %s" % md_text(_one_line(warning)))
    if facts:
        out += facts + [""]
    if audit.enforced is not None:
        lines = change_lines(audit.enforced, code=md_code)
        before = audit.enforced.get("findings_before")
        counted = " (%s before, %d after)" % (plural(before, "finding"), len(audit.findings)) if before is not None else ""
        if lines:
            out += ["Changed by this run%s:" % counted, ""] + ["- %s" % line for line in lines] + [""]
        else:
            out += ["This run changed nothing on this host%s." % counted, ""]
        problems = problem_lines(audit.enforced, code=md_code, text=lambda words: md_text(_one_line(words)))
        if problems:
            out += ["Failed or skipped by this run:", ""] + ["- %s" % line for line in problems] + [""]
    elif any_enforced and not audit.failed:
        out += ["This run did not enforce on this host.", ""]
    for finding in audit.findings:
        out += _md_finding(audit, finding)
    return out


def markdown(audits):
    """A Markdown report: the fleet in a sentence, a table of hosts, then a section per host."""
    out = ["# %s" % MARKDOWN_TITLE, ""]
    if not audits:
        out += ["No hosts in the fleet.", ""]
        return "\n".join(out)
    stats = summary(audits)
    sev = stats["by_severity"]
    worst = stats["worst_severity"]
    out.append("%s. Findings: %s, %s, %s info; worst severity %s." % (
        _fleet_line(stats), plural(sev["error"], "error"), plural(sev["warning"], "warning"), sev["info"],
        "**%s**" % worst if worst else "none"))
    changed = _changed_line(audits)
    if changed:
        out.append(changed[:1].upper() + changed[1:] + ".")
    any_enforced = any(audit.enforced is not None for audit in audits)
    header = ["Host", "Status", "Errors", "Warnings", "Info"] + (["Changed by this run"] if any_enforced else []) + ["Looked at"]
    out += ["", _md_row(header), "|---|---|---:|---:|---:|" + ("---|" if any_enforced else "") + "---|"]
    for audit in audits:
        counts = audit.counts()
        row = [md_text(audit.host), host_status(audit), str(counts["error"]), str(counts["warning"]), str(counts["info"])]
        if any_enforced:
            row.append(md_text(changes_in_short(audit.enforced) or ("nothing" if audit.enforced is not None else "—")))
        row.append(md_text(describe_audited(audit.audited) or "—"))
        out.append(_md_row(row))
    out.append("")
    for audit in audits:
        out += _md_host(audit, any_enforced)
    return visible("\n".join(out).rstrip("\n") + "\n", whole_document=True)  # no raw control characters
