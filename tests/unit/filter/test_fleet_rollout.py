# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils/_fleet_rollout.py: the rollout variables, the batches, and each host's migration record."""

from __future__ import annotations

import pytest
from ansible.executor.playbook_executor import PlaybookExecutor

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout

# ------------------------------------------------------------------------------------------- the variables


@pytest.mark.parametrize("value, expected", [
    (1, [1]), ("3", [3]), (" 2 ", [2]), ("25%", ["25%"]), ("100 %", ["100%"]), ([1, "10%"], [1, "10%"]),
    (["1", 5, "50%"], [1, 5, "50%"]),
])
def test_serial_is_a_batch_size_or_a_list_of_them(value, expected):
    assert rollout.validate_serial(value) == expected


@pytest.mark.parametrize("value, words", [
    (0, "would put no host in a batch"), ("0", "would put no host in a batch"), (-1, "would put no host"),
    ("-1", "is not a batch size"),
    ("0%", "not a percentage from 1% to 100%"), ("150%", "not a percentage from 1% to 100%"),
    ("12.5%", "is not a batch size"), ("one", "is not a batch size"), (True, "is not a batch size"),
    (1.5, "is not a batch size"), ([], "the list is empty"), ({"a": 1}, "is not a batch size"),
    (None, "is not a batch size"),
])
def test_a_wrong_serial_is_refused_naming_the_variable_and_what_is_valid(value, words):
    with pytest.raises(rollout.RolloutError) as error:
        rollout.validate_serial(value)
    assert str(error.value).startswith("hostnet_serial")
    assert words in str(error.value)
    if words != "the list is empty":
        assert "'25%'" in str(error.value)


def test_a_wrong_entry_of_a_serial_list_is_named_by_its_index():
    with pytest.raises(rollout.RolloutError, match=r"^hostnet_serial\[1\]: 'x' is not a batch size"):
        rollout.validate_serial([1, "x"])


@pytest.mark.parametrize("value, expected", [(0, 0), (2, 2), ("3", 3)])
def test_canary_is_a_number_of_hosts(value, expected):
    assert rollout.validate_canary(value) == expected


@pytest.mark.parametrize("value", [-1, "10%", "two", True, 1.0, None, [1]])
def test_a_wrong_canary_is_refused(value):
    with pytest.raises(rollout.RolloutError, match=r"^hostnet_canary: .* is not a number of hosts; use 0"):
        rollout.validate_canary(value)


@pytest.mark.parametrize("serial, canary, expected", [
    (1, 0, [1]), ("25%", 0, ["25%"]), ("25%", 2, [2, "25%"]), ([1, "50%"], 1, [1, 1, "50%"]),
])
def test_the_schedule_puts_the_canary_first(serial, canary, expected):
    assert rollout.schedule(serial, canary) == expected


# ------------------------------------------------------------------------------- the batches Ansible makes


class _Inventory:
    def __init__(self, hosts):
        self.hosts = hosts

    def get_hosts(self, pattern, order=None):  # pylint: disable=unused-argument
        return list(self.hosts)


class _Play:
    hosts = "all"
    order = "inventory"

    def __init__(self, serial):
        self.serial = serial


@pytest.mark.parametrize("count", [1, 2, 5, 7, 10])
@pytest.mark.parametrize("sizes", [[1], [2], ["25%"], ["50%"], ["100%"], [1, "25%"], [2, 3], [3, 1, "40%"]])
def test_the_batches_are_those_ansible_playbook_makes(count, sizes):
    hosts = ["host%02d" % i for i in range(count)]
    executor = PlaybookExecutor.__new__(PlaybookExecutor)
    executor._inventory = _Inventory(hosts)  # pylint: disable=protected-access
    expected = executor._get_serialized_batches(_Play(sizes))  # pylint: disable=protected-access
    assert rollout.batches(hosts, sizes) == expected


