# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond's nmcli terse parsing (kept apart from _syntax/nmcli.py as it is: the two disagree on unescaping)."""

from __future__ import annotations

__metaclass__ = type


# --------------------------------------------------------------------------------------------------------
# Discovery (reads the host; run(argv) -> (rc, out, err) is the module's run_command)


def nm_terse_split(line):
    """Split one ``nmcli -t`` line on unescaped ':' and unescape ``\\:`` and ``\\\\``."""
    fields, cur, i = [], [], 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            cur.append(line[i + 1])
            i += 2
            continue
        if char == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(char)
        i += 1
    fields.append("".join(cur))
    return fields


NM_COPIED_SETTINGS = ("connection.master", "connection.slave-type", "ipv4.method", "ipv4.addresses",
                      "ipv4.gateway", "ipv4.routes", "ipv4.dns", "ipv4.never-default", "ipv6.method",
                      "ipv6.addresses", "ipv6.gateway", "ipv6.routes", "ipv6.dns")


def parse_nm_fields(text):
    """``nmcli -t -f A,B connection show X`` ('A:value' lines) -> {A: value}."""
    values = {}
    for line in text.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            values[key] = value.replace("\\:", ":").replace("\\\\", "\\")
    return values


def nm_settings_to_copy(values):
    """The team profile's settings the bond profile takes over; unset ones ('--', '') are left out."""
    copied = {}
    for key in NM_COPIED_SETTINGS:
        value = values.get(key, "")
        if value in ("", "--"):
            continue
        if key.startswith("ipv") and values.get("connection.master", "") not in ("", "--"):
            continue  # a bridge port has no IP configuration of its own
        copied[key] = value
    return copied
