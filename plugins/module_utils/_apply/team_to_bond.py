# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond's module side: read the teams, plan, and start the host-side transaction (t2b_txn.py).

The transaction itself - snapshot, apply, bond check, probe, dead-man rollback - runs on the host as a
systemd-run unit of its own (t2b_txn.py, shipped as source), so that it does not depend on the connection.
"""

from __future__ import annotations

__metaclass__ = type

import os
import re
import time
import uuid

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_host as _t2b_host
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_move as _t2b_move
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn as _t2b_txn
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.t2b_launch import launch
from ansible_collections.hostnet.dockerhost.plugins.module_utils._command import module_runner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput, MigrationRefused
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond import (
    plan_migration,
    transaction_document,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond_input import (
    probe_targets,
    select_teams,
    validate_params,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.teams import (
    administrator_network_files,
    discover_teams,
    read_text,
)

POLL_SECONDS = 1
ROLLBACK_GRACE = 180  # seconds more for a rollback that is running when the timeout is up
UNIT_GRACE = 15  # seconds a started transaction unit may take to write its first state
FINISHED = ("applied", "rolled_back", "failed", "confirmed")


def new_txid():
    return time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _source(module):
    """A module's own source as text, also when the module runs from an AnsiballZ zip (its loader gives text)
    or is imported through Ansible's collection loader on the controller (its loader gives bytes)."""
    loader = getattr(module, "__loader__", None)
    if loader is not None and hasattr(loader, "get_source"):
        source = loader.get_source(module.__name__)
        if isinstance(source, bytes):
            source = source.decode("utf-8")
        if source:
            return source
    with open(module.__file__, encoding="utf-8") as handle:
        return handle.read()


def txn_sources():
    """The host-side transaction as shipped: its helpers first, then the script t2b_launch starts."""
    return {_t2b_txn.HOST_HELPERS: _source(_t2b_host), _t2b_txn.MOVE_HELPERS: _source(_t2b_move),
            _t2b_txn.TXN_SCRIPT: _source(_t2b_txn)}


def start_transaction(run, document, state_dir, poll=POLL_SECONDS):
    """Write plan.json and the scripts into ``<state_dir>/<txid>/`` and start them with systemd-run, as one
    engine transaction (t2b_launch), then wait until it has applied (or rolled back, or failed). Returns its
    state.json."""
    directory = launch(document, state_dir, run, txn_sources())
    state_file = os.path.join(directory, "state.json")
    started = time.time()
    deadline = started + document["timeout"] + 30
    unit = "hostnet-t2b-%s.service" % document["txid"]
    state = {}
    # a rollback under way is waited for (a loaded host takes a while to hand the ports back)
    while time.time() < deadline + (ROLLBACK_GRACE if state.get("state") == "rolling_back" else 0):
        state = _t2b_txn.read_json(state_file, {}) or {}
        if state.get("state") in FINISHED:
            return state
        if not state and time.time() > started + UNIT_GRACE and run(["systemctl", "is-active", "--quiet", unit])[0]:
            return dict(state="failed", error="%s ended before it wrote a state: journalctl -u %s" % (unit, unit))
        time.sleep(poll)
    return _t2b_txn.read_json(state_file, {}) or {}


BRIDGE_TIMINGS = ("bridge_without_lag_seconds", "swap_seconds", "ports_seconds")


def bridge_timings(outages):
    """Per migrated bridge, flat (the fleet reports read it): team, bond, bridge, gap class, the host's timings
    of the move (and of a rollback, prefixed rollback_)."""
    rows = []
    for outage in outages:
        row = {key: outage.get(key) for key in ("team", "bond", "bridge", "gap_class")}
        for prefix, measured in (("", outage.get("measured")), ("rollback_", outage.get("measured_rollback"))):
            row.update({prefix + key: measured[key] for key in BRIDGE_TIMINGS if key in (measured or {})})
        rows.append(row)
    return rows


