# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_promisc: apply a plan through netlink and the owning backend, and verify it by reading again."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.files import apply_file_edits, check_writable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.ledger import load_ledger, plan_ledger
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.runtime import NetlinkWriter
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import apply_persistence
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import host_backends, module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import (
    LEDGER,
    lynis_lines,
    plan_port_promisc,
    runtime_diff,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_interface_names


def verify(plan):
    state = read_host_state(read_teams=False)
    wrong = []
    for item in plan.ports:
        link = state.links.get(item.name)
        if link is None:
            continue
        if link.promisc_flag != item.flag_after:
            wrong.append("%s promisc flag is %s, expected %s" % (item.name, link.promisc_flag, item.flag_after))
        elif item.flag_after and not link.effective_promisc:
            wrong.append("%s has the flag but sysfs flags lack IFF_PROMISC" % item.name)
    if wrong:
        raise HostnetError("verification after the change failed: %s" % "; ".join(wrong), mismatches=wrong)


def enforce_port_promisc(module):
    params = module.params
    masters = validate_interface_names("masters", params["masters"])
    enabled = params["state"] == "present"
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    owners, fallback = host_backends(state, run)
    plan = plan_port_promisc(state, masters, enabled, load_ledger(LEDGER), owners, fallback, params["persist"])
    ledger_edit = plan_ledger(LEDGER, plan.ledger_after)
    changed = plan.changed
    for persistence in plan.persistence:
        if persistence.changed:
            for note in persistence.notes:
                module.warn("%s: %s" % (persistence.interface, note))
    diff = [runtime_diff(plan)] + [d for p in plan.persistence for d in p.diffs()]
    if changed and not module.check_mode:
        check_writable([f for p in plan.persistence for f in p.files] + [ledger_edit])
        with NetlinkWriter() as netlink:
            for item in plan.ports:
                if item.runtime_changed:
                    netlink.set_promisc(item.name, item.flag_after)
        apply_persistence(module, plan.persistence, run, backup=params["backup"])
        apply_file_edits(module, [ledger_edit])
        verify(plan)
    result = {
        "changed": changed,
        "ports": [p.to_dict() for p in plan.ports],
        "persistence": [p.to_dict() for p in plan.persistence],
        "diff": diff,
    }
    if params["lynis_whitelist"]:
        result["lynis_if_promisc"] = lynis_lines(plan)
    if not plan.ports:
        result["msg"] = "no ports to act on: no bond or team is a bridge port" if enabled and not masters \
            else "nothing recorded to revert"
    return result
