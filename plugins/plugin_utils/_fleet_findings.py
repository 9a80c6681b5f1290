# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One finding as the reports see it: the finding ids in words, a finding read and checked, the report order,
and the synthetic ``audit_failed`` finding that stands for a host whose audit could not run."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

# The finding schema (SEVERITIES worst first, SEVERITY_RANK, AUDIT_CHECK, AUDIT_FAILED_ID) is the modules' own,
# from the collection's one place for constants; FINDING_IDS below words the same ids.
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    AUDIT_CHECK,
    AUDIT_FAILED_ID,
    SEVERITIES,
    SEVERITY_RANK,
)
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import FleetInputError, plain, type_name

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


def finding_title(finding):
    """What a finding means, in words: ``port eno1 of a bridged bond or team is not promiscuous``."""
    interface = finding.get("interface")
    if finding["id"] == AUDIT_FAILED_ID and str(finding.get("current") or "").startswith(MIGRATION_FAILED_PREFIX):
        return "the team->bond migration failed or rolled back"  # the audit ran (fleet_host_result's message)
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


# How the message of a host whose team->bond migration failed or rolled back starts (_fleet_rollout.failed_message).
MIGRATION_FAILED_PREFIX = "team_to_bond on "


def _remediation_for_failed_host(host, msg):
    lowered = msg.lower()
    if msg.startswith(MIGRATION_FAILED_PREFIX):  # the audit ran; the team->bond migration failed or rolled back
        return "ansible-playbook -i INVENTORY hostnet.dockerhost.harden_docker_hosts --check -e hostnet_team_to_bond=true " \
               "--limit %s   # the migration's plan for this host" % shlex.quote(host)
    if "unreachable" in lowered or "ssh" in lowered:
        return "ansible %s -m ansible.builtin.ping" % shlex.quote(host)
    return "ansible %s -m hostnet.dockerhost.netstate_info" % shlex.quote(host)


def audit_failed_finding(host, msg):
    return {
        "host": host,
        "id": AUDIT_FAILED_ID,
        "check": AUDIT_CHECK,
        "severity": "error",
        "interface": None,
        "current": msg,
        "expected": "the audit runs on this host",
        "remediation": _remediation_for_failed_host(host, msg),
        "why": msg,
    }
