# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils/fleet.py and the merge_reports filter: pure functions with hand-built results."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.dockerhost.plugins.filter import merge_reports as merge_filter
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet, report_pipeline


def finding(fid="bridge_mac_inherited", severity="error", interface="br0", check="bridge_mac"):
    return {"id": fid, "check": check, "severity": severity, "interface": interface, "current": {"mac": "x"},
            "expected": "pinned", "remediation": "ip link set dev %s address 02:00:00:00:00:01" % interface, "why": "w"}


def module_result(*findings, state=True):
    result = {"changed": False, "compliant": not any(f["severity"] in ("error", "warning") for f in findings),
              "summary": {"error": 0, "warning": 0, "info": 0}, "findings": list(findings),
              "invocation": {"module_args": {"checks": ["bridge_mac"]}}, "_ansible_no_log": False, "failed": False}
    if state:
        result["state"] = {"links": {"br0": {"kind": "bridge"}}}
    return result


# ------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("value, expected", [("none", "none"), ("ERROR", "error"), (" Warning ", "warning"), ("info", "info")])
def test_fail_on_is_case_insensitive(value, expected):
    assert fleet.validate_fail_on(value) == expected


@pytest.mark.parametrize("value", ["fatal", "", None, True, ["error"]])
def test_fail_on_rejects_what_is_not_a_level(value):
    with pytest.raises(fleet.FleetError, match="hostnet_fail_on: .* use one of none, error, warning, info"):
        fleet.validate_fail_on(value)


def test_checks_empty_unknown_or_not_a_list_are_errors_and_repeats_go():
    with pytest.raises(fleet.FleetError, match="the list is empty"):
        fleet.validate_checks([])
    with pytest.raises(fleet.FleetError, match="unknown check\\(s\\) 'promsic'; valid checks: promisc, bridge_mac"):
        fleet.validate_checks(["bridge_mac", "promsic"])
    with pytest.raises(fleet.FleetError, match="expected a list"):
        fleet.validate_checks("bridge_mac")
    assert fleet.validate_checks(["capture", "promisc", "capture"]) == ["capture", "promisc"]


# ------------------------------------------------------------------------------------- per-host results


def test_lean_result_splits_off_the_state_and_drops_bookkeeping():
    lean, state = fleet.lean_result(module_result(finding()))
    assert state == {"links": {"br0": {"kind": "bridge"}}}
    assert sorted(lean) == ["compliant", "findings", "summary"]


def test_a_failed_audit_keeps_its_message_only():
    lean, state = fleet.lean_result({"failed": True, "msg": "cannot read", "invocation": {}, "findings": []},
                                    error="netlink link dump failed: Operation not permitted")
    assert state is None
    assert lean == {"failed": True, "msg": "netlink link dump failed: Operation not permitted"}
    lean, _state = fleet.lean_result(None, error="Enforcing failed in 'x': boom")
    assert lean == {"failed": True, "msg": "Enforcing failed in 'x': boom"}


