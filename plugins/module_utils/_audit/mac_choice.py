# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which MAC a bridge is pinned to: one rule that the bridge_mac finding's remediation (audit) and the
bridge_mac module (plan, apply) share, so it lives in the lower layer.

A bridge whose MAC was never set takes the lowest MAC of its ports; after ``ip link set BR address X``
the kernel keeps X (``br->dev_addr_set``, sysfs addr_assign_type 3). The choice of X is pure
(``choose_bridge_mac``).

Derived MACs: the first six bytes of SHA-256 over ``"hostnet.dockerhost bridge_mac\\n<machine-id>\\n<bridge>"``,
with the first octet made unicast and locally administered (``(b & 0xfc) | 0x02``): stable for a host and a
bridge name across reboots and reinstalls of the collection, different between hosts and bridges, and
outside every vendor's OUI space.
"""

from __future__ import annotations

__metaclass__ = type

import hashlib

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import LAG_KINDS, MACHINE_ID
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import mac_problem, validate_mac

POLICIES = ("auto", "uplink", "derived")
# Which ports count as the uplink, best first: a LAG, then a NIC, then anything that is not a container veth.
_UPLINK_RANK = {kind: 0 for kind in LAG_KINDS}
_UPLINK_RANK["physical"] = 1


def derived_mac(machine_id, bridge):
    digest = hashlib.sha256(("hostnet.dockerhost bridge_mac\n%s\n%s" % (machine_id, bridge)).encode()).digest()
    octets = bytearray(digest[:6])
    octets[0] = (octets[0] & 0xFC) | 0x02
    return ":".join("%02x" % o for o in octets)


def uplink_port(state, bridge):
    candidates = [p for p in ports_by_mac(state, bridge) if p.kind != "veth"]
    candidates.sort(key=lambda p: _UPLINK_RANK.get(p.kind, 2))
    return candidates[0] if candidates else None


def ports_by_mac(state, bridge):
    """The bridge's ports with a MAC, lowest first: the kernel compares MACs bytewise (memcmp)."""
    ports = [state.links[name] for name in bridge.ports if state.links[name].mac]
    return sorted(ports, key=lambda link: bytes.fromhex(link.mac.replace(":", "")))


def choose_bridge_mac(state, bridge, mac=None, policy="auto", machine_id=None):
    """(mac, source) to pin: the one rule that the bridge_mac finding's remediation and the module share.

    source is explicit (``mac`` given), kept, uplink or derived. ``auto`` is the least disruptive choice:
    the gateway MAC the neighbours know does not change - the bridge keeps its current MAC, whichever port
    it came from. Only a bridge with no usable MAC (00:00:00:00:00:00, as after its last port left) gets
    its uplink's MAC, else one derived from the machine id. ``uplink`` and ``derived`` change the MAC on
    purpose (the neighbours must learn it).
    """
    if mac:
        return validate_mac("mac", mac), "explicit"
    if policy == "auto" and bridge.mac and mac_problem(bridge.mac) is None:
        return bridge.mac.lower(), "kept"
    if policy in ("auto", "uplink"):
        uplink = uplink_port(state, bridge)
        if uplink is not None:
            return uplink.mac, "uplink"
        if policy == "uplink":
            raise InvalidInput("policy=uplink: bridge %s has no port other than container veths (ports: %s); use "
                               "policy=derived or give mac" % (bridge.name, ", ".join(bridge.ports) or "none"),
                               option="policy")
    if not machine_id:
        raise InvalidInput("bridge %s needs a derived MAC but %s is missing or empty; give mac explicitly"
                           % (bridge.name, MACHINE_ID), option="mac")
    return derived_mac(machine_id, bridge.name), "derived"
