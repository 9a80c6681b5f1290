# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bridge_mac: pin a bridge's MAC so that ports joining and leaving never change it.

The bridge the module is asked for (``the_bridge``); the MAC it gets is ``_audit/mac_choice.choose_bridge_mac``
(the rule the audit's remediation shares); ``_apply/bridge_mac.enforce_bridge_mac`` applies it over netlink
and through the owning backend.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import AF_BRIDGE, AF_INET, AF_INET6
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    validate_interface_names,
    validate_known_interfaces,
)


def mac_conflicts(state, bridge, mac, neighbours=()):
    """Who already uses ``mac`` on the L2 of ``bridge`` (descriptions; [] when nobody): its ports (the uplink
    and container veths), any other interface of this host, stations the bridge learned (its forwarding
    database) and IPv4/IPv6 neighbours on it. ``neighbours``: ``_read.netlink.dump_neighbours()``. Pinning
    the MAC the bridge has now creates no new conflict: []."""
    mac = mac.lower()
    if bridge.mac and bridge.mac.lower() == mac:
        return []
    found = []
    ports = set(bridge.ports)
    for name, link in sorted(state.links.items()):
        if name != bridge.name and link.mac and link.mac.lower() == mac:
            found.append("%s %s (%s)" % ("its port" if name in ports else "interface", name, link.kind))
    by_index = {link.ifindex: link for link in state.links.values()}
    port_indexes = {state.links[name].ifindex for name in ports if name in state.links}
    for family, index, master, other, permanent in neighbours:
        if other.lower() != mac:
            continue
        if family == AF_BRIDGE and not permanent and (master == bridge.ifindex or index in port_indexes):
            port = by_index.get(index)
            found.append("a station the bridge learned on port %s (forwarding database)"
                         % (port.name if port else "#%d" % index))
        elif family in (AF_INET, AF_INET6) and index == bridge.ifindex:
            found.append("an %s neighbour of %s" % ("IPv4" if family == AF_INET else "IPv6", bridge.name))
    return list(dict.fromkeys(found))


def the_bridge(state, name):
    # Ansible turns a list given to a str option into its Python text ("['br0']"); a real interface may be
    # named "[x]" (the kernel accepts it), so the text counts as a list only when no such interface exists.
    if isinstance(name, (list, tuple)) or (isinstance(name, str) and name.startswith("[") and name.endswith("]")
                                           and name not in state.links):
        raise InvalidInput("bridge takes a single interface name, got a list (%s); run the module once per bridge "
                           "(loop)" % (name,), option="bridge")
    validate_interface_names("bridge", [name])
    validate_known_interfaces("bridge", [name], state.links)
    link = state.links[name]
    if link.kind != "bridge":
        raise InvalidInput("bridge: %s is a %s, not a bridge (bridges on this host: %s)"
                           % (name, link.kind, ", ".join(sorted(b.name for b in state.bridges())) or "none"),
                           option="bridge")
    return link
