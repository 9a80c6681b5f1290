# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-networkd knowledge as pure functions: unit-file syntax and which forwarding key works where.

Measured on real guests (shared FACTS.md): systemd 252 honours ``[Network] IPForward=`` in a .network
(and it also flips the global sysctls) and ignores ``IPv4Forwarding=`` ("Unknown key"); systemd 257 logs
``IPForward=`` as deprecated and ignores it, and honours ``IPv4Forwarding=``/``IPv6Forwarding=`` per link.
The split happened in systemd 256, where the per-family keys were introduced.
"""

from __future__ import annotations

__metaclass__ = type

import fnmatch

FORWARDING_SPLIT_VERSION = 256
LEGACY_FORWARDING_KEY = "IPForward"
FAMILY_FORWARDING_KEYS = ("IPv4Forwarding", "IPv6Forwarding")

_TRUE = {"1", "yes", "y", "true", "t", "on"}
_FALSE = {"0", "no", "n", "false", "f", "off"}


def parse_unit_text(text):
    """Parse systemd unit-file syntax into a list of ``(section, key, value, lineno)``.

    Comments (``#``/``;``), blank lines and backslash continuations follow systemd.syntax(7).
    Lines outside a section and lines without ``=`` are returned with key None so callers can report them.
    """
    entries = []
    section = None
    pending = None  # (key, value parts, lineno) while a continuation is open
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if pending is not None:
            if line.startswith(("#", ";")):
                continue
            key, parts, start = pending
            if line.endswith("\\"):
                parts.append(line[:-1])
                continue
            parts.append(line)
            entries.append((section, key, " ".join(p.strip() for p in parts).strip(), start))
            pending = None
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if "=" not in line:
            entries.append((section, None, line, lineno))
            continue
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if value.endswith("\\"):
            pending = (key, [value[:-1]], lineno)
            continue
        entries.append((section, key, value, lineno))
    if pending is not None:
        key, parts, start = pending
        entries.append((section, key, " ".join(p.strip() for p in parts).strip(), start))
    return entries


def parse_boolean(value):
    """systemd's boolean parsing; None for anything else (e.g. ``kernel`` or ``ipv4``)."""
    lowered = (value or "").strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def honoured_forwarding_keys(systemd_version):
    """The [Network] keys of a .network that set per-link forwarding on this systemd."""
    if systemd_version is None:
        return ()
    if systemd_version >= FORWARDING_SPLIT_VERSION:
        return FAMILY_FORWARDING_KEYS
    return (LEGACY_FORWARDING_KEY,)


def ignored_forwarding_keys(systemd_version):
    """The forwarding keys this systemd ignores in a .network."""
    if systemd_version is None:
        return ()
    if systemd_version >= FORWARDING_SPLIT_VERSION:
        return (LEGACY_FORWARDING_KEY,)
    return FAMILY_FORWARDING_KEYS


def forwarding_key_for(systemd_version, family="ipv4"):
    """The key to write to enable forwarding for ``family`` on this systemd."""
    if systemd_version is not None and systemd_version >= FORWARDING_SPLIT_VERSION:
        return "IPv4Forwarding" if family == "ipv4" else "IPv6Forwarding"
    return LEGACY_FORWARDING_KEY


def legacy_forwarding_families(value):
    """Which families ``IPForward=<value>`` enables: yes/ipv4/ipv6/no (and booleans)."""
    lowered = (value or "").strip().lower()
    boolean = parse_boolean(lowered)
    if boolean is True:
        return {"ipv4", "ipv6"}
    if boolean is False:
        return set()
    if lowered in ("ipv4", "ipv6"):
        return {lowered}
    return set()


def match_name_patterns(entries):
    """The collection's one reader of a .network's ``[Match] Name=``: ``[(negated, glob)]`` in file order.

    ``entries`` are parse_unit_text()'s (section, key, value, ...) with or without the source path. A "!"
    before a line's list negates every glob on that line; an empty ``Name=`` resets the list."""
    patterns = []
    for entry in entries:
        if entry[0] != "Match" or entry[1] != "Name":
            continue
        value = entry[2].strip()
        if not value:
            patterns = []
            continue
        negated = value.startswith("!")
        patterns.extend((negated, glob) for glob in value.lstrip("!").split())
    return patterns


def matched_names(entries):
    """The interface names a .network selects when its ``[Match] Name=`` is a plain list of names (no glob,
    no negation); [] otherwise - a file that may match other interfaces is not "the file of" these."""
    patterns = match_name_patterns(entries)
    if any(negated or set(glob) & set("*?[") for negated, glob in patterns):
        return []
    return [glob for _negated, glob in patterns]


def network_file_matches_name(entries, ifname):
    """Whether a .network's ``[Match] Name=`` lines select ``ifname``, as systemd's net_condition_test_strv().

    A matching negated glob rejects; when any positive glob exists, one must match. Only used when
    networkd's own record (/run/systemd/netif/links) is absent; other [Match] keys are not evaluated, so a
    file without Name= is treated as not matching by name.
    """
    patterns = match_name_patterns(entries)
    if not patterns:
        return False
    matched = False
    has_positive = False
    for negated, glob in patterns:
        has_positive = has_positive or not negated
        if fnmatch.fnmatchcase(ifname, glob):
            if negated:
                return False
            matched = True
    return matched if has_positive else True


def effective_entries(entries, section):
    """The last assignment of every key in ``section``: systemd lets later lines and drop-ins override."""
    last = {}
    for entry in entries:
        if entry[0] == section and entry[1] is not None:
            last.pop(entry[1], None)  # re-insert so the result keeps the order of the winning lines
            last[entry[1]] = entry
    return list(last.values())


def translate_forwarding_setting(key, value):
    """The equivalent of ``key=value`` in the other generation of keys, as a list of ``(key, value)``.

    ``IPForward=ipv4`` -> ``[("IPv4Forwarding", "yes")]``; ``IPv6Forwarding=yes`` -> ``[("IPForward", "ipv6")]``.
    """
    if key == LEGACY_FORWARDING_KEY:
        families = legacy_forwarding_families(value)
        if parse_boolean(value) is False:
            return [("IPv4Forwarding", "no"), ("IPv6Forwarding", "no")]
        return [("IPv4Forwarding" if family == "ipv4" else "IPv6Forwarding", "yes") for family in sorted(families)]
    enabled = parse_boolean(value)
    if enabled is None:
        return []
    family = "ipv4" if key == "IPv4Forwarding" else "ipv6"
    return [(LEGACY_FORWARDING_KEY, family if enabled else "no")]
