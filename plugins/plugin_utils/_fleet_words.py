# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plain words for the reports: what a host's audit looked at, what an enforcing run changed, a host's
status, and finding values (``addr_assign_type`` explained). Pure functions of the normalised model in
_fleet_model; the Markdown, JUnit and summary-text renderers all use them, so they say the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_result_parts import ENFORCED_KINDS, NOT_CHANGES

# include/uapi/linux/netdevice.h NET_ADDR_*; a bridge is created with a random address (NET_ADDR_RANDOM) and,
# until user space sets one (NET_ADDR_SET), br_stp_recalculate_bridge_id() gives it the lowest port MAC
# without changing the type; bonding copies its first slave's address and marks it NET_ADDR_STOLEN.
ADDR_ASSIGN_TYPE_WORDS = {
    0: "permanent (the device's own address)",
    1: "random (never set: a bridge then takes the lowest MAC of its ports)",
    2: "stolen (copied from another device, such as a bond from its first port)",
    3: "set by user space (ip link, networkd, NetworkManager): a bridge keeps it",
}

# Finding value keys worth a word; any other key is shown with its underscores as spaces.
KEY_WORDS = {
    "mac": "MAC",
    "lowest_port_mac": "lowest port's MAC",
    "mac_if_lowest_port_leaves": "MAC if that port leaves",
    "effective_promisc": "receives frames for other MACs",
    "promisc_flag": "PROMISC flag",
    "promiscuity": "promiscuity count",
    "sysfs_flags_promisc": "sysfs flags 0x100",
    "lag": "bond/team",
    "lag_kind": "its kind",
    "systemd_version": "systemd",
    "applies_to": "applies to",
}
LITERAL_KEYS = ("addr_assign_type",)

# bridge_mac's ``source``: where the pinned MAC came from
MAC_SOURCE_WORDS = {
    "kept": "kept its current MAC",
    "uplink": "the uplink's MAC",
    "derived": "derived from /etc/machine-id",
    "explicit": "the MAC asked for",
}


def plural(count, noun, nouns=None):
    return "%d %s" % (count, noun if count == 1 else (nouns or noun + "s"))


