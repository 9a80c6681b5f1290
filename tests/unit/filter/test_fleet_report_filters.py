# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the fleet report filters, with hand-built fleets."""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import re
import textwrap
import xml.etree.ElementTree as ET

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet_filters as fleet_report
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters import (
    CHECKS,
    findings_to_junit,
    findings_to_markdown,
    fleet_findings,
    fleet_summary,
    render_value,
    select_findings,
)

FILTER_NAMES = (
    "fleet_findings",
    "select_findings",
    "fleet_summary",
    "findings_to_junit",
    "findings_to_markdown",
    "fleet_summary_text",
)


def finding(id_, check, severity, interface=None, current=None, expected=None, remediation=None, why=None):
    return {
        "id": id_,
        "check": check,
        "severity": severity,
        "interface": interface,
        "current": current,
        "expected": expected,
        "remediation": remediation or "fix %s" % id_,
        "why": why or "because %s" % id_,
    }


def host_result(*findings, compliant=None):
    counts = {"error": 0, "warning": 0, "info": 0}
    for item in findings:
        counts[item["severity"]] += 1
    if compliant is None:
        compliant = not (counts["error"] or counts["warning"])
    return {"changed": False, "compliant": compliant, "summary": counts, "findings": list(findings)}


@pytest.fixture
def fleet():
    """Four hosts: one broken, one failed, one info-only, one clean. Findings deliberately out of order."""
    return {
        "web2": host_result(
            finding("capture_any_duplicates", "capture", "info", "bond0", ["eno1", "eno2"], [], "tcpdump -i eno1"),
            finding("global_forwarding_off", "forwarding", "warning", None, 0, 1, "sysctl -w net.ipv4.ip_forward=1"),
            finding("lag_port_not_promisc", "promisc", "error", "eno2", False, True, "ip link set dev eno2 promisc on"),
            finding("interface_forwarding_off", "forwarding", "error", "br0", 0, 1, "sysctl -w net.ipv4.conf.br0.forwarding=1"),
            finding("lag_port_not_promisc", "promisc", "error", "eno1", False, True, "ip link set dev eno1 promisc on"),
            finding("bridge_mac_inherited", "bridge_mac", "warning", "br0", "inherited", "set", "ip link set br0 address 02:00:00:00:00:01"),
        ),
        "db1": {"failed": True, "msg": "netlink link dump failed: Operation not permitted"},
        "app1": host_result(
            finding("capture_any_duplicates", "capture", "info", "team0", 2, 1, "tcpdump -i team0p1"),
        ),
        "cache1": host_result(),
    }


def keyed(findings):
    return [(f["host"], f["severity"], f["check"], f["interface"], f["id"]) for f in findings]


# ----------------------------------------------------------------------------------------- fleet_findings


def test_fleet_findings_flattens_adds_host_and_sorts(fleet):
    assert keyed(fleet_findings(fleet)) == [
        ("app1", "info", "capture", "team0", "capture_any_duplicates"),
        ("db1", "error", "audit", None, "audit_failed"),
        ("web2", "error", "forwarding", "br0", "interface_forwarding_off"),
        ("web2", "error", "promisc", "eno1", "lag_port_not_promisc"),
        ("web2", "error", "promisc", "eno2", "lag_port_not_promisc"),
        ("web2", "warning", "bridge_mac", "br0", "bridge_mac_inherited"),
        ("web2", "warning", "forwarding", None, "global_forwarding_off"),
        ("web2", "info", "capture", "bond0", "capture_any_duplicates"),
    ]


def test_host_wide_findings_sort_before_interfaces_of_the_same_check():
    result = fleet_findings(
        {
            "h": host_result(
                finding("interface_forwarding_off", "forwarding", "error", "a0"),
                finding("global_forwarding_off", "forwarding", "error", None),
            )
        }
    )
    assert [f["interface"] for f in result] == [None, "a0"]


