# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bridge_mac_findings: a bridge without a MAC of its own takes the lowest port MAC and flips with it."""

from __future__ import annotations

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import ZERO_MAC, bridge_mac_findings
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import choose_bridge_mac, ports_by_mac
from hostnet_builders import bond, bridge, link, state

INHERITED = 1  # NET_ADDR_RANDOM: what sysfs shows for a bridge that took a port's MAC
SET = 3


def test_inherited_mac_with_veth_lowest_port_is_error():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
        link("eno1", "physical", master="br0", mac="52:54:00:00:00:09"),
        link("veth2", "veth", master="br0", mac="02:00:00:00:00:05"),
    )

    findings = bridge_mac_findings(host)

    assert [(f.id, f.severity, f.interface) for f in findings] == [("bridge_mac_inherited", "error", "br0")]
    current = findings[0].current
    assert current["lowest_port"] == "veth1"
    assert current["lowest_port_kind"] == "veth"
    assert current["lowest_port_mac"] == "02:00:00:00:00:01"
    assert current["mac_if_lowest_port_leaves"] == "02:00:00:00:00:05"
    assert current["addr_assign_type"] == INHERITED
    assert findings[0].expected == {"addr_assign_type": SET}


def test_single_port_bridge_falls_back_to_zero_mac_when_it_leaves():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
    )

    findings = bridge_mac_findings(host)

    assert findings[0].current["mac_if_lowest_port_leaves"] == "00:00:00:00:00:00" == ZERO_MAC


def test_physical_lowest_port_is_warning():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="00:11:22:33:44:55"),
        link("eno1", "physical", master="br0", mac="00:11:22:33:44:55"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
    )

    findings = bridge_mac_findings(host)

    assert [(f.severity, f.current["lowest_port"]) for f in findings] == [("warning", "eno1")]


def test_bond_lowest_port_is_warning():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="00:11:22:33:44:55"),
        bond("bond0", "802.3ad", master="br0", mac="00:11:22:33:44:55"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
    )

    findings = bridge_mac_findings(host)

    assert [(f.severity, f.current["lowest_port_kind"]) for f in findings] == [("warning", "bond")]


def test_bridge_with_mac_set_gives_nothing():
    host = state(
        bridge("br0", addr_assign_type=SET, mac="02:00:00:00:00:01"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
    )

    assert bridge_mac_findings(host) == []


def test_an_unpinned_bridge_without_ports_is_a_warning_it_will_take_its_first_port_mac():
    host = state(bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"))

    [finding] = bridge_mac_findings(host)

    assert (finding.id, finding.severity, finding.interface) == ("bridge_mac_inherited", "warning", "br0")
    assert finding.current == {"mac": "02:00:00:00:00:01", "addr_assign_type": INHERITED, "ports": 0}
    assert "will take the MAC of the first port that joins" in finding.why
    assert finding.remediation.startswith("ip link set dev br0 address 02:00:00:00:00:01  # keeps the current MAC")


def test_a_pinned_bridge_without_ports_is_fine():
    assert bridge_mac_findings(state(bridge("br0", addr_assign_type=SET, mac="02:00:00:00:00:01"))) == []


def test_an_empty_bridge_with_a_zero_mac_is_told_the_derived_mac_or_to_choose_one():
    host = state(bridge("br0", addr_assign_type=INHERITED, mac=ZERO_MAC))
    [finding] = bridge_mac_findings(host)
    assert "address 02:xx:xx:xx:xx:xx  # put a unicast, locally administered MAC there" in finding.remediation
    host.machine_id = "0123456789abcdef0123456789abcdef"
    [finding] = bridge_mac_findings(host)
    assert "# a MAC derived from /etc/machine-id" in finding.remediation


def test_ports_without_mac_are_ignored():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
        link("wg0", "wireguard", master="br0", mac=None),
    )

    [finding] = bridge_mac_findings(host)
    assert finding.severity == "warning" and finding.current["ports"] == 1


def test_mac_ordering_is_bytewise_not_by_string():
    # the kernel compares the six bytes with memcmp: 09 < 0a < 10 < 1f < a0
    host = state(
        bridge("br0", addr_assign_type=INHERITED),
        link("p-a0", "veth", master="br0", mac="a0:00:00:00:00:00"),
        link("p-1f", "veth", master="br0", mac="1f:ff:ff:ff:ff:ff"),
        link("p-0a", "veth", master="br0", mac="0a:00:00:00:00:00"),
        link("p-10", "veth", master="br0", mac="10:00:00:00:00:00"),
        link("p-09", "veth", master="br0", mac="09:ff:ff:ff:ff:ff"),
    )

    ordered = [p.name for p in ports_by_mac(host, host.links["br0"])]

    assert ordered == ["p-09", "p-0a", "p-10", "p-1f", "p-a0"]


def test_mac_ordering_ignores_hex_case():
    # as text "0B" < "0a" (uppercase sorts first); as bytes 0x0a < 0x0b
    host = state(
        bridge("br0", addr_assign_type=INHERITED),
        link("upper", "veth", master="br0", mac="0B:00:00:00:00:00"),
        link("lower", "veth", master="br0", mac="0a:00:00:00:00:00"),
        link("low", "veth", master="br0", mac="09:00:00:00:00:00"),
    )

    ordered = [p.name for p in ports_by_mac(host, host.links["br0"])]

    assert ordered == ["low", "lower", "upper"]


def test_lowest_port_picked_bytewise_in_finding():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="0a:00:00:00:00:02"),
        link("eno1", "physical", master="br0", mac="10:00:00:00:00:01"),
        link("veth9", "veth", master="br0", mac="0a:00:00:00:00:02"),
    )

    findings = bridge_mac_findings(host)

    assert findings[0].current["lowest_port"] == "veth9"
    assert findings[0].current["mac_if_lowest_port_leaves"] == "10:00:00:00:00:01"


