# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a person reads: looked at, changed, warnings, findings in words; the finding id guard."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import (
    FINDING_IDS,
    findings_to_junit,
    findings_to_markdown,
    fleet_summary,
    fleet_summary_text,
    select_findings,
)
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_words import describe_audited

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

DOCKER_AUDITED = {
    "links": 131,
    "bridges": 3,
    "bonds": 1,
    "teams": 0,
    "docker": {"running": True, "version": "20.10", "bridges": 2},
    "networkd": {"running": True, "version": 252},
    "network_manager": False,
    "description": "read 131 links: 3 bridges, 1 bond, Docker 20.10 with 2 bridges, systemd-networkd 252 running",
}
EMPTY_AUDITED = {
    "links": 2,
    "bridges": 0,
    "bonds": 0,
    "teams": 0,
    "docker": {"running": False, "version": None, "bridges": 0},
    "networkd": {"running": False, "version": None},
    "network_manager": False,
}
BRIDGE_MAC_FINDING = {
    "id": "bridge_mac_inherited",
    "check": "bridge_mac",
    "severity": "error",
    "interface": "br-5f2a",
    "current": {
        "mac": "02:42:ac:11:00:02",
        "addr_assign_type": 1,
        "lowest_port": "veth1c2d",
        "lowest_port_kind": "veth",
        "lowest_port_mac": "02:42:ac:11:00:02",
        "mac_if_lowest_port_leaves": "00:00:00:00:00:00",
    },
    "expected": {"addr_assign_type": 3},
    "remediation": "ip link set dev br-5f2a address 02:42:ac:11:00:02  # persist with hostnet.dockerhost.bridge_mac",
    "why": "br-5f2a has no MAC of its own, so it takes the lowest MAC of its ports.",
}
ENFORCED_NEW = {
    "findings_before": 4,
    "bridge_mac": [
        {
            "bridge": "br0",
            "before": "02:42:ac:11:00:02",
            "after": "52:54:00:12:34:56",
            "source": "uplink",
            "mac_changed": True,
            "backend": "systemd-networkd",
        }
    ],
    "promisc": [{"interface": "eno1", "master": "bond0", "backend": "systemd-networkd"}],
    "forwarding": [{"interface": "docker0", "backend": "systemd-networkd", "keys": ["IPv4Forwarding=yes"]}],
    "team_to_bond": [{"team": "team0", "bond": "bond0", "mode": "802.3ad", "ports": ["eno3", "eno4"], "backend": "nm"}],
}
ENFORCED_OLD = {
    "findings_before": 3,
    "promisc": ["eno1", "eno2"],
    "bridge_mac": ["br0"],
    "forwarding": ["docker0"],
    "team_to_bond": ["team0 -> bond0 (802.3ad, lacp_rate=fast; eno3 eno4) via nm"],
}


def result(*findings, **extra):
    return dict({"changed": False, "compliant": not findings, "findings": list(findings)}, **extra)


@pytest.fixture
def fleet():
    return {
        "broken": result(BRIDGE_MAC_FINDING, audited=DOCKER_AUDITED, warnings=["exclude names docker9, which this host does not have"]),
        "fixed": result(audited=DOCKER_AUDITED, enforced=ENFORCED_NEW),
        "fixed_old": result(enforced=ENFORCED_OLD),
        "healthy": result(audited=DOCKER_AUDITED),
        "empty": result(audited=EMPTY_AUDITED),
        "legacy": result(),
    }


def host_sections(markdown):
    parts = re.split(r"^## ", markdown, flags=re.M)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


# ----------------------------------------------------------------------------------------------- Markdown


def test_markdown_table_has_status_changed_and_looked_at(fleet):
    md = findings_to_markdown(fleet)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Host | Status | Errors | Warnings | Info | Changed by this run | Looked at |"
    assert rows[1:] == [
        "| broken | NOT compliant | 1 | 0 | 0 | — | %s |" % DOCKER_AUDITED["description"],
        "| empty | compliant, nothing to audit | 0 | 0 | 0 | — | read 2 links: no bridge, bond, team or Docker |",
        "| fixed | compliant | 0 | 0 | 0 | 1 bridge MAC pinned, 1 port made promiscuous, 1 interface given forwarding, "
        "1 team migrated to bonds | %s |" % DOCKER_AUDITED["description"],
        "| fixed_old | compliant | 0 | 0 | 0 | 1 bridge MAC pinned, 2 ports made promiscuous, 1 interface given forwarding, "
        "1 team migrated to bonds | — |",
        "| healthy | compliant | 0 | 0 | 0 | — | %s |" % DOCKER_AUDITED["description"],
        "| legacy | compliant | 0 | 0 | 0 | — | — |",
    ]
    assert "This run changed 9 things on 2 hosts." in md


