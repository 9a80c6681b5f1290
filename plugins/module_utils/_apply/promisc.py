# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_promisc: apply a plan through netlink and the owning backend, and verify it by reading again."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.kernel_steps import LinkStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.ledger import load_ledger, plan_ledger
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.persistence import HINT, SETTLE, persistence_steps
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.runtime import NetlinkWriter
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import Transaction, finish
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.registry import host_backends
from ansible_collections.hostnet.dockerhost.plugins.module_utils._command import module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.lynis import plan_lynis_profiles
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import (
    LEDGER,
    LEDGER_SHAPE,
    plan_port_promisc,
    runtime_diff,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_interface_names

# After a failed change was undone and the backend reloaded again, watch the flags this long: networkd applies
# what its reload read after `networkctl reload` returns (seen in the lab: a port left promiscuous).
UNDO_SETTLE = 5.0


def verify(plan, reader=read_host_state):
    """What is not as planned ([] when every port's flag is as planned)."""
    state = reader(read_teams=False)
    wrong = []
    for item in plan.ports:
        link = state.links.get(item.name)
        if link is None:
            continue
        if link.promisc_flag != item.flag_after:
            wrong.append("%s promisc flag is %s, expected %s" % (item.name, link.promisc_flag, item.flag_after))
        elif item.flag_after and not link.effective_promisc:
            wrong.append("%s has the flag but sysfs flags lack IFF_PROMISC" % item.name)
    return wrong


def verify_undone(plan, reader=read_host_state):
    """The ports whose flag is not back as it was before the transaction ([] when all are)."""
    state = reader(read_teams=False)
    return ["%s promisc flag %s, was %s" % (item.name, state.links[item.name].promisc_flag, item.flag_before)
            for item in plan.ports
            if item.runtime_changed and item.name in state.links
            and state.links[item.name].promisc_flag != item.flag_before]


def plan_promisc_transaction(plan, ledger_edit, run, backup=False, writer=NetlinkWriter, reader=read_host_state):
    """Runtime flags first (undone exactly), then the backends' persistence, the lynis profiles, then the ledger
    (last: it records what the steps before it did)."""
    steps = [LinkStep(writer, item.name, "promisc", item.flag_before, item.flag_after) for item in plan.ports
             if item.runtime_changed]
    steps += persistence_steps(plan.persistence, run, backup=backup)
    steps += [FileStep(edit, backup=backup) for edit in plan.profiles if edit.changed]
    steps.append(FileStep(ledger_edit))
    return Transaction("port_promisc", steps, verify=lambda: verify(plan, reader), hint=HINT, settle=SETTLE,
                       verify_undone=lambda: verify_undone(plan, reader), undo_settle=UNDO_SETTLE)


def enforce_port_promisc(module):
    params = module.params
    masters = validate_interface_names("masters", params["masters"])
    interfaces = validate_interface_names("interfaces", params["interfaces"])
    enabled = params["state"] == "present"
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    owners, fallback = host_backends(state, run)
    plan = plan_port_promisc(state, masters, enabled, load_ledger(LEDGER, shape=LEDGER_SHAPE), owners, fallback,
                             params["persist"], interfaces=interfaces, bridged_lags=params["bridged_lags"])
    whitelist = plan_lynis_profiles(plan, state, interfaces, params["lynis_profile"], enabled)
    ledger_edit = plan_ledger(LEDGER, plan.ledger_after)
    diff = [runtime_diff(plan)] + [d for p in plan.persistence for d in p.diffs()] \
        + [edit.diff() for edit in plan.profiles if edit.changed]
    txn = plan_promisc_transaction(plan, ledger_edit, run, backup=params["backup"])
    result = {
        "changed": txn.changed,
        "ports": [p.to_dict() for p in plan.ports],
        "persistence": [p.to_dict() for p in plan.persistence],
        "lynis_profiles": [dict(edit.to_dict(), lines=whitelist if enabled else []) for edit in plan.profiles],
        # not "skipped": Ansible reads a true "skipped" in a result as "the task was skipped"
        "skipped_interfaces": list(plan.skipped),
    }
    finish(module, txn, result, diff)
    for warning in plan.notes:
        module.warn(warning)
    for item in plan.skipped:
        module.warn("%s skipped, left unchanged: %s" % (item["interface"], item["reason"]))
    for persistence in plan.persistence:
        if persistence.changed:
            for note in persistence.notes:
                module.warn("%s: %s" % (persistence.interface, note))
    if params["lynis_whitelist"]:
        result["lynis_if_promisc"] = whitelist
    if not plan.ports and not txn.changed:
        result["msg"] = "nothing recorded to revert" if not enabled else "no ports to act on: %s" \
            % ("no bond or team is a bridge port" if not masters else "the masters have no ports")
    return result