def test_enforced_keeps_only_what_changed():
    enforced = fleet.enforced_summary(
        [finding(), finding(interface="docker0")],
        promisc={"ports": [
            {"name": "eno1", "master": "team0", "promisc_flag_before": False, "backend": "systemd-networkd"},
            {"name": "eno2", "master": "team0", "promisc_flag_before": True, "backend": "systemd-networkd"}]},
        bridge_mac={"results": [
            {"changed": True, "bridge": "br0", "mac_before": "02:00:00:00:00:09", "mac": "02:00:00:00:00:09",
             "source": "kept", "mac_changed": False, "backend": "systemd-networkd", "item": "br0"},
            {"changed": False, "bridge": "docker0", "item": "docker0"},
            {"skipped": True, "item": "br1"},
            {"skipped": True, "item": "b$(id)", "bridge": "b$(id)", "source": "skipped", "changed": False,
             "skip_reason": "b$(id) left unchanged: cannot persist mac of 'b$(id)' with a udev rule"},
            {"failed": True, "item": "b0", "msg": "policy=uplink: bridge b0 has no port other than container veths"}]},
        forwarding={"interfaces": [
            {"name": "docker0", "backend": "sysctl.d", "key": ["net.ipv4.conf.docker0.forwarding = 1"], "forwarding_before": False},
            {"name": "eth0", "backend": "systemd-networkd", "key": ["IPForward=yes"], "forwarding_before": True}]},
        team_to_bond={"migrations": [{"team": "team0", "bond": "bond0"}]},
        errors=[{"fix": "bridge_mac", "task": "Pin the MAC of every bridge the audit flagged",
                 "msg": "One or more items failed"},
                {"fix": "forwarding", "task": "Verify that every target forwards", "msg": "Forwarding is off on br9"}],
    )
    assert enforced == {
        "findings_before": 2,
        "promisc": [{"interface": "eno1", "master": "team0", "backend": "systemd-networkd"}],
        "bridge_mac": [{"bridge": "br0", "before": "02:00:00:00:00:09", "after": "02:00:00:00:00:09",
                        "source": "kept", "mac_changed": False, "backend": "systemd-networkd"}],
        "forwarding": [{"interface": "docker0", "backend": "sysctl.d", "keys": ["net.ipv4.conf.docker0.forwarding = 1"]}],
        "team_to_bond": [{"team": "team0", "bond": "bond0"}],
        # the failed bridge in place of the loop's "One or more items failed"; the other fix's error as recorded
        "errors": [{"fix": "bridge_mac", "interface": "b0",
                    "msg": "policy=uplink: bridge b0 has no port other than container veths"},
                   {"fix": "forwarding", "interface": None,
                    "msg": "'Verify that every target forwards' failed: Forwarding is off on br9"}],
        # the module's own skip with its reason; a when-skipped item is no skip of the fix
        "skipped": [{"fix": "bridge_mac", "interface": "b$(id)",
                     "reason": "b$(id) left unchanged: cannot persist mac of 'b$(id)' with a udev rule"}],
    }
    assert fleet.enforcement_failure_message(enforced) == (
        "Enforcing failed: bridge_mac on b0: policy=uplink: bridge b0 has no port other than container veths; "
        "forwarding: 'Verify that every target forwards' failed: Forwarding is off on br9")
    assert fleet.enforcement_failure_message({"errors": []}) is None
    # a fix that did not run (skipped task, role not included) contributes nothing
    assert fleet.enforced_summary(0, {"skipped": True}, {}, {}, {}) == {
        "findings_before": 0, "promisc": [], "bridge_mac": [], "forwarding": [], "team_to_bond": [], "errors": [],
        "skipped": []}


@pytest.mark.parametrize("host, name", [("web1.example.com", "web1.example.com.json"), ("10.0.0.1", "10.0.0.1.json"),
                                        ("../etc", "..%2Fetc.json"), ("a b", "a%20b.json"), (".hidden", ".hidden.json")])
def test_host_file_names_stay_in_the_hosts_directory(host, name):
    assert fleet.host_file_name(host) == name
    assert "/" not in fleet.host_file_name(host)


def test_only_a_file_of_this_run_counts():
    document = fleet.host_document("web1", "run-2", {"findings": []})
    assert fleet.result_of(document, "web1", "run-2") == {"findings": []}
    assert fleet.result_of(document, "web1", "run-1") is None  # stale: an earlier run's file
    assert fleet.result_of(document, "web2", "run-2") is None
    assert fleet.result_of(None, "web1", "run-2") is None


# ----------------------------------------------------------------------------------------- the report


def fleet_of(**hosts):
    return {host: fleet.lean_result(result)[0] for host, result in hosts.items()}


def test_report_holds_summary_findings_and_status_but_no_state():
    results = fleet_of(web1=module_result(finding()), web2=module_result())
    results["web3"] = {"failed": True, "msg": "unreachable"}
    report = report_pipeline.build_report(results, run_id="r1", time="2026-01-01T00:00:00Z",
                                          stamps={"web1": ("r1", "2026-01-01T00:00:01Z")})
    assert report["summary"]["hosts"] == 3 and report["summary"]["failed_hosts"] == ["web3"]
    assert [(f["host"], f["id"]) for f in report["findings"]] == [("web1", "bridge_mac_inherited"), ("web3", "audit_failed")]
    assert report["hosts"]["web1"] == {"compliant": False, "summary": {"error": 0, "warning": 0, "info": 0},
                                       "status": "not_compliant", "counts": {"error": 1, "warning": 0, "info": 0},
                                       "run_id": "r1", "time": "2026-01-01T00:00:01Z"}
    assert report["hosts"]["web2"]["status"] == "compliant"
    assert report["hosts"]["web3"]["status"] == "audit_failed" and report["hosts"]["web3"]["msg"] == "unreachable"
    assert "links" not in json.dumps(report)


