# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit playbook, run for real: reports on disk, the pipeline gate, a host without pyroute2, the
variables checked before any host is touched, stale host files, the state only where asked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import COLLECTIONS, REPO, private_etc, run


def playbook(ns_name, report_dir, *extra, inventory=None, check=True, wrap=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    inventory = inventory or REPO / "playbooks" / "inventory" / "localhost.yml"
    argv = ["ip", "netns", "exec", ns_name] + list(wrap or []) + [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "hostnet.dockerhost.harden_docker_hosts",
        "-e", "hostnet_report_dir=%s" % report_dir] + (["--check"] if check else []) + list(extra)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)


def drifting_bridge(ns):
    ns.ip("link", "add", "brpb", "type", "bridge")
    ns.ip("link", "add", "ctrpb", "address", "02:00:00:00:40:01", "type", "veth", "peer", "name", "ctrpbp")
    ns.ip("link", "set", "ctrpb", "master", "brpb")


def test_check_mode_writes_the_fleet_report_and_the_gate_fails_on_findings(netns, tmp_path):
    drifting_bridge(netns)
    addresses_before = netns.ip("-j", "link", "show")

    proc = playbook(netns.name, tmp_path / "r1", "-e", '{"hostnet_checks": ["bridge_mac"]}')
    assert proc.returncode == 0, proc.stdout
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert [(f["host"], f["id"], f["interface"]) for f in report["findings"]] == \
        [("localhost", "bridge_mac_inherited", "brpb")]
    assert report["summary"]["compliant_hosts"] == 0
    # report.json: summary, findings, per-host status; the read model is in no file unless asked
    assert report["hosts"]["localhost"]["status"] == "not_compliant"
    assert report["hosts"]["localhost"]["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert "state" not in report["hosts"]["localhost"] and "findings" not in report["hosts"]["localhost"]
    host_file = json.loads((tmp_path / "r1" / "hosts" / "localhost.json").read_text())
    assert host_file["run_id"] == report["run_id"] and host_file["host"] == "localhost"
    assert [f["interface"] for f in host_file["result"]["findings"]] == ["brpb"]
    assert "state" not in host_file
    junit = ET.parse(tmp_path / "r1" / "junit.xml").getroot()
    failures = junit.findall(".//testcase/failure")
    assert len(failures) == 1 and "bridge_mac_inherited" in failures[0].get("message")
    assert "brpb" in (tmp_path / "r1" / "report.md").read_text()
    assert "NOT compliant" in (tmp_path / "r1" / "summary.txt").read_text()
    assert netns.ip("-j", "link", "show") == addresses_before  # the audit changed nothing

    gated = playbook(netns.name, tmp_path / "r2", "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_fail_on=error")
    assert gated.returncode != 0
    assert "Findings at or above 'error' remain on localhost: error bridge_mac_inherited on brpb" in gated.stdout
    # the host the gate failed shows failed in the recap, after its report was written
    assert re.search(r"(?m)^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 ", gated.stdout), gated.stdout
    assert json.loads((tmp_path / "r2" / "report.json").read_text())["summary"]["by_severity"]["error"] == 1

    netns.ip("link", "set", "brpb", "address", "02:00:00:00:40:01")  # fixed: the gate passes
    passed = playbook(netns.name, tmp_path / "r3", "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_fail_on=info")
    assert passed.returncode == 0, passed.stdout


def test_a_host_with_nothing_but_python_is_audited_and_enforced(netns, tmp_path):
    """The modules speak netlink over a plain socket: an interpreter with only the standard library (no
    pyroute2, no site packages) audits and pins the bridge, and nothing is installed on the host."""
    drifting_bridge(netns)
    bare = tmp_path / "bare"
    run([sys.executable, "-m", "venv", "--without-pip", str(bare)])
    interpreter = str(bare / "bin" / "python")
    assert run([interpreter, "-c", "import pyroute2"], check=False).returncode != 0

    audit = playbook(netns.name, tmp_path / "r1", "-e", "ansible_python_interpreter=%s" % interpreter,
                     "-e", '{"hostnet_checks": ["bridge_mac"]}')
    assert audit.returncode == 0, audit.stdout
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert report["summary"]["failed_hosts"] == []
    assert [(f["id"], f["interface"]) for f in report["findings"]] == [("bridge_mac_inherited", "brpb")]

    _etc, wrap = private_etc(tmp_path)
    enforce = playbook(netns.name, tmp_path / "r2", "-e", "ansible_python_interpreter=%s" % interpreter,
                       "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_persist=false", check=False,
                       wrap=wrap)
    assert enforce.returncode == 0, enforce.stdout
    assert netns.read("/sys/class/net/brpb/addr_assign_type") == "3"  # pinned over the plain netlink socket
    assert json.loads((tmp_path / "r2" / "report.json").read_text())["hosts"]["localhost"]["status"] == "compliant"


def _no_report_and_failed(proc, report_dir, message):
    assert proc.returncode != 0, proc.stdout
    assert message in proc.stdout, proc.stdout
    assert "PLAY [Audit Docker host networking]" not in proc.stdout  # no host was touched
    assert not report_dir.exists()


def test_variables_are_checked_before_any_host_is_touched(netns, tmp_path):
    drifting_bridge(netns)
    _no_report_and_failed(playbook(netns.name, tmp_path / "a", "-e", "hostnet_fail_on=sometimes"), tmp_path / "a",
                          "hostnet_fail_on: 'sometimes' is not a gate level; use one of none, error, warning, info")
    _no_report_and_failed(playbook(netns.name, tmp_path / "b", "-e", '{"hostnet_checks": []}'), tmp_path / "b",
                          "hostnet_checks: the list is empty")
    _no_report_and_failed(playbook(netns.name, tmp_path / "c", "-e", '{"hostnet_checks": ["bridge_mac", "promsic"]}'),
                          tmp_path / "c", "hostnet_checks: unknown check(s) 'promsic'; valid checks: promisc, bridge_mac")
    nomatch = playbook(netns.name, tmp_path / "d", "-e", "hostnet_hosts=webservers")
    _no_report_and_failed(nomatch, tmp_path / "d", "hostnet_hosts: the pattern 'webservers' matches no host; "
                          "the inventory has 1 host(s): localhost")
    assert "is undefined" not in nomatch.stdout
    _no_report_and_failed(playbook(netns.name, tmp_path / "f", "-e", '{"hostnet_include": ["brpb"], "hostnet_exclude": ["brpb"]}'),
                          tmp_path / "f", "hostnet_include and hostnet_exclude both name 'brpb'")
    _no_report_and_failed(playbook(netns.name, tmp_path / "g", "-e", '{"hostnet_promisc_interfaces": "docker0"}',
                                   "-e", "hostnet_lynis_profile=custom.prf"),
                          tmp_path / "g", "hostnet_promisc_interfaces: expected a list of interface names")
    _no_report_and_failed(playbook(netns.name, tmp_path / "h", "-e", "hostnet_lynis_profile=custom.prf"),
                          tmp_path / "h", "hostnet_lynis_profile: 'custom.prf' is not an absolute path")
    _no_report_and_failed(playbook(netns.name, tmp_path / "i", "-e", "hostnet_lynis_profile=/etc/passwd"),
                          tmp_path / "i", "hostnet_lynis_profile: /etc/passwd does not end in .prf, so it is not a "
                          "lynis profile; expected a lynis profile")

    # the enforcing play's variables too, under --check: a typo or "maybe" never passes (it was read as false)
    _no_report_and_failed(playbook(netns.name, tmp_path / "i", "-e", "hostnet_bridge_mac_policy=bogus",
                                   "-e", "hostnet_enforce=maybe", "-e", "hostnet_team_to_bond=perhaps"),
                          tmp_path / "i", "hostnet_bridge_mac_policy: 'bogus' is not one of auto, uplink, derived; "
                          "hostnet_enforce: 'maybe' is not a boolean; use true or false (also yes/no, on/off, 1/0); "
                          "hostnet_team_to_bond: 'perhaps' is not a boolean")
    # an unset CI variable: the report would have landed in the working directory
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    empty = subprocess.run(["ip", "netns", "exec", netns.name, str(Path(sys.executable).parent / "ansible-playbook"),
                            "-i", str(REPO / "playbooks" / "inventory" / "localhost.yml"),
                            "hostnet.dockerhost.harden_docker_hosts", "--check", "-e", "hostnet_report_dir="],
                           cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                           env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1"))
    _no_report_and_failed(empty, tmp_path / "none", "hostnet_report_dir: empty; give an absolute directory")
    assert list(cwd.iterdir()) == []
    _no_report_and_failed(playbook(netns.name, tmp_path / "j", "-e", "hostnet_report_dir=rel/dir"), tmp_path / "j",
                          "hostnet_report_dir: 'rel/dir' is relative")

    # the gate level is case-insensitive, and a repeated check is audited once
    ok = playbook(netns.name, tmp_path / "e", "-e", '{"hostnet_checks": ["bridge_mac", "bridge_mac"]}', "-e", "hostnet_fail_on=ERROR")
    assert ok.returncode != 0 and "Findings at or above 'error' remain" in ok.stdout, ok.stdout
    report = json.loads((tmp_path / "e" / "report.json").read_text())
    assert [f["id"] for f in report["findings"]] == ["bridge_mac_inherited"]


def test_a_stale_host_file_never_counts_and_an_unreachable_host_is_reported(netns, tmp_path):
    drifting_bridge(netns)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n"
        "ghost ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody\n" % sys.executable)
    report_dir = tmp_path / "r"
    (report_dir / "hosts").mkdir(parents=True)
    # an earlier run's file saying the ghost was compliant
    (report_dir / "hosts" / "ghost.json").write_text(json.dumps({
        "format": 1, "host": "ghost", "run_id": "20200101T000000Z-00000000", "time": "2020-01-01T00:00:00Z",
        "result": {"compliant": True, "summary": {"error": 0, "warning": 0, "info": 0}, "findings": []}}))
    proc = playbook(netns.name, report_dir, "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_return_state=true",
                    inventory=inventory)
    assert proc.returncode != 0
    assert re.search(r"(?m)^ghost +: ok=0 +changed=0 +unreachable=1 ", proc.stdout), proc.stdout
    report = json.loads((report_dir / "report.json").read_text())
    assert report["summary"]["failed_hosts"] == ["ghost"]
    assert report["hosts"]["ghost"]["status"] == "audit_failed" and "unreachable" in report["hosts"]["ghost"]["msg"]
    assert [(f["host"], f["id"]) for f in report["findings"]] == [("ghost", "audit_failed"), ("localhost", "bridge_mac_inherited")]
    # hostnet_return_state=true: the read model goes to the host's own file, never into report.json
    host_file = json.loads((report_dir / "hosts" / "localhost.json").read_text())
    assert "brpb" in host_file["state"]["links"]
    assert "state" not in json.dumps(report["hosts"])
    assert '"ifindex"' not in (report_dir / "report.json").read_text()  # no link of any read model


def test_an_enforcing_run_reports_what_it_changed_in_the_enforced_schema(netns, tmp_path):
    drifting_bridge(netns)
    _etc, wrap = private_etc(tmp_path)  # the fixes may persist: into a private copy of /etc
    args = ("-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_persist=false")
    first = playbook(netns.name, tmp_path / "r1", *args, check=False, wrap=wrap)
    assert first.returncode == 0, first.stdout
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    enforced = report["hosts"]["localhost"]["enforced"]
    mac = netns.links()["brpb"]["address"]
    assert enforced == {
        "findings_before": 1,
        "promisc": [],
        "bridge_mac": [{"bridge": "brpb", "before": "02:00:00:00:40:01", "after": mac,
                        "source": enforced["bridge_mac"][0]["source"],
                        "mac_changed": mac != "02:00:00:00:40:01", "backend": None}],
        "forwarding": [],
        "team_to_bond": [],
        "errors": [],
        "skipped": [],
    }
    assert netns.read("/sys/class/net/brpb/addr_assign_type") == "3"  # pinned in the kernel
    assert report["findings"] == [] and report["hosts"]["localhost"]["status"] == "compliant"

    second = playbook(netns.name, tmp_path / "r2", *args, check=False, wrap=wrap)
    assert second.returncode == 0, second.stdout
    again = json.loads((tmp_path / "r2" / "report.json").read_text())["hosts"]["localhost"]["enforced"]
    assert again == {"findings_before": 0, "promisc": [], "bridge_mac": [], "forwarding": [], "team_to_bond": [],
                     "errors": [], "skipped": []}


def test_a_limit_that_leaves_the_controller_out_still_checks_and_reports(netns, tmp_path):
    drifting_bridge(netns)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("dockerhost1 ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    proc = playbook(netns.name, tmp_path / "r", "-e", '{"hostnet_checks": ["bridge_mac"]}', "--limit", "dockerhost1",
                    inventory=inventory)
    assert proc.returncode == 0, proc.stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert list(report["hosts"]) == ["dockerhost1"] and report["findings"][0]["interface"] == "brpb"
    assert not re.search(r"(?m)^localhost +:", proc.stdout)  # --limit kept the controller's plays off localhost

    nomatch = playbook(netns.name, tmp_path / "n", "-e", "hostnet_hosts=webservers", "--limit", "dockerhost1",
                       inventory=inventory)
    _no_report_and_failed(nomatch, tmp_path / "n",
                          "hostnet_hosts: the pattern 'webservers' matches no host within --limit 'dockerhost1'")


def test_an_excluded_interface_a_host_lacks_is_a_warning_not_a_failed_host(netns, tmp_path):
    """A fleet excludes docker0; this host has none: it is audited, and the report says what was not there."""
    drifting_bridge(netns)
    proc = playbook(netns.name, tmp_path / "r", "-e", '{"hostnet_exclude": ["docker0"], "hostnet_checks": ["bridge_mac"]}')
    assert proc.returncode == 0, proc.stdout
    assert "exclude names docker0, which this host does not have" in proc.stdout  # the run's warning
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    status = report["hosts"]["localhost"]
    assert status["status"] == "not_compliant" and not status.get("failed"), status
    assert status["unknown_interfaces"] == {"exclude": ["docker0"]}
    assert [(f["id"], f["interface"]) for f in report["findings"]] == [("bridge_mac_inherited", "brpb")]
    assert "exclude names docker0, which this host does not have" in (tmp_path / "r" / "report.md").read_text()
    assert "exclude names docker0" in (tmp_path / "r" / "summary.txt").read_text()


def test_a_wrong_host_variable_fails_that_host_before_anything_is_enforced(netns, tmp_path):
    """The controller's values are checked before any host is touched (fleet_run, on localhost); a host's own
    value (host or group vars) fails that host in its audit task, before anything is enforced on it."""
    drifting_bridge(netns)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter={0}\n"
                         "web1 ansible_connection=local ansible_python_interpreter={0} hostnet_persist=perhaps\n"
                         .format(sys.executable))
    _etc, wrap = private_etc(tmp_path)
    proc = playbook(netns.name, tmp_path / "r1", "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_hosts=web1",
                    inventory=inventory, check=False, wrap=wrap)
    assert proc.returncode != 0, proc.stdout
    assert netns.read("/sys/class/net/brpb/addr_assign_type") != "3"  # nothing enforced
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert report["hosts"]["web1"]["status"] == "audit_failed"
    assert "this host's variables: hostnet_persist: 'perhaps' is not a boolean" in report["hosts"]["web1"]["msg"]
    assert re.search(r"(?m)^web1 +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=1 ", proc.stdout), proc.stdout


