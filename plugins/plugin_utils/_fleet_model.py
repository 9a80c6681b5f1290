# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet as the reports see it: each host's netstate_info result read, validated and normalised.

A *fleet* is ``{hostname: netstate_info result}``. A host whose audit could not run is ``{"failed": true,
"msg": "..."}``; it becomes one synthetic ``audit_failed`` finding so that it shows up in every report instead
of vanishing. Pure functions of their input, no Ansible objects: the filters and the report action plugin
share them, and the unit tests call them with hand-built fleets.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

# The finding schema (SEVERITIES worst first, SEVERITY_RANK, CHECKS, AUDIT_CHECK, AUDIT_FAILED_ID) is the
# modules' own, from the collection's one place for constants; FINDING_IDS below words the same ids.
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    AUDIT_CHECK,
    AUDIT_FAILED_ID,
    CHECKS,
    SEVERITIES,
    SEVERITY_RANK,
)

OPTIONAL_FINDING_KEYS = ("interface", "current", "expected", "remediation", "why")

# Every finding id the collection emits (module_utils/_constants.FINDING_IDS, plus audit_failed), with what it
# means in a few words ({interface} is filled in when the finding names one); a unit test keeps the ids equal.
# select_findings(ids=) accepts these and any id present in its input; the reports use the words.
FINDING_IDS = {
    "lag_port_not_promisc": "port {interface} of a bridged bond or team is not promiscuous",
    "bridge_mac_inherited": "bridge {interface} has no MAC of its own and follows its ports",
    "interface_forwarding_off": "IPv4 forwarding is off on {interface}",
    "global_forwarding_off": "IPv4 forwarding is off on this Docker host (net.ipv4.ip_forward=0)",
    "networkd_forwarding_key_ignored": "systemd-networkd ignores a forwarding key",
    "networkd_forwarding_forced_off": "systemd-networkd turns forwarding off",
    "capture_any_duplicates": "'tcpdump -i any' shows each frame twice on {interface} and its ports",
    "host_file_unreadable": "a configuration file could not be read",
    AUDIT_FAILED_ID: "the audit could not run",
}

# The kinds of change an enforcing run reports under ``enforced``, in report order.
ENFORCED_KINDS = ("bridge_mac", "promisc", "forwarding", "team_to_bond")


class FleetInputError(ValueError):
    """Input that no report can be built from; the filters turn it into AnsibleFilterError."""


def type_name(value):
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


def plain(value):
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
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(item) for item in value), key=repr)
    return str(value)


def finding_title(finding):
    """What a finding means, in words: ``port eno1 of a bridged bond or team is not promiscuous``."""
    interface = finding.get("interface")
    template = FINDING_IDS.get(finding["id"])
    if template is None:
        return "%s on %s" % (finding["id"], interface) if interface else finding["id"]
    if "{interface}" in template:
        return template.replace("{interface}", str(interface) if interface else "an interface")
    return "%s (%s)" % (template, interface) if interface else template


def read_finding(raw, where, host=None):
    """Validate one finding and return a plain copy with every contract key present."""
    if not isinstance(raw, Mapping):
        raise FleetInputError("%s: expected a finding (a dict), got %s" % (where, type_name(raw)))
    finding = plain(raw)
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


def sort_key(finding):
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


# ------------------------------------------------------------------------------- audited, warnings, enforced


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_audited(raw, where):
    """``audited`` (what netstate_info looked at) as a plain dict, or None when the module did not say."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise FleetInputError("%s.audited: expected a dict (what the audit looked at), got %s" % (where, type_name(raw)))
    audited = plain(raw)
    for key in ("docker", "networkd"):
        if not isinstance(audited.get(key), Mapping):
            audited[key] = {}
    return audited


def read_warnings(raw, where):
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        raise FleetInputError("%s.warnings: expected a list of strings, got %s" % (where, type_name(raw)))
    return [text for text in (_warning_text(item) for item in raw) if text]


def _warning_text(item):
    """A warning as text: a string, a dict with ``msg``, or ansible-core 2.19's WarningSummary (``event.msg``)."""
    if item is None or isinstance(item, str):
        return str(item or "")
    if isinstance(item, Mapping) and item.get("msg"):
        return str(item["msg"])
    event_msg = getattr(getattr(item, "event", None), "msg", None)
    if event_msg:
        return str(event_msg)
    return str(plain(item))


def _first(entry, *keys):
    for key in keys:
        if entry.get(key) is not None:
            return entry[key]
    return None


