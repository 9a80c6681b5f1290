# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read model's default routes (interface and gateway, from the netlink route dump) against the kernel's own
answer, ``ip -j route show default``, in a throwaway namespace: a gateway behind a bridge (team_to_bond's
default probe target), an IPv6 gateway, a multipath route, an on-link route, and one outside the main table."""

from __future__ import annotations

import json


def ip_default_routes(ns):
    """(family, interface, gateway) of every nexthop ``ip -j route show default`` lists, IPv4 and IPv6."""
    found = []
    for family, flag in (("ipv4", "-4"), ("ipv6", "-6")):
        for route in json.loads(ns.ip("-j", flag, "route", "show", "default") or "[]"):
            for hop in route.get("nexthops") or [route]:
                found.append((family, hop["dev"], hop.get("gateway")))
    return sorted(found, key=repr)


def veth(ns, name, master=None):
    ns.ip("link", "add", name, "type", "veth", "peer", "name", name + "p")
    if master:
        ns.ip("link", "set", name, "master", master)
    ns.ip("link", "set", name, "up")
    ns.ip("link", "set", name + "p", "up")


def test_default_routes_and_gateways_match_ip_route(netns):
    netns.ip("link", "add", "br0", "type", "bridge")
    netns.ip("link", "set", "br0", "up")
    veth(netns, "team0", master="br0")  # a port of the bridge the default route runs through
    netns.ip("addr", "add", "192.0.2.5/24", "dev", "br0")
    netns.ip("route", "add", "default", "via", "192.0.2.1", "dev", "br0")
    veth(netns, "up1")
    veth(netns, "up2")
    netns.ip("addr", "add", "198.51.100.5/25", "dev", "up1")
    netns.ip("addr", "add", "198.51.100.133/25", "dev", "up2")
    netns.ip("route", "add", "default", "metric", "200", "nexthop", "via", "198.51.100.1", "dev", "up1",
             "nexthop", "via", "198.51.100.129", "dev", "up2")
    netns.ip("route", "add", "default", "dev", "up2", "metric", "300")  # on-link: no gateway
    netns.ip("route", "add", "default", "via", "198.51.100.9", "dev", "up1", "table", "100")  # not main
    netns.ip("-6", "addr", "add", "2001:db8::5/64", "dev", "up1", "nodad")
    netns.ip("-6", "route", "add", "default", "via", "2001:db8::1", "dev", "up1")

    state = netns.audit(checks=["forwarding"])["state"]
    read = sorted(((r["family"], r["interface"], r["gateway"]) for r in state["default_routes"]), key=repr)

    expected = ip_default_routes(netns)
    assert ("ipv4", "br0", "192.0.2.1") in expected and ("ipv6", "up1", "2001:db8::1") in expected
    assert ("ipv4", "up2", None) in expected and ("ipv4", "up2", "198.51.100.129") in expected
    assert read == expected
    assert all(gateway != "198.51.100.9" for _family, _dev, gateway in read)
    assert state["default_route_interfaces"] == ["br0", "up1", "up2"]


def test_no_default_route_reads_none(netns):
    veth(netns, "up1")
    netns.ip("addr", "add", "198.51.100.5/24", "dev", "up1")

    state = netns.audit(checks=["forwarding"])["state"]

    assert ip_default_routes(netns) == []
    assert state["default_routes"] == [] and state["default_route_interfaces"] == []
