#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

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
  - pyroute2 0.7 or later, systemd (systemd-run), teamdctl; nmcli on NetworkManager hosts
attributes:
  check_mode:
    support: full
    description: Returns the plan (which team becomes which bond with which options); changes nothing.
  diff_mode:
    support: full
    description: The files and commands of the plan.
options:
  teams:
    description: Teams to migrate. Default every team device on the host.
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
  state_dir:
    description: Where transactions keep their plan, snapshot, state and log.
    type: path
    default: /var/lib/hostnet-dockerhost/team_to_bond
notes:
  - Restoring makes each snapshot directory (C(/etc/systemd/network) and the teamd configuration directory, or
    C(/etc/NetworkManager/system-connections)) hold exactly what it held; edits made there by others during
    the transaction window are undone too.
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
txid:
  description: The transaction id to confirm; empty when nothing was started.
  returned: always
  type: str
transaction:
  description: The transaction's state file (state, timings in seconds, reason of a rollback).
  returned: when a transaction was started
  type: dict
"""

import json
import os
import sys
import time
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn as _t2b_txn
from ansible_collections.hostnet.dockerhost.plugins.module_utils._command import module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import T2B_STATE_DIR
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond import (
    plan_migration,
    transaction_document,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_translate import MigrationRefused
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import NETWORKD_UNIT_DIRS
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import require_pyroute2
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.teams import discover_teams
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_interface_names

ARGUMENT_SPEC = dict(
    teams=dict(type="list", elements="str", default=[]),
    bond_names=dict(type="dict", default={}),
    overrides=dict(type="dict", default={}),
    probe_targets=dict(type="list", elements="str", default=[]),
    timeout=dict(type="int", default=180),
    settle_timeout=dict(type="int", default=60),
    state_dir=dict(type="path", default=T2B_STATE_DIR),
)
POLL_SECONDS = 1


def _read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def _network_files():
    paths = []
    directory = NETWORKD_UNIT_DIRS[0]  # /etc: the only place an administrator's files are edited
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if name.endswith(".network"):
            paths.append(os.path.join(directory, name))
    return paths


def _default_gateways(module, names):
    rc, out, _err = module_runner(module)(["ip", "-j", "-4", "route", "show", "default"])
    if rc != 0:
        return []
    try:
        routes = json.loads(out or "[]")
    except ValueError:
        return []
    return sorted({r["gateway"] for r in routes if r.get("dev") in names and r.get("gateway")})


def _validate(params):
    validate_interface_names("teams", params["teams"])
    validate_interface_names("bond_names", list(params["bond_names"].values()))
    for team, override in params["overrides"].items():
        if not isinstance(override, dict) or set(override) - {"mode", "options", "ignore_problems"}:
            raise InvalidInput("overrides.%s: expected a dict with mode, options, ignore_problems; got %r"
                               % (team, override), option="overrides")
    for target in params["probe_targets"]:
        parts = target.split(".")
        if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
            raise InvalidInput("probe_targets: %r is not an IPv4 address" % target, option="probe_targets")
    if params["timeout"] < 30 or params["settle_timeout"] < 5 or params["settle_timeout"] >= params["timeout"]:
        raise InvalidInput("timeout (>= 30) must be longer than settle_timeout (>= 5): got %d and %d"
                           % (params["timeout"], params["settle_timeout"]), option="timeout")


def _start(module, document, state_dir):
    directory = os.path.join(state_dir, document["txid"])
    os.makedirs(directory, mode=0o700)
    with open(os.path.join(directory, "plan.json"), "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, sort_keys=True)
    script = os.path.join(directory, "t2b_txn.py")
    with open(script, "w", encoding="utf-8") as out:
        out.write(_txn_source())
    os.chmod(script, 0o700)
    rc, out, err = module_runner(module)(["systemd-run", "--quiet", "--collect", "--unit",
                                       "hostnet-t2b-%s" % document["txid"], "--property=Type=exec",
                                       sys.executable, script, "apply", directory])
    if rc != 0:
        raise HostnetError("systemd-run could not start the transaction: %s" % (err or out).strip(),
                           txid=document["txid"])
    deadline = time.time() + document["timeout"] + 30
    while time.time() < deadline:
        state = _t2b_txn.read_json(os.path.join(directory, "state.json"), {}) or {}
        if state.get("state") in ("applied", "rolled_back", "failed", "confirmed"):
            return state
        time.sleep(POLL_SECONDS)
    return _t2b_txn.read_json(os.path.join(directory, "state.json"), {}) or {}


def _txn_source():
    """The transaction script's own source, also when the module runs from an AnsiballZ zip."""
    loader = getattr(_t2b_txn, "__loader__", None)
    if loader is not None and hasattr(loader, "get_source"):
        source = loader.get_source(_t2b_txn.__name__)
        if source:
            return source
    with open(_t2b_txn.__file__, encoding="utf-8") as handle:
        return handle.read()


def run(module):
    params = module.params
    _validate(params)
    host = read_host_state(read_teams=False)
    teams = discover_teams(host, module_runner(module, optional=True), _read_text, _network_files,
                           only=params["teams"] or None)
    missing = sorted(set(params["teams"]) - {t.name for t in teams})
    already = [t for t in missing if (params["bond_names"].get(t) or t.replace("team", "bond", 1)) in host.links]
    missing = [t for t in missing if t not in already]
    if missing:
        raise InvalidInput("teams: no such team on this host: %s (teams present: %s)"
                           % (", ".join(missing), ", ".join(sorted(l.name for l in host.lags() if l.kind == "team"))
                              or "none"), option="teams")
    txid = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    plans = plan_migration(teams, params["bond_names"], params["overrides"], txid=txid,
                           existing_links=set(host.links))
    result = dict(changed=bool(plans), plans=[p.to_dict() for p in plans], summary=[p.summary() for p in plans],
                  txid="", already_migrated=already)
    result["diff"] = [{"before_header": f["path"] + " (absent)", "after_header": f["path"], "before": "",
                       "after": f["content"]} for p in plans for f in p.files]
    problems = ["%s: %s" % (p.team, problem) for p in plans for problem in p.problems]
    if problems:
        raise MigrationRefused("team_to_bond: nothing was changed; %d problem(s): %s"
                               % (len(problems), " | ".join(problems)), plans=result["plans"], problems=problems)
    if not plans:
        return result
    targets = list(params["probe_targets"])
    if not targets:
        names = {p.team for p in plans} | {p.master for p in plans if p.master}
        targets = _default_gateways(module, names)
    if not targets:
        raise InvalidInput("probe_targets: none given and no default route runs through %s; give addresses that "
                           "must answer through the bond" % ", ".join(p.team for p in plans), option="probe_targets")
    result["probe_targets"] = targets
    if module.check_mode:
        return result
    document = transaction_document(txid, plans, teams, targets, params["timeout"], params["settle_timeout"],
                                    params["state_dir"])
    state = _start(module, document, params["state_dir"])
    result.update(txid=txid, transaction=state)
    if state.get("state") != "applied":
        raise HostnetError("team_to_bond: transaction %s ended %s: %s" % (
            txid, state.get("state", "without a state"), state.get("reason") or state.get("error") or "see %s/log.txt"
            % os.path.join(params["state_dir"], txid)), **result)
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_pyroute2(module)
    try:
        module.exit_json(**run(module))
    except HostnetError as exc:
        module.fail_json(**exc.to_fail_kwargs())


if __name__ == "__main__":
    main()
