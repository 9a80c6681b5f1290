# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""report.md's pictures: each host's LAG -> bridge -> containers chain as a Mermaid flowchart.

Drawn from the ``topology`` netstate_info returns with its findings (the bridges, their LAGs with their
ports, other ports, and how many container veths: a few hundred bytes, not the read model). The interface a
finding names is marked with its severity's class; container veths are one node with a count. Hosts whose
diagram comes out the same (same shape, same names, same findings) share it.

Names come from hostile hosts, so nothing of a name reaches Mermaid's syntax: node ids are generated
(``n0``, ``n1``...), and every label is quoted with each character outside a small safe set written as a
Mermaid entity (``#59;`` for ``;``), control characters first made visible (``\\x1b``).
"""

from __future__ import annotations

import re

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import SEVERITY_RANK
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible

MAX_PORTS = 8  # other ports of one bridge drawn by name; the rest become one "+N more ports" node
MAX_BRIDGES = 8  # bridges drawn when no finding names one (the host-wide findings' hosts)
MAX_HOSTS_NAMED = 20
CLASS_DEFS = (
    "classDef error fill:#fdd,stroke:#c00,stroke-width:3px",
    "classDef warning fill:#ffe8bf,stroke:#c60,stroke-width:3px",
    "classDef info fill:#e8f0ff,stroke:#36c,stroke-width:2px",
)
_SAFE = re.compile(r"[A-Za-z0-9 _.:/()+,=@-]")


def label(text):
    """A quoted Mermaid label: every character outside the safe set as an entity, so no name ends the quote,
    starts a comment (``%%``), a statement (``;``), markup (``<``) or a Markdown string (a backtick)."""
    return '"%s"' % "".join(char if _SAFE.match(char) else "#%d;" % ord(char) for char in visible(text))


class _Diagram:
    def __init__(self, marks):
        self.lines, self.ids, self.marks, self.used = [], {}, marks, set()

    def node(self, key, text):
        """The id of a node (made once per key), its label and, for a name a finding names, its class."""
        if key not in self.ids:
            self.ids[key] = "n%d" % len(self.ids)
            self.lines.append("  %s[%s]" % (self.ids[key], label(text)))
        return self.ids[key]

    def named(self, name, kind=None):
        node = self.node(("if", name), "%s (%s)" % (name, kind) if kind else name)
        self.used.add(name)
        return node

    def edge(self, source, target):
        self.lines.append("  %s --> %s" % (source, target))

    def text(self):
        marked = {}
        for name, severity in self.marks.items():
            if ("if", name) in self.ids:
                marked.setdefault(severity, []).append(self.ids[("if", name)])
        classes = ["  class %s %s" % (",".join(ids), severity) for severity, ids in sorted(marked.items())]
        return "\n".join(["flowchart LR"] + ["  " + line for line in CLASS_DEFS] + self.lines + classes)


def _marks(audit):
    """{interface: worst severity of the findings naming it}."""
    marks = {}
    for finding in audit.findings:
        name = finding.get("interface")
        if name is not None and (name not in marks or SEVERITY_RANK[finding["severity"]] < SEVERITY_RANK[marks[name]]):
            marks[name] = finding["severity"]
    return marks


def _names_of(bridge):
    names = {bridge.get("name")}
    for port in bridge.get("ports") or []:
        names.add(port.get("name"))
        names.update(port.get("ports") or [])
    return names


def _chosen_bridges(bridges, marks):
    chosen = [bridge for bridge in bridges if _names_of(bridge) & set(marks)]
    return chosen or bridges[:MAX_BRIDGES]


def _draw_bridge(diagram, bridge):
    bridge_node = diagram.named(bridge["name"], "bridge")
    others = [port for port in bridge.get("ports") or [] if not port.get("ports")]
    for port in bridge.get("ports") or []:
        if port.get("ports"):  # a bond or team: its ports feed it
            lag_node = diagram.named(port["name"], port.get("kind"))
            for name in port["ports"]:
                diagram.edge(diagram.named(name), lag_node)
            diagram.edge(lag_node, bridge_node)
    for port in others[:MAX_PORTS]:
        diagram.edge(diagram.named(port["name"], port.get("kind")), bridge_node)
    more = len(others) - MAX_PORTS + int(bridge.get("more_ports") or 0)
    if more > 0:
        diagram.edge(diagram.node(("more", bridge["name"]), "+%d more ports" % more), bridge_node)
    veths = int(bridge.get("veths") or 0)
    if veths:
        noun = "container veth" if veths == 1 else "container veths"
        diagram.edge(bridge_node, diagram.node(("veths", bridge["name"]), "%d %s" % (veths, noun)))


def host_diagram(audit):
    """The Mermaid flowchart of one host, or None (no findings, a failed audit, or no topology)."""
    topology = audit.topology
    if audit.failed or not audit.findings or not isinstance(topology, dict):
        return None
    bridges = [bridge for bridge in topology.get("bridges") or [] if isinstance(bridge, dict) and bridge.get("name")]
    marks = _marks(audit)
    diagram = _Diagram(marks)
    for bridge in _chosen_bridges(bridges, marks):
        _draw_bridge(diagram, bridge)
    for name in sorted(set(marks) - diagram.used):  # a finding on an interface outside every bridge chain
        diagram.named(name)
    return diagram.text() if diagram.lines else None


def diagram_groups(audits):
    """[(diagram, [hosts])] in the order of each diagram's first host: hosts with the same picture share it."""
    groups = {}
    for audit in audits:
        diagram = host_diagram(audit)
        if diagram is not None:
            groups.setdefault(diagram, []).append(audit.host)
    return list(groups.items())


def hosts_in_words(hosts):
    named = ", ".join(hosts[:MAX_HOSTS_NAMED])
    if len(hosts) > MAX_HOSTS_NAMED:
        named += " and %d more" % (len(hosts) - MAX_HOSTS_NAMED)
    return named
