# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostnet.dockerhost.fleet_run: check the playbook's variables and start a run, before any host is touched.

Internal to the collection's playbooks (harden_docker_hosts). Runs on the controller only, ships nothing.
Checks every playbook variable it is given (plugins/plugin_utils/playbook_variables.py, one table: the
enforcing play's too, so --check refuses what enforcing would), then returns run_id, the normalised fail_on
and checks, the absolute report_dir, the targets (the hosts the pattern matches within --limit) and
C(variables), every checked value normalised; fails with a message naming each variable that is wrong.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.inventory.manager import InventoryManager
from ansible.plugins.action import ActionBase

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.playbook_variables import validate_variables

# Option -> its default; each option is the playbook variable hostnet_<option>, checked by playbook_variables.
# None: not given (a play that does not use the variable leaves it out).
VARIABLE_OPTIONS = dict(
    fail_on="none",
    checks=list(fleet.CHECKS),
    include=[],
    exclude=[],
    promisc_interfaces=[],
    lynis_profile="",
    lynis_profile_any_directory=None,
    report_dir=None,
    bridge_mac_policy=None,
    strict=None,
    return_state=None,
    enforce=None,
    persist=None,
    team_to_bond=None,
    serial=1,
    canary=0,
)
ARGUMENT_SPEC = dict(hosts=dict(type="raw", default="all"),
                     **{name: dict(type="raw", default=default) for name, default in VARIABLE_OPTIONS.items()})
ARGUMENT_SPEC["report_dir"]["required"] = True


def matching_hosts(loader, groups, pattern, limit):
    """The inventory hosts a play with this pattern runs on, --limit applied (as ansible-playbook does)."""
    manager = InventoryManager(loader, parse=False)
    for group, hosts in (groups or {}).items():  # as the inventory_hostnames lookup does
        manager.add_group(group)
        for host in hosts:
            manager.add_host(host, group=group)
    if limit:
        manager.subset(limit)
    return [host.name for host in manager.get_hosts(pattern=pattern)]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            checked = validate_variables({"hostnet_" + name: args[name] for name in VARIABLE_OPTIONS
                                          if args[name] is not None})
            serial = rollout.schedule(checked["hostnet_serial"], checked["hostnet_canary"])
        except fleet.FleetError as exc:
            raise AnsibleActionFail(str(exc)) from None

        pattern = args["hosts"]
        if not pattern or not isinstance(pattern, (str, list)):
            raise AnsibleActionFail("hostnet_hosts: expected a host pattern (a string or a list), got %r" % (pattern,))
        limit = task_vars.get("ansible_limit")
        try:
            targets = matching_hosts(self._loader, task_vars.get("groups"), pattern, limit)
        except Exception as exc:  # an unparsable pattern or limit file: say so instead of a traceback
            raise AnsibleActionFail("hostnet_hosts: cannot match %r: %s" % (pattern, exc)) from None
        if not targets:
            inventory = sorted(task_vars.get("groups", {}).get("all", []))
            raise AnsibleActionFail(
                "hostnet_hosts: the pattern %r matches no host%s; the inventory has %s. Nothing was audited."
                % (pattern, " within --limit %r" % limit if limit else "",
                   ("%d host(s): %s" % (len(inventory), ", ".join(inventory[:20]) + (", ..." if len(inventory) > 20 else "")))
                   if inventory else "no hosts (check -i)")
            )

        report_dir = checked["hostnet_report_dir"]
        try:
            os.makedirs(os.path.join(report_dir, fleet.HOSTS_DIR), exist_ok=True)
        except OSError as exc:
            raise AnsibleActionFail("hostnet_report_dir: cannot create %s: %s" % (report_dir, exc)) from None
        return dict(
            changed=False,
            run_id=fleet.new_run_id(),
            fail_on=checked["hostnet_fail_on"],
            checks=checked["hostnet_checks"],
            report_dir=report_dir,
            targets=targets,
            variables=checked,
            rollout_serial=serial,
            msg="run of %d host(s), report in %s" % (len(targets), report_dir),
        )
