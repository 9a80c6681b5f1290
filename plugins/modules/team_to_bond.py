#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

__metaclass__ = type

DOCUMENTATION = r"""
---
module: team_to_bond
short_description: Replace team devices by bonds in one host-side transaction with a dead-man rollback
version_added: 0.2.0
description:
  - Finds the host's team devices (C(teamdctl <team> config dump)) and who keeps them - a NetworkManager
    team profile, or a C(teamd@<team>.service) unit beside systemd-networkd - and translates each team's
    runner and options into a bond mode and bond options (table in the role's README). A runner or option
    without a bond equivalent stops the migration of that host, naming the team and the option, unless
    O(overrides) says what to do.
  - The bond keeps what hangs on the team - its MAC, MTU, bridge membership (master), addresses, routes and
    VLANs (NetworkManager - the team profile's master and IP settings, VLAN profiles re-parented;
    systemd-networkd - the team's own C(.network) retargeted to the bond).
  - "systemd-networkd beside teamd@ units: make-before-break at runtime - the bond is built with the team's MAC
    and MTU, the team's ports move one at a time (active-backup: the inactive port first), the bridge port
    swaps in one netlink batch keeping its attributes, the neighbours are told (gratuitous ARP, unsolicited NA,
    RARP for the MACs behind the bridge), the probes answer, and only then are the files written and
    C(networkctl reload) lets networkd adopt the running bond. A rollback before the confirmation moves the
    ports back to the still running team the same way; teamd stops at the confirmation."
  - NetworkManager - break-before-make (the team's profiles go down before the bond's come up).
  - RV(outage) says per team what gap to expect and what would shorten it (also in check mode), and after a
    migration what the host measured (C(moves) in RV(transaction)).
  - The change runs on the host as one transaction, started with C(systemd-run) so that it does not depend on
    the Ansible connection - it arms a rollback timer (O(timeout) seconds), snapshots the backend's
    configuration directories, writes the bond through the backend, deactivates the team, checks the running
    bond against the plan in sysfs (mode, options, ports, MAC, master, MTU), and pings O(probe_targets).
    A failed step rolls back at once. Without M(hostnet.dockerhost.team_to_bond_confirm) before the timer
    ends, the host restores the snapshot byte for byte (mode and owner kept) and brings the team back by
    itself; a reboot before the confirmation restores the files before the network starts.
  - The team's configuration is removed only by the confirmation.
  - Check mode returns the plan and changes nothing.
author:
  - hostnet.dockerhost maintainers (@hostnet)
requirements:
  - systemd (systemd-run), teamdctl; nmcli on NetworkManager hosts
attributes:
  check_mode:
    support: full
    description: Returns the plan (which team becomes which bond with which options); changes nothing.
  diff_mode:
    support: full
    description: The files and commands of the plan.
options:
  teams:
    description:
      - Teams to migrate. Default every team device on the host.
      - A listed name that is another kind of interface (a bridge, a bond) fails the module; one whose team is
        gone and whose bond exists is returned in RV(already_migrated).
    type: list
    elements: str
    default: []
  bond_names:
    description:
      - Bond name per team. Default the team's name with C(team) replaced by C(bond) (C(team0) -> C(bond0)).
    type: dict
    default: {}
  overrides:
    description:
      - Per team - C(mode) (a bonding mode), C(options) (bond options by their sysfs names; C(null) drops one),
        C(ignore_problems) (true - migrate although some team options have no bond equivalent; they are dropped).
    type: dict
    default: {}
  probe_targets:
    description:
      - IPv4 addresses that must answer a ping once the bond runs. Default the gateway of a default route
        through the team or its bridge; with none, the module fails before changing anything.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds after the start of the transaction by which it must be confirmed, or the host rolls back.
    type: int
    default: 180
  settle_timeout:
    description: Seconds the bond may take to run as planned and reach the probe targets.
    type: int
    default: 60
  lacp_wait:
    description:
      - 802.3ad, make-before-break (systemd-networkd) - seconds the bond's first port may take to aggregate
        while the team's last port still carries traffic, before the bridge port swaps (0 to 30).
      - 0 moves the ports one right after the other; better when the partner carries nothing below all
        ports (a port-channel with min-links), worse with a partner that keeps one port up.
    type: float
    default: 3.0
    version_added: 0.5.0
notes:
  - Restoring makes each snapshot directory (C(/etc/systemd/network) and the teamd configuration directory, or
    C(/etc/NetworkManager/system-connections)) hold exactly what it held; edits made there by others during
    the transaction window are undone too.
extends_documentation_fragment:
  - hostnet.dockerhost.enforce.t2b_state_dir
"""

