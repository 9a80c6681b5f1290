# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fleet report filters for hostnet.dockerhost.netstate_info results.

A *fleet* is ``{hostname: netstate_info result}`` gathered on the controller. A host whose audit could
not run is ``{"failed": true, "msg": "..."}``; it becomes one synthetic ``audit_failed`` finding so that
it shows up in every report instead of vanishing.

The documentation of each filter lives in the YAML file of the same name next to this file.
Everything here is a pure function of its input: the unit tests call them with hand-built fleets.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from ansible.errors import AnsibleFilterError

# The finding schema (SEVERITIES worst first, SEVERITY_RANK, CHECKS, AUDIT_CHECK, AUDIT_FAILED_ID) is the
# modules' own, from the collection's one place for constants.
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    AUDIT_CHECK,
    AUDIT_FAILED_ID,
    CHECKS,
    SEVERITIES,
    SEVERITY_RANK,
)

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
except ImportError:  # reported when a filter runs, so that the plugin still loads for ansible-doc
    jmespath = None
    JMESPathError = Exception


OPTIONAL_FINDING_KEYS = ("interface", "current", "expected", "remediation", "why")
JUNIT_SUITE_NAME = "hostnet.dockerhost"
MARKDOWN_TITLE = "hostnet.dockerhost network audit"


class FleetInputError(ValueError):
    """Input that no report can be built from; becomes AnsibleFilterError at the filter edge."""


def _filter_edge(name):
    """Turn the internal error into AnsibleFilterError, without a traceback chain.

    The message does not repeat the filter name: ansible-core already says which filter plugin failed.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if jmespath is None:
                raise AnsibleFilterError(
                    "hostnet.dockerhost.%s needs the Python library 'jmespath' on the controller "
                    "(pip install jmespath)" % name
                )
            try:
                return func(*args, **kwargs)
            except FleetInputError as exc:
                raise AnsibleFilterError(str(exc)) from None

        return wrapper

    return decorate


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _plain(value):
    """Copy into plain JSON types.

    ansible-core 2.19 hands filters tagged subclasses (of str, dict, list) and jmespath type-checks by the
    exact type name, so ``sort_by(@, &host)`` on a tagged str fails. Copying once here keeps jmespath's
    global tables untouched.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item) for item in value), key=repr)
    return str(value)


def _finding(raw, where, host=None):
    """Validate one finding and return a plain copy with every contract key present."""
    if not isinstance(raw, Mapping):
        raise FleetInputError("%s: expected a finding (a dict), got %s" % (where, _type_name(raw)))
    finding = _plain(raw)
    for key in ("id", "check"):
        if not isinstance(finding.get(key), str) or not finding[key]:
            raise FleetInputError(
                "%s: a finding needs a non-empty string %r (keys present: %s)"
                % (where, key, ", ".join(sorted(finding)) or "none")
            )
    label = "%s (%s)" % (where, finding["id"])
    if "severity" not in finding:
        raise FleetInputError(
            "%s: finding has no 'severity'; valid severities: %s" % (label, ", ".join(SEVERITIES))
        )
    if finding["severity"] not in SEVERITY_RANK:
        raise FleetInputError(
            "%s: unknown severity %r; valid severities: %s"
            % (label, finding["severity"], ", ".join(SEVERITIES))
        )
    for key in OPTIONAL_FINDING_KEYS:
        finding.setdefault(key, None)
    if finding["interface"] is not None:
        finding["interface"] = str(finding["interface"])
    if host is not None:
        finding.pop("host", None)
        finding = dict(host=host, **finding)
    return finding


def _sort_key(finding):
    interface = finding.get("interface")
    return (
        str(finding.get("host") or ""),
        SEVERITY_RANK[finding["severity"]],
        finding["check"],
        # host-wide findings (interface null) before per-interface ones
        (interface is not None, interface or ""),
        finding["id"],
    )