def test_fleet_findings_does_not_mutate_input_and_fills_missing_keys(fleet):
    fleet["web2"]["findings"].append({"id": "host_file_unreadable", "check": "networkd", "severity": "info"})
    before = copy.deepcopy(fleet)
    result = fleet_findings(fleet)
    assert fleet == before
    sparse = [f for f in result if f["id"] == "host_file_unreadable"][0]
    assert sparse == {
        "host": "web2",
        "id": "host_file_unreadable",
        "check": "networkd",
        "severity": "info",
        "interface": None,
        "current": None,
        "expected": None,
        "remediation": None,
        "why": None,
    }


def test_failed_host_becomes_one_audit_failed_finding(fleet):
    failed = [f for f in fleet_findings(fleet) if f["host"] == "db1"]
    assert len(failed) == 1
    assert failed[0]["id"] == "audit_failed"
    assert failed[0]["check"] == "audit"
    assert failed[0]["severity"] == "error"
    assert failed[0]["current"] == fleet["db1"]["msg"]
    assert failed[0]["why"] == fleet["db1"]["msg"]
    assert failed[0]["remediation"] == "ansible db1 -m hostnet.dockerhost.netstate_info"


@pytest.mark.parametrize(
    "result, expected_why",
    [
        ({"unreachable": True, "msg": "Failed to connect to the host via ssh"}, "Failed to connect to the host via ssh"),
        ({"failed": True}, "audit failed without a message"),
        ({"skipped": True, "skip_reason": "Conditional result was False"}, "audit skipped: Conditional result was False"),
        ({"changed": False}, "result has no 'findings' (keys: changed); the audit did not run"),
        # failed wins over findings a module may have returned before it failed
        ({"failed": True, "msg": "boom", "findings": [finding("x", "promisc", "info")]}, "boom"),
    ],
)
def test_hosts_without_an_audit_are_never_dropped(result, expected_why):
    findings = fleet_findings({"h1": result})
    assert [(f["id"], f["why"]) for f in findings] == [("audit_failed", expected_why)]


def test_remediation_of_a_failed_host_quotes_the_host_name():
    findings = fleet_findings({"odd host;rm": {"unreachable": True, "msg": "ssh: connect timed out"}})
    assert findings[0]["remediation"] == "ansible 'odd host;rm' -m ansible.builtin.ping"


def test_empty_fleet_has_no_findings():
    assert fleet_findings({}) == []
    assert fleet_findings([]) == []


def test_flat_list_round_trips_through_fleet_findings(fleet):
    flat = fleet_findings(fleet)
    assert fleet_findings(list(reversed(flat))) == flat


# ---------------------------------------------------------------------------------------- select_findings


@pytest.mark.parametrize(
    "severity, expected",
    [
        ("error", {"error"}),
        ("warning", {"error", "warning"}),
        ("WARNING", {"error", "warning"}),
        ("info", {"error", "warning", "info"}),
        (None, {"error", "warning", "info"}),
    ],
)
def test_severity_is_a_minimum(fleet, severity, expected):
    selected = select_findings(fleet, severity=severity)
    assert {f["severity"] for f in selected} == expected
    everything = fleet_findings(fleet)
    assert len(selected) == sum(1 for f in everything if f["severity"] in expected)


def test_severity_error_counts(fleet):
    assert len(select_findings(fleet, severity="error")) == 4  # 3 on web2 + audit_failed on db1
    assert len(select_findings(fleet, severity="warning")) == 6


def test_ids_hosts_checks_accept_a_string_or_a_list(fleet):
    assert keyed(select_findings(fleet, ids="lag_port_not_promisc")) == keyed(select_findings(fleet, ids=["lag_port_not_promisc"]))
    assert {f["host"] for f in select_findings(fleet, hosts="app1")} == {"app1"}
    assert {f["check"] for f in select_findings(fleet, checks=["forwarding", "bridge_mac"])} == {"forwarding", "bridge_mac"}


def test_criteria_combine_with_and(fleet):
    selected = select_findings(fleet, severity="warning", checks="capture")
    assert selected == []
    selected = select_findings(fleet, ids=["capture_any_duplicates"], hosts=["web2"])
    assert keyed(selected) == [("web2", "info", "capture", "bond0", "capture_any_duplicates")]


def test_empty_list_selects_nothing_but_omitted_selects_everything(fleet):
    assert select_findings(fleet, hosts=[]) == []
    assert len(select_findings(fleet)) == len(fleet_findings(fleet))