def test_remediation_keeps_the_gateway_mac_even_when_it_came_from_a_veth():
    # The least disruptive pin: the neighbours keep the MAC they know (bridge_mac policy=auto does the same).
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
        link("eno1", "physical", master="br0", mac="52:54:00:00:00:09"),
        link("eno2", "physical", master="br0", mac="52:54:00:00:00:07"),
    )

    remediation = bridge_mac_findings(host)[0].remediation
    assert "ip link set dev br0 address 02:00:00:00:00:01  # keeps the current MAC" in remediation


def test_remediation_keeps_the_current_mac_when_it_came_from_a_physical_port():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="00:11:22:33:44:55"),
        link("eno1", "physical", master="br0", mac="00:11:22:33:44:55"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
    )

    assert "address 00:11:22:33:44:55" in bridge_mac_findings(host)[0].remediation


def test_remediation_keeps_the_veth_mac_when_only_veths_are_ports():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
        link("veth2", "veth", master="br0", mac="02:00:00:00:00:02"),
    )

    assert "address 02:00:00:00:00:01  # keeps the current MAC" in bridge_mac_findings(host)[0].remediation


def test_names_never_matter():
    host = state(
        bridge("brx", addr_assign_type=INHERITED, mac="02:aa:00:00:00:01"),
        link("ctr-a", "veth", master="brx", mac="02:aa:00:00:00:01"),
        bond("agg7", "802.3ad", master="brx", mac="5a:00:00:00:00:07"),
        link("lan0", "physical", master="agg7", mac="5a:00:00:00:00:07"),
    )

    findings = bridge_mac_findings(host)

    assert [(f.interface, f.severity, f.current["lowest_port"]) for f in findings] == [("brx", "error", "ctr-a")]
    assert findings[0].current["mac_if_lowest_port_leaves"] == "5a:00:00:00:00:07"
    assert "address 02:aa:00:00:00:01  # keeps the current MAC" in findings[0].remediation


def test_the_remediation_names_the_mac_the_runs_policy_would_pin():
    host = state(
        bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
        link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"),
        link("eno1", "physical", master="br0", mac="52:54:00:00:00:09"),
    )
    host.machine_id = "0123456789abcdef0123456789abcdef"
    assert "address 02:00:00:00:00:01  # keeps the current MAC" in bridge_mac_findings(host, "auto")[0].remediation
    assert "address 52:54:00:00:00:09  # takes the uplink's MAC" in bridge_mac_findings(host, "uplink")[0].remediation
    derived = bridge_mac_findings(host, "derived")[0].remediation
    mac, source = choose_bridge_mac(host, host.links["br0"], policy="derived", machine_id=host.machine_id)
    assert source == "derived" and mac not in ("02:00:00:00:00:01", "52:54:00:00:00:09")
    assert "address %s  # a MAC derived from /etc/machine-id" % mac in derived


def test_the_uplink_policy_on_a_bridge_of_veths_says_why_it_cannot_pin():
    host = state(bridge("br0", addr_assign_type=INHERITED, mac="02:00:00:00:00:01"),
                 link("veth1", "veth", master="br0", mac="02:00:00:00:00:01"))
    remediation = bridge_mac_findings(host, "uplink")[0].remediation
    assert "policy=uplink: bridge br0 has no port other than container veths" in remediation
