# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller report as one pipeline (report_pipeline), names from hostile hosts in every text output, and
the playbook's variables checked up front (playbook_variables). Pure functions, hand-built host results."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet, report_pipeline
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.playbook_variables import validate_variables

ESC_NAME = "br\x1b[2J\x1b]0;owned\x07"  # clears the screen and sets the terminal title when printed raw
HOSTILE = ["b;reboot", 'x"y', "a|b", "c`d", "```", "<script>", "e\x9bf", "g\x7fh", "r\rs", ESC_NAME]


def finding(interface="br0", fid="bridge_mac_inherited", check="bridge_mac", severity="error", remediation=None):
    return {"id": fid, "check": check, "severity": severity, "interface": interface, "current": {"mac": "x"},
            "expected": "pinned", "why": "%s has no MAC of its own" % interface,
            "remediation": remediation or "ip link set dev '%s' address 02:00:00:00:00:01" % interface}


def result(*findings, checks=("promisc", "bridge_mac", "forwarding", "networkd", "capture")):
    return {"findings": list(findings), "checks": list(checks), "summary": {},
            "compliant": not any(f["severity"] in ("error", "warning") for f in findings)}


def value_of(results, checks=None):
    return report_pipeline.fleet_value(results, run_id="r1", time="2026-12-07T00:00:00Z", checks=checks)


def test_every_file_comes_from_the_one_value():
    value = value_of({"web1": result(finding()), "web2": {"failed": True, "msg": "unreachable"}})
    files = report_pipeline.render_files(value, "/srv/audit")
    assert sorted(files) == sorted(fleet.REPORT_FILES)
    assert json.loads(files["report.json"]) == value.report
    assert value.report["hosts"]["web1"]["status"] == "not_compliant"
    assert value.report["hosts"]["web2"]["status"] == "audit_failed"
    assert files["summary.txt"].splitlines()[0] == \
        "hostnet.dockerhost audit: 2 hosts, 0 compliant, 1 not compliant, 1 not audited"
    assert "### web1: bridge_mac_inherited on br0 (error)" in files["report.md"]


def test_junit_has_test_cases_only_for_the_checks_the_run_audited():
    value = value_of({"web1": result(finding(), checks=["bridge_mac"]), "web2": result(checks=["bridge_mac", "promisc"]),
                      "web3": {"failed": True, "msg": "unreachable"}}, checks=["bridge_mac", "promisc"])
    root = ET.fromstring(report_pipeline.render_files(value)["junit.xml"])
    cases = {suite.get("name"): [case.get("name") for case in suite.iter("testcase")] for suite in root}
    # each host its own audit's checks; a host whose audit did not run, the run's
    assert cases == {"web1": ["bridge_mac"], "web2": ["bridge_mac", "promisc"], "web3": ["bridge_mac", "promisc"]}
    assert root.get("tests") == "5"


def test_a_merge_keeps_the_checks_and_its_junit_the_hosts_own():
    slice1 = value_of({"a": result(finding(), checks=["bridge_mac"])}, checks=["bridge_mac"]).report
    slice2 = value_of({"b": result(checks=["promisc"])}, checks=["promisc"]).report
    merged = report_pipeline.merge([slice1, slice2])
    assert merged.report["checks"] == ["bridge_mac", "promisc"]
    root = ET.fromstring(report_pipeline.render_files(merged)["junit.xml"])
    assert [case.get("name") for case in root.iter("testcase")] == ["bridge_mac", "promisc"]


@pytest.mark.parametrize("report, words", [
    ({"format": 2, "hosts": {}, "findings": []}, "/audit/slice-1: report format 2 is not one this collection reads"),
    ({"hosts": {}, "findings": []}, "/audit/slice-1: report format None is not one"),
    ({"format": 1, "hosts": {"a": {"status": "maybe"}}, "findings": []},
     "/audit/slice-1: host 'a' has the unknown status 'maybe'"),
    ({"format": 1, "hosts": {"a\x1b[31m": {}}, "findings": []}, "host 'a\\\\x1b\\[31m' has the unknown status None"),
])
def test_merge_refuses_an_unknown_format_or_status_naming_the_directory(report, words):
    with pytest.raises(fleet.FleetError, match=re.escape(words) if "\\" not in words else words):
        report_pipeline.merge([{"source": "/audit/slice-1", "report": report}])


# --------------------------------------------------------------------------------------- hostile names


def _controls(text):
    return [char for char in text if (ord(char) < 0x20 and char != "\n") or 0x7f <= ord(char) <= 0x9f]


@pytest.mark.parametrize("name", HOSTILE)
def test_no_control_character_reaches_a_text_output(name):
    host = "host" + name
    value = value_of({host: result(finding(name), finding(name, "lag_port_not_promisc", "promisc")),
                      "down" + name: {"failed": True, "msg": "no route to " + name}})
    files = report_pipeline.render_files(value, "/srv/audit")
    for file_name in ("summary.txt", "report.md"):
        assert _controls(files[file_name]) == [], file_name
    _hosts, messages, _gated = report_pipeline.gate(value, "error", "/srv/audit")
    for message in messages.values():
        assert _controls(message) == [] and "\n" not in message
    if _controls(name):
        assert visible(name) in files["summary.txt"]  # shown, not dropped
    ET.fromstring(files["junit.xml"])  # still XML a CI parser reads


