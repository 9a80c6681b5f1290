# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nmcli terse output and keyfile parsing for the NetworkManager backend (pure)."""

from __future__ import annotations

__metaclass__ = type

import re
from dataclasses import dataclass


ACTIVE_FIELDS = ("NAME", "UUID", "TYPE", "DEVICE", "STATE", "FILENAME")
RUNTIME_DIR = "/run/"
NETPLAN_PREFIX = "netplan-"
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass
class ActiveProfile:
    name: str
    uuid: str
    type: str
    device: str
    state: str
    filename: str = ""

    def evidence(self):
        return "profile '%s' (uuid %s%s)" % (self.name, self.uuid, ", " + self.filename if self.filename else "")

    def header(self, prop):
        return "NetworkManager profile '%s' (%s): %s" % (self.name, self.uuid, prop)

    @property
    def in_memory(self):
        return self.filename.startswith(RUNTIME_DIR)

    @property
    def from_netplan(self):
        return self.filename.rsplit("/", 1)[-1].startswith(NETPLAN_PREFIX)


# --------------------------------------------------------------------------------------------------------
# Parsers of nmcli's output - the one place that knows nmcli's escaping (captured on NetworkManager 1.42.4,
# tests/unit/module_utils/data/nm/):
# - tabular terse output (``nmcli -t -f A,B connection show [--active]``) and ``nmcli -g FIELD``: a value's
#   ``:`` and ``\`` are escaped with a backslash, and an unescaped ``:`` separates the fields;
# - the terse detail view of one profile (``nmcli -t -f setting.prop connection show ID``): one
#   ``setting.prop:value`` line per property with the value printed as it is (``...cloned-mac-address:02:AA:..``),
#   so only the first ``:`` separates and nothing is unescaped.


def split_terse(line):
    """Fields of a tabular terse (``-t``) nmcli line: ``:`` separates, ``\\:`` and ``\\\\`` are literal.

    A backslash escapes whatever follows it; a lone backslash at the end of the line stays a backslash."""
    fields, current, chars = [], [], iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def unescape_get_value(text):
    """One value printed by ``nmcli -g FIELD``, escaped as in terse mode (``52\\:54\\:00...``)."""
    value, chars = [], iter(text.rstrip("\n"))
    for char in chars:
        value.append(next(chars, "\\") if char == "\\" else char)
    return "".join(value)


def parse_terse_table(text, fields):
    """Tabular terse output with ``fields`` (the ``-f`` list) -> [{field: value}]; lines of another width are
    skipped (nmcli prints nothing else in terse mode, but a partial line must not shift the columns)."""
    rows = []
    for line in text.splitlines():
        values = split_terse(line)
        if len(values) == len(fields):
            rows.append(dict(zip(fields, values)))
    return rows


def parse_active(text):
    """``nmcli -t -f NAME,UUID,TYPE,DEVICE,STATE,FILENAME connection show --active`` -> [ActiveProfile]."""
    return [ActiveProfile(*(row[f] for f in ACTIVE_FIELDS)) for row in parse_terse_table(text, ACTIVE_FIELDS)]


def parse_version(text):
    """``running:1.42.4`` or ``nmcli tool, version 1.42.4`` -> (1, 42, 4); None when there is none."""
    found = _VERSION.search(text or "")
    if not found:
        return None
    return tuple(int(part) for part in found.groups() if part is not None)


def parse_settings(text):
    """``nmcli -t -f setting.prop,... connection show ID`` (the detail view) -> {prop: value}; settings the
    profile lacks are not printed at all. Values are printed unescaped here, so only the first ``:``
    separates and the value is kept as printed (an IPv6 address or a MAC keeps its colons)."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key] = value
    return values


def keyfile_is_external(text):
    """True when a keyfile's ``[.nmmeta]`` says NetworkManager generated it for an external device."""
    section = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == ".nmmeta" and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            if key == "external" and value.lower() in ("true", "1", "yes"):
                return True
    return False


def _dotted(version):
    return ".".join(str(part) for part in version)