def test_markdown_says_what_an_enforcing_run_changed_in_the_new_shape(fleet):
    section = host_sections(findings_to_markdown(fleet))["fixed"]
    assert "Compliant: no findings." in section
    changed = section[section.index("Changed by this run"):]
    assert changed.splitlines()[:7] == [
        "Changed by this run (4 findings before, 0 after):",
        "",
        "- bridge `br0` pinned from MAC `02:42:ac:11:00:02` to `52:54:00:12:34:56` (the uplink's MAC, systemd-networkd)",
        "- `eno1` made promiscuous (port of `bond0`, systemd-networkd)",
        "- `docker0` given IPv4 forwarding (`IPv4Forwarding=yes`, systemd-networkd)",
        "- team `team0` migrated to bond `bond0` (802.3ad, eno3 eno4, nm)",
        "",
    ]


def test_markdown_says_what_an_enforcing_run_changed_in_the_name_only_shape(fleet):
    section = host_sections(findings_to_markdown(fleet))["fixed_old"]
    assert "\n- bridge `br0` MAC pinned\n- `eno1` made promiscuous\n- `eno2` made promiscuous\n" in section
    assert "\n- `docker0` given IPv4 forwarding\n" in section
    assert "\n- team migrated: team0 -> bond0 (802.3ad, lacp_rate=fast; eno3 eno4) via nm\n" in section
    assert "(3 findings before, 0 after)" in section
    assert "Looked at" not in section  # no `audited`: no line, no guess


def test_markdown_tells_a_healthy_docker_host_from_one_with_nothing_to_audit(fleet):
    sections = host_sections(findings_to_markdown(fleet))
    assert "- Looked at: %s\n" % DOCKER_AUDITED["description"] in sections["healthy"]
    assert "nothing to audit" not in sections["healthy"]
    assert "Compliant, with nothing to audit: no bridge, bond, team or Docker on this host." in sections["empty"]
    assert "- Looked at: read 2 links: no bridge, bond, team or Docker\n" in sections["empty"]


def test_markdown_shows_host_warnings(fleet):
    section = host_sections(findings_to_markdown(fleet))["broken"]
    assert "- Warning: exclude names docker9, which this host does not have\n" in section


class _Event:
    msg = "from a WarningSummary"


class _WarningSummary:
    """Stands in for ansible-core 2.19's WarningSummary, which an action plugin may see in a raw result."""

    event = _Event()


def test_warnings_in_every_shape_ansible_may_hand_over():
    text = fleet_summary_text({"h": result(warnings=["plain", {"msg": "a dict"}, _WarningSummary(), "", None])})
    assert [line for line in text.splitlines() if "warning:" in line] == [
        "    warning: plain",
        "    warning: a dict",
        "    warning: from a WarningSummary",
    ]


def test_markdown_finding_block_in_words_with_addr_assign_type_explained(fleet):
    section = host_sections(findings_to_markdown(fleet))["broken"]
    block = section[section.index("### broken: bridge_mac_inherited on br-5f2a (error)"):]
    lines = block.splitlines()
    assert lines[2] == "Bridge br-5f2a has no MAC of its own and follows its ports."
    assert "- Why: br-5f2a has no MAC of its own, so it takes the lowest MAC of its ports." in lines
    assert "  - `addr_assign_type`: `1`, random (never set: a bridge then takes the lowest MAC of its ports)" in lines
    assert "  - lowest port: `veth1c2d`" in lines
    assert "  - MAC if that port leaves: `00:00:00:00:00:00`" in lines
    assert "- Expected: `addr_assign_type`: `3`, set by user space (ip link, networkd, NetworkManager): a bridge keeps it" in lines
    fence = lines.index("```sh")
    assert lines[fence + 1] == BRIDGE_MAC_FINDING["remediation"]
    assert lines[fence + 2] == "```"
    assert "{" not in block, "no raw JSON"


def test_markdown_without_any_enforcement_has_no_changed_column():
    md = findings_to_markdown({"h": result(audited=DOCKER_AUDITED)})
    assert "| Host | Status | Errors | Warnings | Info | Looked at |" in md
    assert "Changed" not in md and "changed" not in md


