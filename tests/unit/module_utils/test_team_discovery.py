# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond's reading of the teams (_read/teams.discover_teams) against scripted teamdctl, nmcli and
systemctl answers in the shapes those tools print (nmcli's escaping as captured in data/nm/)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import NetworkdState
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.teams import NM_COPIED_SETTINGS, discover_teams
from hostnet_builders import bridge, link, state, team

TEAM_UUID = "38717ca1-82d6-4df1-b826-03587c016ef7"
CONFIG = {"device": "team0", "runner": {"name": "activebackup"}, "link_watch": {"name": "ethtool"},
          "ports": {"eno0": {"prio": 100}, "eno1": {}}}


class Tools:
    """run(argv) answering from a table {tuple(argv): (rc, out, err)}; everything else: not installed."""

    def __init__(self, answers):
        self.answers = {tuple(k): v for k, v in answers.items()}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.answers.get(tuple(argv), (127, "", "%s is not installed" % argv[0]))


def host(**kw):
    return state(bridge("br0"), team("team0", master="br0", mac="52:54:00:aa:bb:cc", mtu=1500),
                 link("eno0", "physical", master="team0"), link("eno1", "physical", master="team0"),
                 bridge("br1"), **kw)


def nm_tools(extra=None):
    listing = "\n".join([
        "team\\:0 x\\\\y:%s:team:team0:/etc/NetworkManager/system-connections/team\\:0 x\\\\y.nmconnection" % TEAM_UUID,
        "team0-eno0:p-0:802-3-ethernet:eno0:/etc/NetworkManager/system-connections/team0-eno0.nmconnection",
        "team0-eno1:p-1:802-3-ethernet:eno1:/etc/NetworkManager/system-connections/team0-eno1.nmconnection",
        "vlan10:v-10:vlan:team0.10:/etc/NetworkManager/system-connections/vlan10.nmconnection",
        "other:o-1:802-3-ethernet:eno9:/etc/NetworkManager/system-connections/other.nmconnection",
    ]) + "\n"
    answers = {
        ("teamdctl", "team0", "config", "dump"): (0, json.dumps(CONFIG), ""),
        ("nmcli", "-t", "-f", "NAME,UUID,TYPE,DEVICE,FILENAME", "connection", "show"): (0, listing, ""),
        ("nmcli", "-t", "-f", ",".join(NM_COPIED_SETTINGS), "connection", "show", "team:0 x\\y"): (
            0, "connection.master:br0\nconnection.slave-type:bridge\nipv4.method:disabled\nipv6.method:ignore\n", ""),
        ("nmcli", "-t", "-f", "connection.master,connection.slave-type", "connection", "show", "p-0"): (
            0, "connection.master:team:0 x\\y\nconnection.slave-type:team\n", ""),
        ("nmcli", "-t", "-f", "connection.master,connection.slave-type", "connection", "show", "p-1"): (
            0, "connection.master:%s\nconnection.slave-type:team\n" % TEAM_UUID, ""),
        ("nmcli", "-t", "-f", "connection.master,connection.slave-type", "connection", "show", "o-1"): (
            0, "connection.master:\nconnection.slave-type:\n", ""),
        ("nmcli", "-t", "-f", "connection.master,connection.slave-type,vlan.parent", "connection", "show", "v-10"): (
            0, "connection.master:\nconnection.slave-type:\nvlan.parent:team0\n", ""),
    }
    answers.update(extra or {})
    return Tools(answers)


def test_a_networkmanager_team_with_escaped_profile_name_ports_and_vlan():
    (facts,) = discover_teams(host(), nm_tools(), lambda path: None, lambda: [])

    assert facts.backend == "NetworkManager"
    assert facts.nm_profile == "team:0 x\\y"
    assert facts.nm_port_profiles == ["team0-eno0", "team0-eno1"]
    assert facts.nm_vlan_profiles == ["vlan10"]
    assert facts.nm_settings == {"connection.master": "br0", "connection.slave-type": "bridge"}  # no ip on a port
    assert (facts.name, facts.ports, facts.mac, facts.mtu, facts.master) == (
        "team0", ["eno0", "eno1"], "52:54:00:aa:bb:cc", 1500, "br0")
    assert facts.config == CONFIG


def test_a_teamd_unit_beside_networkd():
    files = {
        "/etc/systemd/network/30-team0.network": "[Match]\nName=team0\n\n[Network]\nBridge=br0\n",
        "/etc/systemd/network/31-ports.network": "[Match]\nName=eno0 eno1\n\n[Network]\nTeam=team0\n",
        "/etc/systemd/network/40-all.network": "[Match]\nName=eno*\n\n[Network]\nDHCP=yes\n",
    }
    tools = Tools({
        ("teamdctl", "team0", "config", "dump"): (0, json.dumps(CONFIG), ""),
        ("systemctl", "show", "-p", "LoadState,ActiveState,UnitFileState,ExecStart", "teamd@team0.service"): (
            0, "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nExecStart={ path=/usr/bin/teamd ; "
               "argv[]=/usr/bin/teamd -f /etc/teamd/team0.conf -g ; ignore_errors=no }\n", ""),
    })
    networkd = NetworkdState(installed=True, running=True,
                             link_network_file={"team0": "/etc/systemd/network/30-team0.network"})

    (facts,) = discover_teams(host(networkd=networkd), tools, files.get, lambda: sorted(files))

    assert facts.backend == "systemd-networkd"
    assert facts.teamd_unit == "teamd@team0.service" and facts.teamd_unit_enabled is True
    assert facts.teamd_config_path == "/etc/teamd/team0.conf"
    assert facts.network_file == "/etc/systemd/network/30-team0.network"
    assert facts.network_text == files["/etc/systemd/network/30-team0.network"]
    # a file that may match other links (a glob) is not "the ports' file"
    assert facts.port_network_files == {"eno0": "/etc/systemd/network/31-ports.network",
                                        "eno1": "/etc/systemd/network/31-ports.network"}
    assert ["nmcli", "-t", "-f", "NAME,UUID,TYPE,DEVICE,FILENAME", "connection", "show"] in tools.calls


def test_a_team_nobody_persists_has_no_backend():
    tools = Tools({("teamdctl", "team0", "config", "dump"): (0, json.dumps(CONFIG), ""),
                   ("systemctl", "show", "-p", "LoadState,ActiveState,UnitFileState,ExecStart",
                    "teamd@team0.service"): (0, "LoadState=loaded\nActiveState=inactive\n", "")})

    (facts,) = discover_teams(host(), tools, lambda path: None, lambda: [])

    assert facts.backend is None


def test_only_the_named_teams_are_read():
    tools = nm_tools()
    assert discover_teams(host(), tools, lambda path: None, lambda: [], only=["team9"]) == []
    assert tools.calls == []


@pytest.mark.parametrize("answer, message", [
    ((1, "", "Device team0 not found\n"), "teamdctl team0 config dump failed: Device team0 not found"),
    ((0, "{not json", ""), "teamdctl team0 config dump is not JSON"),
])
def test_teamdctl_failures_are_typed_errors(answer, message):
    tools = Tools({("teamdctl", "team0", "config", "dump"): answer})
    with pytest.raises(HostnetError, match=message):
        discover_teams(host(), tools, lambda path: None, lambda: [])


def test_an_unreadable_profile_is_a_typed_error():
    tools = nm_tools({("nmcli", "-t", "-f", ",".join(NM_COPIED_SETTINGS), "connection", "show", "team:0 x\\y"): (
        10, "", "Error: team:0 x\\y - no such connection profile.\n")})
    with pytest.raises(HostnetError, match="nmcli could not show profile team:0 x"):
        discover_teams(host(), tools, lambda path: None, lambda: [])
