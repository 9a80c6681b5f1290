#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

__metaclass__ = type

DOCUMENTATION = r"""
---
module: team_to_bond_confirm
short_description: Confirm a team -> bond transaction, so the host keeps the bond
version_added: 0.2.0
description:
  - Confirms a transaction started by M(hostnet.dockerhost.team_to_bond) - that this task runs at all proves
    the controller reached the host again after the change. Stops the rollback timer, removes the team's
    configuration (NetworkManager team and team port profiles; the team's C(.network) and teamd
    configuration), drops the snapshot and the boot guard.
  - A transaction that already rolled back cannot be confirmed - the module fails and says why.
author:
  - hostnet.dockerhost maintainers (@hostnet)
attributes:
  check_mode:
    support: full
    description: Reports whether the transaction is waiting for a confirmation; changes nothing.
  diff_mode:
    support: none
    description: No diff; the team's removal is listed in the transaction's plan.
options:
  txid:
    description: The transaction id M(hostnet.dockerhost.team_to_bond) returned.
    type: str
    required: true
extends_documentation_fragment:
  - hostnet.dockerhost.enforce.t2b_state_dir
"""

EXAMPLES = r"""
- name: Confirm
  hostnet.dockerhost.team_to_bond_confirm:
    txid: "{{ migration.txid }}"
"""

RETURN = r"""
transaction:
  description: The transaction's state file after the confirmation.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

# first of the collection: importing it ends the run on a too-old target Python, with a message saying so
from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import MINIMUM  # noqa: F401  pylint: disable=unused-import

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.team_to_bond import confirm_team_to_bond
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._options import argument_spec, t2b_state_dir_option

ARGUMENT_SPEC = argument_spec(t2b_state_dir_option(), txid=dict(type="str", required=True))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, confirm_team_to_bond)


if __name__ == "__main__":
    main()
