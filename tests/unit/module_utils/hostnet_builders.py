# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small builders for hand-made host states; the tests read like the topology they describe."""

from __future__ import annotations

import itertools

from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    BondInfo,
    DockerState,
    HostState,
    Link,
    NetworkdState,
    TeamInfo,
    UnitFile,
)

_ifindexes = itertools.count(2)


def link(name, kind="veth", **kw):
    """A Link; ``promisc=True`` means sysfs flags carry IFF_PROMISC (what the NIC really does)."""
    promisc = kw.pop("promisc", None)
    if promisc is not None:
        kw.setdefault("sysfs_promisc", promisc)
    kw.setdefault("ifindex", next(_ifindexes))
    return Link(name=name, kind=kind, **kw)


def bond(name, mode, active=None, **kw):
    return link(name, "bond", bond=BondInfo(mode=mode, active_slave=active), **kw)


def team(name, runner="lacp", **kw):
    return link(name, "team", team=TeamInfo(runner=runner), **kw)


def bridge(name, **kw):
    kw.setdefault("addr_assign_type", 3)
    return link(name, "bridge", **kw)


def state(*links, **kw):
    """A HostState whose ``ports`` lists follow from each link's ``master``."""
    by_name = {item.name: item for item in links}
    for item in links:
        if item.master is not None and item.name not in by_name[item.master].ports:
            by_name[item.master].ports.append(item.name)
    for item in links:
        item.ports.sort()
    return HostState(links=by_name, **kw)


def docker(*bridges, present=True, configured_bridge=None):
    return DockerState(present=present, configured_bridge=configured_bridge, bridges=sorted(bridges))


def unit(path, text, dropins=()):
    """A UnitFile from ``text`` at ``path`` plus ``(dropin_path, dropin_text)`` pairs, in systemd's order."""
    result = UnitFile(path=path)
    result.add_text(path, text)
    for dropin_path, dropin_text in dropins:
        result.dropins.append(dropin_path)
        result.add_text(dropin_path, dropin_text)
    return result


def networkd(version, network_files=(), networkd_conf=(), link_network_file=None, running=None):
    link_network_file = dict(link_network_file or {})
    return NetworkdState(
        installed=True,
        running=bool(link_network_file) if running is None else running,
        version=version,
        network_files=list(network_files),
        networkd_conf=list(networkd_conf),
        link_network_file=link_network_file,
    )


def by_interface(findings):
    return {f.interface: f for f in findings}
