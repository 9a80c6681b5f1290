# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond's module side: input checks, which listed names are teams, reading gateways and files,
starting the host-side transaction, and the module itself run through AnsibleModule (check mode and a
started transaction) against a hand-made host."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import team_to_bond as _apply_t2b
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import T2B_STATE_DIR
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput, MigrationRefused
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond import plan_migration
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond_input import (
    probe_targets,
    select_teams,
    validate_params,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import teams as _teams
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import DefaultRoute
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.teams import TeamFacts
from ansible_collections.hostnet.dockerhost.plugins.modules import team_to_bond as module_t2b
from hostnet_builders import bond, bridge, link, state, team

LACP = {"device": "team0", "runner": {"name": "lacp", "active": True, "fast_rate": True, "tx_hash": ["eth", "ipv4"]},
        "link_watch": {"name": "ethtool"}, "ports": {"eno0": {}, "eno1": {}}}


def params(**kw):
    base = dict(teams=[], bond_names={}, overrides={}, probe_targets=[], timeout=180, settle_timeout=60,
                state_dir=T2B_STATE_DIR)
    base.update(kw)
    return base


def host_with_team(gateway=None):
    host = state(bridge("br0"), team("team0", master="br0", mac="52:54:00:aa:bb:cc", mtu=1500),
                 link("eno0", "physical", master="team0"), link("eno1", "physical", master="team0"))
    if gateway:
        host.default_routes = [DefaultRoute("ipv4", "br0", gateway)]
    return host


def team_facts():
    return TeamFacts(name="team0", config=LACP, ports=["eno0", "eno1"], mac="52:54:00:aa:bb:cc", mtu=1500,
                     master="br0", backend="NetworkManager", nm_profile="team0",
                     nm_port_profiles=["team0-eno0", "team0-eno1"],
                     nm_settings={"connection.master": "br0", "connection.slave-type": "bridge"})


# --------------------------------------------------------------------------------------------------------
# input


def test_defaults_are_valid():
    validate_params(params())
    validate_params(params(overrides={"team0": {"mode": "802.3ad", "options": {"miimon": 100, "lacp_rate": None},
                                                "ignore_problems": True}}, bond_names={"team0": "bond0"}))


@pytest.mark.parametrize("state_dir", ["relative/dir", "/srv/my state", "/srv/%i", "/srv/$HOME", "/srv/a;b"])
def test_state_dir_must_be_safe_in_a_unit_line(state_dir):
    with pytest.raises(InvalidInput, match="state_dir: .* absolute path without whitespace"):
        validate_params(params(state_dir=state_dir))


def test_a_non_default_state_dir_is_accepted():
    validate_params(params(state_dir="/srv/hostnet/t2b-state"))


@pytest.mark.parametrize("kw, message", [
    (dict(teams=["team 0"]), "teams: invalid interface name"),
    (dict(overrides={"team0": {"mtu": 9000}}), "overrides.team0: expected a dict"),
    (dict(probe_targets=["192.0.2"]), "probe_targets: '192.0.2' is not an IPv4 address"),
    (dict(timeout=60, settle_timeout=60), "timeout .* must be longer than settle_timeout"),
    # checked up front, whether or not the host has a team (issue 17)
    (dict(overrides={"team0": {"mode": "lacp"}}),
     r"overrides.team0.mode: 'lacp' is not a bonding mode; valid modes: balance-rr, active-backup"),
    (dict(overrides={"team0": {"options": {"miimon": 100, "lacp_rat": "fast"}}}),
     r"overrides.team0.options: unknown bond option\(s\) 'lacp_rat'; known: "),
    (dict(overrides={"team0": {"options": "miimon=100"}}), "overrides.team0.options: expected a dict of bond options"),
    (dict(overrides={"team0": {"options": {"miimon": [100]}}}), "overrides.team0.options: miimon must be a single value"),
    (dict(overrides={"team0": {"ignore_problems": "yes"}}), "overrides.team0.ignore_problems: expected true or false"),
    (dict(overrides={"team/0": {"mode": "802.3ad"}}), r"overrides \(its keys, the teams\): invalid interface name"),
    (dict(bond_names={"team 0": "bond0"}), r"bond_names \(its keys, the teams\): invalid interface name"),
    (dict(bond_names={"team0": "b;reboot"}), "bond_names: invalid interface name.*shell or glob metacharacters ;"),
    (dict(bond_names={"team0": "-bond"}), "bond_names: invalid interface name.*a leading '-'"),
])
def test_bad_input_names_the_option(kw, message):
    with pytest.raises(InvalidInput, match=message):
        validate_params(params(**kw))


# --------------------------------------------------------------------------------------------------------
# which listed names are teams


def test_a_bridge_is_not_a_team():
    host = host_with_team()
    # Before: br0 -> "bond"-renamed br0 exists (it is br0 itself) -> "already migrated", success.
    with pytest.raises(InvalidInput) as caught:
        select_teams(["br0"], [team_facts()], host.links, {})
    assert caught.value.msg == "teams: br0 is a bridge, not a team (teams present: team0)"


def test_a_bond_or_a_physical_port_is_not_a_team_either():
    host = state(bond("bond0", "802.3ad"), link("eno0", "physical", master="bond0"))
    with pytest.raises(InvalidInput, match="bond0 is a bond, not a team; eno0 is a physical interface, not a team "
                                           r"\(teams present: none\)"):
        select_teams(["bond0", "eno0"], [], host.links, {})


def test_a_team_gone_with_its_bond_present_is_already_migrated():
    host = state(bond("bond0", "802.3ad"), bond("agg-new", "active-backup"))
    assert select_teams(["team0", "agg7"], [], host.links, {"agg7": "agg-new"}) == ["agg7", "team0"]


def test_a_team_gone_whose_bond_is_no_bond_is_missing():
    host = state(link("bond0", "dummy"))
    with pytest.raises(InvalidInput, match="teams: no such team on this host: team0 \\(teams present: none\\)"):
        select_teams(["team0"], [], host.links, {})


def test_found_teams_are_neither_missing_nor_migrated():
    host = host_with_team()
    assert select_teams(["team0"], [team_facts()], host.links, {}) == []
    assert select_teams([], [team_facts()], host.links, {}) == []


# --------------------------------------------------------------------------------------------------------
# reading beside the teams


def test_probe_targets_given_win():
    host = host_with_team(gateway="192.0.2.1")
    assert probe_targets(["198.51.100.1"], host, plan_migration([team_facts()])) == ["198.51.100.1"]


def test_probe_targets_default_to_the_gateways_through_the_team_or_its_bridge():
    host = host_with_team(gateway="192.0.2.1")
    host.default_routes += [DefaultRoute("ipv4", "eth9", "198.51.100.1"), DefaultRoute("ipv4", "team0", "192.0.2.9"),
                            DefaultRoute("ipv6", "br0", "fe80::1")]
    assert probe_targets([], host, plan_migration([team_facts()])) == ["192.0.2.1", "192.0.2.9"]


def test_no_probe_target_and_no_gateway_names_the_option():
    host = host_with_team()
    host.default_routes = [DefaultRoute("ipv4", "eth9", "198.51.100.1"), DefaultRoute("ipv4", "br0", None)]
    with pytest.raises(InvalidInput, match="probe_targets: none given and no default route runs through team0"):
        probe_targets([], host, plan_migration([team_facts()]))


def test_administrator_network_files_and_read_text(tmp_path):
    (tmp_path / "20-b.network").write_text("[Match]\nName=eno1\n")
    (tmp_path / "10-a.network").write_text("[Match]\nName=eno0\n")
    (tmp_path / "10-a.netdev").write_text("")
    (tmp_path / "bad.network").write_bytes(b"\xff\xfe")

    files = _teams.administrator_network_files(str(tmp_path))

    assert [os.path.basename(f) for f in files] == ["10-a.network", "20-b.network", "bad.network"]
    assert _teams.read_text(files[0]) == "[Match]\nName=eno0\n"
    assert _teams.read_text(files[2]) == "\ufffd\ufffd"
    assert _teams.read_text(str(tmp_path / "absent.network")) is None
    assert _teams.administrator_network_files(str(tmp_path / "none")) == []


# --------------------------------------------------------------------------------------------------------
# plan and start


def test_plan_refuses_with_every_problem_and_changes_nothing():
    facts = team_facts()
    facts.backend = None
    with pytest.raises(MigrationRefused) as caught:
        _apply_t2b.plan_team_to_bond(params(), host_with_team(), [facts], "tx1")
    assert "managed neither by a NetworkManager team profile" in caught.value.msg
    assert caught.value.msg.startswith("team_to_bond: nothing was changed; 1 problem(s): team0: ")


def test_start_transaction_writes_plan_and_script_and_waits_for_the_state(tmp_path):
    started = []

    def run(argv):
        started.append(argv)
        directory = argv[-1]
        with open(os.path.join(directory, "state.json"), "w", encoding="utf-8") as out:
            json.dump({"state": "applied"}, out)
        return 0, "", ""

    document = {"txid": "tx1", "timeout": 60}
    state_dir = str(tmp_path / "custom")

    assert _apply_t2b.start_transaction(run, document, state_dir, poll=0.01) == {"state": "applied"}

    directory = os.path.join(state_dir, "tx1")
    assert json.load(open(os.path.join(directory, "plan.json"))) == document
    sources = _apply_t2b.txn_sources()
    assert list(sources) == ["t2b_host.py", "t2b_move.py", "t2b_txn.py"]  # the helpers first: the script imports them
    assert open(os.path.join(directory, "t2b_txn.py")).read() == sources["t2b_txn.py"]
    assert open(os.path.join(directory, "t2b_host.py")).read() == sources["t2b_host.py"]
    assert started[0][:5] == ["systemd-run", "--quiet", "--collect", "--unit", "hostnet-t2b-tx1"]
    assert started[0][-3:] == [os.path.join(directory, "t2b_txn.py"), "apply", directory]


def test_start_transaction_fails_when_systemd_run_does(tmp_path):
    with pytest.raises(HostnetError, match="no bus"):
        _apply_t2b.start_transaction(lambda argv: (1, "", "no bus\n"), {"txid": "tx1", "timeout": 60},
                                     str(tmp_path))


# --------------------------------------------------------------------------------------------------------
# the module, through AnsibleModule


class FakeRunner:
    """module_runner(module, optional=False) stand-in: answers systemd-run."""

    def __init__(self, applied=True):
        self.applied = applied
        self.calls = []

    def __call__(self, module, optional=False):
        def run(argv):
            self.calls.append(list(argv))
            if argv[0] == "systemd-run":
                with open(os.path.join(argv[-1], "state.json"), "w", encoding="utf-8") as out:
                    json.dump({"state": "applied" if self.applied else "rolled_back", "reason": "probe failed"}, out)
                return 0, "", ""
            return 127, "", "unexpected"
        return run


def run_module(monkeypatch, capsys, args, runner, host=None, teams=None):
    monkeypatch.setattr(_apply_t2b, "read_host_state", lambda read_teams=False: host or host_with_team())
    monkeypatch.setattr(_apply_t2b, "discover_teams", lambda *a, **kw: [team_facts()] if teams is None else teams)
    monkeypatch.setattr(_apply_t2b, "module_runner", runner)
    monkeypatch.setattr(_apply_t2b, "POLL_SECONDS", 0.01)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module_t2b.main()
    out = capsys.readouterr().out
    assert "Traceback" not in out
    return json.loads(out)


def test_module_check_mode_returns_the_plan_with_the_gateway_as_probe(monkeypatch, capsys):
    runner = FakeRunner()

    result = run_module(monkeypatch, capsys, {"_ansible_check_mode": True}, runner,
                        host=host_with_team(gateway="192.0.2.1"))

    assert result["changed"] is True and result["txid"] == ""
    assert result["summary"] == ["team0 -> bond0 (802.3ad, xmit_hash_policy=layer2+3, lacp_rate=fast, miimon=100; "
                                 "eno0 eno1) via NetworkManager"]
    assert result["plans"][0]["backend"] == "NetworkManager"
    assert result["probe_targets"] == ["192.0.2.1"]
    assert runner.calls == []  # nothing started, no command read the routes


def test_module_bridge_listed_as_team_fails_cleanly(monkeypatch, capsys):
    result = run_module(monkeypatch, capsys, {"teams": ["br0"], "_ansible_check_mode": True}, FakeRunner())

    assert result["failed"] is True
    assert result["msg"] == "teams: br0 is a bridge, not a team (teams present: team0)"


def test_module_without_probe_targets_or_gateway_fails_before_changing(monkeypatch, capsys):
    runner = FakeRunner()
    result = run_module(monkeypatch, capsys, {}, runner)

    assert result["failed"] is True and result["msg"].startswith("probe_targets: none given")
    assert not any(c[0] == "systemd-run" for c in runner.calls)


def test_module_starts_the_transaction_in_the_given_state_dir(monkeypatch, capsys, tmp_path):
    runner = FakeRunner()
    state_dir = str(tmp_path / "t2b")

    result = run_module(monkeypatch, capsys, {"probe_targets": ["192.0.2.1"], "state_dir": state_dir}, runner)

    assert result["changed"] is True and result["transaction"] == {"state": "applied", "reason": "probe failed"}
    plan = json.load(open(os.path.join(state_dir, result["txid"], "plan.json")))
    assert plan["state_dir"] == state_dir and plan["probe"] == {"targets": ["192.0.2.1"]}


def test_module_reports_a_rolled_back_transaction(monkeypatch, capsys, tmp_path):
    result = run_module(monkeypatch, capsys, {"probe_targets": ["192.0.2.1"], "state_dir": str(tmp_path)},
                        FakeRunner(applied=False))

    assert result["failed"] is True
    assert result["msg"].endswith("ended rolled_back: probe failed")
    assert result["txid"]


# --------------------------------------------------------------------------------------------------------
# team_to_bond_confirm


def run_confirm(capsys, args):
    from ansible_collections.hostnet.dockerhost.plugins.modules import team_to_bond_confirm

    with patch_module_args(args):
        with pytest.raises(SystemExit):
            team_to_bond_confirm.main()
    out = capsys.readouterr().out
    assert "Traceback" not in out
    return json.loads(out)


def _txdir(tmp_path, state):
    directory = tmp_path / "tx-1"
    directory.mkdir()
    (directory / "state.json").write_text(json.dumps(state))
    (directory / "plan.json").write_text(json.dumps({"txid": "tx-1", "commit": []}))
    return directory


def test_confirm_refuses_a_bad_txid_and_an_unknown_one(capsys, tmp_path):
    assert run_confirm(capsys, {"txid": "../x", "state_dir": str(tmp_path)})["msg"] == "txid: '../x' is not a transaction id"
    result = run_confirm(capsys, {"txid": "tx-9", "state_dir": str(tmp_path)})
    assert result["failed"] is True and result["msg"] == "txid: no transaction tx-9 in %s" % tmp_path


def test_confirm_a_rolled_back_transaction_fails_and_says_why(capsys, tmp_path):
    _txdir(tmp_path, {"state": "rolled_back", "reason": "probe failed"})
    result = run_confirm(capsys, {"txid": "tx-1", "state_dir": str(tmp_path)})
    assert result["msg"] == "transaction tx-1 is rolled_back (probe failed); it cannot be confirmed"


def test_confirm_in_check_mode_and_twice(capsys, tmp_path, monkeypatch):
    _txdir(tmp_path, {"state": "applied"})
    result = run_confirm(capsys, {"txid": "tx-1", "state_dir": str(tmp_path), "_ansible_check_mode": True})
    assert result["changed"] is True and result["transaction"] == {"state": "applied"}

    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn

    def confirm(directory):
        with open(os.path.join(directory, "state.json"), "w", encoding="utf-8") as out:
            json.dump({"state": "confirmed"}, out)
        return True, "confirmed"

    monkeypatch.setattr(t2b_txn, "confirm", confirm)
    assert run_confirm(capsys, {"txid": "tx-1", "state_dir": str(tmp_path)})["changed"] is True
    assert run_confirm(capsys, {"txid": "tx-1", "state_dir": str(tmp_path)})["changed"] is False


def test_confirm_os_error_is_a_clear_failure(capsys, tmp_path, monkeypatch):
    _txdir(tmp_path, {"state": "applied"})
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn

    def confirm(directory):
        raise PermissionError(13, "Permission denied", "/etc/systemd/network/30-team0.network")

    monkeypatch.setattr(t2b_txn, "confirm", confirm)
    result = run_confirm(capsys, {"txid": "tx-1", "state_dir": str(tmp_path)})
    assert result["msg"] == "confirming failed at /etc/systemd/network/30-team0.network: Permission denied"


def test_bridge_timings_flatten_the_hosts_measurements_per_bridge():
    outages = [{"team": "team0", "bond": "bond0", "bridge": "br0", "gap_class": "802.3ad", "sequence": [],
                "measured": {"bridge_without_lag_seconds": 2.4, "swap_seconds": 0.01, "ports_seconds": 1.2,
                             "swap_at": 1.0}},
               {"team": "team1", "bond": "bond1", "bridge": "br1", "gap_class": "active-backup",
                "measured_rollback": {"bridge_without_lag_seconds": 0.3}}]
    assert _apply_t2b.bridge_timings(outages) == [
        {"team": "team0", "bond": "bond0", "bridge": "br0", "gap_class": "802.3ad", "bridge_without_lag_seconds": 2.4,
         "swap_seconds": 0.01, "ports_seconds": 1.2},
        {"team": "team1", "bond": "bond1", "bridge": "br1", "gap_class": "active-backup",
         "rollback_bridge_without_lag_seconds": 0.3}]
