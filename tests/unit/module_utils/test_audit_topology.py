# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netstate_info's ``topology``: the bridge chains the fleet report draws, small on purpose."""

from __future__ import annotations

import json

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.scope import MAX_TOPOLOGY_PORTS, topology
from hostnet_builders import bridge, link, state, team


def test_bridges_with_their_lags_other_ports_and_a_veth_count():
    host = state(
        link("eno0", "physical", master="team0"), link("eno1", "physical", master="team0"),
        team("team0", master="br0"), link("vx0", "vxlan", master="br0"), bridge("br0"),
        *[link("veth%d" % n, master="br0") for n in range(40)],
        bridge("docker0"), link("vethd", master="docker0"), link("eth9", "physical"))
    assert topology(host) == {"bridges": [
        {"name": "br0", "ports": [{"name": "team0", "kind": "team", "ports": ["eno0", "eno1"]},
                                  {"name": "vx0", "kind": "vxlan"}], "veths": 40},
        {"name": "docker0", "ports": [], "veths": 1},
    ]}


def test_a_bridge_with_hundreds_of_ports_stays_small():
    host = state(bridge("br0"), *[link("vx%d" % n, "vxlan", master="br0") for n in range(300)],
                 *[link("veth%d" % n, master="br0") for n in range(1000)])
    [entry] = topology(host)["bridges"]
    assert len(entry["ports"]) == MAX_TOPOLOGY_PORTS and entry["more_ports"] == 300 - MAX_TOPOLOGY_PORTS
    assert entry["veths"] == 1000
    assert len(json.dumps(topology(host))) < 1024
