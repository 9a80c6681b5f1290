# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostnet.dockerhost.fleet_host_result: write one host's audit result to <report_dir>/hosts/<host>.json.

Internal to the collection's playbooks. Runs in the controller's worker (no module is shipped, nothing runs on
the host), so it costs one file write per host. The file holds the lean result (findings, summary, compliant,
the error of a failed audit, what an enforcing run changed) and, only when the audit returned it, the host's
read model. The task's own result is the lean result without the state (register it in place of the module's
result so that the controller does not keep the state), with C(audit_failed) and C(audit_error) for a failed
audit.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet

ARGUMENT_SPEC = dict(
    report_dir=dict(type="path", required=True),
    run_id=dict(type="str", required=True),
    result=dict(type="raw"),
    error=dict(type="str"),
    enforced=dict(type="dict"),
    host=dict(type="str"),
    migration=dict(type="dict"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = args["host"] or task_vars.get("inventory_hostname")
        enforced = None
        if args["enforced"] is not None:
            given = args["enforced"]
            enforced = fleet.enforced_summary(
                given.get("findings_before"), given.get("promisc"), given.get("bridge_mac"),
                given.get("forwarding"), given.get("team_to_bond"), given.get("errors"))
        path = os.path.join(args["report_dir"], fleet.HOSTS_DIR, fleet.host_file_name(host))
        if args["migration"] is not None and args["result"] is None and args["error"] is None:
            # the rollout play: this run's file of the host, with the migration record added
            document = fleet.read_json(path)
            lean = fleet.result_of(document, host, args["run_id"])
            state = document.get("state") if lean is not None else None
            if lean is None:
                lean = {"failed": True, "msg": fleet.NO_RESULT_MSG}
        else:
            # A fix that failed fails the host; what every fix changed before and after it is kept all the same.
            error = args["error"] or fleet.enforcement_failure_message(enforced)
            lean, state = fleet.lean_result(args["result"], error)
        if enforced is not None:
            lean["enforced"] = enforced
        record = None
        if args["migration"] is not None:
            lean, record = rollout.with_migration(lean, args["migration"], host)
        try:
            path = fleet.write_host_result(args["report_dir"], host, args["run_id"], lean, state)
        except OSError as exc:
            raise AnsibleActionFail("cannot write the result of %s into %s: %s" % (host, args["report_dir"], exc)) from None
        result = fleet.host_task_result(lean, path)
        if record is not None:
            result["migration"] = record
        return result
