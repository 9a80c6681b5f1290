# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding: pure edits of networkd units and the sysctl.d file (settings, conflicts, deprecated keys)."""

from __future__ import annotations

__metaclass__ = type

import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_model import (
    FAMILIES,
    OWN_DROPIN_NAME,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import (
    FORWARDING_SPLIT_VERSION,
    LEGACY_FORWARDING_KEY,
    effective_entries,
    forwarding_key_for,
    honoured_forwarding_keys,
    ignored_forwarding_keys,
    legacy_forwarding_families,
    parse_boolean,
    parse_unit_text,
    translate_forwarding_setting,
)


# --------------------------------------------------------------------------------------------------------
# .network files


def malformed_lines(unit):
    """(path, line, text, why) for every entry of ``unit`` (and its drop-ins) networkd would not understand."""
    found = []
    for section, key, value, path, lineno in unit.entries:
        if key is None:
            found.append((path, lineno, value, "is not 'Key=value', '[Section]', a comment or empty"))
        elif section is None:
            found.append((path, lineno, "%s=%s" % (key, value), "comes before the first [Section]"))
        elif not key or any(c.isspace() for c in key):
            found.append((path, lineno, "%s=%s" % (key, value), "has no valid key before '='"))
    return found


def raise_malformed(problems, ifname):
    raise InvalidInput(
        "cannot add a forwarding drop-in for %s: %s. A systemd unit file line is '[Section]', 'Key=value', a "
        "comment starting with '#' or ';', or empty; fix the file (networkd ignores such lines) and run again. "
        "Nothing was changed." % (ifname, "; ".join("%s line %d %s" % (p[0], p[1], p[3]) for p in problems)),
        # file and line, not the line's text: the file may be a link to one that is not networkd's (a message
        # never prints content the collection did not write)
        interface=ifname, malformed=[{"file": p[0], "line": p[1]} for p in problems])


def _entries_with_ours(unit, own_path, settings):
    """``unit``'s entries as systemd would read them with our drop-in (``settings``) in place of its current one."""
    own_name = os.path.basename(own_path)
    ours = [("Network", key, value, own_path, n) for n, (key, value) in enumerate(settings, start=1)]
    base = [e for e in unit.entries if e[3] == unit.path]
    result, inserted = list(base), False
    for path in unit.dropins:
        if path == own_path or os.path.basename(path) == own_name:
            continue
        if not inserted and os.path.basename(path) > own_name:
            result.extend(ours)
            inserted = True
        result.extend(e for e in unit.entries if e[3] == path)
    if not inserted:
        result.extend(ours)
    return result


def _others(unit, own_path):
    return [e for e in unit.entries if e[3] != own_path]


def desired_settings(version, unit, families, own_path):
    """The [Network] lines of our drop-in. Before 256 one IPForward= carries both families, so the families
    the user's own files already enable through it are kept (ours sorts later and replaces theirs)."""
    if version is not None and version >= FORWARDING_SPLIT_VERSION:
        return [(forwarding_key_for(version, family), "yes") for family in families]
    wanted = set(families)
    for entry in effective_entries(_others(unit, own_path), "Network"):
        if entry[1] == LEGACY_FORWARDING_KEY:
            wanted |= legacy_forwarding_families(entry[2])
    value = "yes" if wanted >= set(FAMILIES) else sorted(wanted)[0]
    return [(LEGACY_FORWARDING_KEY, value)]


def _enabled_families(version, entries):
    """Which families the effective [Network] entries turn forwarding on for, on this systemd."""
    enabled = set()
    for _section, key, value, _path, _line in effective_entries(entries, "Network"):
        if key not in honoured_forwarding_keys(version):
            continue
        if key == LEGACY_FORWARDING_KEY:
            enabled |= legacy_forwarding_families(value)
        elif parse_boolean(value) is True:
            enabled.add("ipv4" if key == "IPv4Forwarding" else "ipv6")
    return enabled


def _families_of(key):
    if key == LEGACY_FORWARDING_KEY:
        return set(FAMILIES)
    return {"ipv4" if key == "IPv4Forwarding" else "ipv6"}


def link_conflicts(version, unit, families, own_path, settings):
    """The user's forwarding settings in ``unit`` that keep a wanted family off on its links.

    ``resolvable``: our drop-in (it sorts late) wins over it. A drop-in sorting after ours wins over ours and
    can only be reported. Before 256 ``IPForward=no`` only leaves forwarding alone, so it is no conflict.
    """
    conflicts = []
    own_name = os.path.basename(own_path)
    keys = {forwarding_key_for(version, family) for family in families}
    still_off = set(families) - _enabled_families(version, _entries_with_ours(unit, own_path, settings))
    for _section, key, value, path, lineno in effective_entries(_entries_with_ours(unit, own_path, settings),
                                                                "Network"):
        if key in keys and path != own_path and _families_of(key) & still_off:
            conflicts.append({"file": path, "line": lineno, "key": key, "value": value, "resolvable": False,
                              "why": "%s sorts after %s and overrides it" % (os.path.basename(path), own_name)})
    if version is not None and version >= FORWARDING_SPLIT_VERSION:
        for _section, key, value, path, lineno in effective_entries(_others(unit, own_path), "Network"):
            if key in keys and parse_boolean(value) is False and not any(
                    c["file"] == path and c["line"] == lineno for c in conflicts):
                conflicts.append({"file": path, "line": lineno, "key": key, "value": value, "resolvable": True,
                                  "why": "turns forwarding off on the links this .network matches"})
    return conflicts


# --------------------------------------------------------------------------------------------------------
# Deprecated keys


def _line_parts(raw):
    body = raw.rstrip("\r\n")
    return raw[:len(body) - len(body.lstrip())], body.strip(), raw[len(body):]


def rewrite_deprecated(text, version):
    """Rewrite the forwarding keys this systemd ignores, in place. Returns (new text, [(line, old, new, note)]).

    Only the key lines change; every other byte (comments, order, blank lines, line endings) is kept. A key
    the running systemd honours, set in the same file, stays authoritative: a deprecated line it already
    covers is commented out rather than translated over it. ``new`` is None for a line left alone.
    """
    ignored = ignored_forwarding_keys(version)
    honoured = honoured_forwarding_keys(version)
    network = [(key, value, n) for section, key, value, n in parse_unit_text(text) if section == "Network" and key]
    set_here = {key for key, _value, _n in network if key in honoured}
    lines = text.splitlines(keepends=True)
    changes = []
    legacy_value = None
    if version < FORWARDING_SPLIT_VERSION and not set_here:
        last = {key: value for key, value, _n in network if key in ignored}
        enabled = sorted("ipv4" if key == "IPv4Forwarding" else "ipv6"
                         for key, value in last.items() if parse_boolean(value) is True)
        legacy_value = "yes" if len(enabled) == 2 else (enabled[0] if enabled else "no")
    for key, value, lineno in network:
        if key not in ignored:
            continue
        indent, body, eol = _line_parts(lines[lineno - 1])
        if body.endswith("\\"):
            changes.append((lineno, body, None, "continued over several lines; edit it by hand"))
            continue
        if version >= FORWARDING_SPLIT_VERSION:
            pairs = translate_forwarding_setting(key, value)
            if not pairs:
                changes.append((lineno, body, None, "%s=%s has no equivalent on systemd %d" % (key, value, version)))
                continue
            new = ["%s=%s" % kv for kv in pairs if kv[0] not in set_here]
        elif parse_boolean(value) is None:
            changes.append((lineno, body, None, "%s=%s is not a boolean" % (key, value)))
            continue
        else:
            new = [] if set_here else ["%s=%s" % (LEGACY_FORWARDING_KEY, legacy_value)]
        if not new:
            new = ["# %s  (ignored by systemd %d; %s= set in this file applies - hostnet.dockerhost)"
                   % (body, version, "=, ".join(sorted(set_here)))]
        end = eol or ""
        lines[lineno - 1] = "".join(indent + line + (eol or "\n") for line in new[:-1]) + indent + new[-1] + end
        changes.append((lineno, body, new, None))
    return "".join(lines), changes


def deprecated_entries(state, backend):
    """Every forwarding key the running systemd ignores in a .network or drop-in networkd reads (ours excluded).

    Returns {path: [(section, key, value, path, line)]} in file order, and {path: [links using it]}.
    """
    version = state.networkd.version
    ignored = ignored_forwarding_keys(version)
    by_path, users = {}, {}
    for unit in state.networkd.network_files:
        links = [name for name in sorted(state.links) if backend.network_unit(name) is unit]
        for entry in unit.entries:
            if entry[0] != "Network" or entry[1] not in ignored or os.path.basename(entry[3]) == OWN_DROPIN_NAME:
                continue
            if entry not in by_path.setdefault(entry[3], []):
                by_path[entry[3]].append(entry)
            users.setdefault(entry[3], set()).update(links)
    return by_path, {path: sorted(names) for path, names in users.items()}