def test_a_report_gives_back_the_fleet_it_was_built_from():
    results = fleet_of(web1=module_result(finding(), finding(fid="x", severity="info", interface=None, check="capture")))
    results["web3"] = {"failed": True, "msg": "netlink link dump failed: Operation not permitted"}
    report = report_pipeline.build_report(results, run_id="r1")
    again, stamps = report_pipeline.fleet_from_report(json.loads(json.dumps(report)))
    assert report_pipeline.build_report(again, run_id="r1", time=report["time"], stamps=stamps) == report


def test_gate_hosts_and_messages():
    report = report_pipeline.build_report(fleet_of(web1=module_result(finding(severity="warning")), web2=module_result(
        finding(fid="capture_any_duplicates", severity="info", interface="bond0", check="capture"))), run_id="r")
    assert fleet.gate_hosts(report, "none") == []
    assert fleet.gate_hosts(report, "error") == []
    assert fleet.gate_hosts(report, "warning") == ["web1"]
    assert fleet.gate_hosts(report, "info") == ["web1", "web2"]
    assert fleet.gate_message(report, "web1", "warning", "/r") == \
        "Findings at or above 'warning' remain on web1: warning bridge_mac_inherited on br0; see /r/report.md"


# ------------------------------------------------------------------------------------------------ merge


def slice_report(run_id, time, **hosts):
    results = fleet_of(**hosts)
    return report_pipeline.build_report(results, run_id=run_id, time=time, stamps={h: (run_id, time) for h in results})


def test_merged_slices_equal_one_run_over_all_hosts():
    one = report_pipeline.build_report(fleet_of(a=module_result(finding()), b=module_result(),
                                                c=module_result(finding(interface="docker0"))), run_id="all")
    first = slice_report("s1", "2026-01-01T00:00:00Z", a=module_result(finding()), c=module_result(finding(interface="docker0")))
    second = slice_report("s2", "2026-01-01T00:00:05Z", b=module_result())
    merged = merge_filter.merge_reports([first, second])
    assert merged["summary"] == one["summary"]
    assert merged["findings"] == one["findings"]
    assert [entry["hosts"] for entry in merged["merged_from"]] == [2, 1]
    assert merged["hosts"]["b"]["run_id"] == "s2" and merged["hosts"]["a"]["run_id"] == "s1"


def test_a_host_in_two_slices_is_an_error_unless_the_newest_is_asked_for():
    old = slice_report("s1", "2026-01-01T00:00:00Z", a=module_result(finding()))
    new = slice_report("s2", "2026-01-02T00:00:00Z", a=module_result())
    with pytest.raises(AnsibleFilterError, match="host 'a' is in two slices \\(first and second\\)"):
        merge_filter.merge_reports([{"source": "first", "report": old}, {"source": "second", "report": new}])
    for order in ([old, new], [new, old]):
        merged = merge_filter.merge_reports(order, duplicates="newest")
        assert merged["hosts"]["a"]["status"] == "compliant" and merged["findings"] == []
    with pytest.raises(AnsibleFilterError, match="two slices"):  # a tie cannot be decided
        merge_filter.merge_reports([old, old], duplicates="newest")


@pytest.mark.parametrize("reports, message", [
    ([], "no reports to merge"),
    ({"hosts": {}}, "expected a list of reports"),
    ([{"summary": {}}], "not a hostnet.dockerhost report.json"),
    ([{"format": 1, "hosts": {"a": {"status": "compliant"}}, "findings": [{"host": "b", "id": "x"}]}],
     "names host 'b'"),
    ([{"format": 99, "hosts": {}, "findings": []}], r"reports\[0\]: report format 99 is not one this collection"),
    ([{"format": 1, "hosts": {"a": {"status": "fine"}}, "findings": []}],
     r"reports\[0\]: host 'a' has the unknown status 'fine'; a report says compliant, not_compliant, audit_failed"),
])
def test_merge_refuses_what_is_not_a_report(reports, message):
    with pytest.raises(AnsibleFilterError, match=message):
        merge_filter.merge_reports(reports)
    with pytest.raises(AnsibleFilterError, match="duplicates"):
        merge_filter.merge_reports([slice_report("s", "t", a=module_result())], duplicates="oldest")


