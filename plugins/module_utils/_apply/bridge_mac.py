# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bridge_mac: apply the chosen MAC through netlink and the owning backend, and verify it."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.files import check_writable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.runtime import NetlinkWriter
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import (
    apply_persistence,
    plan_with_owner,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import host_backends, module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.bridge_mac import (
    choose_bridge_mac,
    the_bridge,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_mac


def enforce_bridge_mac(module):
    params = module.params
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    bridge = the_bridge(state, params["bridge"])
    present = params["state"] == "present"
    if params["mac"]:
        validate_mac("mac", params["mac"])
    if present:
        mac, source = choose_bridge_mac(state, bridge, params["mac"], params["policy"], state.machine_id)
    else:
        mac, source = bridge.mac, "unpinned"
    runtime_changed = present and (bridge.mac != mac or not bridge.mac_is_set)
    owners, fallback = host_backends(state, run)
    persistence = plan_with_owner(bridge.name, "mac", mac if present else None, owners, fallback) \
        if params["persist"] else None
    plans = [persistence] if persistence else []
    changed = runtime_changed or any(p.changed for p in plans)
    before = "%s address %s (%s)\n" % (bridge.name, bridge.mac, "set" if bridge.mac_is_set else "inherited/random")
    after = "%s address %s (%s)\n" % (bridge.name, mac, "set" if present else
                                      ("set" if bridge.mac_is_set else "inherited/random"))
    diff = [{"before_header": "runtime: %s" % bridge.name, "after_header": "runtime: %s" % bridge.name,
             "before": before, "after": after}] + [d for p in plans for d in p.diffs()]
    mac_changed = present and bridge.mac != mac
    if mac_changed:
        module.warn("%s changes its MAC from %s to %s: neighbours (the gateway's clients, the switch) may keep %s "
                    "in their ARP caches until it expires; send a gratuitous ARP (arping -U -I %s <address>) if "
                    "traffic stalls" % (bridge.name, bridge.mac, mac, bridge.mac, bridge.name))
    for plan in plans:
        if plan.changed:
            for note in plan.notes:
                module.warn("%s: %s" % (plan.interface, note))
    if changed and not module.check_mode:
        check_writable([f for p in plans for f in p.files])
        if runtime_changed:
            with NetlinkWriter() as netlink:
                netlink.set_mac(bridge.name, mac)
        apply_persistence(module, plans, run, backup=params["backup"])
        if present:
            after_state = read_host_state(read_teams=False).links.get(bridge.name)
            if after_state is None or after_state.mac != mac or not after_state.mac_is_set:
                raise HostnetError("verification failed: %s has MAC %s (addr_assign_type %s), expected %s set"
                                   % (bridge.name, after_state and after_state.mac,
                                      after_state and after_state.addr_assign_type, mac), bridge=bridge.name)
    return {
        "changed": changed,
        "bridge": bridge.name,
        "mac_before": bridge.mac,
        "mac": mac,
        "source": source,
        "mac_changed": mac_changed,
        "backend": persistence.backend if persistence else None,
        "owner": persistence.owner if persistence else None,
        "persistence": [p.to_dict() for p in plans],
        "diff": diff,
    }
