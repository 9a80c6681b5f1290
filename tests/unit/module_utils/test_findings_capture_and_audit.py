# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""capture_findings, file_problem_findings and the audit() entry point."""

from __future__ import annotations

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import (
    CHECKS,
    FINDING_IDS,
    Finding,
    SEVERITIES,
    audit,
    capture_findings,
    file_problem_findings,
    is_compliant,
    summarize,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import FileProblem
from hostnet_builders import bond, bridge, docker, link, networkd, state, team, unit


# --------------------------------------------------------------------------------------------------------
# capture


def test_each_lag_with_ports_gives_one_capture_info():
    host = state(
        bridge("br0"),
        bond("bond0", "802.3ad", master="br0"),
        link("eno1", "physical", master="bond0"),
        link("eno2", "physical", master="bond0"),
        team("team0"),
        link("eno3", "physical", master="team0"),
    )

    findings = {f.interface: f for f in capture_findings(host)}

    assert sorted(findings) == ["bond0", "team0"]
    assert all(f.id == "capture_any_duplicates" and f.severity == "info" for f in findings.values())
    assert findings["bond0"].expected == {"capture_interface": "bond0"}
    assert findings["bond0"].current == {"layers": ["eno1", "eno2", "bond0", "br0"]}
    assert findings["team0"].current == {"layers": ["eno3", "team0"]}
    assert findings["bond0"].remediation.startswith("tcpdump -i bond0 ")


def test_capture_layers_follow_masters_all_the_way_up():
    host = state(
        link("vrf-blue", "vrf"),
        bridge("br0", master="vrf-blue"),
        bond("bond0", "active-backup", master="br0"),
        link("eno1", "physical", master="bond0"),
    )

    (finding,) = capture_findings(host)

    assert finding.current["layers"] == ["eno1", "bond0", "br0", "vrf-blue"]


def test_no_lags_no_capture_findings():
    host = state(bridge("br0"), link("eno1", "physical", master="br0"), link("veth1", "veth", master="br0"))

    assert capture_findings(host) == []


def test_lag_without_ports_gives_no_capture_finding():
    assert capture_findings(state(bond("bond0", "802.3ad"), team("team0"))) == []


# --------------------------------------------------------------------------------------------------------
# host files


def test_unreadable_files_are_warnings_attributed_to_the_check_that_needed_them():
    host = state(file_problems=[
        FileProblem("/etc/systemd/network/10-x.network", "Permission denied"),
        FileProblem("/etc/docker/daemon.json", "not valid JSON: Expecting value"),
        FileProblem("/proc/sys/net/ipv4/ip_forward", "Permission denied"),
    ])

    findings = file_problem_findings(host)

    assert [(f.id, f.severity, f.check, f.current["file"]) for f in findings] == [
        ("host_file_unreadable", "warning", "networkd", "/etc/systemd/network/10-x.network"),
        ("host_file_unreadable", "warning", "forwarding", "/etc/docker/daemon.json"),
        ("host_file_unreadable", "warning", "forwarding", "/proc/sys/net/ipv4/ip_forward"),
    ]
    assert findings[0].current["error"] == "Permission denied"
    assert all(f.interface is None for f in findings)


def test_audit_keeps_file_findings_only_for_selected_checks():
    host = state(file_problems=[
        FileProblem("/run/systemd/netif/links", "Permission denied"),
        FileProblem("/etc/docker/daemon.json", "Permission denied"),
    ])

    assert [f.check for f in audit(host, checks=("networkd",))] == ["networkd"]
    assert [f.check for f in audit(host, checks=("forwarding",))] == ["forwarding"]
    assert audit(host, checks=("promisc",)) == []


# --------------------------------------------------------------------------------------------------------
# audit()


def faulty_host():
    """One fault per check, on links with unremarkable names."""
    conf_path = "/etc/systemd/networkd.conf"
    return state(
        bridge("brx", addr_assign_type=1, mac="02:00:00:00:00:01", forwarding_ipv4=False),
        link("ctr-a", "veth", master="brx", mac="02:00:00:00:00:01"),
        team("agg7", master="brx", mac="5a:00:00:00:00:07", promisc=True),
        link("lan0", "physical", master="agg7", promisc=False),
        link("lan1", "physical", master="agg7", promisc=True),
        ip_forward=True,
        docker=docker(present=True),
        networkd=networkd(257, networkd_conf=[unit(conf_path, "[Network]\nIPv4Forwarding=no\n")],
                          link_network_file={}),
    )


def test_audit_runs_every_check_by_default():
    findings = audit(faulty_host())

    assert {f.check for f in findings} == set(CHECKS)
    assert {f.id for f in findings} == {
        "lag_port_not_promisc", "bridge_mac_inherited", "interface_forwarding_off",
        "networkd_forwarding_forced_off", "capture_any_duplicates",
    }


def test_audit_runs_only_selected_checks():
    findings = audit(faulty_host(), checks=("promisc", "capture"))

    assert sorted(f.id for f in findings) == ["capture_any_duplicates", "lag_port_not_promisc"]


def test_audit_include_keeps_listed_interfaces_and_host_wide_findings():
    findings = audit(faulty_host(), include=["lan0"])

    assert sorted((f.id, f.interface) for f in findings) == [
        ("lag_port_not_promisc", "lan0"),
        ("networkd_forwarding_forced_off", None),
    ]


def test_audit_exclude_drops_listed_interfaces_only():
    findings = audit(faulty_host(), exclude=["brx", "agg7"])

    assert sorted((f.id, f.interface) for f in findings) == [
        ("lag_port_not_promisc", "lan0"),
        ("networkd_forwarding_forced_off", None),
    ]


def test_audit_sorts_errors_first_then_warnings_then_info():
    host = state(
        bridge("br0", addr_assign_type=1, mac="00:11:22:33:44:55"),
        link("eno1", "physical", master="br0", mac="00:11:22:33:44:55"),  # warning
        bond("bond0", "active-backup", active="eno2", master="br0", promisc=True, mac="02:00:00:00:00:09"),
        link("eno2", "physical", master="bond0", promisc=False),  # error: active slave
        link("eno3", "physical", master="bond0", promisc=False),  # info: backup slave
        # capture info for bond0
    )

    findings = audit(host)

    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=SEVERITIES.index)
    assert severities[0] == "error" and severities[-1] == "info"
    assert [(f.severity, f.interface) for f in findings] == [
        ("error", "eno2"),
        ("warning", "br0"),
        ("info", "bond0"),
        ("info", "eno3"),
    ]