def _remediation_for_failed_host(host, msg, missing_package=None):
    lowered = msg.lower()
    if missing_package or "pyroute2" in lowered:
        # through Ansible, so the command is right whatever package manager the host has
        return "ansible %s --become -m ansible.builtin.package -a %s" % (
            shlex.quote(host),
            shlex.quote("name=%s state=present" % (missing_package or "python3-pyroute2")),
        )
    if "unreachable" in lowered or "ssh" in lowered:
        return "ansible %s -m ansible.builtin.ping" % shlex.quote(host)
    return "ansible %s -m hostnet.dockerhost.netstate_info" % shlex.quote(host)


def _audit_failed_finding(host, msg, missing_package=None):
    return {
        "host": host,
        "id": AUDIT_FAILED_ID,
        "check": AUDIT_CHECK,
        "severity": "error",
        "interface": None,
        "current": msg,
        "expected": "the audit runs on this host",
        "remediation": _remediation_for_failed_host(host, msg, missing_package),
        "why": msg,
    }


@dataclass
class _HostAudit:
    host: str
    findings: list = field(default_factory=list)
    failed: bool = False
    msg: str = ""
    declared_compliant: object = None

    def counts(self):
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding["severity"]] += 1
        return counts

    @property
    def compliant(self):
        if self.failed:
            return False
        if isinstance(self.declared_compliant, bool):
            # the module decides what compliance means; the report does not second-guess it
            return self.declared_compliant
        return not any(f["severity"] in ("error", "warning") for f in self.findings)


def _failure_message(result):
    msg = result.get("msg")
    if msg:
        return str(msg)
    if result.get("skipped"):
        return "audit skipped: %s" % (result.get("skip_reason") or "no reason given")
    return "audit failed without a message"


def _host_from_result(host, result):
    where = "fleet[%r]" % host
    if not isinstance(result, Mapping):
        raise FleetInputError(
            "%s: expected the netstate_info result of the host (a dict), got %s" % (where, _type_name(result))
        )
    if result.get("failed") or result.get("unreachable") or result.get("skipped"):
        msg = _failure_message(result)
        # netstate_info names the distro package when pyroute2 is missing
        missing_package = result.get("missing_package")
        missing_package = str(missing_package) if isinstance(missing_package, str) and missing_package else None
        return _HostAudit(host, [_audit_failed_finding(host, msg, missing_package)], failed=True, msg=msg)
    raw_findings = result.get("findings")
    if raw_findings is None:
        # not a failure we were told about, but no audit either: report it, never drop the host
        msg = "result has no 'findings' (keys: %s); the audit did not run" % (", ".join(sorted(map(str, result))) or "none")
        return _HostAudit(host, [_audit_failed_finding(host, msg)], failed=True, msg=msg)
    if not isinstance(raw_findings, (list, tuple)):
        raise FleetInputError("%s.findings: expected a list of findings, got %s" % (where, _type_name(raw_findings)))
    findings = [_finding(raw, "%s.findings[%d]" % (where, index), host) for index, raw in enumerate(raw_findings)]
    findings.sort(key=_sort_key)
    return _HostAudit(host, findings, declared_compliant=result.get("compliant"))


def _hosts_from_findings(raw_findings, where):
    by_host = {}
    for index, raw in enumerate(raw_findings):
        finding = _finding(raw, "%s[%d]" % (where, index))
        host = finding.get("host")
        if not isinstance(host, str) or not host:
            raise FleetInputError(
                "%s[%d] (%s): a finding in a list needs a 'host' key to be reported per host; "
                "pass the fleet dict, or the output of hostnet.dockerhost.fleet_findings"
                % (where, index, finding["id"])
            )
        by_host.setdefault(host, []).append(finding)
    audits = []
    for host, findings in by_host.items():
        failures = [f for f in findings if f["id"] == AUDIT_FAILED_ID and f["check"] == AUDIT_CHECK]
        if failures:
            msg = str(failures[0].get("why") or failures[0].get("current") or "audit failed without a message")
            audits.append(_HostAudit(host, failures[:1], failed=True, msg=msg))
        else:
            audits.append(_HostAudit(host, sorted(findings, key=_sort_key)))
    return audits