def test_an_enforcing_run_that_changed_nothing_says_so():
    md = findings_to_markdown({"h": result(enforced={"findings_before": 0, "promisc": [], "bridge_mac": []})})
    assert "This run changed nothing on this host (0 findings before, 0 after)." in md
    assert "This run enforced on 1 host and changed nothing." in md


def test_a_kind_of_change_this_version_does_not_know_is_shown_as_it_is():
    md = findings_to_markdown({"h": result(enforced={"mtu": [{"interface": "br0", "mtu": 9000}]})})
    assert '- mtu: {"interface": "br0", "mtu": 9000}' in md


# ------------------------------------------------------------------------------------------- summary text


def test_summary_text_one_line_per_quiet_host_and_details_for_the_others(fleet):
    text = fleet_summary_text(fleet, report_dir="/srv/audit/")
    assert text.endswith("\n")
    assert text.splitlines() == [
        "hostnet.dockerhost audit: 6 hosts, 5 compliant, 1 not compliant, 0 not audited",
        "findings: 1 error, 0 warning, 0 info",
        "this run changed 9 things on 2 hosts",
        "  broken: NOT compliant (1 error, 0 warning, 0 info)",
        "    looked at: %s" % DOCKER_AUDITED["description"],
        "    warning: exclude names docker9, which this host does not have",
        "    [error] bridge_mac_inherited: bridge br-5f2a has no MAC of its own and follows its ports"
        " -> ip link set dev br-5f2a address 02:42:ac:11:00:02 # persist with hostnet.dockerhost.bridge_mac",
        "  empty: compliant, nothing to audit - read 2 links: no bridge, bond, team or Docker",
        "  fixed: compliant",
        "    looked at: %s" % DOCKER_AUDITED["description"],
        "    changed: bridge br0 pinned from MAC 02:42:ac:11:00:02 to 52:54:00:12:34:56 (the uplink's MAC, systemd-networkd)",
        "    changed: eno1 made promiscuous (port of bond0, systemd-networkd)",
        "    changed: docker0 given IPv4 forwarding (IPv4Forwarding=yes, systemd-networkd)",
        "    changed: team team0 migrated to bond bond0 (802.3ad, eno3 eno4, nm)",
        "  fixed_old: compliant",
        "    changed: bridge br0 MAC pinned",
        "    changed: eno1 made promiscuous",
        "    changed: eno2 made promiscuous",
        "    changed: docker0 given IPv4 forwarding",
        "    changed: team migrated: team0 -> bond0 (802.3ad, lacp_rate=fast; eno3 eno4) via nm",
        "  healthy: compliant - %s" % DOCKER_AUDITED["description"],
        "  legacy: compliant",
        "report: /srv/audit/report.md (also report.json, junit.xml)",
    ]


def test_summary_text_without_report_dir_and_of_an_empty_fleet():
    assert fleet_summary_text({}) == (
        "hostnet.dockerhost audit: 0 hosts, 0 compliant, 0 not compliant, 0 not audited\n"
        "findings: 0 error, 0 warning, 0 info\n"
    )
    with pytest.raises(AnsibleFilterError, match=r"report_dir: expected a directory \(a string\), got int"):
        fleet_summary_text({}, report_dir=3)


def test_summary_text_bridge_pinned_to_its_own_mac():
    enforced = {"bridge_mac": [{"bridge": "br0", "before": "02:00:00:00:00:01", "after": "02:00:00:00:00:01",
                                "source": "kept", "mac_changed": False}]}
    text = fleet_summary_text({"h": result(enforced=enforced)})
    assert "    changed: bridge br0 pinned to its current MAC 02:00:00:00:00:01 (kept its current MAC)\n" in text


# ---------------------------------------------------------------------------------------- JUnit, summary


def test_junit_keeps_one_case_per_check_and_tells_looked_at_and_changed_per_host(fleet):
    root = ET.fromstring(findings_to_junit(fleet).encode("utf-8"))
    for suite in root.findall("testsuite"):
        assert [case.get("name") for case in suite.findall("testcase")] == ["promisc", "bridge_mac", "forwarding", "networkd", "capture"]
    failure = root.find("testsuite[@name='broken']/testcase[@name='bridge_mac']/failure")
    assert failure.get("message") == "bridge_mac_inherited: bridge br-5f2a has no MAC of its own and follows its ports"
    told = root.find("testsuite[@name='fixed']/system-out").text.splitlines()
    assert told[0] == "looked at: %s" % DOCKER_AUDITED["description"]
    assert "changed: eno1 made promiscuous (port of bond0, systemd-networkd)" in told
    assert "warning: exclude names docker9, which this host does not have" in root.find("testsuite[@name='broken']/system-out").text
    assert root.find("testsuite[@name='legacy']/system-out") is None


