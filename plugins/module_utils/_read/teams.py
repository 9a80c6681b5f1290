# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond: what the host says about its teams (teamd configs, networkd units, NetworkManager profiles)."""

from __future__ import annotations

__metaclass__ = type

import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_NETWORKD, BACKEND_NM
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax import bounded_json
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_bytes
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import NETWORKD_UNIT_DIRS
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import matched_names, parse_unit_text
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.nmcli import (
    parse_settings,
    parse_terse_table,
)

NM_PROFILE_FIELDS = ("NAME", "UUID", "TYPE", "DEVICE", "FILENAME")
NM_COPIED_SETTINGS = ("connection.master", "connection.slave-type", "ipv4.method", "ipv4.addresses",
                      "ipv4.gateway", "ipv4.routes", "ipv4.dns", "ipv4.never-default", "ipv6.method",
                      "ipv6.addresses", "ipv6.gateway", "ipv6.routes", "ipv6.dns")


# --------------------------------------------------------------------------------------------------------
# Facts about one team (read by discover_teams, or built by hand in tests)


@dataclass
class TeamFacts:
    name: str
    config: dict
    ports: List[str]
    mac: Optional[str] = None
    mtu: Optional[int] = None
    master: Optional[str] = None
    backend: Optional[str] = None  # BACKEND_NM | BACKEND_NETWORKD | None (nobody persists it)
    # NetworkManager
    nm_profile: Optional[str] = None
    nm_port_profiles: List[str] = field(default_factory=list)
    nm_settings: Dict[str, str] = field(default_factory=dict)  # the team profile's master/ip settings
    nm_vlan_profiles: List[str] = field(default_factory=list)
    # teamd beside systemd-networkd
    teamd_unit: Optional[str] = None
    teamd_unit_enabled: bool = False
    teamd_config_path: Optional[str] = None
    network_file: Optional[str] = None  # the team's own .network
    network_text: Optional[str] = None
    port_network_files: Dict[str, str] = field(default_factory=dict)  # .network files matching only ports
    # The bridge the team is a port of (sysfs): a new port listens and learns for 2 x forward_delay under STP.
    bridge_stp: Optional[bool] = None
    bridge_forward_delay: Optional[float] = None  # seconds


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


def _nm_profiles(run):
    rc, out, _err = run(["nmcli", "-t", "-f", ",".join(NM_PROFILE_FIELDS), "connection", "show"])
    if rc != 0:
        return None
    return [{key.lower(): value for key, value in row.items()} for row in parse_terse_table(out, NM_PROFILE_FIELDS)]


def _nm_fields(run, profile, fields):
    rc, out, err = run(["nmcli", "-t", "-f", ",".join(fields), "connection", "show", profile])
    if rc != 0:
        raise HostnetError("nmcli could not show profile %s: %s" % (profile, err.strip()), profile=profile)
    return parse_settings(out)


def _discover_nm(run, facts, profiles):
    team_profiles = [p for p in profiles if p["type"] == "team" and p["device"] == facts.name]
    if not team_profiles:
        return False
    team = team_profiles[0]
    facts.backend = BACKEND_NM
    facts.nm_profile = team["name"]
    facts.nm_settings = nm_settings_to_copy(_nm_fields(run, team["name"], NM_COPIED_SETTINGS))
    for profile in profiles:
        if profile["type"] in ("802-3-ethernet", "ethernet", "vlan"):
            values = _nm_fields(run, profile["uuid"], ["connection.master", "connection.slave-type", "vlan.parent"]
                                if profile["type"] == "vlan" else ["connection.master", "connection.slave-type"])
            if values.get("connection.slave-type") == "team" and values.get("connection.master") in (
                    team["name"], team["uuid"], facts.name):
                facts.nm_port_profiles.append(profile["name"])
            if profile["type"] == "vlan" and values.get("vlan.parent") in (team["name"], team["uuid"], facts.name):
                facts.nm_vlan_profiles.append(profile["name"])
    return True


