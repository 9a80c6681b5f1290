# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bridge_mac: apply the chosen MAC through netlink and the owning backend, and verify it."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.kernel_steps import LinkStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.persistence import HINT, SETTLE, persistence_steps
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.runtime import NetlinkWriter
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import Transaction, finish
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import choose_bridge_mac
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import plan_with_owner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.registry import host_backends
from ansible_collections.hostnet.dockerhost.plugins.module_utils._command import module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput, NameNotWritable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.bridge_mac import mac_conflicts, the_bridge
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import dump_neighbours
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import unaddressable_name, validate_mac


def verify_mac(name, mac, reader=read_host_state):
    """What is not as planned after pinning ``mac`` on bridge ``name`` ([] when it is pinned)."""
    link = reader(read_teams=False).links.get(name)
    if link is None:
        return ["%s vanished" % name]
    if link.mac != mac or not link.mac_is_set:
        return ["%s has MAC %s (addr_assign_type %s), expected %s set" % (name, link.mac, link.addr_assign_type, mac)]
    return []


def plan_bridge_mac_transaction(bridge, mac, present, plans, run, backup=False, writer=NetlinkWriter):
    """Persistence first, the MAC last: a bridge's MAC, once set, cannot go back to following its ports, so
    it is set only after every file and command has succeeded."""
    steps = persistence_steps(plans, run, backup=backup)
    if present:
        steps.append(LinkStep(writer, bridge.name, "mac", bridge.mac, mac, force=not bridge.mac_is_set,
                              before_is_set=bridge.mac_is_set))
    return Transaction("bridge_mac", steps, verify=(lambda: verify_mac(bridge.name, mac)) if present else None,
                       hint=HINT, settle=SETTLE)


def refuse_mac_in_use(state, bridge, mac, neighbours=dump_neighbours):
    """InvalidInput when another station on the bridge's L2 already uses ``mac`` (see mac_conflicts)."""
    users = mac_conflicts(state, bridge, mac, neighbours())
    if users:
        raise InvalidInput(
            "mac: %s is already used on the L2 of bridge %s by %s; two stations with one MAC make the switch and "
            "the bridge send each other's frames to the wrong one. Choose another MAC, use policy=uplink to take "
            "the uplink's MAC on purpose, or give force=true to pin it anyway. Nothing was changed."
            % (mac, bridge.name, "; ".join(users)), option="mac", users=users)


def skipped_result(bridge, reason):
    """The result for a bridge left entirely unchanged because its name cannot be addressed or written."""
    return {"changed": False, "skipped": True, "skip_reason": visible(reason), "msg": visible(reason),
            "bridge": bridge.name, "mac_before": bridge.mac, "mac": bridge.mac, "source": "skipped",
            "mac_changed": False, "backend": None, "owner": None, "persistence": []}


def enforce_bridge_mac(module):
    params = module.params
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    bridge = the_bridge(state, params["bridge"])
    present = params["state"] == "present"
    if params["mac"] is not None:
        validate_mac("mac", params["mac"])  # '' is an error, not "choose by policy"
    if present:
        mac, source = choose_bridge_mac(state, bridge, params["mac"], params["policy"], state.machine_id)
        if source == "explicit" and not params["force"]:
            refuse_mac_in_use(state, bridge, mac)
    else:
        mac, source = bridge.mac, "unpinned"
    reason = unaddressable_name(bridge.name)
    if reason:
        return skipped_result(bridge, "%s left unchanged: %s" % (visible(bridge.name), reason))
    owners, fallback = host_backends(state, run)
    try:
        persistence = plan_with_owner(bridge.name, "mac", mac if present else None, owners, fallback) \
            if params["persist"] else None
    except NameNotWritable as exc:
        # never half-done: a MAC that could not be persisted is not set either
        return skipped_result(bridge, "%s left unchanged: %s" % (visible(bridge.name), exc.msg))
    plans = [persistence] if persistence else []
    before = "%s address %s (%s)\n" % (bridge.name, bridge.mac, "set" if bridge.mac_is_set else "inherited/random")
    after = "%s address %s (%s)\n" % (bridge.name, mac, "set" if present else
                                      ("set" if bridge.mac_is_set else "inherited/random"))
    diff = [{"before_header": "runtime: %s" % bridge.name, "after_header": "runtime: %s" % bridge.name,
             "before": before, "after": after}] + [d for p in plans for d in p.diffs()]
    mac_changed = present and bridge.mac != mac
    txn = plan_bridge_mac_transaction(bridge, mac, present, plans, run, backup=params["backup"])
    result = {
        "changed": txn.changed,
        "bridge": bridge.name,
        "mac_before": bridge.mac,
        "mac": mac,
        "source": source,
        "mac_changed": mac_changed,
        "backend": persistence.backend if persistence else None,
        "owner": persistence.owner if persistence else None,
        "persistence": [p.to_dict() for p in plans],
    }
    finish(module, txn, result, diff)
    # Warnings only about what really happened (or, in check mode, would).
    if mac_changed:
        module.warn("%s %s its MAC from %s to %s: neighbours (the gateway's clients, the switch) may keep %s "
                    "in their ARP caches until it expires; send a gratuitous ARP (arping -U -I %s <address>) if "
                    "traffic stalls" % (bridge.name, "would change" if module.check_mode else "changed",
                                        bridge.mac, mac, bridge.mac, bridge.name))
    for plan in plans:
        if plan.changed:
            for note in plan.notes:
                module.warn("%s: %s" % (plan.interface, note))
    return result
