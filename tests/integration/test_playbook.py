# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit playbook, run for real: reports on disk, the pipeline gate, a host without pyroute2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import COLLECTIONS, REPO, run


def playbook(ns_name, report_dir, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1")
    argv = ["ip", "netns", "exec", ns_name, str(Path(sys.executable).parent / "ansible-playbook"),
            "-i", str(REPO / "playbooks" / "inventory" / "localhost.yml"), "hostnet.dockerhost.harden_docker_hosts",
            "--check", "-e", "hostnet_report_dir=%s" % report_dir] + list(extra)
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
    junit = ET.parse(tmp_path / "r1" / "junit.xml").getroot()
    failures = junit.findall(".//testcase/failure")
    assert len(failures) == 1 and "bridge_mac_inherited" in failures[0].get("message")
    assert "brpb" in (tmp_path / "r1" / "report.md").read_text()
    assert "NOT compliant" in (tmp_path / "r1" / "summary.txt").read_text()
    assert netns.ip("-j", "link", "show") == addresses_before  # the audit changed nothing

    gated = playbook(netns.name, tmp_path / "r2", "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_fail_on=error")
    assert gated.returncode != 0
    assert "Findings at or above 'error' remain" in gated.stdout

    netns.ip("link", "set", "brpb", "address", "02:00:00:00:40:01")  # fixed: the gate passes
    passed = playbook(netns.name, tmp_path / "r3", "-e", '{"hostnet_checks": ["bridge_mac"]}', "-e", "hostnet_fail_on=info")
    assert passed.returncode == 0, passed.stdout


def test_a_host_without_pyroute2_is_reported_and_fails_naming_the_package(netns, tmp_path):
    bare = tmp_path / "bare"
    run([sys.executable, "-m", "venv", "--without-pip", str(bare)])
    proc = playbook(netns.name, tmp_path / "r", "-e", "ansible_python_interpreter=%s" % (bare / "bin" / "python"),
                    "-e", "hostnet_install_pyroute2=false")
    assert proc.returncode != 0
    assert "python3-pyroute2" in proc.stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    [finding] = report["findings"]
    assert finding["id"] == "audit_failed" and finding["host"] == "localhost"
    assert "python3-pyroute2" in json.dumps(finding)
    assert report["summary"]["failed_hosts"] == ["localhost"]
