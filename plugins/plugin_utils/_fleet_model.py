# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet as the reports see it: each host's netstate_info result read, validated and normalised (one
finding: ``_fleet_findings``; the result's other parts: ``_fleet_result_parts``), and the fleet's counts.

A *fleet* is ``{hostname: netstate_info result}``. A host whose audit could not run is ``{"failed": true,
"msg": "..."}``; it becomes one synthetic ``audit_failed`` finding so that it shows up in every report instead
of vanishing. Pure functions of their input, no Ansible objects: the filters and the report action plugin
share them, and the unit tests call them with hand-built fleets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    AUDIT_CHECK,
    AUDIT_FAILED_ID,
    CHECKS,
    SEVERITIES,
)
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_findings import audit_failed_finding, read_finding, sort_key
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import FleetInputError, type_name
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_result_parts import (
    change_count,
    nothing_to_audit,
    read_audited,
    read_checks,
    read_topology,
    read_enforced,
    read_migration,
    read_warnings,
)


@dataclass
class HostAudit:
    host: str
    findings: list = field(default_factory=list)
    failed: bool = False
    msg: str = ""
    declared_compliant: object = None
    audited: object = None
    warnings: list = field(default_factory=list)
    enforced: object = None
    checks: object = None  # the checks this host's audit ran (netstate_info's ``checks``), None when unknown
    topology: object = None  # netstate_info's ``topology``: the bridge chains, for the report's pictures
    migration: object = None  # the team->bond rollout's record of this host (_fleet_rollout), None without one

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

    @property
    def changes(self):
        return change_count(self.enforced)

    @property
    def nothing_to_audit(self):
        return not self.failed and not self.findings and nothing_to_audit(self.audited)


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
            "%s: expected the netstate_info result of the host (a dict), got %s" % (where, type_name(result))
        )
    extra = dict(
        audited=read_audited(result.get("audited"), where),
        # the module's warnings and its audit_warnings say the same sentences: each once
        warnings=list(dict.fromkeys(read_warnings(result.get("warnings"), where)
                                    + read_warnings(result.get("audit_warnings"), where))),
        enforced=read_enforced(result.get("enforced"), where),
        checks=read_checks(result.get("checks"), where),
        topology=read_topology(result.get("topology"), where),
        migration=read_migration(result.get("migration"), where),
    )
    if result.get("failed") or result.get("unreachable") or result.get("skipped"):
        msg = _failure_message(result)
        return HostAudit(host, [audit_failed_finding(host, msg)], failed=True, msg=msg, **extra)
    raw_findings = result.get("findings")
    if raw_findings is None:
        # not a failure we were told about, but no audit either: report it, never drop the host
        msg = "result has no 'findings' (keys: %s); the audit did not run" % (", ".join(sorted(map(str, result))) or "none")
        return HostAudit(host, [audit_failed_finding(host, msg)], failed=True, msg=msg, **extra)
    if not isinstance(raw_findings, (list, tuple)):
        raise FleetInputError("%s.findings: expected a list of findings, got %s" % (where, type_name(raw_findings)))
    findings = [read_finding(raw, "%s.findings[%d]" % (where, index), host) for index, raw in enumerate(raw_findings)]
    findings.sort(key=sort_key)
    return HostAudit(host, findings, declared_compliant=result.get("compliant"), **extra)


def _hosts_from_findings(raw_findings, where):
    by_host = {}
    for index, raw in enumerate(raw_findings):
        finding = read_finding(raw, "%s[%d]" % (where, index))
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
            audits.append(HostAudit(host, failures[:1], failed=True, msg=msg))
        else:
            audits.append(HostAudit(host, sorted(findings, key=sort_key)))
    return audits


def read_fleet(fleet):
    """A list of HostAudit sorted by host, from a fleet dict or a flat list of findings."""
    if isinstance(fleet, Mapping):
        audits = [_host_from_result(str(host), result) for host, result in fleet.items()]
    elif isinstance(fleet, (list, tuple)):
        audits = _hosts_from_findings(fleet, "findings")
    else:
        raise FleetInputError(
            "fleet: expected a fleet dict {hostname: netstate_info result} or a list of findings, got %s"
            % type_name(fleet)
        )
    return sorted(audits, key=lambda audit: audit.host)


def flatten(audits):
    return [finding for audit in audits for finding in audit.findings]


def summary(audits):
    """Counts for dashboards and ``when:`` conditions (the value of the fleet_summary filter)."""
    findings = flatten(audits)
    by_severity = dict.fromkeys(SEVERITIES, 0)
    by_check = dict.fromkeys(CHECKS, 0)
    for finding in findings:
        by_severity[finding["severity"]] += 1
        by_check[finding["check"]] = by_check.get(finding["check"], 0) + 1
    by_host = {}
    for audit in audits:
        by_host[audit.host] = dict(audit.counts(), compliant=audit.compliant, changes=audit.changes)
    worst = next((name for name in SEVERITIES if by_severity[name]), None)
    return {
        "hosts": len(audits),
        "compliant_hosts": sum(1 for audit in audits if audit.compliant),
        "noncompliant_hosts": [audit.host for audit in audits if not audit.compliant],
        "failed_hosts": [audit.host for audit in audits if audit.failed],
        "changed_hosts": [audit.host for audit in audits if audit.changes],
        "by_severity": by_severity,
        "by_check": by_check,
        "by_host": by_host,
        "worst_severity": worst,
    }
