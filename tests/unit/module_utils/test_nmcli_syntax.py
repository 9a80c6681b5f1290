# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_syntax/nmcli: the one parser of nmcli's terse output, on text captured from NetworkManager 1.42.4
(data/nm/, see its README) and on lines built by nmcli's escaping rule (``:`` and ``\\`` escaped by a
backslash in tabular terse output and ``-g``, nothing escaped in the detail view of one profile), and its
users: the NetworkManager backend and team_to_bond's reading of team profiles."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import teams as _teams
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.nmcli import (
    ACTIVE_FIELDS,
    parse_active,
    parse_settings,
    parse_terse_table,
    split_terse,
    unescape_get_value,
)

DATA = os.path.join(os.path.dirname(__file__), "data", "nm")
TEAM = "38717ca1-82d6-4df1-b826-03587c016ef7"


def data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


def escape(value):
    """nmcli's terse escaping of one value (clients/cli: ':' and '\\' get a backslash)."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


@pytest.mark.parametrize("values", [
    ["team:0 x\\y", TEAM, "team", "team0", "activated", "/etc/NetworkManager/system-connections/team:0 x\\y.nmconnection"],
    ["ends with backslash\\", "u", "bond", "", "", ""],  # an escaped backslash right before the separator
    ["\\\\:", "::", "", "a\\:b", "x", "y"],
    ["", "", "", "", "", ""],
])
def test_split_terse_inverts_nmcli_escaping(values):
    assert split_terse(":".join(escape(v) for v in values)) == values


def test_split_terse_keeps_a_lone_trailing_backslash():
    assert split_terse("a:b\\") == ["a", "b\\"]


def test_captured_active_list_gives_the_escaped_team_profile_back():
    profiles = {p.device: p for p in parse_active(data("active.out"))}

    assert profiles["team0"].name == "team:0 x\\y"
    assert profiles["team0"].filename == "/etc/NetworkManager/system-connections/team:0 x\\y.nmconnection"
    assert profiles["br0"].uuid == "c724a07b-95f9-4209-93b1-3e2a5313bdb3"


def test_terse_table_skips_lines_of_another_width_instead_of_shifting_columns():
    text = "a:b:c:d:e:f\nshort:line\n" + ":".join(escape(v) for v in ["n:1", "u", "t", "d", "s", "/f"]) + "\n"

    rows = parse_terse_table(text, ACTIVE_FIELDS)

    assert [r["NAME"] for r in rows] == ["a", "n:1"]
    assert rows[1]["FILENAME"] == "/f"


def test_get_value_is_unescaped_and_detail_view_is_not():
    # The same MAC, captured both ways on 1.42.4: -g escapes, the terse detail view prints it as it is.
    assert unescape_get_value(data("mac-cloned-get.out")) == "02:AA:BB:CC:DD:01"
    assert parse_settings(data("mac-cloned-set.out")) == {
        "802-3-ethernet.cloned-mac-address": "02:AA:BB:CC:DD:01", "bridge.mac-address": ""}


def test_detail_view_keeps_ipv6_colons_and_backslashes():
    text = "ipv6.addresses:fd00::5/64, fd00:1::5/64\nconnection.id:team:0 x\\y\nipv4.gateway:--\n"

    assert parse_settings(text) == {"ipv6.addresses": "fd00::5/64, fd00:1::5/64", "connection.id": "team:0 x\\y",
                                    "ipv4.gateway": "--"}


def _fake_nmcli(outputs):
    calls = []

    def run(argv):
        calls.append(list(argv))
        for key, result in outputs.items():
            if tuple(argv[-len(key):]) == key:
                return result
        return 10, "", "Error: unknown"

    return run, calls


def test_team_reading_uses_the_same_parser_for_profiles_and_settings():
    listing = "\n".join(":".join(escape(v) for v in row) for row in [
        ["team:0 x\\y", TEAM, "team", "team0", "/etc/NetworkManager/system-connections/team:0 x\\y.nmconnection"],
        ["team0-eno0", "p-0", "802-3-ethernet", "eno0", "/etc/NetworkManager/system-connections/team0-eno0.nmconnection"],
    ]) + "\n"
    run, calls = _fake_nmcli({
        ("connection", "show"): (0, listing, ""),
    })

    profiles = _teams._nm_profiles(run)

    assert calls[0] == ["nmcli", "-t", "-f", "NAME,UUID,TYPE,DEVICE,FILENAME", "connection", "show"]
    assert profiles[0] == {"name": "team:0 x\\y", "uuid": TEAM, "type": "team", "device": "team0",
                           "filename": "/etc/NetworkManager/system-connections/team:0 x\\y.nmconnection"}
    assert profiles[1]["device"] == "eno0"