def _string_list_of(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


def _enforced_entry(kind, raw, where):
    """One change, from the name-only shape (a string) or the dict shape, into the dict shape."""
    if isinstance(raw, str):
        raw = {"bridge" if kind == "bridge_mac" else "summary" if kind == "team_to_bond" else "interface": raw}
    if not isinstance(raw, Mapping):
        raise FleetInputError("%s: expected a name or a dict, got %s" % (where, type_name(raw)))
    entry = plain(raw)
    if kind == "bridge_mac":
        return {
            "bridge": _first(entry, "bridge", "interface", "name"),
            "before": _first(entry, "before", "mac_before"),
            "after": _first(entry, "after", "mac"),
            "source": entry.get("source"),
            "mac_changed": entry.get("mac_changed"),
            "backend": entry.get("backend"),
        }
    if kind == "promisc":
        return {
            "interface": _first(entry, "interface", "name"),
            "master": entry.get("master"),
            "backend": entry.get("backend"),
        }
    if kind == "forwarding":
        return {
            "interface": _first(entry, "interface", "name"),
            "backend": entry.get("backend"),
            "keys": _string_list_of(_first(entry, "keys", "key")),
        }
    if kind == "team_to_bond":
        return {
            "team": entry.get("team"),
            "bond": entry.get("bond"),
            "mode": entry.get("mode"),
            "ports": _string_list_of(entry.get("ports")),
            "backend": entry.get("backend"),
            "state": entry.get("state"),
            "summary": entry.get("summary"),
        }
    return entry


def read_enforced(raw, where):
    """``enforced`` (what an enforcing run changed) normalised, or None when the run did not enforce.

    Both shapes are read: lists of names (``promisc: [eno1]``) and lists of dicts (``bridge_mac: [{bridge,
    before, after, source, mac_changed, backend}]``); a kind this version does not know is kept as it is.
    """
    if raw is None:
        return None
    where = "%s.enforced" % where
    if not isinstance(raw, Mapping):
        raise FleetInputError("%s: expected a dict (what the enforcing run changed), got %s" % (where, type_name(raw)))
    enforced = {"findings_before": _count(plain(raw.get("findings_before")))}
    kinds = list(ENFORCED_KINDS) + sorted(str(key) for key in raw if key not in ENFORCED_KINDS and key != "findings_before")
    for kind in kinds:
        entries = raw.get(kind)
        if entries is None:
            enforced[kind] = []
            continue
        if not isinstance(entries, (list, tuple)):
            raise FleetInputError("%s.%s: expected a list, got %s" % (where, kind, type_name(entries)))
        enforced[kind] = [_enforced_entry(kind, item, "%s.%s[%d]" % (where, kind, index)) for index, item in enumerate(entries)]
    return enforced


def change_count(enforced):
    if not enforced:
        return 0
    return sum(len(value) for key, value in enforced.items() if key != "findings_before" and isinstance(value, list))


def nothing_to_audit(audited):
    """True when the host has none of what the checks look at: no bridge, bond, team or Docker."""
    if not audited:
        return False
    docker = audited.get("docker") or {}
    return (
        not any(_count(audited.get(key)) for key in ("bridges", "bonds", "teams"))
        and not docker.get("running")
        and not _count(docker.get("bridges"))
        and all(_count(audited.get(key)) is not None for key in ("bridges", "bonds", "teams"))
    )


# ------------------------------------------------------------------------------------------------- the fleet


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
        warnings=read_warnings(result.get("warnings"), where) + read_warnings(result.get("audit_warnings"), where),
        enforced=read_enforced(result.get("enforced"), where),
    )
    if result.get("failed") or result.get("unreachable") or result.get("skipped"):
        msg = _failure_message(result)
        # netstate_info names the distro package when pyroute2 is missing
        missing_package = result.get("missing_package")
        missing_package = str(missing_package) if isinstance(missing_package, str) and missing_package else None
        return HostAudit(host, [_audit_failed_finding(host, msg, missing_package)], failed=True, msg=msg, **extra)
    raw_findings = result.get("findings")
    if raw_findings is None:
        # not a failure we were told about, but no audit either: report it, never drop the host
        msg = "result has no 'findings' (keys: %s); the audit did not run" % (", ".join(sorted(map(str, result))) or "none")
        return HostAudit(host, [_audit_failed_finding(host, msg)], failed=True, msg=msg, **extra)
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