def _discover_networkd(run, facts, host_state, read_text, list_network_files):
    unit = "teamd@%s.service" % facts.name
    rc, out, _err = run(["systemctl", "show", "-p", "LoadState,ActiveState,UnitFileState,ExecStart", unit])
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line) if rc == 0 else {}
    if values.get("LoadState") != "loaded" or values.get("ActiveState") != "active":
        return False
    facts.backend = BACKEND_NETWORKD
    facts.teamd_unit = unit
    facts.teamd_unit_enabled = values.get("UnitFileState") == "enabled"
    match = re.search(r"(?:-f|--config-file)[ =](\S+)", values.get("ExecStart", ""))
    facts.teamd_config_path = match.group(1) if match else None
    if facts.teamd_config_path and facts.teamd_config_path.startswith("/run/"):
        facts.teamd_config_path = None  # generated at runtime, nothing to remove
    facts.network_file = host_state.networkd.link_network_file.get(facts.name)
    if facts.network_file:
        facts.network_text = read_text(facts.network_file)
    for path in list_network_files():
        text = read_text(path) or ""
        names = matched_names(parse_unit_text(text))
        if names and set(names) <= set(facts.ports):
            for name in names:
                facts.port_network_files[name] = path
    return True


def read_bridge_timers(facts, read_text):
    """STP state and forward delay of the team's bridge (sysfs: stp_state 0 off, 1 kernel, 2 user space;
    forward_delay in hundredths of a second); left None when the master is no bridge."""
    stp = read_text("/sys/class/net/%s/bridge/stp_state" % facts.master)
    delay = read_text("/sys/class/net/%s/bridge/forward_delay" % facts.master)
    if stp is not None and stp.strip().isdigit():
        facts.bridge_stp = stp.strip() != "0"
    if delay is not None and delay.strip().isdigit():
        facts.bridge_forward_delay = int(delay.strip()) / 100.0


def discover_teams(host_state, run, read_text, list_network_files, only=None):
    """TeamFacts for every team link (or those named in ``only``). Reads, never changes."""
    teams = []
    profiles = None
    for link in sorted(host_state.links.values(), key=lambda l: l.name):
        if link.kind != "team" or (only and link.name not in only):
            continue
        rc, out, err = run(["teamdctl", link.name, "config", "dump"])
        if rc != 0:
            raise HostnetError("teamdctl %s config dump failed: %s" % (link.name, (err or out).strip()),
                               team=link.name)
        try:
            config = bounded_json.loads(out)
        except ValueError as exc:
            raise HostnetError("teamdctl %s config dump is not JSON: %s" % (link.name, exc), team=link.name)
        facts = TeamFacts(name=link.name, config=config, ports=list(link.ports), mac=link.mac, mtu=link.mtu,
                          master=link.master)
        if link.master:
            read_bridge_timers(facts, read_text)
        if profiles is None:
            profiles = _nm_profiles(run) or []
        if not _discover_nm(run, facts, profiles):
            _discover_networkd(run, facts, host_state, read_text, list_network_files)
        teams.append(facts)
    return teams


# --------------------------------------------------------------------------------------------------------
# Beside the teams: the files discover_teams reads (the gateways the bonds must reach are in the read
# model: HostState.default_gateways)


def read_text(path):
    """A .network file's text for finding the team's files, None when there is none (one that vanished
    meanwhile); bytes that are not UTF-8 read as U+FFFD (a latin-1 comment does not matter here). One that
    cannot be read at all (a FIFO, a device, too big) is a HostnetError naming it, never skipped in silence."""
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise HostnetError("cannot read %s: %s" % (path, exc.strerror or exc), path=path)
    return None if data is None else data.decode("utf-8", "replace")


def administrator_network_files(directory=NETWORKD_UNIT_DIRS[0]):
    """The .network files in /etc/systemd/network: the only place an administrator's files are edited."""
    names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
    return [os.path.join(directory, name) for name in names if name.endswith(".network")]