def test_hostile_names_reach_every_text_output_escaped(netns, tmp_path):
    """A bridge whose name carries an ESC sequence and shell metacharacters: shown escaped in summary.txt,
    report.md, the run's output; report.md draws it (Mermaid) without the name becoming diagram syntax."""
    name = "b\x1b[2J;x"
    netns.ip("link", "add", name, "type", "bridge")
    netns.ip("link", "add", "ctrhn", "address", "02:00:00:00:40:02", "type", "veth", "peer", "name", "ctrhnp")
    netns.ip("link", "set", "ctrhn", "master", name)
    proc = playbook(netns.name, tmp_path / "r", "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_fail_on=error")
    assert proc.returncode != 0
    assert "\x1b" not in proc.stdout and "x1b[2J;x" in proc.stdout
    summary = (tmp_path / "r" / "summary.txt").read_text()
    assert "\x1b" not in summary and "b\\x1b[2J;x" in summary
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "\x1b" not in markdown and "b\\\\x1b\\[2J;x" in markdown  # shown, with Markdown's own escapes
    assert "```mermaid\nflowchart LR\n" in markdown and "1 container veth" in markdown
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["findings"][0]["interface"] == name  # the data stays exact


def test_inventory_and_play_variables_override_the_playbook_defaults(netns, tmp_path):
    """The defaults have the lowest precedence: a group_vars/host var (here in the inventory) and an
    import_playbook's vars win over them, as they would over role defaults."""
    drifting_bridge(netns)
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s hostnet_fail_on=error "
                         "hostnet_enforce=false\n" % sys.executable)
    _etc, wrap = private_etc(tmp_path)
    gated = playbook(netns.name, tmp_path / "r1", "-e", '{"hostnet_checks": ["bridge_mac"]}', inventory=inventory,
                     check=False, wrap=wrap)
    assert gated.returncode != 0 and "Findings at or above 'error' remain on localhost" in gated.stdout, gated.stdout
    assert netns.read("/sys/class/net/brpb/addr_assign_type") != "3"  # hostnet_enforce=false from the inventory

    wrapper = tmp_path / "wrapper.yml"
    wrapper.write_text("- ansible.builtin.import_playbook: hostnet.dockerhost.harden_docker_hosts\n"
                       "  vars:\n    hostnet_enforce: false\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ip", "netns", "exec", netns.name] + wrap + [
        str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(REPO / "playbooks" / "inventory" / "localhost.yml"),
        str(wrapper), "-e", "hostnet_report_dir=%s" % (tmp_path / "r2"), "-e", '{"hostnet_checks": ["bridge_mac"]}'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout
    assert netns.read("/sys/class/net/brpb/addr_assign_type") != "3"  # the import's hostnet_enforce=false held
    report = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert [f["id"] for f in report["findings"]] == ["bridge_mac_inherited"]
