# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters as Ansible loads them: ansible-doc and a playbook on localhost (a few seconds)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET

import pytest

from test_fleet_report_filters import FILTER_NAMES  # the one list of this plugin's filters

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(autouse=True)
def _ansible_cli_on_path():
    # A missing CLI is a broken test environment, not a reason to skip: `make unit` puts .venv/bin on PATH.
    assert shutil.which("ansible-doc") and shutil.which("ansible-playbook"), "ansible command line tools not on PATH"


def run(args, collections_root, cwd):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections_root,
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_ansible_doc_shows_every_filter(collections_root, tmp_path):
    result = run(["ansible-doc", "-t", "filter", "--json"] + ["hostnet.dockerhost." + n for n in FILTER_NAMES], collections_root, tmp_path)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert sorted(docs) == sorted("hostnet.dockerhost." + n for n in FILTER_NAMES)
    for name, doc in docs.items():
        assert doc["doc"]["name"] == name.rsplit(".", 1)[1]
        assert doc["doc"]["short_description"]
        assert doc["examples"]
        assert "_value" in doc["return"]


PLAYBOOK = textwrap.dedent(
    """\
    - name: Build a fleet the way the documented example does, then report on it
      hosts: docker_hosts
      gather_facts: false
      tasks:
        - name: Fake an audit result on the hosts that "ran" it
          ansible.builtin.set_fact:
            __audit: "{{ audits[inventory_hostname] }}"
          when: inventory_hostname in audits

        - name: Gather the fleet on the controller (copied from fleet_findings.yml)
          ansible.builtin.set_fact:
            fleet: >-
              {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                      | map(attribute='__audit', default={'failed': true, 'msg': 'no audit result'}))) }}
          run_once: true

        - name: Report
          ansible.builtin.copy:
            content: "{{ item.content }}"
            dest: "{{ out_dir }}/{{ item.name }}"
            mode: "0644"
          loop:
            - name: findings.json
              content: "{{ fleet | hostnet.dockerhost.fleet_findings | to_json }}"
            - name: summary.json
              content: "{{ fleet | hostnet.dockerhost.fleet_summary | to_json }}"
            - name: hosts_with_errors.json
              content: >-
                {{ fleet | hostnet.dockerhost.select_findings(severity='error', query='sort_by(@, &host)[].host')
                         | unique | to_json }}
            - name: report.xml
              content: "{{ fleet | hostnet.dockerhost.findings_to_junit }}"
            - name: report.md
              content: "{{ fleet | hostnet.dockerhost.findings_to_markdown }}"
            - name: summary_filter.txt
              content: "{{ fleet | hostnet.dockerhost.fleet_summary_text(report_dir='/srv/audit') }}"
          delegate_to: localhost
          run_once: true
    """
)

AUDITS = {
    "docker1": {
        "changed": False,
        "compliant": False,
        "summary": {"error": 1, "warning": 0, "info": 0},
        "findings": [
            {
                "id": "lag_port_not_promisc",
                "check": "promisc",
                "severity": "error",
                "interface": "eno1",
                "current": False,
                "expected": True,
                "remediation": "ip link set dev eno1 promisc on",
                "why": "Frames for container MACs | are dropped.",
            }
        ],
    },
    "docker2": {
        "changed": False,
        "compliant": True,
        "summary": {"error": 0, "warning": 0, "info": 0},
        "findings": [],
        "audited": {"links": 44, "bridges": 2, "bonds": 1, "teams": 0, "description": "read 44 links: 2 bridges, 1 bond"},
        "enforced": {
            "findings_before": 2,
            "bridge_mac": [
                {"bridge": "br0", "before": "02:42:ac:11:00:02", "after": "52:54:00:12:34:56", "source": "uplink", "mac_changed": True}
            ],
            "promisc": ["eno1"],
            "forwarding": [],
            "team_to_bond": [],
        },
    },
}


def test_playbook_with_every_filter(collections_root, tmp_path):
    (tmp_path / "site.yml").write_text(PLAYBOOK, encoding="utf-8")
    (tmp_path / "hosts.ini").write_text(
        "[docker_hosts]\ndocker1\ndocker2\ndocker3\n\n[docker_hosts:vars]\nansible_connection=local\n", encoding="utf-8"
    )
    (tmp_path / "vars.json").write_text(json.dumps({"audits": AUDITS, "out_dir": str(tmp_path)}), encoding="utf-8")
    result = run(["ansible-playbook", "-i", "hosts.ini", "site.yml", "-e", "@vars.json"], collections_root, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stderr, result.stderr

    findings = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert [(f["host"], f["id"]) for f in findings] == [("docker1", "lag_port_not_promisc"), ("docker3", "audit_failed")]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["hosts"] == 3
    assert summary["failed_hosts"] == ["docker3"]
    assert summary["compliant_hosts"] == 1
    assert json.loads((tmp_path / "hosts_with_errors.json").read_text(encoding="utf-8")) == ["docker1", "docker3"]

    root = ET.parse(str(tmp_path / "report.xml")).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("15", "1", "5")
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "### docker1: lag_port_not_promisc on eno1 (error)" in markdown
    assert "- Why: Frames for container MACs \\| are dropped." in markdown
    assert "| docker3 | audit failed | 1 | 0 | 0 | — | — |" in markdown
    assert "- bridge `br0` pinned from MAC `02:42:ac:11:00:02` to `52:54:00:12:34:56` (the uplink's MAC)" in markdown

    summary_text = (tmp_path / "summary_filter.txt").read_text(encoding="utf-8")
    assert summary_text.splitlines() == [
        "hostnet.dockerhost audit: 3 hosts, 1 compliant, 1 not compliant, 1 not audited",
        "findings: 2 error, 0 warning, 0 info",
        "this run changed 2 things on 1 host",
        "  docker1: NOT compliant (1 error, 0 warning, 0 info)",
        "    [error] lag_port_not_promisc: port eno1 of a bridged bond or team is not promiscuous -> ip link set dev eno1 promisc on",
        "  docker2: compliant",
        "    looked at: read 44 links: 2 bridges, 1 bond",
        "    changed: bridge br0 pinned from MAC 02:42:ac:11:00:02 to 52:54:00:12:34:56 (the uplink's MAC)",
        "    changed: eno1 made promiscuous",
        "  docker3: audit failed: no audit result",
        "    try: ansible docker3 -m hostnet.dockerhost.netstate_info",
        "report: /srv/audit/report.md (also report.json, junit.xml)",
    ]