def _read_fleet(fleet):
    """Return a list of _HostAudit sorted by host, from a fleet dict or a flat list of findings."""
    if isinstance(fleet, Mapping):
        audits = [_host_from_result(str(host), result) for host, result in fleet.items()]
    elif isinstance(fleet, (list, tuple)):
        audits = _hosts_from_findings(fleet, "findings")
    else:
        raise FleetInputError(
            "fleet: expected a fleet dict {hostname: netstate_info result} or a list of findings, got %s"
            % _type_name(fleet)
        )
    return sorted(audits, key=lambda audit: audit.host)


def _flatten(audits):
    return [finding for audit in audits for finding in audit.findings]


# ---------------------------------------------------------------------------------------------- jmespath


@functools.lru_cache(maxsize=256)
def _compile(expression):
    return jmespath.compile(expression)


def _jmes_literal(value):
    """A JMESPath JSON literal. JSON escapes every backslash, so replacing each backtick by its JSON
    escape leaves no backtick that could end the literal early."""
    return "`%s`" % json.dumps(value).replace("`", "\\u0060")


def _member_of(field_name, values):
    return "contains(%s, %s)" % (_jmes_literal(list(values)), json.dumps(field_name))


def _string_list(value, name):
    if value is None:
        return None
    if isinstance(value, str):
        return [str(value)]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [str(item) for item in value]
    raise FleetInputError("%s: expected a string or a list of strings, got %s" % (name, _type_name(value)))


def _severity_at_least(severity):
    if not isinstance(severity, str) or severity.lower() not in SEVERITY_RANK:
        raise FleetInputError(
            "severity: unknown severity %r; valid severities (a minimum): %s" % (severity, ", ".join(SEVERITIES))
        )
    return SEVERITIES[: SEVERITY_RANK[severity.lower()] + 1]


def _known_checks(findings):
    present = {f["check"] for f in findings}
    return list(CHECKS) + sorted(present - set(CHECKS))


def _validate_checks(checks, findings, allow_audit):
    known = _known_checks(findings)
    if not allow_audit and AUDIT_CHECK in known:
        known.remove(AUDIT_CHECK)
    elif allow_audit and AUDIT_CHECK not in known:
        known.append(AUDIT_CHECK)
    unknown = [check for check in checks if check not in known]
    if unknown:
        raise FleetInputError("checks: unknown check(s) %s; valid checks: %s" % (", ".join(map(repr, unknown)), ", ".join(known)))


def _selection_expression(severity=None, ids=None, hosts=None, checks=None):
    clauses = []
    if severity is not None:
        clauses.append(_member_of("severity", _severity_at_least(severity)))
    for field_name, values in (("id", ids), ("host", hosts), ("check", checks)):
        if values is not None:
            clauses.append(_member_of(field_name, values))
    if not clauses:
        return "@"
    return "[?%s]" % " && ".join(clauses)


def _search(expression, data, what):
    try:
        compiled = _compile(expression)
    except JMESPathError as exc:
        raise FleetInputError("%s: invalid JMESPath expression %r: %s" % (what, expression, exc))
    try:
        return compiled.search(data)
    except JMESPathError as exc:
        raise FleetInputError("%s: JMESPath expression %r failed on the findings: %s" % (what, expression, exc))


# ------------------------------------------------------------------------------------------------ filters


@_filter_edge("fleet_findings")
def fleet_findings(fleet):
    """Flat list of findings of every host, each with ``host``, in report order."""
    return _flatten(_read_fleet(fleet))


@_filter_edge("select_findings")
def select_findings(findings_or_fleet, severity=None, ids=None, hosts=None, checks=None, query=None):
    """Findings matching every given criterion; ``query`` (raw JMESPath) runs last on that list."""
    if isinstance(findings_or_fleet, Mapping):
        findings = _flatten(_read_fleet(findings_or_fleet))
    elif isinstance(findings_or_fleet, (list, tuple)):
        # a flat list may come from anywhere; 'host' is optional here
        findings = [_finding(raw, "findings[%d]" % index) for index, raw in enumerate(findings_or_fleet)]
    else:
        raise FleetInputError(
            "input: expected a list of findings or a fleet dict {hostname: netstate_info result}, got %s"
            % _type_name(findings_or_fleet)
        )
    ids = _string_list(ids, "ids")
    hosts = _string_list(hosts, "hosts")
    checks = _string_list(checks, "checks")
    if checks is not None:
        # a misspelt check would select nothing and read as "all clear"
        _validate_checks(checks, findings, allow_audit=True)
    selected = _search(_selection_expression(severity, ids, hosts, checks), findings, "selection")
    if query is None:
        return selected
    if not isinstance(query, str) or not query.strip():
        raise FleetInputError("query: expected a JMESPath expression (a non-empty string), got %r" % (query,))
    return _search(str(query), selected, "query")