def test_batch_of_a_host():
    hosts = ["a", "b", "c", "d", "e"]
    assert rollout.batch_of("a", hosts, [1, "50%"]) == (1, ["a"])
    assert rollout.batch_of("c", hosts, [1, "50%"]) == (2, ["b", "c"])
    assert rollout.batch_of("e", hosts, [1, "50%"]) == (3, ["d", "e"])
    assert rollout.batch_of("x", hosts, [1]) == (None, [])


# ---------------------------------------------------------------------------------------- a host's record

PLAN = {"team": "team0", "bond": "bond0", "master": "br0", "mode": "active-backup", "files": [{"path": "/x"}]}


def step(**values):
    base = {"batch": "2", "batch_hosts": ["h2"], "started": "2026-12-07T10:00:00.000000Z",
            "ended": "2026-12-07T10:00:05.000000Z", "check_mode": False, "not_attempted": ""}
    base.update(values)
    return base


def test_a_confirmed_transaction_is_migrated_with_its_bridges():
    record = rollout.migration_record(step(result={
        "migrations": ["team0 -> bond0 (active-backup, ...; eno1 eno2) via systemd-networkd"], "plans": [PLAN],
        "txid": "20261207T100000-abcdef", "transaction": {"state": "confirmed", "apply_seconds": 3.1, "plan": "x"}}))
    assert record["status"] == "migrated" and record["batch"] == 2 and record["batch_hosts"] == ["h2"]
    assert record["reason"].startswith("team0 -> bond0")
    assert record["bridges"] == [{"team": "team0", "bond": "bond0", "bridge": "br0"}]
    assert record["transaction"] == {"state": "confirmed", "apply_seconds": 3.1}  # no plan, no paths
    assert record["txid"] == "20261207T100000-abcdef"


@pytest.mark.parametrize("measured", [
    {"bridges": [{"bridge": "br0", "gap_seconds": 0.12, "gap_class": "active-backup", "note": "words"}]},
    {"bridges": [{"team": "team0", "gap_seconds": 0.12, "gap_class": "active-backup"}]},
    {"gaps": {"team0": 0.12}},
    {"transaction": {"state": "confirmed", "teams": {"team0": {"gap_seconds": 0.12, "bond_seconds": 2.0}}}},
])
def test_a_gap_the_role_measured_shows_per_bridge(measured):
    result = {"migrations": ["team0 -> bond0"], "plans": [PLAN], "txid": "t1", "transaction": {"state": "confirmed"}}
    result.update(measured)
    assert rollout.migration_record(step(result=result))["status"] == "migrated"
    bridges = rollout.migration_record(step(result=result))["bridges"]
    assert len(bridges) == 1 and bridges[0]["gap_seconds"] == 0.12
    assert bridges[0]["team"] == "team0" and bridges[0]["bridge"] == "br0"
    assert "note" not in bridges[0]


def test_a_transaction_that_rolled_back_is_rolled_back_with_its_reason():
    error = {"failed": True, "msg": "team_to_bond: transaction t1 ended rolled_back: probe 192.0.2.1 failed",
             "txid": "t1", "transaction": {"state": "rolled_back", "reason": "probe 192.0.2.1 failed",
                                           "rollback_seconds": 2.5}, "task": "Migrate teams to bonds"}
    record = rollout.migration_record(step(error=error, result={}))
    assert record["status"] == "rolled_back"
    assert "probe 192.0.2.1 failed" in record["reason"] and "(in 'Migrate teams to bonds')" in record["reason"]
    assert record["transaction"]["rollback_seconds"] == 2.5
    assert rollout.stop_reason("h2", record) == "h2 rolled_back"


def test_a_module_failure_is_failed_and_stops_the_rollout():
    error = {"failed": True, "msg": "teams: no such team on this host: team9 (teams present: none)", "task": "t"}
    record = rollout.migration_record(step(error=error))
    assert record["status"] == "failed" and record["reason"].startswith("teams: no such team")
    assert rollout.stop_reason("h2", record) == "h2 failed"
    assert rollout.failed_message("h2", record).endswith("; the rollout stopped here")
    assert "a run would stop the rollout here" in rollout.failed_message("h2", record, check_mode=True)


