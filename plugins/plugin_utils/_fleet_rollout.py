# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The team->bond rollout of harden_docker_hosts: its two variables checked, the play's ``serial`` built from
them, and each host's migration step turned into the record the reports show (pure functions).

A host's record: ``status`` (one of STATUSES), ``reason`` (words), the ``batch`` it ran in (1-based) with
``batch_hosts``, ``started``/``ended`` (UTC, controller clock), the migrations or the plan (one line per team),
``bridges`` (per migrated team: team, bond, bridge and whatever the role measured there, e.g. ``gap_seconds``),
``txid`` and the transaction's state and timings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_findings import MIGRATION_FAILED_PREFIX
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import plain

MIGRATED, NOTHING, ROLLED_BACK, FAILED, NOT_ATTEMPTED = (
    "migrated", "nothing_to_migrate", "rolled_back", "failed", "not_attempted")
STATUSES = (MIGRATED, NOTHING, ROLLED_BACK, FAILED, NOT_ATTEMPTED)
# A host in one of these stops the rollout: no later batch is attempted.
STOPS = (FAILED, ROLLED_BACK)
CHECK_MODE_REASON = "check mode: plan only"
DISABLED_REASON = "hostnet_team_to_bond is false"
NO_TEAM_REASON = "nothing to migrate: no team on the host"

_PERCENT = re.compile(r"^\s*([0-9]+)\s*%\s*$")
_NUMBER = re.compile(r"^\s*([0-9]+)\s*$")
# What a transaction's state.json may say that belongs in a report (numbers and words, no paths or plans).
_TRANSACTION_KEYS = ("state", "reason", "error", "apply_seconds", "bond_seconds", "rollback_seconds",
                     "gap_seconds")
# What the role may say per team or bridge besides the names (timings the role measured).
_NAME_KEYS = ("team", "bond", "bridge", "master")


class RolloutError(ValueError):
    """A rollout variable the run cannot use; the message names it and says what would be valid."""


# ------------------------------------------------------------------------------------------ the variables


def _batch_size(name, value):
    """One batch size: a number of hosts (>= 1) or a percentage of the rollout's hosts ('25%', 1 to 100)."""
    valid = "use a number of hosts (1 or more), a percentage of the hosts such as '25%', or a list of them"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RolloutError("%s: %r is not a batch size; %s" % (name, value, valid))
    if isinstance(value, int):
        number = value
    else:
        percent = _PERCENT.match(value)
        if percent:
            if not 1 <= int(percent.group(1)) <= 100:
                raise RolloutError("%s: %r is not a percentage from 1%% to 100%%; %s" % (name, value, valid))
            return "%d%%" % int(percent.group(1))
        number_match = _NUMBER.match(value)
        if not number_match:
            raise RolloutError("%s: %r is not a batch size; %s" % (name, value, valid))
        number = int(number_match.group(1))
    if number < 1:
        raise RolloutError("%s: %r would put no host in a batch (Ansible reads it as every host at once); %s "
                           "('100%%' for every host at once)" % (name, value, valid))
    return number


def validate_serial(value, name="hostnet_serial"):
    """hostnet_serial as a non-empty list of batch sizes (numbers of hosts or 'N%'), as the play's serial takes
    it: the sizes in order, the last one repeated for the rest of the hosts."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise RolloutError("%s: the list is empty; give at least one batch size (e.g. 1, or [1, '25%%'])" % name)
        return [_batch_size("%s[%d]" % (name, index), item) for index, item in enumerate(value)]
    return [_batch_size(name, value)]


def validate_canary(value, name="hostnet_canary"):
    """hostnet_canary as a number of hosts (0: no canary batch)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) \
            or (isinstance(value, str) and not _NUMBER.match(value)) or int(value) < 0:
        raise RolloutError("%s: %r is not a number of hosts; use 0 (no canary) or the number of hosts to migrate "
                           "first, alone in their batch, before the rest in hostnet_serial batches" % (name, value))
    return int(value)