@_filter_edge("fleet_summary")
def fleet_summary(fleet):
    """Counts for dashboards and ``when:`` conditions."""
    return _summary(_read_fleet(fleet))


def _summary(audits):
    findings = _flatten(audits)
    by_severity = dict.fromkeys(SEVERITIES, 0)
    by_check = dict.fromkeys(CHECKS, 0)
    for finding in findings:
        by_severity[finding["severity"]] += 1
        by_check[finding["check"]] = by_check.get(finding["check"], 0) + 1
    by_host = {}
    for audit in audits:
        by_host[audit.host] = dict(audit.counts(), compliant=audit.compliant)
    worst = next((name for name in SEVERITIES if by_severity[name]), None)
    return {
        "hosts": len(audits),
        "compliant_hosts": sum(1 for audit in audits if audit.compliant),
        "noncompliant_hosts": [audit.host for audit in audits if not audit.compliant],
        "failed_hosts": [audit.host for audit in audits if audit.failed],
        "by_severity": by_severity,
        "by_check": by_check,
        "by_host": by_host,
        "worst_severity": worst,
    }


# -------------------------------------------------------------------------------------------- rendering


def render_value(value):
    """Readable text for a current/expected value: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        # an empty or blank string would be invisible: quote it
        return value if value.strip() else json.dumps(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# XML 1.0 cannot carry these characters even as character references, so ElementTree would write a
# document that CI parsers reject.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text):
    return _XML_ILLEGAL.sub(lambda match: "\\x%02x" % ord(match.group()) if ord(match.group()) < 0x100 else "\ufffd", text)


def _finding_block(finding):
    where = "on %s" % finding["interface"] if finding["interface"] is not None else "(host-wide)"
    lines = ["%s %s %s" % (finding["severity"], finding["id"], where)]
    for label, value in (
        ("current", render_value(finding["current"])),
        ("expected", render_value(finding["expected"])),
        ("remediation", finding["remediation"] or "-"),
        ("why", finding["why"] or "-"),
    ):
        text = str(value).replace("\r\n", "\n").replace("\n", "\n" + " " * 15)
        lines.append("  %-12s %s" % (label + ":", text))
    return "\n".join(lines)


def _junit_checks(checks, findings):
    if checks is None:
        known = _known_checks(findings)
        return [check for check in known if check != AUDIT_CHECK]
    checks = _string_list(checks, "checks")
    _validate_checks(checks, findings, allow_audit=False)
    return list(dict.fromkeys(checks))


@_filter_edge("findings_to_junit")
def findings_to_junit(fleet, checks=None):
    """JUnit XML: one testsuite per host, one testcase per (host, check)."""
    audits = _read_fleet(fleet)
    checks = _junit_checks(checks, _flatten(audits))

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
                error.text = _xml_text(_finding_block(audit.findings[0]))
                counts["errors"] += 1
                continue
            mine = [f for f in audit.findings if f["check"] == check]
            bad = [f for f in mine if f["severity"] != "info"]
            info = [f for f in mine if f["severity"] == "info"]
            if bad:
                ids = list(dict.fromkeys(f["id"] for f in bad))
                message = "%s: %s" % (_plural(len(bad), "finding"), ", ".join(ids))
                failure = ET.SubElement(case, "failure", message=_xml_text(message), type=bad[0]["severity"])
                failure.text = _xml_text("\n\n".join(_finding_block(f) for f in bad))
                counts["failures"] += 1
            if info:
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text("\n\n".join(_finding_block(f) for f in info))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("skipped", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")


def _md_text(value):
    """Plain text for a table cell or heading: Markdown punctuation escaped, newlines as <br>."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "<br>".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.split("\n"))