def plan_team_to_bond(params, host, teams, txid):
    """The result of a check-mode run (plans, summary, diff, already_migrated); raises when a listed name is
    not a team or when a team cannot move. Pure."""
    already = select_teams(params["teams"], teams, host.links, params["bond_names"])
    plans = plan_migration(teams, params["bond_names"], params["overrides"], txid=txid, existing_links=set(host.links),
                           lacp_wait=params.get("lacp_wait"))
    result = dict(changed=bool(plans), plans=[p.to_dict() for p in plans], summary=[p.summary() for p in plans],
                  txid="", already_migrated=already, outage=[dict(p.outage) for p in plans])
    result["diff"] = [{"before_header": f["path"] + " (absent)", "after_header": f["path"], "before": "",
                       "after": f["content"]} for p in plans for f in p.files]
    problems = ["%s: %s" % (p.team, problem) for p in plans for problem in p.problems]
    if problems:
        raise MigrationRefused("team_to_bond: nothing was changed; %d problem(s): %s"
                               % (len(problems), " | ".join(problems)), plans=result["plans"], problems=problems)
    return plans, result


def enforce_team_to_bond(module):
    params = module.params
    validate_params(params)
    run = module_runner(module)
    host = read_host_state(read_teams=False)
    teams = discover_teams(host, module_runner(module, optional=True), read_text, administrator_network_files,
                           only=params["teams"] or None)
    txid = new_txid()
    plans, result = plan_team_to_bond(params, host, teams, txid)
    if not plans:
        return result
    targets = probe_targets(params["probe_targets"], host, plans)
    result["probe_targets"] = targets
    if module.check_mode:
        return result
    document = transaction_document(txid, plans, teams, targets, params["timeout"], params["settle_timeout"],
                                    params["state_dir"])
    state = start_transaction(run, document, params["state_dir"])
    result.update(txid=txid, transaction=state)
    for key, moves in (("measured", state.get("moves")), ("measured_rollback", state.get("moves_back"))):
        by_team = {m.get("team"): m for m in moves or []}
        for outage in result["outage"]:
            if outage["team"] in by_team:
                outage[key] = by_team[outage["team"]]
    result["bridges"] = bridge_timings(result["outage"])
    if state.get("state") != "applied":
        raise HostnetError("team_to_bond: transaction %s ended %s: %s" % (
            txid, state.get("state", "without a state"), state.get("reason") or state.get("error") or "see %s/log.txt"
            % os.path.join(params["state_dir"], txid)), **result)
    return result


TXID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def confirm_team_to_bond(module):
    """team_to_bond_confirm: stop the rollback timer and make the migration final (t2b_txn.confirm)."""
    txid, state_dir = module.params["txid"], module.params["state_dir"]
    if not TXID.match(txid):
        raise InvalidInput("txid: %r is not a transaction id" % txid, option="txid")
    directory = os.path.join(state_dir, txid)
    state_file = os.path.join(directory, "state.json")
    state = _t2b_txn.read_json(state_file)
    if not isinstance(state, dict):
        raise InvalidInput("txid: no transaction %s in %s" % (txid, state_dir), option="txid")
    if state.get("state") == "confirmed":
        return dict(changed=False, transaction=state)
    if state.get("state") != "applied":
        raise HostnetError("transaction %s is %s (%s); it cannot be confirmed"
                           % (txid, state.get("state"), state.get("reason", "")), transaction=state)
    if module.check_mode:
        return dict(changed=True, transaction=state)
    try:
        ok, message = _t2b_txn.confirm(directory)
    except OSError as exc:
        ok, message = False, "confirming failed at %s: %s" % (exc.filename or directory, exc.strerror or exc)
    state = _t2b_txn.read_json(state_file)
    if not ok:
        raise HostnetError(message, changed=(state or {}).get("state") == "confirmed", transaction=state)
    return dict(changed=True, transaction=state)