def schedule(serial, canary=0):
    """The play's ``serial``: the canary batch first (when there is one), then hostnet_serial's sizes."""
    serial = validate_serial(serial)
    canary = validate_canary(canary)
    return ([canary] if canary else []) + serial


def _size(value, hosts):
    """Ansible's own reading of one serial entry (ansible.utils.helpers.pct_to_int, min_value 1)."""
    if isinstance(value, str) and value.endswith("%"):
        return int((int(value[:-1]) / 100.0) * hosts) or 1
    return int(value)


def batches(hosts, sizes):
    """The batches ansible-playbook makes of ``hosts`` with ``serial: sizes`` (PlaybookExecutor's
    _get_serialized_batches): each size in turn, the last one repeated."""
    hosts, total, out, index = list(hosts), len(hosts), [], 0
    sizes = list(sizes) or [0]
    while hosts:
        size = _size(sizes[index], total)
        if size <= 0:
            out.append(hosts)
            break
        out.append(hosts[:size])
        hosts = hosts[size:]
        index = min(index + 1, len(sizes) - 1)
    return out


def batch_of(host, hosts, sizes):
    """(1-based batch number, the batch's hosts) of ``host`` among ``hosts`` with ``serial: sizes``."""
    for number, batch in enumerate(batches(hosts, sizes), start=1):
        if host in batch:
            return number, batch
    return None, []


# ---------------------------------------------------------------------------------------- a host's record


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def _lines(value):
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, (list, tuple)):
        return []
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(str(item.get("summary") or item.get("team") or plain(item)))
    return out


def _transaction(value):
    transaction = _mapping(value)
    return {key: plain(transaction[key]) for key in _TRANSACTION_KEYS if transaction.get(key) not in (None, "")}


def _measured(entry):
    """What the role measured for one team or bridge: the numbers and short words beside the names."""
    return {str(key): plain(value) for key, value in entry.items()
            if key not in _NAME_KEYS and (isinstance(value, (int, float)) and not isinstance(value, bool)
                                          or key.endswith("_seconds") or key in ("gap_class", "stp"))}


def bridges(result):
    """Per migrated team: team, bond, bridge (its master, or None) and what the role measured there.

    Reads ``bridges``, ``gaps`` or ``teams`` of the role's result or of its transaction when they are there - a
    list of entries per team or bridge, or a dict by team, with timings such as ``gap_seconds`` - and the plans
    for the names; keyed by team, so a timing the role adds later shows up without a change here.
    """
    result = _mapping(result)
    by_team, order = {}, []
    for plan in result.get("plans") or []:
        plan = _mapping(plan)
        team = plan.get("team")
        if team and team not in by_team:
            order.append(team)
            by_team[team] = {"team": str(team), "bond": plan.get("bond"), "bridge": plan.get("master")}
    sources = [result, _mapping(result.get("transaction"))]  # the role's result, or the transaction's state
    for key, source in ((key, source) for source in sources for key in ("bridges", "gaps", "teams")):
        entries = source.get(key)
        if isinstance(entries, Mapping):  # {team or bridge: {...}} or {team: seconds}
            entries = [dict(value, team=name) if isinstance(value, Mapping) else {"team": name, "gap_seconds": value}
                       for name, value in entries.items()]
        for entry in entries if isinstance(entries, (list, tuple)) else []:
            entry = _mapping(entry)
            team = entry.get("team") or next((t for t, b in by_team.items()
                                              if entry.get("bridge") and b["bridge"] == entry.get("bridge")), None)
            if not team:
                continue
            if team not in by_team:
                order.append(team)
                by_team[team] = {"team": str(team), "bond": entry.get("bond"),
                                 "bridge": entry.get("bridge") or entry.get("master")}
            by_team[team].update(_measured(entry))
    return plain([by_team[team] for team in order])