def _md_code_line(line):
    fence = "`" * (max((len(run) for run in re.findall("`+", line)), default=0) + 1)
    if line.startswith("`") or line.endswith("`") or (line.startswith(" ") and line.endswith(" ") and line.strip()):
        line = " %s " % line
    # GFM splits table cells before inline parsing, so a pipe needs "\|" even inside a code span. A
    # backslash right before a pipe cannot be shown exactly there; doubling it keeps the table intact at
    # the cost of one extra backslash on screen.
    line = re.sub(r"(\\*)\|", lambda match: match.group(1) * 2 + "\\|", line)
    return "%s%s%s" % (fence, line, fence)


def _md_code(value):
    """A code span per line, joined by <br> (a code span cannot hold a newline inside a table)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return "—"
    return "<br>".join(_md_code_line(line) for line in lines)


def _plural(count, noun):
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")


def _md_row(cells):
    return "| %s |" % " | ".join(cells)


@_filter_edge("findings_to_markdown")
def findings_to_markdown(fleet):
    """A Markdown report: summary table per host, then the findings of each host."""
    audits = _read_fleet(fleet)
    summary = _summary(audits)
    out = ["# %s" % MARKDOWN_TITLE, ""]
    if not audits:
        out += ["No hosts in the fleet.", ""]
        return "\n".join(out)

    sev = summary["by_severity"]
    worst = summary["worst_severity"]
    out.append(
        f"{_plural(summary['hosts'], 'host')}: {summary['compliant_hosts']} compliant, "
        f"{len(summary['noncompliant_hosts'])} non-compliant, "
        f"{len(summary['failed_hosts'])} where the audit could not run. "
        f"Findings: {_plural(sev['error'], 'error')}, {_plural(sev['warning'], 'warning')}, {sev['info']} info. "
        f"Worst severity: {'**%s**' % worst if worst else 'none'}."
    )
    out += ["", _md_row(["Host", "Errors", "Warnings", "Info", "Compliant"]), "|---|---:|---:|---:|---|"]
    for audit in audits:
        counts = audit.counts()
        if audit.failed:
            compliant = "no (audit failed)"
        else:
            compliant = "yes" if audit.compliant else "no"
        out.append(_md_row([_md_text(audit.host), str(counts["error"]), str(counts["warning"]), str(counts["info"]), compliant]))

    for audit in audits:
        out += ["", "## %s" % _md_text(audit.host), ""]
        if audit.failed:
            out += [
                "**The audit could not run**, so this host counts as non-compliant.",
                "",
                "- Reason: %s" % _md_text(audit.msg),
                "- Try: %s" % _md_code(audit.findings[0]["remediation"]),
            ]
            continue
        if not audit.findings:
            out.append("No findings.")
            continue
        out.append(_md_row(["Severity", "Check", "Finding", "Interface", "Current → Expected", "Remediation", "Why"]))
        out.append("|---|---|---|---|---|---|---|")
        for finding in audit.findings:
            out.append(
                _md_row(
                    [
                        finding["severity"],
                        _md_text(finding["check"]),
                        _md_code(finding["id"]),
                        _md_code(finding["interface"]) if finding["interface"] is not None else "— (host-wide)",
                        "%s → %s" % (_md_code(render_value(finding["current"])), _md_code(render_value(finding["expected"]))),
                        _md_code(finding["remediation"]) if finding["remediation"] else "—",
                        _md_text(finding["why"]) if finding["why"] else "—",
                    ]
                )
            )
    out.append("")
    return "\n".join(out)


class FilterModule:
    """Fleet report filters for hostnet.dockerhost."""

    def filters(self):
        return {
            "fleet_findings": fleet_findings,
            "select_findings": select_findings,
            "fleet_summary": fleet_summary,
            "findings_to_junit": findings_to_junit,
            "findings_to_markdown": findings_to_markdown,
        }
