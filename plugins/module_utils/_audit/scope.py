# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an audit looked at, in numbers and one sentence (pure).

"No findings" on a healthy Docker host and on a host with nothing to audit read the same; this says which
(``read 131 links: 3 bridges, 1 bond, Docker 20.10 with 2 bridges, systemd-networkd 252 running``).
"""

from __future__ import annotations

__metaclass__ = type


def _plural(count, word, plural=None):
    return "%d %s" % (count, word if count == 1 else (plural or word + "s"))


def audited(state):
    """The ``audited`` result of netstate_info: counts and a sentence a person reads."""
    kinds = [link.kind for link in state.links.values()]
    bridges, bonds, teams = kinds.count("bridge"), kinds.count("bond"), kinds.count("team")
    docker = state.docker
    networkd = state.networkd
    scope = {
        "links": len(state.links),
        "bridges": bridges,
        "bonds": bonds,
        "teams": teams,
        "docker": {
            "present": docker.present,
            "running": docker.engine_version is not None,
            "version": docker.engine_version,
            "bridges": len(docker.bridges),
        },
        "networkd": {"running": networkd.running, "version": networkd.version},
    }
    scope["description"] = describe(scope)
    scope["nothing_to_audit"] = not (bridges or bonds or teams or docker.present)
    return scope


MAX_TOPOLOGY_PORTS = 16  # other ports of one bridge named in the topology; the rest are counted


def topology(state):
    """The bridge chains in a few hundred bytes, for the report's pictures: per bridge its bonds and teams with
    their ports, its other ports (by kind) and how many container veths; never the read model."""
    bridges = []
    for bridge in sorted(state.bridges(), key=lambda link: link.name):
        ports = [state.links[name] for name in bridge.ports if name in state.links]
        named = []
        for port in ports:
            if port.kind == "veth":
                continue
            entry = {"name": port.name, "kind": port.kind}
            if port.ports and port.kind in ("bond", "team"):
                entry["ports"] = list(port.ports)
            named.append(entry)
        entry = {"name": bridge.name, "ports": named[:MAX_TOPOLOGY_PORTS],
                 "veths": sum(1 for port in ports if port.kind == "veth")}
        if len(named) > MAX_TOPOLOGY_PORTS:
            entry["more_ports"] = len(named) - MAX_TOPOLOGY_PORTS
        bridges.append(entry)
    return {"bridges": bridges}


def describe(scope):
    parts = [_plural(scope["bridges"], "bridge")]
    if scope["bonds"] or not scope["teams"]:
        parts.append(_plural(scope["bonds"], "bond"))
    if scope["teams"]:
        parts.append(_plural(scope["teams"], "team"))
    docker = scope["docker"]
    if docker["running"]:
        parts.append("Docker %s with %s" % (_short_version(docker["version"]), _plural(docker["bridges"], "bridge")))
    elif docker["present"]:
        parts.append("Docker (engine not answering) with %s" % _plural(docker["bridges"], "bridge"))
    else:
        parts.append("no Docker")
    networkd = scope["networkd"]
    if networkd["running"]:
        parts.append("systemd-networkd %s running" % (networkd["version"] or "(version unknown)"))
    else:
        parts.append("systemd-networkd not running")
    return "read %s: %s" % (_plural(scope["links"], "link"), ", ".join(parts))


def _short_version(version):
    """``20.10.24+dfsg1`` -> ``20.10.24``."""
    return str(version).split("+", 1)[0].split("~", 1)[0]