def _failure_reason(error):
    message = str(error.get("msg") or "failed without a message")
    if error.get("unreachable"):
        message = "the host became unreachable during the migration (it rolls back by itself unless the " \
                  "transaction was confirmed): " + message
    task = error.get("task")
    return "%s (in '%s')" % (message, task) if task else message


def migration_record(step):
    """A host's migration record from what the rollout play gathered about its step (``step``):

    - ``not_attempted``: why the host was not attempted ('rollout stopped after host2 failed', ...), or empty;
    - ``check_mode``; ``batch``, ``batch_hosts``, ``started``, ``ended``; under check mode ``schedule`` (the
      play's serial), ``play_hosts`` and ``host``, for the batch a run would put the host in;
    - ``result``: the role's ``team_to_bond_result`` (migrations, plans, txid, transaction[, bridges]);
    - ``error``: the failed task's result (with ``task``, its name) when a step of the migration failed.
    """
    step = _mapping(step)
    record = {"status": None, "reason": ""}
    for key in ("batch", "batch_hosts", "started", "ended"):
        if step.get(key) not in (None, "", []):
            record[key] = plain(step[key])
    if isinstance(record.get("batch"), str) and record["batch"].isdigit():
        record["batch"] = int(record["batch"])
    if step.get("check_mode") and step.get("host") and step.get("play_hosts") and step.get("schedule"):
        # one batch plans every host; say in which batch a run would migrate it
        number, hosts = batch_of(step["host"], plain(step["play_hosts"]), plain(step["schedule"]))
        if number:
            record.update(batch=number, batch_hosts=hosts)
    result, error = _mapping(step.get("result")), _mapping(step.get("error"))

    if step.get("not_attempted"):
        record.update(status=NOT_ATTEMPTED, reason=str(step["not_attempted"]))
        return record
    if error:
        transaction = _transaction(error.get("transaction") or result.get("transaction"))
        record.update(status=ROLLED_BACK if transaction.get("state") == "rolled_back" else FAILED,
                      reason=_failure_reason(error))
        if error.get("txid") or result.get("txid"):
            record["txid"] = str(error.get("txid") or result.get("txid"))
        if transaction:
            record["transaction"] = transaction
        plans = _lines(error.get("summary")) or _lines(result.get("migrations"))
        if plans:
            record["plan"] = plans
        return record

    migrations, plans = _lines(result.get("migrations")), _lines(result.get("plans"))
    transaction = _transaction(result.get("transaction"))
    txid = str(result.get("txid") or "")
    if step.get("check_mode"):
        if migrations or plans:
            record.update(status=NOT_ATTEMPTED, reason=CHECK_MODE_REASON, plan=migrations or plans,
                          bridges=bridges(result))
        else:
            record.update(status=NOTHING, reason=NO_TEAM_REASON)
        return record
    if not txid:
        if migrations or plans:
            record.update(status=FAILED, reason="the role planned %s but started no transaction" % "; ".join(
                migrations or plans), plan=migrations or plans)
        else:
            record.update(status=NOTHING, reason=NO_TEAM_REASON)
        return record
    record.update(txid=txid, transaction=transaction, migrations=migrations, bridges=bridges(result))
    state = transaction.get("state")
    if state == "confirmed":
        record.update(status=MIGRATED, reason="; ".join(migrations) or "migrated")
    elif state == "applied":
        record.update(status=ROLLED_BACK, reason="applied but not confirmed (team_to_bond_confirm is false): the "
                                                 "host rolls back by itself when its timer ends")
    elif state == "rolled_back":
        record.update(status=ROLLED_BACK, reason=transaction.get("reason") or "rolled back")
    else:
        record.update(status=FAILED, reason="transaction %s ended %s%s" % (
            txid, state or "without a state", ": %s" % (transaction.get("reason") or transaction.get("error"))
            if transaction.get("reason") or transaction.get("error") else ""))
    return record


