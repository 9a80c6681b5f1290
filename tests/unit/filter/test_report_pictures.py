# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.md's Mermaid pictures: the chain of each host with findings, shared by hosts with the same picture,
hostile names kept out of Mermaid's syntax - checked with Mermaid's own parser (tests/mermaid/parse.mjs).

The parser needs node and `npm ci --prefix tests/mermaid` (.ci/run does both and sets HOSTNET_REQUIRE_MERMAID=1,
so a missing parser fails there instead of skipping)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import report_pipeline
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_mermaid import host_diagram, label

MERMAID_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "mermaid")
HOSTILE = ["b;reboot", 'x"y', "end", "a%%b", "c`d", "<b>x</b>", "e#quot;f", "g\x1b[31mh", "k\x9bl", "m-->n", "o]p",
           "click", "q\\r", "s&t", "style", "u\u202ev"]


def finding(interface, fid="lag_port_not_promisc", severity="error", check="promisc"):
    return {"id": fid, "check": check, "severity": severity, "interface": interface, "current": None,
            "expected": None, "remediation": None, "why": None}


def team_host(*findings, team="team0", ports=("eno0", "eno1"), bridge="br0", veths=40, others=()):
    topology = {"bridges": [{"name": bridge, "veths": veths,
                             "ports": [{"name": team, "kind": "team", "ports": list(ports)}]
                             + [{"name": name, "kind": "vxlan"} for name in others]},
                            {"name": "docker0", "veths": 3, "ports": []}]}
    return {"findings": list(findings), "compliant": False, "topology": topology}


def audits_of(results):
    return report_pipeline.fleet_value(results, run_id="r").audits


def _node_parse(diagrams):
    required = os.environ.get("HOSTNET_REQUIRE_MERMAID") == "1"
    if not shutil.which("node") or not os.path.isdir(os.path.join(MERMAID_DIR, "node_modules", "mermaid")):
        if required:
            pytest.fail("Mermaid's parser is missing: npm ci --prefix tests/mermaid (needs node and npm)")
        pytest.skip("Mermaid's parser is not installed: npm ci --prefix tests/mermaid")
    proc = subprocess.run(["node", os.path.join(MERMAID_DIR, "parse.mjs")], input=json.dumps(diagrams), text=True,
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _hostile_host(name):
    return team_host(finding(name), team=name + "t", ports=(name, "eno1"), bridge=name + "b", others=(name + "x",))


_SHARED = {"web1": team_host(finding("eno1")), "web2": team_host(finding("eno1")),
           "web3": team_host(finding("eno0")), "web4": team_host(), "web5": {"failed": True, "msg": "down"},
           "web6": {"findings": [finding("eno1")], "compliant": False}}  # no topology: an older module
_CACHE = {}


def mermaid_parse(diagrams):
    """Mermaid's own verdict on each diagram (tests/mermaid/parse.mjs): every diagram of this file is parsed in
    one run of node (starting Mermaid takes seconds), on the first call."""
    if not _CACHE:
        every = [host_diagram(audit) for audit in audits_of({"h": team_host(finding("eno1"), others=("vx0",))})]
        every += [host_diagram(audit) for audit in audits_of(_SHARED)]
        every += [host_diagram(audit) for audit in audits_of({"h": team_host(
            finding("br0", "bridge_mac_inherited", "warning", "bridge_mac"),
            finding("eth0", "interface_forwarding_off", "error", "forwarding"))})]
        every += [host_diagram(audits_of({"h": _hostile_host(name)})[0]) for name in HOSTILE]
        every = list(dict.fromkeys(diagram for diagram in every if diagram))
        _CACHE.update(zip(every, _node_parse(every)))
    missing = [diagram for diagram in diagrams if diagram not in _CACHE]
    if missing:
        _CACHE.update(zip(missing, _node_parse(missing)))
    return [_CACHE[diagram] for diagram in diagrams]


def test_the_chain_of_a_host_with_the_finding_marked_and_veths_collapsed():
    [audit] = audits_of({"web1": team_host(finding("eno1"), others=("vx0",))})
    diagram = host_diagram(audit)
    assert diagram.splitlines()[0] == "flowchart LR"
    assert '  n0["br0 (bridge)"]' in diagram
    assert '["40 container veths"]' in diagram
    assert "docker0" not in diagram  # no finding there: only the chains a finding names are drawn
    [parsed] = mermaid_parse([diagram])
    assert parsed["ok"], parsed
    nodes = {text: classes for _id, text, classes in parsed["nodes"]}
    assert sorted(nodes) == sorted(["br0 (bridge)", "team0 (team)", "eno0", "eno1", "vx0 (vxlan)", "40 container veths"])
    assert nodes["eno1"] == ["error"] and nodes["eno0"] == [] and nodes["team0 (team)"] == []
    assert parsed["edges"] == 5  # eno0, eno1 -> team0 -> br0 <- vx0; br0 -> veths


def test_hosts_with_the_same_picture_share_it_and_the_others_get_their_own():
    markdown = report_pipeline.render_files(report_pipeline.fleet_value(_SHARED, run_id="r"))["report.md"]
    blocks = re.findall(r"^([^\n]*) \((\d+) hosts?\):\n\n```mermaid\n(.*?)\n```$", markdown, flags=re.M | re.S)
    assert [(hosts, count) for hosts, count, _diagram in blocks] == [("web1, web2", "2"), ("web3", "1")]
    assert all(parsed["ok"] for parsed in mermaid_parse([diagram for _h, _c, diagram in blocks]))


def test_a_finding_outside_every_bridge_and_a_bridge_finding():
    [audit] = audits_of({"h": team_host(finding("br0", "bridge_mac_inherited", "warning", "bridge_mac"),
                                        finding("eth0", "interface_forwarding_off", "error", "forwarding"))})
    [parsed] = mermaid_parse([host_diagram(audit)])
    nodes = {text: classes for _id, text, classes in parsed["nodes"]}
    assert nodes["br0 (bridge)"] == ["warning"] and nodes["eth0"] == ["error"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_is_one_label_and_never_mermaid_syntax(name):
    [audit] = audits_of({"h": _hostile_host(name)})
    diagram = host_diagram(audit)
    for line in diagram.splitlines()[1:]:
        assert re.match(r"^  (classDef \w+ [\w:#,-]+|n\d+\[\"[^\"\n]*\"\]|n\d+ --> n\d+|class [n\d,]+ \w+)$", line), line
    [parsed] = mermaid_parse([diagram])
    assert parsed["ok"], (parsed, diagram)
    assert len(parsed["nodes"]) == 6 and parsed["edges"] == 5  # nothing more came out of a name
    assert [classes for _id, text, classes in parsed["nodes"] if classes] == [["error"]]


def test_labels_keep_safe_characters_and_encode_the_rest():
    assert label("eno1 (bond)") == '"eno1 (bond)"'
    assert label('a;"b') == '"a#59;#34;b"'
    assert label("x\x1by") == '"x#92;x1by"'  # the control character made visible first, then encoded