def test_failed_hosts_are_selectable_by_the_audit_check(fleet):
    assert keyed(select_findings(fleet, checks="audit")) == [("db1", "error", "audit", None, "audit_failed")]


def test_query_runs_last_on_the_selection(fleet):
    assert select_findings(fleet, severity="error", query="length(@)") == 4
    assert select_findings(fleet, ids="lag_port_not_promisc", query="[].interface") == ["eno1", "eno2"]
    assert select_findings(fleet, query="[?interface == null].join('/', [host, id])") == [
        "db1/audit_failed",
        "web2/global_forwarding_off",
    ]


def test_query_on_a_flat_list_without_host(fleet):
    # the module's own result: findings of one host, no 'host' key
    own = fleet["web2"]["findings"]
    assert select_findings(own, severity="error", query="sort_by(@, &interface)[].interface") == ["br0", "eno1", "eno2"]
    assert select_findings(own, hosts="web2") == []


def test_values_cannot_break_out_of_the_jmespath_literal():
    tricky = "we`ird\\`id\"]"
    findings = [finding(tricky, "promisc", "error"), finding("plain", "promisc", "error")]
    assert [f["id"] for f in select_findings(findings, ids=[tricky])] == [tricky]
    # an id that tries to inject an always-true clause selects only itself instead of everything
    injection = "x`]) || `true"
    findings.append(finding(injection, "promisc", "error"))
    assert [f["id"] for f in select_findings(findings, ids=[injection])] == [injection]


class _TaggedStr(str):
    """Stands in for ansible-core 2.19's tagged str, which jmespath's type checks do not know."""


class _TaggedDict(dict):
    pass


class _TaggedList(list):
    pass


def test_tagged_subclasses_from_ansible_work_in_queries():
    fleet = _TaggedDict(
        {
            _TaggedStr("b"): _TaggedDict(
                findings=_TaggedList([_TaggedDict(id=_TaggedStr("x"), check=_TaggedStr("promisc"), severity=_TaggedStr("error"), interface=_TaggedStr("z"))])
            ),
            _TaggedStr("a"): _TaggedDict(
                findings=_TaggedList([_TaggedDict(id=_TaggedStr("y"), check=_TaggedStr("promisc"), severity=_TaggedStr("error"), interface=_TaggedStr("y"))])
            ),
        }
    )
    assert select_findings(fleet, query="sort_by(@, &interface)[].host") == ["a", "b"]
    host = fleet_findings(fleet)[0]["host"]
    assert isinstance(host, str) and not isinstance(host, _TaggedStr)


# ------------------------------------------------------------------------------------------ fleet_summary


def test_fleet_summary(fleet):
    assert fleet_summary(fleet) == {
        "hosts": 4,
        "compliant_hosts": 2,
        "noncompliant_hosts": ["db1", "web2"],
        "failed_hosts": ["db1"],
        "changed_hosts": [],
        "by_severity": {"error": 4, "warning": 2, "info": 2},
        "by_check": {"promisc": 2, "bridge_mac": 1, "forwarding": 2, "networkd": 0, "capture": 2, "audit": 1},
        "by_host": {
            "app1": {"error": 0, "warning": 0, "info": 1, "compliant": True, "changes": 0},
            "cache1": {"error": 0, "warning": 0, "info": 0, "compliant": True, "changes": 0},
            "db1": {"error": 1, "warning": 0, "info": 0, "compliant": False, "changes": 0},
            "web2": {"error": 3, "warning": 2, "info": 1, "compliant": False, "changes": 0},
        },
        "worst_severity": "error",
    }


def test_summary_of_empty_fleet():
    summary = fleet_summary({})
    assert summary["hosts"] == 0
    assert summary["worst_severity"] is None
    assert summary["by_severity"] == {"error": 0, "warning": 0, "info": 0}
    assert summary["by_check"] == dict.fromkeys(CHECKS, 0)


def test_summary_of_info_only_fleet(fleet):
    summary = fleet_summary({"app1": fleet["app1"]})
    assert summary["worst_severity"] == "info"
    assert summary["compliant_hosts"] == 1
    assert summary["noncompliant_hosts"] == []