def with_migration(lean, raw, host):
    """The lean result with the host's migration record; a migration that failed or rolled back marks the host
    failed (with the record kept). A 'hostnet_team_to_bond is false' record stays only where the audit counted
    teams: elsewhere there is nothing it could have migrated."""
    record = plain(raw) if raw.get("status") in STATUSES else migration_record(raw)
    teams = (lean.get("audited") or {}).get("teams") if isinstance(lean.get("audited"), dict) else None
    if record.get("reason") == DISABLED_REASON and not teams:
        return lean, None
    if record["status"] in STOPS:
        lean = {"failed": True, "msg": failed_message(host, record, bool(raw.get("check_mode")))}
    lean["migration"] = record
    return lean, record


def stopped_the_rollout(record):
    """Whether this record is of a host whose migration failed or rolled back."""
    return isinstance(record, Mapping) and record.get("status") in STOPS


def stop_reason(host, record):
    """What a host whose migration stops the rollout leaves for the hosts after it: '<host> <status>'."""
    return "%s %s" % (host, record["status"]) if record.get("status") in STOPS else ""


def failed_message(host, record, check_mode=False):
    """The message a host whose migration failed or rolled back carries in the report (it fails the run)."""
    return "%s%s %s: %s%s" % (
        MIGRATION_FAILED_PREFIX, host, "rolled back" if record["status"] == ROLLED_BACK else "failed", record.get("reason") or "no reason given",
        " (check mode: a run would stop the rollout here)" if check_mode else "; the rollout stopped here")


# ---------------------------------------------------------------------------------------------- in words

_WORDS = {MIGRATED: "migrated", NOTHING: "nothing to migrate", ROLLED_BACK: "rolled back", FAILED: "failed",
          NOT_ATTEMPTED: "not attempted"}


def _seconds(value):
    return ("%.2f" % value).rstrip("0").rstrip(".") + " s" if isinstance(value, (int, float)) else str(value)


def bridge_words(entry):
    """One migrated team in words: 'team0 -> bond0 on br0: gap 0.12 s (active-backup)'."""
    text = "%s -> %s" % (entry.get("team"), entry.get("bond") or "?")
    if entry.get("bridge"):
        text += " on %s" % entry["bridge"]
    measured = []
    if "gap_seconds" in entry:
        measured.append("gap %s" % _seconds(entry["gap_seconds"]))
    measured += ["%s %s" % (key[:-len("_seconds")].replace("_", " "), _seconds(value))
                 for key, value in sorted(entry.items()) if key.endswith("_seconds") and key != "gap_seconds"]
    measured += [str(entry[key]) for key in ("gap_class",) if entry.get(key)]
    return text + (": " + ", ".join(measured) if measured else ": no gap measured")


def migration_words(record):
    """A host's migration in one line: 'failed (batch 3): teams: no such team ...'."""
    if not isinstance(record, Mapping) or not record.get("status"):
        return ""
    text = _WORDS.get(record["status"], str(record["status"]))
    if record.get("batch"):
        text += " (batch %s)" % record["batch"]
    reason = record.get("reason")
    if record["status"] == MIGRATED and record.get("bridges"):
        reason = "; ".join(bridge_words(entry) for entry in record["bridges"])
    elif record.get("reason") == CHECK_MODE_REASON and record.get("plan"):
        reason = "%s: %s" % (CHECK_MODE_REASON, "; ".join(record["plan"]))
    if reason and reason != NO_TEAM_REASON:
        text += ": %s" % reason
    return text


def fleet_words(records):
    """The rollout over the fleet in one line ('' without any record): counts by status, and where it stopped."""
    records = {host: record for host, record in records.items() if isinstance(record, Mapping) and record.get("status")}
    if not records:
        return ""
    counts = [(status, sum(1 for r in records.values() if r["status"] == status)) for status in STATUSES]
    text = "team->bond rollout: " + ", ".join("%d %s" % (count, _WORDS[status]) for status, count in counts if count)
    stopped = sorted(host for host, record in records.items() if record["status"] in STOPS)
    if stopped:
        text += "; stopped after %s" % ", ".join("%s %s" % (host, records[host]["status"]) for host in stopped)
    return text