def test_a_hosts_warnings_reach_its_status_in_the_report():
    result = module_result()
    result["warnings"] = ["exclude: docker0 is not on this host"]
    lean, _state = fleet.lean_result(result)
    report = report_pipeline.build_report({"web1": lean}, run_id="r")
    assert report["hosts"]["web1"]["warnings"] == ["exclude: docker0 is not on this host"]
    assert report["hosts"]["web1"]["status"] == "compliant"


@pytest.mark.parametrize("interfaces, profile, words", [
    ("docker0", "", "hostnet_promisc_interfaces: expected a list of interface names, got 'docker0'"),
    (["docker0", "br 0"], "", "hostnet_promisc_interfaces: invalid interface name(s): 'br 0' contains ' '"),
    ([], "custom.prf", "hostnet_lynis_profile: 'custom.prf' is not an absolute path; expected a lynis profile"),
    ([], ["/etc/lynis/custom.prf"], "hostnet_lynis_profile: expected a lynis profile"),
    ([], "/etc/passwd", "hostnet_lynis_profile: /etc/passwd does not end in .prf, so it is not a lynis profile"),
    ([], "/etc/shadow", "hostnet_lynis_profile: /etc/shadow does not end in .prf"),
    ([], "/srv/site.prf", "hostnet_lynis_profile: /srv/site.prf is not in a lynis profile directory; expected a "
                          "lynis profile: an absolute path ending in .prf directly in /etc/lynis, /usr/local/etc/lynis,"
                          " /usr/local/lynis (the directories lynis reads profiles from), e.g. /etc/lynis/custom.prf, "
                          "or in another directory with hostnet_lynis_profile_any_directory=true"),
])
def test_promisc_playbook_variables_are_checked(interfaces, profile, words):
    with pytest.raises(fleet.FleetError) as caught:
        fleet.validate_promisc_options(interfaces, profile)
    assert words in str(caught.value)


def test_a_profile_elsewhere_only_with_the_override_which_is_a_boolean():
    assert fleet.validate_promisc_options([], "/srv/site.prf", True) == ([], "/srv/site.prf")
    assert fleet.validate_promisc_options([], "/srv/site.prf", "yes") == ([], "/srv/site.prf")
    with pytest.raises(fleet.FleetError, match="hostnet_lynis_profile_any_directory: expected true or false, got 'maybe'"):
        fleet.validate_promisc_options([], "/etc/lynis/custom.prf", "maybe")
    with pytest.raises(fleet.FleetError, match="does not end in .prf"):
        fleet.validate_promisc_options([], "/etc/passwd", True)  # the override widens the directory, nothing else


def test_promisc_playbook_variables_defaults_mean_off():
    assert fleet.validate_promisc_options([], "") == ([], None)
    assert fleet.validate_promisc_options(["docker0"], "/etc/lynis/custom.prf") == (["docker0"], "/etc/lynis/custom.prf")


def test_the_playbook_and_the_module_share_the_gate_rules():
    # one rule (module_utils/_validate): the module's options and the playbook's variables say the same
    from ansible_collections.hostnet.dockerhost.plugins.module_utils import _validate
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput

    with pytest.raises(fleet.FleetError, match=r"hostnet_include: invalid interface name\(s\): 'br 0'"):
        fleet.validate_filters(["br 0"], [])
    with pytest.raises(InvalidInput, match=r"include: invalid interface name\(s\): 'br 0'"):
        _validate.validate_filters(["br 0"], [])
    with pytest.raises(fleet.FleetError, match="hostnet_include and hostnet_exclude both name 'br0'"):
        fleet.validate_filters(["br0", "br0"], ["br0"])
    assert fleet.validate_filters(["br0", "br0"], ["docker0"]) == (["br0"], ["docker0"])
    with pytest.raises(InvalidInput, match="checks: the list is empty"):
        _validate.validate_checks("checks", [], ("promisc",))