def test_summary_counts_changes(fleet):
    summary = fleet_summary(fleet)
    assert summary["changed_hosts"] == ["fixed", "fixed_old"]
    assert summary["by_host"]["fixed"]["changes"] == 4
    assert summary["by_host"]["fixed_old"]["changes"] == 5
    assert summary["by_host"]["healthy"]["changes"] == 0


@pytest.mark.parametrize(
    "extra, pattern",
    [
        ({"enforced": ["eno1"]}, r"fleet\['h'\]\.enforced: expected a dict \(what the enforcing run changed\), got list"),
        ({"enforced": {"promisc": "eno1"}}, r"fleet\['h'\]\.enforced\.promisc: expected a list, got string"),
        ({"enforced": {"bridge_mac": [3]}}, r"fleet\['h'\]\.enforced\.bridge_mac\[0\]: expected a name or a dict, got int"),
        ({"audited": "131 links"}, r"fleet\['h'\]\.audited: expected a dict \(what the audit looked at\), got string"),
        ({"warnings": {"a": 1}}, r"fleet\['h'\]\.warnings: expected a list of strings, got dict"),
    ],
)
def test_bad_audited_enforced_warnings_name_the_input(extra, pattern):
    with pytest.raises(AnsibleFilterError, match=pattern):
        findings_to_markdown({"h": result(**extra)})


# ------------------------------------------------------------------------------------------- looked at


def test_looked_at_is_built_from_the_counts_when_the_module_gave_no_description():
    audited = dict(DOCKER_AUDITED, description=None, teams=2, network_manager=True)
    assert describe_audited(audited) == (
        "read 131 links: 3 bridges, 1 bond, 2 teams, Docker 20.10 with 2 bridges, systemd-networkd 252 running, "
        "NetworkManager running"
    )
    assert describe_audited(EMPTY_AUDITED) == "read 2 links: no bridge, bond, team or Docker"
    assert describe_audited(None) is None
    assert describe_audited({"bridges": 1}) == "read the host: 1 bridge"


def test_a_failed_host_is_never_nothing_to_audit():
    md = findings_to_markdown({"h": {"failed": True, "msg": "boom", "audited": EMPTY_AUDITED}})
    assert "| h | audit failed |" in md and "nothing to audit" not in md


# ---------------------------------------------------------------------------------------- finding ids


def test_select_findings_refuses_an_unknown_finding_id_and_lists_the_valid_ones(fleet):
    with pytest.raises(AnsibleFilterError) as caught:
        select_findings(fleet, ids=["bridge_mac_inherted"])
    message = str(caught.value)
    assert message.startswith("ids: unknown finding id(s) 'bridge_mac_inherted'; valid ids: ")
    for known in ("lag_port_not_promisc", "bridge_mac_inherited", "interface_forwarding_off", "global_forwarding_off",
                  "networkd_forwarding_key_ignored", "networkd_forwarding_forced_off", "capture_any_duplicates",
                  "host_file_unreadable", "audit_failed"):
        assert known in message
    with pytest.raises(AnsibleFilterError, match=r"unknown finding id\(s\) 'nope', 'nada'"):
        select_findings([], ids=["bridge_mac_inherited", "nope", "nada"])


def test_select_findings_accepts_a_known_id_with_no_finding_and_an_id_present_in_the_input(fleet):
    assert select_findings(fleet, ids="lag_port_not_promisc") == []
    newer = {"h": result({"id": "bridge_unpinned_empty", "check": "bridge_mac", "severity": "warning", "interface": "br-1"})}
    assert [f["id"] for f in select_findings(newer, ids=["bridge_unpinned_empty"])] == ["bridge_unpinned_empty"]


def test_every_finding_id_the_collection_emits_is_known_to_the_reports():
    """A new finding in module_utils needs its words in FINDING_IDS (and becomes a valid ids= value)."""
    emitted = set()
    for folder, _dirs, files in os.walk(os.path.join(REPO_ROOT, "plugins", "module_utils")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    emitted.update(re.findall(r"\bFinding\(\s*\"([a-z0-9_]+)\"", handle.read()))
    assert emitted, "no Finding(...) found: the pattern of this test is out of date"
    assert emitted <= set(FINDING_IDS), sorted(emitted - set(FINDING_IDS))
