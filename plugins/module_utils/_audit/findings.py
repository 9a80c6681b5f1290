# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit findings: pure functions of a HostState (see _netstate). No I/O here.

Findings follow interface kinds and master/port relations, never names like ``eno*`` or ``team0``.
"""

from __future__ import annotations

__metaclass__ = type

from dataclasses import asdict, dataclass
from typing import Any, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import (
    choose_bridge_mac,
    ports_by_mac,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    CHECKS,
    FINDING_IDS,
    SEVERITIES,
    SEVERITY_RANK,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    BOND_MODES_PROMISC_ACTIVE_ONLY,
    NET_ADDR_SET,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import (
    FORWARDING_SPLIT_VERSION,
    effective_entries,
    honoured_forwarding_keys,
    ignored_forwarding_keys,
    legacy_forwarding_families,
    network_file_matches_name,
    parse_boolean,
    translate_forwarding_setting,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import shell_quote, visible

ZERO_MAC = "00:00:00:00:00:00"


@dataclass
class Finding:
    id: str
    check: str
    severity: str
    interface: Optional[str]
    current: Any
    expected: Any
    remediation: str
    why: str

    def __post_init__(self):
        # Names and paths come from the host: a command quotes them (shell_quote), and no control character
        # reaches the text raw (a report is read on a terminal).
        self.remediation = visible(self.remediation)
        self.why = visible(self.why)

    def to_dict(self):
        return asdict(self)


# --------------------------------------------------------------------------------------------------------
# promisc


def lag_port_promisc_findings(state, strict=False):
    findings = []
    for lag in state.lags():
        bridge = state.links.get(lag.master) if lag.master else None
        if bridge is None or bridge.kind != "bridge":
            continue
        active_only = lag.bond is not None and lag.bond.mode in BOND_MODES_PROMISC_ACTIVE_ONLY
        for port_name in lag.ports:
            port = state.links[port_name]
            if port.effective_promisc:
                continue
            current = {
                "effective_promisc": False,
                "promisc_flag": port.promisc_flag,
                "promiscuity": port.promiscuity,
                "sysfs_flags_promisc": port.sysfs_promisc,
                "lag": lag.name,
                "lag_kind": lag.kind,
                "bond_mode": lag.bond.mode if lag.bond else None,
                "bridge": bridge.name,
            }
            remediation = ("ip link set dev %s promisc on  # persist with hostnet.dockerhost.port_promisc"
                           % shell_quote(port.name))
            if active_only and port.name != lag.bond.active_slave:
                findings.append(Finding(
                    "lag_port_not_promisc", "promisc", "error" if strict else "info", port.name,
                    dict(current, slave_state=port.slave_state, active_slave=lag.bond.active_slave),
                    {"effective_promisc": True}, remediation,
                    "In %s mode the bond makes only its active slave promiscuous; this backup slave becomes "
                    "promiscuous when it takes over, so frames for container MACs on %s are not dropped until then."
                    % (lag.bond.mode, bridge.name)))
                continue
            findings.append(Finding(
                "lag_port_not_promisc", "promisc", "error", port.name, current, {"effective_promisc": True},
                remediation,
                "%s is a port of %s %s under bridge %s but does not receive frames for other MACs, so traffic "
                "to containers on %s is dropped (running tcpdump 'fixes' it by turning promisc on)."
                % (port.name, lag.kind, lag.name, bridge.name, bridge.name)))
    return findings


# --------------------------------------------------------------------------------------------------------
# bridge_mac


def bridge_mac_findings(state, policy="auto"):
    """Bridges with no MAC of their own (addr_assign_type not 3): they take their lowest port's MAC.

    The remediation pins the MAC hostnet.dockerhost.bridge_mac pins with ``policy`` (the run's
    hostnet_bridge_mac_policy), so that --check names what the enforcing run would do."""
    findings = []
    for bridge in state.bridges():
        if bridge.mac_is_set:
            continue
        ports = ports_by_mac(state, bridge)
        remediation = _pin_command(state, bridge, policy)
        if not ports:
            findings.append(Finding(
                "bridge_mac_inherited", "bridge_mac", "warning", bridge.name,
                {"mac": bridge.mac, "addr_assign_type": bridge.addr_assign_type, "ports": len(bridge.ports)},
                {"addr_assign_type": NET_ADDR_SET},
                remediation,
                "%s has no port with a MAC address yet and no MAC of its own, so it will take the MAC of the first "
                "port that joins "
                "(a container veth's random MAC, for a container network) and change again as ports come and "
                "go; pin it before containers use it as their gateway." % bridge.name))
            continue
        lowest = ports[0]
        flips_to = ports[1].mac if len(ports) > 1 else ZERO_MAC
        churny = lowest.kind == "veth"
        findings.append(Finding(
            "bridge_mac_inherited", "bridge_mac", "error" if churny else "warning", bridge.name,
            {
                "mac": bridge.mac,
                "addr_assign_type": bridge.addr_assign_type,
                "lowest_port": lowest.name,
                "lowest_port_kind": lowest.kind,
                "lowest_port_mac": lowest.mac,
                "mac_if_lowest_port_leaves": flips_to,
            },
            {"addr_assign_type": NET_ADDR_SET},
            remediation,
            "%s has no MAC of its own, so it takes the lowest MAC of its ports (now %s of %s) and changes to %s "
            "when that port leaves; neighbours keep the old MAC in their ARP caches and traffic to the gateway "
            "is lost%s." % (bridge.name, lowest.mac, lowest.name, flips_to,
                            " - here a container veth, so every container start or stop can flip it" if churny
                            else "")))
    return findings


def _pin_command(state, bridge, policy="auto"):
    """The command that pins what hostnet.dockerhost.bridge_mac pins with ``policy`` (one rule: choose_bridge_mac)."""
    try:
        mac, source = choose_bridge_mac(state, bridge, policy=policy, machine_id=state.machine_id)
    except InvalidInput as exc:
        why = "no MAC to keep and no /etc/machine-id to derive one" if policy == "auto" else str(exc)
        return ("ip link set dev %s address 02:xx:xx:xx:xx:xx  # put a unicast, locally administered MAC there: "
                "%s; persist with hostnet.dockerhost.bridge_mac mac=..." % (shell_quote(bridge.name), why))
    how = {"kept": "keeps the current MAC", "uplink": "takes the uplink's MAC",
           "derived": "a MAC derived from /etc/machine-id"}[source]
    return "ip link set dev %s address %s  # %s; persist with hostnet.dockerhost.bridge_mac" % (
        shell_quote(bridge.name), mac, how)


# --------------------------------------------------------------------------------------------------------
# forwarding


def container_traffic_interfaces(state):
    """Interfaces that carry routed container traffic: Docker bridges, bridges with veth ports, uplinks."""
    names = set(state.docker.bridges) | set(state.default_route_interfaces)
    for bridge in state.bridges():
        if bridge.master is None and any(state.links[p].kind == "veth" for p in bridge.ports):
            names.add(bridge.name)
    return sorted(n for n in names if n in state.links)


def forwarding_findings(state):
    findings = []
    if state.docker.present and state.ip_forward is False:
        findings.append(Finding(
            "global_forwarding_off", "forwarding", "error", None,
            {"net.ipv4.ip_forward": 0}, {"net.ipv4.ip_forward": 1},
            "sysctl -w net.ipv4.ip_forward=1 && echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-docker-forwarding.conf",
            "This is a Docker host but the kernel does not route between interfaces, so containers on bridge "
            "networks cannot reach anything beyond the host."))
    # Only IPv4: the kernel routes IPv6 by conf.all.forwarding alone (ip6_forward()); a per-interface IPv6
    # forwarding=0 only switches that link to host behaviour for RA/NDP and drops nothing (measured).
    if not state.ip_forward:
        return findings
    for name in container_traffic_interfaces(state):
        if state.links[name].forwarding_ipv4 is False:
            sysctl = "net.ipv4.conf.%s.forwarding" % name.replace(".", "/")
            findings.append(Finding(
                "interface_forwarding_off", "forwarding", "error", name,
                {sysctl: 0, "family": "ipv4"}, {sysctl: 1},
                "sysctl -w %s  # persist with hostnet.dockerhost.networkd_forwarding or your backend"
                % shell_quote(sysctl + "=1"),
                "The host forwards IPv4 but %s does not, so routed container traffic entering through %s is "
                "dropped (systemd-networkd resets this per link when its .network lacks the forwarding key)."
                % (name, name)))
    return findings


# --------------------------------------------------------------------------------------------------------
# networkd


def _links_using(state, unit):
    recorded = sorted(name for name, path in state.networkd.link_network_file.items() if path == unit.path)
    if recorded or state.networkd.running:
        return recorded
    return sorted(name for name in state.links if network_file_matches_name(unit.entries, name))


def _carriers_without_own_key(state, carriers, key):
    """Container-traffic links whose .network (by networkd's record) does not set ``key`` to yes."""
    own = set()
    for unit in state.networkd.network_files:
        if any(e[1] == key and parse_boolean(e[2]) is True for e in effective_entries(unit.entries, "Network")):
            own.update(_links_using(state, unit))
    return sorted(set(carriers) - own)


def _enables_forwarding(key, value):
    if key == "IPForward":
        return bool(legacy_forwarding_families(value))
    return parse_boolean(value) is True


def networkd_findings(state):
    networkd = state.networkd
    version = networkd.version
    if not networkd.installed or version is None:
        return []
    findings = []
    carriers = set(container_traffic_interfaces(state))
    ignored = ignored_forwarding_keys(version)
    honoured = honoured_forwarding_keys(version)
    for unit in networkd.network_files:
        network = effective_entries(unit.entries, "Network")
        has_honoured = any(e[1] in honoured for e in network)
        users = _links_using(state, unit)
        interface = users[0] if len(users) == 1 else None
        for _section, key, value, path, lineno in network:
            where = {"file": path, "line": lineno, "key": key, "value": value, "systemd_version": version,
                     "network_file": unit.path, "applies_to": users}
            if key in ignored:
                lost_intent = _enables_forwarding(key, value) and not has_honoured
                replacement = translate_forwarding_setting(key, value)
                findings.append(Finding(
                    "networkd_forwarding_key_ignored", "networkd", "error" if lost_intent else "warning", interface,
                    where, {"keys": [k for k, _v in replacement] or list(honoured)},
                    "In %s replace '%s=%s' by %s (a drop-in %s.d/*.conf works), then 'networkctl reload'; "
                    "or run hostnet.dockerhost.networkd_forwarding"
                    % (path, key, value, " and ".join("%s=%s" % kv for kv in replacement) or
                       "the keys %s" % "/".join(honoured), unit.path),
                    "systemd %d %s %s= in .network files, so this line has no effect%s."
                    % (version, "deprecated and ignores" if version >= FORWARDING_SPLIT_VERSION else "does not know",
                       key, " and the links it matches lose forwarding" if lost_intent else "")))
            elif key in honoured and version >= FORWARDING_SPLIT_VERSION and parse_boolean(value) is False:
                # Before 256 IPForward= only ever turns forwarding on (systemd.network(5): "one way only"),
                # so IPForward=no is not a fault there; from 256 IPv4Forwarding=no sets the link to 0.
                hits = sorted(set(users) & carriers)
                findings.append(Finding(
                    "networkd_forwarding_forced_off", "networkd", "error" if hits else "warning", interface,
                    dict(where, container_traffic_interfaces=hits), {key: "yes"},
                    "Set %s=yes in %s (or a drop-in) and run 'networkctl reload'" % (key, path),
                    "This .network turns forwarding off on the links it matches%s."
                    % (", which carry container traffic" if hits else "")))
    if version >= FORWARDING_SPLIT_VERSION:
        for conf in networkd.networkd_conf:
            for _section, key, value, path, lineno in effective_entries(conf.entries, "Network"):
                if key in ("IPv4Forwarding", "IPv6Forwarding") and parse_boolean(value) is False:
                    exposed = _carriers_without_own_key(state, carriers, key)
                    sysctl = "net.ipv4.ip_forward" if key == "IPv4Forwarding" else "net.ipv6.conf.all.forwarding"
                    findings.append(Finding(
                        "networkd_forwarding_forced_off", "networkd", "error", None,
                        {"file": path, "line": lineno, "key": key, "value": value, "systemd_version": version,
                         "container_traffic_interfaces_following_it": exposed},
                        {key: "(unset) or yes"},
                        "Remove '%s=%s' from %s (or override it in /etc/systemd/networkd.conf.d/), then "
                        "'systemctl restart systemd-networkd'" % (key, value, path),
                        # Measured on systemd 257 (lab scenario networkd_257): the global sysctl goes to 0 when
                        # networkd starts; a link whose .network sets the key to yes keeps forwarding.
                        "networkd.conf [Network] %s=no makes networkd set %s to 0 whenever it starts, undoing "
                        "what Docker set, and every link whose .network does not set %s=yes follows it%s."
                        % (key, sysctl, key, " (here: %s)" % ", ".join(exposed) if exposed else "")))
    return findings


# --------------------------------------------------------------------------------------------------------
# capture


def capture_findings(state):
    findings = []
    for lag in state.lags():
        if not lag.ports:
            continue
        stack = list(lag.ports) + [lag.name]
        upper = state.links.get(lag.master) if lag.master else None
        while upper is not None:
            stack.append(upper.name)
            upper = state.links.get(upper.master) if upper.master else None
        findings.append(Finding(
            "capture_any_duplicates", "capture", "info", lag.name,
            {"layers": stack}, {"capture_interface": lag.name},
            "tcpdump -i %s ...  # one copy of each frame; -i <port> for one physical link" % shell_quote(lag.name),
            "'tcpdump -i any' sees each frame once on the port (%s) and again on every layer above it (%s), "
            "which Wireshark shows as duplicates, retransmissions and out-of-order segments - not a fault."
            % ("/".join(lag.ports), " -> ".join(stack[len(lag.ports):]))))
    return findings


# --------------------------------------------------------------------------------------------------------
# host files


def file_problem_findings(state):
    findings = []
    for problem in state.file_problems:
        if problem.audited:
            continue  # read and audited all the same: an audit warning (audit_warnings), not a finding
        check = "networkd" if "systemd" in problem.path else "forwarding"
        findings.append(Finding(
            "host_file_unreadable", check, "warning", None,
            {"file": problem.path, "error": problem.error}, {"file": "readable"},
            "Check the file: ls -l -- %s; fix its syntax or permissions" % shell_quote(problem.path),
            "The audit could not read this file, so the %s check may miss faults it would reveal." % check))
    return findings


# check -> findings(state, options); options: strict, bridge_mac_policy
_CHECK_FUNCTIONS = {
    "promisc": lambda state, options: lag_port_promisc_findings(state, options["strict"]),
    "bridge_mac": lambda state, options: bridge_mac_findings(state, options["bridge_mac_policy"]),
    "forwarding": lambda state, options: forwarding_findings(state),
    "networkd": lambda state, options: networkd_findings(state),
    "capture": lambda state, options: capture_findings(state),
}


def sort_key(finding):
    return (SEVERITY_RANK[finding.severity], finding.check, finding.interface or "", finding.id)


def audit(state, checks=CHECKS, strict=False, include=None, exclude=None, bridge_mac_policy="auto"):
    """All findings for ``state``: only the selected checks, only interfaces in include / not in exclude."""
    findings = []
    options = {"strict": strict, "bridge_mac_policy": bridge_mac_policy}
    for check in checks:
        findings.extend(_CHECK_FUNCTIONS[check](state, options))
    findings.extend(f for f in file_problem_findings(state) if f.check in checks)
    if include:
        findings = [f for f in findings if f.interface is None or f.interface in include]
    if exclude:
        findings = [f for f in findings if f.interface not in exclude]
    return sorted(findings, key=sort_key)


def summarize(findings):
    summary = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        summary[finding.severity] += 1
    return summary


def is_compliant(findings):
    return not any(f.severity in ("error", "warning") for f in findings)


__all__ = ["CHECKS", "SEVERITIES", "FINDING_IDS", "Finding", "audit", "summarize", "is_compliant",
           "container_traffic_interfaces"]