def test_summary_trusts_the_module_compliant_flag_and_derives_it_when_missing():
    warning_only = [finding("bridge_mac_inherited", "bridge_mac", "warning", "br0")]
    declared = fleet_summary({"h": host_result(*warning_only, compliant=True)})
    assert declared["by_host"]["h"]["compliant"] is True
    derived = fleet_summary({"h": {"findings": warning_only}})
    assert derived["by_host"]["h"]["compliant"] is False


def test_summary_of_a_selected_list(fleet):
    summary = fleet_summary(select_findings(fleet, severity="error"))
    assert summary["hosts"] == 2  # only hosts with errors are known to a list
    assert summary["failed_hosts"] == ["db1"]
    assert summary["by_severity"] == {"error": 4, "warning": 0, "info": 0}


# ------------------------------------------------------------------------------------------------- JUnit


def parse_junit(text):
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_junit_structure_and_counts(fleet):
    root = parse_junit(findings_to_junit(fleet))
    assert root.tag == "testsuites"
    assert root.get("name") == "hostnet.dockerhost"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["app1", "cache1", "db1", "web2"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == list(CHECKS)
        assert {c.get("classname") for c in cases} == {suite.get("name")}
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
    by_suite = {s.get("name"): (s.get("tests"), s.get("failures"), s.get("errors")) for s in suites}
    assert by_suite == {
        "app1": ("5", "0", "0"),
        "cache1": ("5", "0", "0"),
        "db1": ("5", "0", "5"),
        "web2": ("5", "3", "0"),
    }
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("20", "3", "5")


def test_junit_failure_message_and_body(fleet):
    root = parse_junit(findings_to_junit(fleet))
    promisc = root.find("testsuite[@name='web2']/testcase[@name='promisc']")
    failure = promisc.find("failure")
    assert failure.get("message") == (
        "2 findings: lag_port_not_promisc: port eno1 of a bridged bond or team is not promiscuous; "
        "lag_port_not_promisc: port eno2 of a bridged bond or team is not promiscuous"
    )
    assert failure.get("type") == "error"
    body = failure.text
    for expected in ("on eno1", "on eno2", "current:     false", "expected:    true", "ip link set dev eno1 promisc on", "because lag_port_not_promisc"):
        assert expected in body
    forwarding = root.find("testsuite[@name='web2']/testcase[@name='forwarding']/failure")
    assert forwarding.get("message") == (
        "2 findings: interface_forwarding_off: IPv4 forwarding is off on br0; "
        "global_forwarding_off: IPv4 forwarding is off on this Docker host (net.ipv4.ip_forward=0)"
    )
    assert "(host-wide)" in forwarding.text


def test_junit_info_findings_go_to_system_out_and_do_not_fail(fleet):
    root = parse_junit(findings_to_junit(fleet))
    capture = root.find("testsuite[@name='app1']/testcase[@name='capture']")
    assert capture.find("failure") is None
    assert "capture_any_duplicates on team0" in capture.find("system-out").text
    # info next to a failure stays out of the failure body
    web2_capture = root.find("testsuite[@name='web2']/testcase[@name='capture']")
    assert web2_capture.find("failure") is None
    assert '["eno1", "eno2"]' in web2_capture.find("system-out").text


def test_junit_failed_host_has_an_error_in_every_check(fleet):
    root = parse_junit(findings_to_junit(fleet))
    cases = root.findall("testsuite[@name='db1']/testcase")
    assert len(cases) == 5
    for case in cases:
        error = case.find("error")
        assert error is not None and case.find("failure") is None
        assert error.get("message") == "audit could not run: " + fleet["db1"]["msg"]


def test_junit_checks_option(fleet):
    root = parse_junit(findings_to_junit(fleet, checks=["forwarding"]))
    assert [c.get("name") for c in root.iter("testcase")] == ["forwarding"] * 4
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    root = parse_junit(findings_to_junit(fleet, checks="promisc"))
    assert root.get("tests") == "4"


def test_junit_reports_a_check_outside_the_five_when_it_has_findings():
    root = parse_junit(findings_to_junit({"h": {"findings": [finding("new_thing", "mtu", "error", "eth0")]}}))
    assert [c.get("name") for c in root.iter("testcase")] == list(CHECKS) + ["mtu"]
    assert root.get("failures") == "1"


def test_junit_escapes_markup_unicode_and_control_characters():
    nasty = 'a<b>&"c" ünï 漢 \x07bell'
    fleet = {"höst<1>": {"findings": [finding("lag_port_not_promisc", "promisc", "error", "eno1", nasty, {"k": nasty}, why=nasty)]}}
    text = findings_to_junit(fleet)
    root = parse_junit(text)
    suite = root.find("testsuite")
    assert suite.get("name") == "höst<1>"
    body = suite.find("testcase[@name='promisc']/failure").text
    assert 'a<b>&"c" ünï 漢 \\x07bell' in body
    assert "\x07" not in text


def test_junit_of_empty_fleet():
    root = parse_junit(findings_to_junit({}))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("0", "0", "0")
    assert root.findall("testsuite") == []


# ---------------------------------------------------------------------------------------------- Markdown


def gfm_cells(row):
    """Split a table row the way GitHub does: a backslash escapes the next character, '|' splits."""
    assert row.startswith("|") and row.endswith("|"), row
    cells = re.findall(r"((?:\\.|[^|\\])*)\|", row[1:])
    return [cell.strip() for cell in cells]


def tables(markdown):
    """Each table as a list of rows of cells."""
    found, current = [], None
    for line in markdown.split("\n"):
        if line.startswith("|"):
            if current is None:
                current = []
                found.append(current)
            current.append(gfm_cells(line))
        else:
            current = None
    return found


def sections(markdown, level=2):
    """{heading: body} of the sections at ``level``."""
    marker = "#" * level + " "
    parts = re.split(r"^%s" % re.escape(marker), markdown, flags=re.M)[1:]
    return {part.split("\n", 1)[0]: part.split("\n", 1)[1] for part in parts}


def test_markdown_layout(fleet):
    md = findings_to_markdown(fleet)
    assert md.startswith("# hostnet.dockerhost network audit\n")
    assert "4 hosts: 2 compliant, 1 not compliant, 1 not audited. Findings: 4 errors, 2 warnings, 2 info" in md
    summary_table = tables(md)[0]
    assert summary_table[0] == ["Host", "Status", "Errors", "Warnings", "Info", "Looked at"]
    assert summary_table[2:] == [
        ["app1", "compliant", "0", "0", "1", "—"],
        ["cache1", "compliant", "0", "0", "0", "—"],
        ["db1", "audit failed", "1", "0", "0", "—"],
        ["web2", "NOT compliant", "3", "2", "1", "—"],
    ]
    assert len(tables(md)) == 1, "findings are blocks, not tables"
    hosts = sections(md)
    assert list(hosts) == ["app1", "cache1", "db1", "web2"]
    assert hosts["cache1"].strip() == "Compliant: no findings."
    assert "**The audit could not run**" in hosts["db1"]
    assert "Try:\n\n```sh\nansible db1 -m hostnet.dockerhost.netstate_info\n```" in hosts["db1"]
    blocks = sections(hosts["web2"], level=3)
    assert list(blocks) == [
        "web2: interface_forwarding_off on br0 (error)",
        "web2: lag_port_not_promisc on eno1 (error)",
        "web2: lag_port_not_promisc on eno2 (error)",
        "web2: bridge_mac_inherited on br0 (warning)",
        "web2: global_forwarding_off (warning)",
        "web2: capture_any_duplicates on bond0 (info)",
    ]
    assert blocks["web2: interface_forwarding_off on br0 (error)"] == textwrap.dedent(
        """
        IPv4 forwarding is off on br0.

        - Why: because interface_forwarding_off
        - Now: `0`
        - Expected: `1`
        - Check: forwarding

        Fix:

        ```sh
        sysctl -w net.ipv4.conf.br0.forwarding=1
        ```

        """
    )
    assert "- Now: `eno1`, `eno2`\n- Expected: none\n" in blocks["web2: capture_any_duplicates on bond0 (info)"]


def test_markdown_pipes_newlines_and_backticks_keep_their_shape():
    value = "left|right\nnext line"
    fleet = {
        "h|1": {
            "findings": [
                finding("x", "promisc", "error", "a|b", value, {"k": "v|w"}, "printf 'a\\|b' | grep -c b\nsecond", "why | it\nbroke"),
                finding("y", "promisc", "error", "c", None, None, "echo ```three``` ticks", "*not emphasis* _nor this_ a_b"),
            ]
        }
    }
    md = findings_to_markdown(fleet)
    for table in tables(md):
        assert len({len(row) for row in table}) == 1, table
    assert tables(md)[0][2][0] == "h\\|1"
    blocks = sections(md, level=3)
    x = blocks["h\\|1: x on a\\|b (error)"]
    assert "- Why: why \\| it broke\n" in x
    assert "- Now: left\\|right<br>next line\n" in x
    assert "- Expected: k: v\\|w\n" in x
    assert "```sh\nprintf 'a\\|b' | grep -c b\nsecond\n```" in x
    y = blocks["h\\|1: y on c (error)"]
    assert "````sh\necho ```three``` ticks\n````" in y
    assert "- Why: \\*not emphasis\\* \\_nor this\\_ a_b\n" in y


def test_markdown_renders_like_the_values_with_markdown_it():
    markdown_it = pytest.importorskip("markdown_it")
    remediation = "echo `date` | tee /tmp/x"
    fleet = {"h": {"findings": [finding("x", "promisc", "error", "eno1", "ü<b>", None, remediation, "a *b* c_d _e_")]}}
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(findings_to_markdown(fleet))
    assert '<pre><code class="language-sh">echo `date` | tee /tmp/x\n</code></pre>' in html
    assert "<li>Now: ü&lt;b&gt;</li>" in html
    assert "<li>Expected: none</li>" in html
    assert "<li>Why: a *b* c_d _e_</li>" in html
    assert "<h3>h: x on eno1 (error)</h3>" in html


@pytest.mark.parametrize(
    "value, text",
    [
        (False, "false"),
        (True, "true"),
        (None, "null"),
        (0, "0"),
        (1.5, "1.5"),
        ("eno1", "eno1"),
        ("", '""'),
        ([1, "a"], '[1, "a"]'),
        ({"b": 1, "a": "ü"}, '{"a": "ü", "b": 1}'),
    ],
)
def test_render_value(value, text):
    assert render_value(value) == text


def test_markdown_of_empty_fleet():
    assert "No hosts in the fleet." in findings_to_markdown({})


# ------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", FILTER_NAMES)
@pytest.mark.parametrize("bad", [42, "web1", None])
def test_every_filter_rejects_a_fleet_that_is_not_a_dict_or_list(name, bad):
    with pytest.raises(AnsibleFilterError, match=r"expected .*fleet dict.*list of findings|list of findings.*fleet dict"):
        filter_plugins()[name](bad)


@pytest.mark.parametrize(
    "fleet, pattern",
    [
        ({"web1": "oops"}, r"fleet\['web1'\]: expected the netstate_info result of the host \(a dict\), got string"),
        ({"web1": {"findings": "x"}}, r"fleet\['web1'\]\.findings: expected a list of findings, got string"),
        ({"web1": {"findings": [1]}}, r"fleet\['web1'\]\.findings\[0\]: expected a finding \(a dict\), got int"),
        (
            {"web1": {"findings": [{"id": "a", "check": "promisc"}]}},
            r"fleet\['web1'\]\.findings\[0\] \(a\): finding has no 'severity'; valid severities: error, warning, info",
        ),
        (
            {"web1": {"findings": [{"id": "a", "check": "promisc", "severity": "critical"}]}},
            r"fleet\['web1'\]\.findings\[0\] \(a\): unknown severity 'critical'; valid severities: error, warning, info",
        ),
        ({"web1": {"findings": [{"check": "promisc", "severity": "error"}]}}, r"findings\[0\]: a finding needs a non-empty string 'id'"),
        ([{"id": "a", "check": "promisc", "severity": "error"}], r"findings\[0\] \(a\): a finding in a list needs a 'host' key"),
    ],
)
def test_bad_findings_name_the_input_and_what_is_valid(fleet, pattern):
    for name in ("fleet_findings", "fleet_summary", "findings_to_junit", "findings_to_markdown", "fleet_summary_text"):
        with pytest.raises(AnsibleFilterError, match=pattern):
            filter_plugins()[name](fleet)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"severity": "critical"}, r"unknown severity 'critical'; valid severities \(a minimum\): error, warning, info"),
        ({"severity": 3}, r"unknown severity 3"),
        ({"ids": 3}, r"ids: expected a string or a list of strings, got int"),
        ({"hosts": [1]}, r"hosts: expected a string or a list of strings, got list"),
        ({"checks": ["promsic"]}, r"unknown check\(s\) 'promsic'; valid checks: promisc, bridge_mac, forwarding, networkd, capture"),
        ({"query": "[?"}, r"query: invalid JMESPath expression '\[\?'"),
        ({"query": "sum([].id)"}, r"query: JMESPath expression 'sum\(\[\]\.id\)' failed on the findings"),
        ({"query": "nosuchfunc(@)"}, r"query: invalid JMESPath expression|failed on the findings"),
        ({"query": ""}, r"query: expected a JMESPath expression"),
    ],
)
def test_select_findings_bad_arguments(fleet, kwargs, pattern):
    with pytest.raises(AnsibleFilterError, match=pattern):
        select_findings(fleet, **kwargs)


