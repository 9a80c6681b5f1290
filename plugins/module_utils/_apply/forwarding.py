# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding: apply a plan (files, then /proc/sys), verify by reading again; the entry point."""

from __future__ import annotations

__metaclass__ = type

import os
import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.kernel_steps import SysctlStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import CommandStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import (
    Transaction,
    finish,
    wait_until_verified,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.netplan import NetplanBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._command import module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import NETWORKCTL_RELOAD
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding import plan_forwarding
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_model import (
    Desired,
    VERIFY_ATTEMPTS,
    VERIFY_DELAY,
    ssh_server_address,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_interface_names

# This module has no runtime-only mode: the way out of a pre-flight problem is to fix the file system.
HINT = "Fix that (remount read-write, free space, make the path a directory) and run again."


# --------------------------------------------------------------------------------------------------------
# Apply and verify (the only part that touches the host): one transaction


def plan_forwarding_transaction(plan, desired, run, backup=False, reader=read_host_state, sleep=time.sleep):
    """Runtime sysctls first (the global switch before the interfaces), the files networkd or systemd-sysctl
    read, ``networkctl reload`` when a .network changed (run again after an undo), then the management
    link's deferred files. Verify: every active target forwards, re-read while networkd reconfigures."""
    steps = [SysctlStep(edit) for edit in plan.runtime]
    steps += [FileStep(edit, backup=backup) for edit in plan.files]
    if plan.reload:
        steps.append(CommandStep(run, list(NETWORKCTL_RELOAD), rerun_on_undo=True))
    steps += [FileStep(edit, backup=backup) for edit in plan.deferred_files]

    def check():
        failures = verification_failures(plan, reader(read_teams=False), desired)
        return ["%s: %s" % kv for kv in sorted(failures.items(), key=str)]

    return Transaction("networkd_forwarding", steps, verify=check,
                       attempts=VERIFY_ATTEMPTS if plan.reload else 1, delay=VERIFY_DELAY, hint=HINT, sleep=sleep)


def verification_failures(plan, state, desired):
    failures = {}
    for target in plan.active_targets():
        link = state.links.get(target.name)
        if link is None:
            failures[target.name] = "vanished"
            continue
        target.forwarding_after = link.forwarding_ipv4
        if desired.ipv6:
            target.ipv6_forwarding_after = link.forwarding_ipv6
        if link.forwarding_ipv4 is not True or (desired.ipv6 and link.forwarding_ipv6 is not True):
            failures[target.name] = {"ipv4": link.forwarding_ipv4, "ipv6": link.forwarding_ipv6}
    if desired.global_ip_forward:
        if state.ip_forward is not True:
            failures["net.ipv4.ip_forward"] = state.ip_forward
        if desired.ipv6 and state.ipv6_forwarding is not True:
            failures["net.ipv6.conf.all.forwarding"] = state.ipv6_forwarding
    return failures


def verify(plan, desired, reader=read_host_state, sleep=time.sleep):
    """Read the host again until every target forwards (networkd reconfigures links after the reload returns);
    raise with the values when it does not. The transaction uses the same retry loop."""
    attempts = VERIFY_ATTEMPTS if plan.reload else 1
    failures = {}

    def check():
        failures.clear()
        failures.update(verification_failures(plan, reader(read_teams=False), desired))
        return list(failures)

    if wait_until_verified(check, attempts, VERIFY_DELAY, sleep):
        raise HostnetError("verification failed: forwarding is not on after the change: %s"
                           % ", ".join("%s: %s" % kv for kv in sorted(failures.items(), key=str)),
                           failures=dict(failures), result=plan.to_result())


def find_ssh_server_address(environ, proc="/proc"):
    """SSH_CONNECTION of this process or, when become/sudo dropped it, of the nearest ancestor that has it."""
    found = ssh_server_address(environ.get("SSH_CONNECTION"))
    if found:
        return found
    pid = os.getppid()
    for _level in range(12):
        if pid <= 1:
            break
        try:
            with open(os.path.join(proc, str(pid), "environ"), "rb") as handle:
                for item in handle.read().split(b"\0"):
                    if item.startswith(b"SSH_CONNECTION="):
                        return ssh_server_address(item.split(b"=", 1)[1].decode("ascii", "replace"))
            with open(os.path.join(proc, str(pid), "stat"), "rb") as handle:
                pid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return None


def desired_from_params(params, environ):
    return Desired(
        interfaces=validate_interface_names("interfaces", params["interfaces"]),
        ipv6=params["ipv6"],
        fix_conflicts=params["fix_conflicts"],
        fix_deprecated=params["fix_deprecated"],
        global_ip_forward=params["global_ip_forward"],
        reconfigure_management=params["reconfigure_management"],
        ssh_server_address=find_ssh_server_address(environ),
    )


def enforce_networkd_forwarding(module, environ=None, paths=None):
    desired = desired_from_params(module.params, os.environ if environ is None else environ)
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    backend = NetplanBackend(state, run)  # networkd's drop-ins; for units netplan generated, owner netplan
    plan = plan_forwarding(state, desired, backend, paths=paths)
    txn = plan_forwarding_transaction(plan, desired, run, backup=module.params["backup"])
    result = plan.to_result()
    finish(module, txn, result, plan.diffs())
    if txn.done:
        result["backup_files"] = [s.backup_file for s in txn.done if getattr(s, "backup_file", None)]
        result["interfaces"] = [t.to_dict() for t in plan.targets]
    # Warnings only about what really happened (or, in check mode, would).
    for warning in plan.warnings:
        module.warn(warning)
    return result