EXAMPLES = r"""
- name: Show the plan
  hostnet.dockerhost.team_to_bond:
    probe_targets: [192.0.2.1]
  check_mode: true

- name: Migrate team0 to bond0, roll back unless confirmed within 3 minutes
  hostnet.dockerhost.team_to_bond:
    probe_targets: [192.0.2.1]
  register: migration

- name: Reconnect, then confirm
  ansible.builtin.meta: reset_connection

- name: Confirm
  hostnet.dockerhost.team_to_bond_confirm:
    txid: "{{ migration.txid }}"
  when: migration.txid is truthy
"""

RETURN = r"""
plans:
  description: One entry per team - team, bond, backend, mode, options (sysfs names), ports, mac, mtu, master,
    problems, notes, files, apply/commit/rollback commands.
  returned: always
  type: list
  elements: dict
summary:
  description: One line per team, C(team0 -> bond0 (802.3ad, lacp_rate=fast, ...; eno0 eno1) via NetworkManager).
  returned: always
  type: list
  elements: str
outage:
  description:
    - Per team - team, bond, bridge, sequence (the steps in order), gap_class (active-backup, 802.3ad, stp,
      break-before-make), expected (the gap to expect and why), shorten (what the operator can change).
    - After a migration also measured (the host's timings of that team's move, from C(moves) in RV(transaction) -
      swap_at, swap_seconds, ports_seconds, bridge_without_lag_seconds - the time from the bridge port swap
      until the bond forwards).
  returned: always
  type: list
  elements: dict
  version_added: 0.5.0
bridges:
  description: RV(outage) flat per migrated team - team, bond, bridge, gap_class, and the host's timings
    bridge_without_lag_seconds, swap_seconds, ports_seconds (rollback_... after a rollback).
  returned: when a transaction was started
  type: list
  elements: dict
  version_added: 0.5.0
txid:
  description: The transaction id to confirm; empty when nothing was started.
  returned: always
  type: str
transaction:
  description: The transaction's state file (state, timings in seconds, reason of a rollback).
  returned: when a transaction was started
  type: dict
already_migrated:
  description: Listed teams that are gone and whose bond exists (an earlier run migrated them).
  returned: always
  type: list
  elements: str
probe_targets:
  description: The addresses the transaction pings through the bond (given, or the default gateways found).
  returned: when a migration is planned
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

# first of the collection: importing it ends the run on a too-old target Python, with a message saying so
from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import MINIMUM  # noqa: F401  pylint: disable=unused-import

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.team_to_bond import enforce_team_to_bond
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._options import argument_spec, t2b_state_dir_option

ARGUMENT_SPEC = argument_spec(
    t2b_state_dir_option(),
    teams=dict(type="list", elements="str", default=[]),
    bond_names=dict(type="dict", default={}),
    overrides=dict(type="dict", default={}),
    probe_targets=dict(type="list", elements="str", default=[]),
    timeout=dict(type="int", default=180),
    settle_timeout=dict(type="int", default=60),
    lacp_wait=dict(type="float", default=3.0),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, enforce_team_to_bond)


if __name__ == "__main__":
    main()
