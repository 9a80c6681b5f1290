# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lag_port_promisc_findings: LAG ports under a bridge must really be promiscuous."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import lag_port_promisc_findings
from hostnet_builders import bond, bridge, by_interface, link, state, team


def bridged_bond(mode, active="eno1", eno1_promisc=True, eno2_promisc=True):
    return state(
        bridge("br0"),
        bond("bond0", mode, active=active, master="br0", promisc=True),
        link("eno1", "physical", master="bond0", slave_kind="bond", promisc=eno1_promisc,
             slave_state="active" if active == "eno1" else "backup"),
        link("eno2", "physical", master="bond0", slave_kind="bond", promisc=eno2_promisc,
             slave_state="active" if active == "eno2" else "backup"),
    )


def test_team_port_not_promisc_gives_one_error_for_that_port_only():
    host = state(
        bridge("br0"),
        team("team0", master="br0", promisc=True),
        link("eno1", "physical", master="team0", slave_kind="team", promisc=True),
        link("eno2", "physical", master="team0", slave_kind="team", promisc=False),
    )

    findings = lag_port_promisc_findings(host)

    assert [(f.id, f.severity, f.interface) for f in findings] == [("lag_port_not_promisc", "error", "eno2")]
    current = findings[0].current
    assert current["lag"] == "team0"
    assert current["lag_kind"] == "team"
    assert current["bridge"] == "br0"
    assert current["effective_promisc"] is False
    assert findings[0].expected == {"effective_promisc": True}
    assert "ip link set dev eno2 promisc on" in findings[0].remediation


@pytest.mark.parametrize("mode", ["active-backup", "balance-tlb", "balance-alb"])
def test_active_only_modes_backup_slave_not_promisc_is_info(mode):
    host = bridged_bond(mode, active="eno1", eno2_promisc=False)

    findings = lag_port_promisc_findings(host)

    assert [(f.severity, f.interface) for f in findings] == [("info", "eno2")]
    assert findings[0].current["bond_mode"] == mode
    assert findings[0].current["active_slave"] == "eno1"
    assert findings[0].current["slave_state"] == "backup"


@pytest.mark.parametrize("mode", ["active-backup", "balance-tlb", "balance-alb"])
def test_active_only_modes_backup_slave_not_promisc_is_error_when_strict(mode):
    host = bridged_bond(mode, active="eno1", eno2_promisc=False)

    findings = lag_port_promisc_findings(host, strict=True)

    assert [(f.severity, f.interface) for f in findings] == [("error", "eno2")]


@pytest.mark.parametrize("mode", ["active-backup", "balance-tlb", "balance-alb"])
def test_active_only_modes_active_slave_not_promisc_is_error(mode):
    host = bridged_bond(mode, active="eno1", eno1_promisc=False)

    findings = lag_port_promisc_findings(host)

    assert [(f.severity, f.interface) for f in findings] == [("error", "eno1")]


@pytest.mark.parametrize("mode", ["802.3ad", "balance-rr", "balance-xor", "broadcast"])
def test_all_port_modes_any_port_not_promisc_is_error(mode):
    # eno2 would be a "backup" in active-backup; in these modes every port must be promiscuous
    host = bridged_bond(mode, active=None, eno2_promisc=False)

    findings = lag_port_promisc_findings(host)

    assert [(f.severity, f.interface) for f in findings] == [("error", "eno2")]
    assert findings[0].current["bond_mode"] == mode


def test_all_ports_promisc_gives_nothing():
    assert lag_port_promisc_findings(bridged_bond("802.3ad")) == []


def test_lag_that_is_not_a_bridge_port_gives_nothing():
    host = state(
        bond("bond0", "802.3ad"),
        link("eno1", "physical", master="bond0", promisc=False),
        link("eno2", "physical", master="bond0", promisc=False),
    )

    assert lag_port_promisc_findings(host) == []


def test_lag_under_a_non_bridge_master_gives_nothing():
    host = state(
        link("vrf-blue", "vrf"),
        team("team0", master="vrf-blue"),
        link("eno1", "physical", master="team0", promisc=False),
    )

    assert lag_port_promisc_findings(host) == []


def test_sysfs_flags_override_a_positive_promiscuity_counter():
    host = state(
        bridge("br0"),
        team("team0", master="br0"),
        link("eno1", "physical", master="team0", promiscuity=1, sysfs_promisc=False),
    )

    findings = lag_port_promisc_findings(host)

    assert [f.interface for f in findings] == ["eno1"]
    assert findings[0].current["promiscuity"] == 1
    assert findings[0].current["sysfs_flags_promisc"] is False


def test_sysfs_flags_promisc_counts_even_with_zero_promiscuity_counter():
    host = state(
        bridge("br0"),
        team("team0", master="br0"),
        link("eno1", "physical", master="team0", promiscuity=0, sysfs_promisc=True),
    )

    assert lag_port_promisc_findings(host) == []


def test_promiscuity_counter_counts_when_sysfs_flags_unknown():
    host = state(
        bridge("br0"),
        team("team0", master="br0"),
        link("eno1", "physical", master="team0", promiscuity=2, sysfs_promisc=None),
    )

    assert lag_port_promisc_findings(host) == []


def test_promisc_flag_from_netlink_alone_does_not_count():
    # IFF_PROMISC in ifi_flags is only the administrative request; the NIC state is in sysfs flags
    host = state(
        bridge("br0"),
        team("team0", master="br0"),
        link("eno1", "physical", master="team0", promisc_flag=True, promiscuity=0, sysfs_promisc=False),
    )

    findings = lag_port_promisc_findings(host)

    assert [f.interface for f in findings] == ["eno1"]
    assert findings[0].current["promisc_flag"] is True


def test_effective_promisc_property():
    assert link("a", promisc_flag=True).effective_promisc is False
    assert link("b", promiscuity=1).effective_promisc is True
    assert link("c", promiscuity=1, sysfs_promisc=False).effective_promisc is False
    assert link("d", promiscuity=0, sysfs_promisc=True).effective_promisc is True


def test_names_never_matter():
    host = state(
        bridge("brx"),
        bond("agg7", "802.3ad", master="brx", promisc=True),
        link("lan0", "physical", master="agg7", promisc=False),
        link("lan1", "physical", master="agg7", promisc=True),
        link("ctr-a", "veth", master="brx", promisc=True),
    )

    findings = by_interface(lag_port_promisc_findings(host))

    assert list(findings) == ["lan0"]
    assert findings["lan0"].current["lag"] == "agg7"
    assert findings["lan0"].current["bridge"] == "brx"
