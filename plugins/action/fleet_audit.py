# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostnet.dockerhost.fleet_audit: audit one host with netstate_info and keep its result as hosts/<host>.json.

Internal to the collection's playbooks: one task per host where there were two (the audit, then writing its
result), so a fleet run costs one module run per host and nothing more. First the host's own values of the
playbook variables (C(variables)) are checked: a wrong one fails the host here, before its audit or any
enforcement, with the message naming the variable. Then netstate_info runs on the host with C(audit) as its
options; its result, or why it failed, is written on the controller (the state only when it was asked for) and
the task returns the lean result, as M(hostnet.dockerhost.fleet_host_result) does.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils.playbook_variables import host_variables_problem

ARGUMENT_SPEC = dict(
    report_dir=dict(type="path", required=True),
    run_id=dict(type="str", required=True),
    audit=dict(type="dict", default={}),
    variables=dict(type="dict"),
    migration=dict(type="dict"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname")
        error = host_variables_problem(args["variables"])
        result = None
        if error is None:
            result = self._execute_module(module_name="hostnet.dockerhost.netstate_info", module_args=dict(args["audit"]),
                                          task_vars=task_vars)
            if result.get("failed"):
                error = result.get("msg") or "the audit failed without a message"
        lean, state = fleet.lean_result(result, error)
        if args["migration"] is not None:  # why the host takes no part in the team->bond rollout
            lean = rollout.with_migration(lean, args["migration"], host)[0]
        try:
            path = fleet.write_host_result(args["report_dir"], host, args["run_id"], lean, state)
        except OSError as exc:
            raise AnsibleActionFail("cannot write the result of %s into %s: %s" % (host, args["report_dir"], exc)) from None
        result = fleet.host_task_result(lean, path)
        if lean.get("warnings"):  # the module's own warnings, shown by the run as a module task's are
            result["warnings"] = list(lean["warnings"])
        return result
