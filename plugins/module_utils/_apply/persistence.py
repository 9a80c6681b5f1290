# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A backend's ``Persistence`` plans as transaction steps."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.nm_profile import NmProfileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import CommandStep

# Read the link again this many seconds after a persisted link change verified: NetworkManager or networkd,
# which own the link, may set their own value back right after ours.
SETTLE = 0.3
# What a failed persisted link change (port_promisc, bridge_mac) tells the user to do.
HINT = "Fix that and run again, or use persist=false for a runtime-only change."


def persistence_steps(plans, run, backup=False):
    """The steps of backend ``Persistence`` plans: files, profile commands (a NetworkManager profile with a
    keyfile: ``nm_profile.NmProfileStep``, undone byte for byte; else undone by setting the value read before:
    a CommandEdit's last argument is the value), then each distinct reload once."""
    steps, reloads = [], []
    for plan in plans:
        if not plan.changed:
            continue
        steps.extend(FileStep(edit, backup=backup) for edit in plan.files if edit.changed)
    for plan in plans:
        if not plan.changed:
            continue
        for command in plan.commands:
            if not command.changed:
                continue
            undo_argv = list(command.argv[:-1]) + [command.before]
            if command.keyfile:
                steps.append(NmProfileStep(run, command.argv, undo_argv, command.keyfile, label=command.header))
            else:
                steps.append(CommandStep(run, command.argv, undo_argv=undo_argv, label=command.header))
    for plan in plans:
        if not plan.changed:
            continue
        for argv in plan.reload:
            if list(argv) not in reloads:
                reloads.append(list(argv))
                steps.append(CommandStep(run, argv, rerun_on_undo=True))
    return steps
