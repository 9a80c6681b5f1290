# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding: apply a plan (files, then /proc/sys), verify by reading again; the entry point."""

from __future__ import annotations

__metaclass__ = type

import os
import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.files import apply_file_edits, check_writable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding import plan_forwarding
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_model import (
    Desired,
    RELOAD,
    VERIFY_ATTEMPTS,
    VERIFY_DELAY,
    ssh_server_address,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_interface_names


# --------------------------------------------------------------------------------------------------------
# Apply and verify (the only part that touches the host)


def _check_runtime_writable(edits):
    for edit in edits:
        if not edit.changed:
            continue
        if not os.path.exists(edit.path):
            raise HostnetError("cannot set %s: %s does not exist (the interface has no %s configuration or "
                               "vanished); nothing was changed" % (edit.key, edit.path, edit.key.split(".")[1]),
                               path=edit.path)
        directory = os.path.dirname(edit.path)
        try:
            read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
        except OSError as exc:
            raise HostnetError("cannot write %s: %s; nothing was changed" % (edit.path, exc.strerror or exc),
                               path=edit.path)
        if read_only:
            raise HostnetError("cannot write %s: /proc/sys is read-only here (a container?); nothing was changed"
                               % edit.path, path=edit.path)


def write_runtime(edit):
    try:
        with open(edit.path, "w", encoding="ascii") as handle:
            handle.write("%d\n" % int(edit.after))
    except OSError as exc:
        raise HostnetError("cannot set %s=%d through %s: %s"
                           % (edit.key, int(edit.after), edit.path, exc.strerror or exc), path=edit.path)


def apply_plan(module, plan, run, backup=False):
    check_writable(plan.all_files())
    _check_runtime_writable(plan.runtime)
    for edit in plan.runtime:
        if edit.changed:
            write_runtime(edit)
    backups = apply_file_edits(module, plan.files, backup=backup)
    if plan.reload:
        rc, out, err = run(RELOAD)
        if rc != 0:
            raise HostnetError("'%s' failed (rc=%d): %s; the files were written, the runtime values set"
                               % (" ".join(RELOAD), rc, (err or out).strip()), command=RELOAD, rc=rc)
    backups += apply_file_edits(module, plan.deferred_files, backup=backup)
    return backups


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
    """Read the host again until every target forwards; networkd reconfigures links after the reload returns."""
    attempts = VERIFY_ATTEMPTS if plan.reload else 1
    for attempt in range(attempts):
        failures = verification_failures(plan, reader(read_teams=False), desired)
        if not failures:
            return
        if attempt + 1 < attempts:
            sleep(VERIFY_DELAY)
    raise HostnetError("verification failed: forwarding is not on after the change: %s"
                       % ", ".join("%s: %s" % kv for kv in sorted(failures.items(), key=str)),
                       failures=failures, result=plan.to_result())


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
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import module_runner

    desired = desired_from_params(module.params, os.environ if environ is None else environ)
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    backend = NetworkdBackend(state, run)
    plan = plan_forwarding(state, desired, backend, paths=paths)
    for warning in plan.warnings:
        module.warn(warning)
    result = plan.to_result()
    if plan.changed and not module.check_mode:
        result["backup_files"] = apply_plan(module, plan, run, backup=module.params["backup"])
        verify(plan, desired)
        result["interfaces"] = [t.to_dict() for t in plan.targets]
    result["diff"] = plan.diffs()
    return result