def test_an_unreachable_step_is_failed_and_says_the_host_rolls_back_by_itself():
    error = {"unreachable": True, "msg": "Failed to connect to the host via ssh", "task": "Confirm the transaction"}
    record = rollout.migration_record(step(error=error))
    assert record["status"] == "failed" and "became unreachable" in record["reason"]
    assert "rolls back by itself" in record["reason"]


def test_an_applied_but_unconfirmed_transaction_counts_as_rolled_back():
    record = rollout.migration_record(step(result={"migrations": ["team0 -> bond0"], "txid": "t1",
                                                   "transaction": {"state": "applied"}}))
    assert record["status"] == "rolled_back" and "team_to_bond_confirm is false" in record["reason"]


def test_a_transaction_in_another_state_is_failed():
    record = rollout.migration_record(step(result={"migrations": ["team0 -> bond0"], "txid": "t1",
                                                   "transaction": {"state": "failed", "error": "no timer"}}))
    assert record["status"] == "failed" and record["reason"] == "transaction t1 ended failed: no timer"


def test_nothing_to_migrate():
    record = rollout.migration_record(step(result={"migrations": [], "plans": [], "txid": "", "transaction": {}}))
    assert record["status"] == "nothing_to_migrate" and record["reason"].startswith("nothing to migrate")


def test_a_host_the_rollout_did_not_reach():
    record = rollout.migration_record(step(not_attempted="rollout stopped after h1 failed", result={"txid": "x"}))
    assert record["status"] == "not_attempted" and record["reason"] == "rollout stopped after h1 failed"
    assert rollout.stop_reason("h2", record) == ""


def test_check_mode_is_a_plan_with_the_batch_a_run_would_use():
    record = rollout.migration_record(step(
        check_mode=True, result={"migrations": ["team0 -> bond0"], "plans": [PLAN], "txid": ""},
        host="h3", play_hosts=["h1", "h2", "h3", "h4"], schedule=[1, "50%"], batch="1", batch_hosts=["h1", "h2", "h3", "h4"]))
    assert record["status"] == "not_attempted" and record["reason"] == "check mode: plan only"
    assert record["plan"] == ["team0 -> bond0"] and record["bridges"][0]["bridge"] == "br0"
    assert (record["batch"], record["batch_hosts"]) == (2, ["h2", "h3"])
    nothing = rollout.migration_record(step(check_mode=True, result={"migrations": [], "plans": []}))
    assert nothing["status"] == "nothing_to_migrate"


# ------------------------------------------------------------------------- the record in the host's result


def test_a_failed_migration_marks_the_host_failed_and_a_finished_record_is_kept():
    lean = {"findings": [], "summary": {"error": 0, "warning": 0, "info": 0}, "compliant": True,
            "audited": {"teams": 1}}
    kept, record_ok = rollout.with_migration(dict(lean), step(result={"migrations": []}), "h2")
    assert record_ok["status"] == "nothing_to_migrate" and kept["findings"] == [] and kept["migration"] == record_ok
    failed, record = rollout.with_migration(dict(lean), step(error={"msg": "boom"}), "h2")
    assert failed["failed"] is True and failed["migration"] == record and "findings" not in failed
    assert failed["msg"] == "team_to_bond on h2 failed: boom; the rollout stopped here"
    # a finished record is kept as it is (the enforcing play passes the rollout play's record on)
    assert rollout.with_migration(dict(lean), record_ok, "h2")[1] == record_ok


def test_hostnet_team_to_bond_false_is_said_only_where_there_are_teams():
    off = {"not_attempted": rollout.DISABLED_REASON}
    with_teams, record = rollout.with_migration({"audited": {"teams": 2}}, off, "h1")
    assert record == {"status": "not_attempted", "reason": "hostnet_team_to_bond is false"}
    assert with_teams["migration"] == record and not with_teams.get("failed")
    without, record = rollout.with_migration({"audited": {"teams": 0}}, off, "h1")
    assert record is None and "migration" not in without


# ------------------------------------------------------------------------------------------------ in words