def render_value(value):
    """Readable text for a current/expected value: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        # an empty or blank string would be invisible: quote it
        return value if value.strip() else json.dumps(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# ------------------------------------------------------------------------------------------- looked at


def _count_of(audited, key):
    value = audited.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def describe_audited(audited):
    """What the audit looked at, in one line; the module's own ``description`` when it gave one.

    None when the result has no ``audited`` (a netstate_info that does not report it).
    """
    if not audited:
        return None
    description = audited.get("description")
    if isinstance(description, str) and description.strip():
        return description.strip()
    parts = []
    for key, noun in (("bridges", "bridge"), ("bonds", "bond"), ("teams", "team")):
        count = _count_of(audited, key)
        if count:
            parts.append(plural(count, noun))
    docker = audited.get("docker") or {}
    if docker.get("running"):
        text = "Docker %s" % docker["version"] if docker.get("version") else "Docker"
        if _count_of(docker, "bridges") is not None:
            text += " with %s" % plural(docker["bridges"], "bridge")
        parts.append(text)
    elif _count_of(docker, "bridges"):
        parts.append("Docker not running, %s" % plural(docker["bridges"], "bridge"))
    networkd = audited.get("networkd") or {}
    if networkd.get("running"):
        parts.append("systemd-networkd %s running" % networkd["version"] if networkd.get("version") else "systemd-networkd running")
    if audited.get("network_manager") is True:
        parts.append("NetworkManager running")
    if not any(_count_of(audited, key) for key in ("bridges", "bonds", "teams")) and not docker.get("running"):
        parts.insert(0, "no bridge, bond, team or Docker")
    links = _count_of(audited, "links")
    head = "read %s" % plural(links, "link") if links is not None else "read the host"
    return "%s: %s" % (head, ", ".join(parts))


# ---------------------------------------------------------------------------------------------- changed


def _change_line(kind, entry, code):
    """One change in words; ``code`` formats a name or MAC (a code span in Markdown, itself in text)."""
    if kind == "bridge_mac":
        before, after = entry.get("before"), entry.get("after")
        detail = [MAC_SOURCE_WORDS.get(entry["source"], entry["source"])] if entry.get("source") else []
        if entry.get("backend"):
            detail.append(entry["backend"])
        detail = " (%s)" % ", ".join(detail) if detail else ""
        if before and after and (before != after or entry.get("mac_changed") is False):
            if before == after:
                return "bridge %s pinned to its current MAC %s%s" % (code(entry["bridge"]), code(after), detail)
            return "bridge %s pinned from MAC %s to %s%s" % (code(entry["bridge"]), code(before), code(after), detail)
        if after:
            return "bridge %s pinned to MAC %s%s" % (code(entry["bridge"]), code(after), detail)
        return "bridge %s MAC pinned%s" % (code(entry["bridge"]), detail)
    if kind == "promisc":
        detail = ["port of %s" % code(entry["master"])] if entry.get("master") else []
        if entry.get("backend"):
            detail.append(entry["backend"])
        return "%s made promiscuous%s" % (code(entry["interface"]), " (%s)" % ", ".join(detail) if detail else "")
    if kind == "forwarding":
        keys = ", ".join(code(key) for key in entry.get("keys") or [])
        detail = [part for part in (keys, entry.get("backend")) if part]
        return "%s given IPv4 forwarding%s" % (code(entry["interface"]), " (%s)" % ", ".join(detail) if detail else "")
    if kind == "team_to_bond":
        if entry.get("team") and entry.get("bond"):
            text = "team %s migrated to bond %s" % (code(entry["team"]), code(entry["bond"]))
            detail = [part for part in (entry.get("mode"), " ".join(entry.get("ports") or []), entry.get("backend")) if part]
            if detail:
                text += " (%s)" % ", ".join(detail)
            if entry.get("state"):
                text += ": %s" % entry["state"]
            return text
        return "team migrated: %s" % (entry.get("summary") or json.dumps(entry, sort_keys=True))
    # a kind this version does not know: say it as it is
    text = entry if isinstance(entry, str) else json.dumps(entry, sort_keys=True, ensure_ascii=False)
    return "%s: %s" % (kind.replace("_", " "), text)


def change_lines(enforced, code=str):
    """Each change of an enforcing run, one line each, bridges first."""
    if not enforced:
        return []
    lines = []
    kinds = list(ENFORCED_KINDS) + [key for key in enforced if key not in ENFORCED_KINDS and key not in NOT_CHANGES]
    for kind in kinds:
        for entry in enforced.get(kind) or []:
            lines.append(_change_line(kind, entry, code))
    return lines


def problem_lines(enforced, code=str, text=str):
    """The fixes (or items) of an enforcing run that failed, then the items it skipped, one line each:
    ``failed: bridge_mac on `b0`: ...``, ``skipped: promisc on `b$(id)`: ...``."""
    if not enforced:
        return []
    lines = []
    for key, label, key_text in (("errors", "failed", "msg"), ("skipped", "skipped", "reason")):
        for entry in enforced.get(key) or []:
            where = " on %s" % code(entry["interface"]) if entry.get("interface") else ""
            lines.append("%s: %s%s: %s" % (label, entry.get("fix") or "enforcement", where, text(entry.get(key_text) or "")))
    return lines


def changes_in_short(enforced):
    """``1 bridge MAC pinned, 2 ports made promiscuous``; empty when nothing changed."""
    if not enforced:
        return ""
    parts = []
    for kind, words in (
        ("bridge_mac", lambda n: "%s pinned" % plural(n, "bridge MAC")),
        ("promisc", lambda n: "%s made promiscuous" % plural(n, "port")),
        ("forwarding", lambda n: "%s given forwarding" % plural(n, "interface")),
        ("team_to_bond", lambda n: "%s migrated to bonds" % plural(n, "team")),
    ):
        if enforced.get(kind):
            parts.append(words(len(enforced[kind])))
    for kind in enforced:
        if kind not in ENFORCED_KINDS and kind not in NOT_CHANGES and enforced[kind]:
            parts.append("%d %s" % (len(enforced[kind]), kind.replace("_", " ")))
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------------ status


def host_status(audit):
    """``compliant``, ``NOT compliant``, ``audit failed``, ``compliant, nothing to audit``."""
    if audit.failed:
        return "audit failed"
    if not audit.compliant:
        return "NOT compliant"
    if audit.nothing_to_audit:
        return "compliant, nothing to audit"
    return "compliant"


def counts_in_words(counts):
    return "%d error, %d warning, %d info" % (counts["error"], counts["warning"], counts["info"])


# ---------------------------------------------------------------------------------------- finding values


def key_words(key):
    if key in LITERAL_KEYS or not key.replace("_", "").isalnum() or not key.islower():
        return None  # shown as it is (a sysctl, a networkd key): it is what the reader greps for
    return KEY_WORDS.get(key, key.replace("_", " "))


def value_words(value, key=None, code=str):
    """A finding value in words: yes/no, none, lists joined, addr_assign_type explained."""
    if key == "addr_assign_type" and isinstance(value, int) and not isinstance(value, bool):
        words = ADDR_ASSIGN_TYPE_WORDS.get(value)
        return "%s, %s" % (code(str(value)), words) if words else code(str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, (int, float)):
        return code(str(value))
    if isinstance(value, str):
        if not value.strip():
            return code(json.dumps(value))
        return code(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_words(item, code=code) for item in value) if value else "none"
    if isinstance(value, Mapping):
        return "; ".join(pair_words(k, v, code) for k, v in value.items()) if value else "none"
    return code(str(value))


def pair_words(key, value, code=str):
    label = key_words(str(key))
    return "%s: %s" % (label if label is not None else code(str(key)), value_words(value, str(key), code))
