# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""report.md: the fleet in a sentence, a table of hosts, pictures of the hosts with findings, a section per host.

Names from hosts are data: Markdown punctuation is escaped in text, code spans and fences are longer than any
backtick run inside them, pipes never split a table cell, and control characters are shown as escapes
(``_fleet_text.visible``), so a name with ESC cannot rewrite the terminal of whoever ``cat``s the file.
"""

from __future__ import annotations

import functools
import re

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import AUDIT_CHECK, AUDIT_FAILED_ID
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_findings import finding_title
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_mermaid import diagram_groups, hosts_in_words
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_model import summary
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_render import changed_line, fleet_line, one_line
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible, visible_lines
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_words import (
    change_lines,
    changes_in_short,
    describe_audited,
    host_status,
    key_words,
    plural,
    problem_lines,
    value_words,
)

MARKDOWN_TITLE = "hostnet.dockerhost network audit"

# -------------------------------------------------------------------------------------------- Markdown

# Escaped wherever they appear; "_" only where it could open or close emphasis (GFM never reads an
# underscore between two letters or digits as emphasis), so names like bridge_mac_inherited stay readable
# in a terminal.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?\w+;)")
_IDENTIFIER = re.compile(r"^[\w.:/@%+=,-]+$")


def _cached(func):
    """A fleet repeats the same names, MACs and sentences on thousands of hosts: the escapes are cached (pure
    functions of a string; any other value is escaped as before)."""
    cached = functools.lru_cache(maxsize=65536)(func)

    @functools.wraps(func)
    def escape(value):
        return cached(value) if isinstance(value, str) else func(value)

    return escape


@_cached
def md_text(value):
    """Plain text for a table cell, list item or heading: Markdown punctuation escaped, newlines as <br>,
    control characters shown as escapes."""
    text = str(value).replace("\r\n", "\n")
    return "<br>".join(_MD_SPECIAL.sub(lambda m: "\\" + m.group(), visible(line)) for line in text.split("\n"))


def _md_code_line(line):
    if "`" not in line and "|" not in line and not line.startswith(" "):
        return "`%s`" % line
    fence = "`" * (max((len(run) for run in re.findall("`+", line)), default=0) + 1)
    if line.startswith("`") or line.endswith("`") or (line.startswith(" ") and line.endswith(" ") and line.strip()):
        line = " %s " % line
    # GFM splits table cells before inline parsing, so a pipe needs "\|" even inside a code span. A
    # backslash right before a pipe cannot be shown exactly there; doubling it keeps the table intact at
    # the cost of one extra backslash on screen.
    line = re.sub(r"(\\*)\|", lambda match: match.group(1) * 2 + "\\|", line)
    return "%s%s%s" % (fence, line, fence)


@_cached
def md_code(value):
    """A code span per line, joined by <br> (a code span cannot hold a newline inside a table)."""
    text = str(value).replace("\r\n", "\n")
    lines = [visible(line) for line in text.split("\n") if line.strip()]
    if not lines:
        return "—"
    return "<br>".join(_md_code_line(line) for line in lines)


def _md_value(text):
    """A name, MAC, path or number as code; prose as escaped text."""
    return md_code(text) if _IDENTIFIER.match(text) else md_text(text)


def _md_fence(text, info="sh"):
    text = visible_lines(text).strip("\n")
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
        out.append("- Why: %s" % md_text(one_line(finding["why"])))
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
    if audit.failed and rollout.stopped_the_rollout(audit.migration):
        out += ["**The team->bond migration %s on this host**, so it counts as NOT compliant." % (
            "rolled back" if audit.migration["status"] == rollout.ROLLED_BACK else "failed"), ""]
    elif audit.failed and audit.enforced is not None and audit.enforced.get("errors"):
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
        facts.append("- Warning: %s" % md_text(one_line(warning)))
    if audit.migration:
        facts.append("- Team->bond migration: %s" % md_text(one_line(rollout.migration_words(audit.migration))))
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
        problems = problem_lines(audit.enforced, code=md_code, text=lambda words: md_text(one_line(words)))
        if problems:
            out += ["Failed or skipped by this run:", ""] + ["- %s" % line for line in problems] + [""]
    elif any_enforced and not audit.failed:
        out += ["This run did not enforce on this host.", ""]
    for finding in audit.findings:
        out += _md_finding(audit, finding)
    return out


def markdown(audits):
    """A Markdown report: the fleet in a sentence, a table of hosts, pictures, then a section per host."""
    out = ["# %s" % MARKDOWN_TITLE, ""]
    if not audits:
        out += ["No hosts in the fleet.", ""]
        return "\n".join(out)
    stats = summary(audits)
    sev = stats["by_severity"]
    worst = stats["worst_severity"]
    out.append("%s. Findings: %s, %s, %s info; worst severity %s." % (
        fleet_line(stats), plural(sev["error"], "error"), plural(sev["warning"], "warning"), sev["info"],
        "**%s**" % worst if worst else "none"))
    changed = changed_line(audits)
    if changed:
        out.append(changed[:1].upper() + changed[1:] + ".")
    rollout_line = rollout.fleet_words({audit.host: audit.migration for audit in audits})
    if rollout_line:
        out.append(md_text(rollout_line[:1].upper() + rollout_line[1:]) + ".")
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
    out += _md_pictures(audits)
    for audit in audits:
        out += _md_host(audit, any_enforced)
    # a last pass for anything a field above did not escape: no control character but the newline survives
    return visible_lines("\n".join(out).rstrip("\n") + "\n")


def _md_pictures(audits):
    """The chains of the hosts with findings, one Mermaid diagram per distinct picture."""
    groups = diagram_groups(audits)
    if not groups:
        return []
    out = ["## Pictures", "",
           "Each host with findings: its bond/team ports -> bond/team -> bridge -> container veths (one node with "
           "a count); the interfaces a finding names are outlined, red for an error, orange a warning, blue info. "
           "Hosts with the same picture share it.", ""]
    for diagram, hosts in groups:
        out += ["%s (%s):" % (md_text(hosts_in_words(hosts)), plural(len(hosts), "host")), "",
                _md_fence(diagram, "mermaid"), ""]
    return out
