# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The parts of a host's result besides its findings, read and normalised: ``audited`` (what the audit looked
at), ``warnings``, and ``enforced`` (what an enforcing run changed, in either of its two shapes)."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import (
    FleetInputError,
    count_or_none,
    plain,
    type_name,
)

# The kinds of change an enforcing run reports under ``enforced``, in report order.
ENFORCED_KINDS = ("bridge_mac", "promisc", "forwarding", "team_to_bond")
# Keys of ``enforced`` that are not changes: the count before, the fixes that failed, the items left unchanged.
NOT_CHANGES = ("findings_before", "errors", "skipped")


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


def read_checks(raw, where):
    """The checks a host's audit ran, in order, or None when the result does not say."""
    if raw is None:
        return None
    if isinstance(raw, str) or not isinstance(raw, (list, tuple)) or not all(isinstance(c, str) for c in raw):
        raise FleetInputError("%s.checks: expected a list of check names, got %s" % (where, type_name(raw)))
    return list(dict.fromkeys(str(check) for check in raw))


def read_topology(raw, where):
    """``topology`` (the bridge chains netstate_info returns with findings) as a plain dict, or None."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("bridges", []), (list, tuple)):
        raise FleetInputError("%s.topology: expected a dict with a list of bridges, got %s" % (where, type_name(raw)))
    return plain(raw)


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
    enforced = {"findings_before": count_or_none(plain(raw.get("findings_before")))}
    for key, text in (("errors", "msg"), ("skipped", "reason")):
        entries = raw.get(key) or []
        if not isinstance(entries, (list, tuple)):
            raise FleetInputError("%s.%s: expected a list, got %s" % (where, key, type_name(entries)))
        enforced[key] = [{"fix": str(plain(entry.get("fix")) or "enforcement"), "interface": plain(entry.get("interface")),
                          text: str(plain(entry.get(text)) or "")}
                         for entry in entries if isinstance(entry, Mapping)]
    kinds = list(ENFORCED_KINDS) + sorted(str(key) for key in raw if key not in ENFORCED_KINDS and key not in NOT_CHANGES)
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
    return sum(len(value) for key, value in enforced.items() if key not in NOT_CHANGES and isinstance(value, list))


def nothing_to_audit(audited):
    """True when the host has none of what the checks look at: no bridge, bond, team or Docker."""
    if not audited:
        return False
    docker = audited.get("docker") or {}
    return (
        not any(count_or_none(audited.get(key)) for key in ("bridges", "bonds", "teams"))
        and not docker.get("running")
        and not count_or_none(docker.get("bridges"))
        and all(count_or_none(audited.get(key)) is not None for key in ("bridges", "bonds", "teams"))
    )


def read_migration(raw, where):
    """``migration`` (the team->bond rollout's record of the host) as a plain dict, or None without one."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("status"), str):
        raise FleetInputError("%s.migration: expected a dict with a status (the team->bond rollout's record), got %s"
                              % (where, type_name(raw) if not isinstance(raw, Mapping) else "a dict without one"))
    return plain(raw)