def test_audit_strict_turns_backup_slave_info_into_error():
    host = state(
        bridge("br0"),
        bond("bond0", "active-backup", active="eno2", master="br0", promisc=True),
        link("eno2", "physical", master="bond0", promisc=True),
        link("eno3", "physical", master="bond0", promisc=False),
    )

    assert [f.severity for f in audit(host, checks=("promisc",))] == ["info"]
    assert [f.severity for f in audit(host, checks=("promisc",), strict=True)] == ["error"]


def test_clean_host_gives_nothing():
    host = state(
        bridge("br0", addr_assign_type=3, forwarding_ipv4=True),
        link("veth1", "veth", master="br0"),
        ip_forward=True,
        docker=docker("br0"),
    )

    assert audit(host) == []


def finding(severity):
    return Finding("x", "promisc", severity, None, None, None, "", "")


def test_summarize_counts_every_severity():
    assert summarize([finding("error"), finding("info"), finding("info")]) == {"error": 1, "warning": 0, "info": 2}
    assert summarize([]) == {"error": 0, "warning": 0, "info": 0}


def test_compliance_ignores_info_only():
    assert is_compliant([]) is True
    assert is_compliant([finding("info"), finding("info")]) is True
    assert is_compliant([finding("info"), finding("warning")]) is False
    assert is_compliant([finding("error")]) is False


def test_every_finding_id_names_its_check():
    findings = audit(faulty_host())

    for item in findings:
        assert FINDING_IDS[item.id] in (item.check, None)
        assert set(item.to_dict()) == {"id", "check", "severity", "interface", "current", "expected",
                                       "remediation", "why"}