def test_an_escape_sequence_is_shown_as_text():
    value = value_of({"web1": result(finding(ESC_NAME))})
    text = report_pipeline.render_files(value)["summary.txt"]
    assert "br\\x1b[2J\\x1b]0;owned\\x07" in text


def test_a_newline_in_a_host_name_does_not_start_a_line_of_its_own():
    value = value_of({"web1\n  web2: compliant": result(finding())})
    lines = report_pipeline.render_files(value)["summary.txt"].splitlines()
    assert not any(line.startswith("  web2") for line in lines)
    assert "  web1\\x0a  web2: compliant: NOT compliant (1 error, 0 warning, 0 info)" in lines


@pytest.mark.parametrize("name", ["a|b", "c`d", "```", "x\\|y"])
def test_markdown_tables_and_code_blocks_hold_with_special_names(name):
    value = value_of({"h" + name: result(finding(name))})
    markdown = report_pipeline.render_files(value)["report.md"]
    table = [line for line in markdown.splitlines() if line.startswith("| h")]
    assert len(table) == 1
    # one row of 6 cells: the unescaped pipes are exactly the cell borders
    assert len(re.findall(r"(?<!\\)\|", table[0])) == 7
    fences = re.findall(r"^(`{3,})sh\n(.*?)\n\1$", markdown, flags=re.M | re.S)
    assert [body for _fence, body in fences] == [finding(name)["remediation"]]


# ------------------------------------------------------------------------------------- playbook variables


@pytest.mark.parametrize("name", ["hostnet_enforce", "hostnet_persist", "hostnet_team_to_bond", "hostnet_strict",
                                  "hostnet_return_state"])
@pytest.mark.parametrize("value, expected", [(True, True), ("yes", True), ("On", True), (1, True), ("false", False),
                                             ("no", False), (0, False), ("0", False)])
def test_booleans_take_the_usual_words(name, value, expected):
    assert validate_variables({name: value}) == {name: expected}


@pytest.mark.parametrize("value", ["maybe", "perhaps", "", 2, None, [], "truee"])
def test_a_boolean_that_is_not_one_is_an_error(value):
    with pytest.raises(fleet.FleetError, match="hostnet_enforce: .* is not a boolean; use true or false"):
        validate_variables({"hostnet_enforce": value})


@pytest.mark.parametrize("value, words", [
    ("", "hostnet_report_dir: empty; give an absolute directory"),
    ("   ", "hostnet_report_dir: empty"),
    ("reports/x", "hostnet_report_dir: 'reports/x' is relative"),
    (None, "hostnet_report_dir: empty"),
])
def test_the_report_dir_is_absolute(value, words):
    with pytest.raises(fleet.FleetError, match=re.escape(words)):
        validate_variables({"hostnet_report_dir": value})
    assert validate_variables({"hostnet_report_dir": "/srv//audit/"}) == {"hostnet_report_dir": "/srv/audit"}
    assert validate_variables({"hostnet_report_dir": "~/audit"})["hostnet_report_dir"].startswith("/")


def test_the_bridge_mac_policy_and_every_problem_at_once():
    assert validate_variables({"hostnet_bridge_mac_policy": "uplink"}) == {"hostnet_bridge_mac_policy": "uplink"}
    with pytest.raises(fleet.FleetError) as raised:
        validate_variables({"hostnet_bridge_mac_policy": "bogus", "hostnet_team_to_bond": "perhaps",
                            "hostnet_fail_on": "sometimes", "hostnet_checks": ["promisc"]})
    message = str(raised.value)
    assert "hostnet_bridge_mac_policy: 'bogus' is not one of auto, uplink, derived" in message
    assert "hostnet_team_to_bond: 'perhaps' is not a boolean" in message
    assert "hostnet_fail_on: 'sometimes' is not a gate level" in message
    assert message.endswith("Nothing was audited or changed.")


def test_a_control_character_in_a_variable_is_shown_escaped_in_the_error():
    with pytest.raises(fleet.FleetError) as raised:
        validate_variables({"hostnet_bridge_mac_policy": "auto\x1b[2J"})
    assert "\x1b" not in str(raised.value) and "\\x1b" in str(raised.value)


def test_a_merge_places_each_kept_host_file_and_never_a_stale_one(tmp_path):
    slice_dir = tmp_path / "slice-1"
    (slice_dir / "hosts").mkdir(parents=True)
    value = value_of({'we"b1': result(finding()), "web2": {"failed": True, "msg": "unreachable"}})
    for host, run_id in (('we"b1', "r1"), ("web2", "r0")):  # web2's file is an earlier run's
        (slice_dir / "hosts" / fleet.host_file_name(host)).write_text(
            fleet.to_json(fleet.host_document(host, run_id, {"findings": []})))
    (slice_dir / "report.json").write_text(fleet.to_json(value.report))
    slices = report_pipeline.read_slices([str(tmp_path / "slice-*")])
    merged = report_pipeline.merge(slices)
    out = tmp_path / "merged"
    report_pipeline.copy_host_files(slices, merged, str(out))
    assert sorted(path.name for path in (out / "hosts").iterdir()) == [fleet.host_file_name('we"b1')]
    copied = json.loads((out / "hosts" / fleet.host_file_name('we"b1')).read_text())
    assert copied["host"] == 'we"b1' and copied["run_id"] == "r1"
    report_pipeline.copy_host_files(slices, merged, str(out))  # again, over the files already there
    assert json.loads((out / "hosts" / fleet.host_file_name('we"b1')).read_text()) == copied