def test_a_host_s_migration_in_words():
    migrated = {"status": "migrated", "reason": "team0 -> bond0 (...)", "batch": 1,
                "bridges": [{"team": "team0", "bond": "bond0", "bridge": "br0", "gap_seconds": 0.126,
                             "apply_seconds": 3.0, "gap_class": "active-backup"},
                            {"team": "team1", "bond": "bond1", "bridge": None}]}
    assert rollout.migration_words(migrated) == (
        "migrated (batch 1): team0 -> bond0 on br0: gap 0.13 s, apply 3 s, active-backup; team1 -> bond1: no gap measured")
    assert rollout.migration_words({"status": "not_attempted", "reason": "rollout stopped after h2 failed"}) == \
        "not attempted: rollout stopped after h2 failed"
    assert rollout.migration_words({"status": "nothing_to_migrate", "reason": "nothing to migrate: no team on the host",
                                    "batch": 2}) == "nothing to migrate (batch 2)"
    assert rollout.migration_words({"status": "not_attempted", "reason": "check mode: plan only", "batch": 2,
                                    "plan": ["team0 -> bond0 (802.3ad)"]}) == \
        "not attempted (batch 2): check mode: plan only: team0 -> bond0 (802.3ad)"
    assert rollout.migration_words(None) == ""


def test_the_rollout_in_one_line():
    records = {"h0": {"status": "migrated"}, "h1": {"status": "nothing_to_migrate"}, "h2": {"status": "failed"},
               "h3": {"status": "not_attempted"}, "h4": {"status": "not_attempted"}, "h5": None}
    assert rollout.fleet_words(records) == ("team->bond rollout: 1 migrated, 1 nothing to migrate, 1 failed, "
                                            "2 not attempted; stopped after h2 failed")
    assert rollout.fleet_words({"h5": None}) == ""


# ------------------------------------------------------------------------ in report.md and summary.txt


def _fleet_of_a_stopped_rollout():
    from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet

    clean = {"findings": [], "summary": {"error": 0, "warning": 0, "info": 0}, "compliant": True,
             "audited": {"links": 3, "bridges": 1, "bonds": 1, "teams": 0, "docker": {}, "networkd": {}}}
    migrated = rollout.migration_record(step(batch="1", batch_hosts=["h0"], result={
        "migrations": ["team0 -> bond0"], "plans": [PLAN], "txid": "t1",
        "transaction": {"state": "confirmed"}, "bridges": [{"team": "team0", "gap_seconds": 0.3}]}))
    failed = rollout.migration_record(step(batch="2", batch_hosts=["h1"], error={"msg": "probe failed", "task": "t",
                                                                                 "transaction": {"state": "rolled_back"}}))
    stopped = {"status": "not_attempted", "reason": "rollout stopped after h1 rolled_back"}
    lean_failed = {"failed": True, "msg": rollout.failed_message("h1", failed), "migration": failed}
    return {"h0": dict(clean, migration=migrated), "h1": lean_failed, "h2": dict(clean, migration=stopped)}, fleet


def test_report_md_and_summary_txt_show_each_host_s_migration():
    from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet_filters as fleet_report

    results, _fleet = _fleet_of_a_stopped_rollout()
    markdown = fleet_report.findings_to_markdown(results)
    summary = fleet_report.fleet_summary_text(results)
    markdown = markdown.replace("\\>", ">")  # report.md escapes '>'; rendered, it reads as in summary.txt
    assert "--limit h1   # the migration's plan for this host" in markdown
    for text in (markdown, summary):
        assert "team->bond rollout: 1 migrated, 1 rolled back, 1 not attempted; stopped after h1 rolled_back" \
            in text.replace("Team->bond", "team->bond")
        assert "migrated (batch 1): team0 -> bond0 on br0: gap 0.3 s" in text
        assert "rolled back (batch 2): probe failed (in 't')" in text
        assert "not attempted: rollout stopped after h1 rolled_back" in text
    assert "**The team->bond migration rolled back on this host**" in markdown
    assert "The audit could not run" not in markdown
    assert "try: ansible" not in summary  # the audit ran on h1; its migration is what failed