def test_junit_rejects_an_unknown_check_and_the_audit_pseudo_check(fleet):
    with pytest.raises(AnsibleFilterError, match=r"unknown check\(s\) 'forwardng'"):
        findings_to_junit(fleet, checks=["forwardng"])
    with pytest.raises(AnsibleFilterError, match=r"unknown check\(s\) 'audit'"):
        findings_to_junit(fleet, checks=["audit"])


def test_errors_are_not_chained_tracebacks(fleet):
    with pytest.raises(AnsibleFilterError) as caught:
        select_findings(fleet, query="[?")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_missing_jmespath_is_reported_not_a_traceback(fleet, monkeypatch):
    monkeypatch.setattr(fleet_report, "jmespath", None)
    with pytest.raises(AnsibleFilterError, match="needs the Python library 'jmespath'"):
        fleet_summary(fleet)


# ------------------------------------------------------------------------------------ plugin and docs


PLUGIN_DIR = os.path.join(os.path.dirname(os.path.dirname(fleet_report.__file__)), "filter")


def filter_plugin(name):
    """The filter plugin file ``plugins/filter/<name>.py`` as Ansible loads it."""
    return importlib.import_module("ansible_collections.hostnet.dockerhost.plugins.filter." + name)


def filter_plugins():
    """Every filter of the six fleet filter files, by name."""
    found = {}
    for name in FILTER_NAMES:
        found.update(filter_plugin(name).FilterModule().filters())
    return found


def test_each_filter_is_one_file_that_exposes_it_alone():
    # Galaxy lists each plugin file: one file per filter, no documentation sidecar listed twice
    files = sorted(os.listdir(PLUGIN_DIR))
    assert files == sorted(["%s.py" % name for name in FILTER_NAMES + ("merge_reports",)])
    for name in FILTER_NAMES + ("merge_reports",):
        assert list(filter_plugin(name).FilterModule().filters()) == [name]


@pytest.mark.parametrize("name", FILTER_NAMES + ("merge_reports",))
def test_each_filter_has_documentation_matching_its_signature(name):
    plugin = filter_plugin(name)
    doc = {key: yaml.safe_load(getattr(plugin, key)) for key in ("DOCUMENTATION", "EXAMPLES", "RETURN")}
    assert doc["DOCUMENTATION"]["name"] == name
    assert "_value" in doc["RETURN"]
    func = plugin.FilterModule().filters()[name]
    params = list(inspect.signature(func).parameters)
    documented = set(doc["DOCUMENTATION"]["options"])
    assert documented == {"_input"} | set(params[1:])
    assert "hostnet.dockerhost." + name in getattr(plugin, "EXAMPLES")
