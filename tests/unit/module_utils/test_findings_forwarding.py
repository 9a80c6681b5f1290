# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""forwarding_findings: the host forwards, but an interface carrying container traffic does not."""

from __future__ import annotations

import json

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import (
    container_traffic_interfaces,
    forwarding_findings,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.docker import read_docker
from hostnet_builders import bond, bridge, docker, link, state


def per_interface(findings):
    return [(f.interface, f.current["family"]) for f in findings if f.id == "interface_forwarding_off"]


@pytest.mark.parametrize("name", ["docker0", "br-0123456789ab"])
def test_docker_bridge_with_forwarding_off_is_flagged(name):
    host = state(bridge(name, forwarding_ipv4=False), ip_forward=True, docker=docker(name))

    findings = forwarding_findings(host)

    assert [(f.id, f.severity, f.interface) for f in findings] == [("interface_forwarding_off", "error", name)]
    sysctl = "net.ipv4.conf.%s.forwarding" % name
    assert findings[0].current == {sysctl: 0, "family": "ipv4"}
    assert findings[0].expected == {sysctl: 1}
    assert "sysctl -w %s=1" % sysctl in findings[0].remediation


def test_daemon_json_configured_bridge_is_a_docker_bridge(tmp_path):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text(json.dumps({"bridge": "brx"}))
    links = state(bridge("brx", forwarding_ipv4=False), bridge("brlab", forwarding_ipv4=False)).links
    problems = []

    host = state(*links.values(), ip_forward=True,
                 docker=read_docker(links, problems, daemon_json=str(daemon_json), sockets=()))

    assert problems == []
    assert host.docker.configured_bridge == "brx"
    assert host.docker.bridges == ["brx"]
    assert per_interface(forwarding_findings(host)) == [("brx", "ipv4")]


def test_docker_bridge_with_forwarding_on_gives_nothing():
    host = state(bridge("docker0", forwarding_ipv4=True), ip_forward=True, docker=docker("docker0"))

    assert forwarding_findings(host) == []


def test_unknown_interface_forwarding_gives_nothing():
    host = state(bridge("docker0", forwarding_ipv4=None), ip_forward=True, docker=docker("docker0"))

    assert forwarding_findings(host) == []


def test_default_route_uplink_with_forwarding_off_is_flagged():
    host = state(
        link("eno1", "physical", forwarding_ipv4=False),
        link("eno2", "physical", forwarding_ipv4=False),
        ip_forward=True,
        default_route_interfaces=["eno1"],
    )

    assert per_interface(forwarding_findings(host)) == [("eno1", "ipv4")]


def test_bridge_with_veth_ports_carries_container_traffic():
    host = state(
        bridge("brx", forwarding_ipv4=False),
        link("ctr-a", "veth", master="brx"),
        bridge("brphys", forwarding_ipv4=False),
        link("eno1", "physical", master="brphys"),
        ip_forward=True,
    )

    assert container_traffic_interfaces(host) == ["brx"]
    assert per_interface(forwarding_findings(host)) == [("brx", "ipv4")]


def test_bridge_that_is_itself_a_port_is_not_a_carrier():
    host = state(
        link("vrf-blue", "vrf"),
        bridge("brx", forwarding_ipv4=False, master="vrf-blue"),
        link("ctr-a", "veth", master="brx"),
        ip_forward=True,
    )

    assert container_traffic_interfaces(host) == []


def test_ports_of_a_bridge_are_not_flagged():
    # the veth and the bond are bridge ports: only the bridge routes
    host = state(
        bridge("docker0", forwarding_ipv4=True),
        link("veth1", "veth", master="docker0", forwarding_ipv4=False),
        bond("bond0", "802.3ad", master="docker0", forwarding_ipv4=False),
        ip_forward=True,
        docker=docker("docker0"),
    )

    assert forwarding_findings(host) == []


def test_host_not_forwarding_gives_no_per_interface_finding():
    host = state(bridge("docker0", forwarding_ipv4=False), ip_forward=False, docker=docker("docker0", present=False))

    assert forwarding_findings(host) == []


def test_host_forwarding_unknown_gives_no_per_interface_finding():
    host = state(bridge("docker0", forwarding_ipv4=False), ip_forward=None, docker=docker("docker0"))

    assert forwarding_findings(host) == []


def test_docker_host_without_ip_forward_is_a_global_error():
    host = state(bridge("docker0", forwarding_ipv4=False), ip_forward=False, docker=docker("docker0"))

    findings = forwarding_findings(host)

    assert [(f.id, f.severity, f.interface) for f in findings] == [("global_forwarding_off", "error", None)]
    assert findings[0].current == {"net.ipv4.ip_forward": 0}
    assert findings[0].expected == {"net.ipv4.ip_forward": 1}


def test_docker_present_without_bridges_still_needs_ip_forward():
    host = state(link("eno1", "physical"), ip_forward=False, docker=docker(present=True))

    assert [f.id for f in forwarding_findings(host)] == ["global_forwarding_off"]


def test_not_a_docker_host_gives_no_global_finding():
    host = state(link("eno1", "physical"), ip_forward=False, docker=docker(present=False))

    assert forwarding_findings(host) == []


def test_ipv6_per_interface_forwarding_off_is_not_an_error():
    # Measured on the build kernel (6.18) with three namespaces: all.forwarding=1 and
    # conf.<ingress>.forwarding=0 still forwards IPv6 (ip6_forward() only reads devconf_all; per-interface
    # IPv6 forwarding selects host/router behaviour), while the IPv4 analogue drops. An error claiming
    # "routed container traffic ... is dropped" is a false alarm for IPv6.
    host = state(
        bridge("docker0", forwarding_ipv4=True, forwarding_ipv6=False),
        ip_forward=True,
        ipv6_forwarding=True,
        docker=docker("docker0"),
    )

    errors = [f for f in forwarding_findings(host) if f.severity == "error"]

    assert [(f.interface, f.current.get("family")) for f in errors] == []


def test_ipv6_host_not_forwarding_gives_no_ipv6_finding():
    host = state(
        bridge("docker0", forwarding_ipv4=True, forwarding_ipv6=False),
        ip_forward=True,
        ipv6_forwarding=False,
        docker=docker("docker0"),
    )

    assert forwarding_findings(host) == []


def test_vlan_names_use_slash_in_sysctl_path():
    host = state(link("eno1.100", "vlan", forwarding_ipv4=False), ip_forward=True,
                 default_route_interfaces=["eno1.100"])

    findings = forwarding_findings(host)

    assert "net.ipv4.conf.eno1/100.forwarding" in findings[0].current


def test_names_never_matter():
    host = state(
        bridge("brx", forwarding_ipv4=False),
        link("ctr-a", "veth", master="brx", forwarding_ipv4=False),
        bond("agg7", "802.3ad", forwarding_ipv4=False),
        link("lan0", "physical", master="agg7"),
        ip_forward=True,
        default_route_interfaces=["agg7"],
        docker=docker(present=True),
    )

    assert per_interface(forwarding_findings(host)) == [("agg7", "ipv4"), ("brx", "ipv4")]
