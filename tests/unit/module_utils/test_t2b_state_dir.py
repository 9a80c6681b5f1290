# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host-side team_to_bond transaction honours the module's state_dir: its boot guard is installed for
the transaction's own state directory (not a constant one), looks after every state directory that has
transactions, and is removed only when none of them has an unfinished transaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import team_to_bond as _apply_t2b
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn as _t2b_txn


@pytest.fixture
def guard(tmp_path, monkeypatch):
    """The guard unit and its wants-link under tmp_path instead of /etc/systemd/system."""
    unit_dir = tmp_path / "systemd"
    monkeypatch.setattr(_t2b_txn, "GUARD_PATH", str(unit_dir / _t2b_txn.GUARD_UNIT))
    monkeypatch.setattr(_t2b_txn, "GUARD_LINK", str(unit_dir / "sysinit.target.wants" / _t2b_txn.GUARD_UNIT))
    return unit_dir


def _transaction(root, txid, state):
    directory = root / txid
    directory.mkdir(parents=True)
    (directory / "state.json").write_text(json.dumps({"state": state}))
    (directory / "plan.json").write_text(json.dumps({"txid": txid}))
    return directory


def _exec_start(guard_dir):
    text = (guard_dir / _t2b_txn.GUARD_UNIT).read_text()
    return next(line for line in text.splitlines() if line.startswith("ExecStart="))


def test_guard_is_installed_for_a_non_default_state_dir(tmp_path, guard):
    root = tmp_path / "srv" / "t2b-state"
    directory = _transaction(root, "20260101T000000-abcdef", "applying")

    _t2b_txn.install_guard(str(directory))

    # Before: the script was copied to /var/lib/hostnet-dockerhost/team_to_bond (missing -> apply failed and
    # rolled back) and the guard searched only there (a reboot lost the transaction).
    script = root / _t2b_txn.GUARD_SCRIPT
    assert script.read_bytes() == open(_t2b_txn.__file__, "rb").read()
    helpers = os.path.join(os.path.dirname(_t2b_txn.__file__), _t2b_txn.HOST_HELPERS)
    assert (root / _t2b_txn.HOST_HELPERS).read_bytes() == open(helpers, "rb").read()
    assert _exec_start(guard).split()[-3:] == [str(script), "boot-guard", str(root)]
    assert os.path.islink(_t2b_txn.GUARD_LINK)
    assert _t2b_txn.guard_roots() == [str(root)]


def test_guard_keeps_every_state_dir_that_has_transactions(tmp_path, guard):
    first, second = tmp_path / "a", tmp_path / "b"
    one = _transaction(first, "tx-1", "applied")
    two = _transaction(second, "tx-2", "applying")

    _t2b_txn.install_guard(str(one))
    _t2b_txn.install_guard(str(two))
    _t2b_txn.install_guard(str(two))

    assert _t2b_txn.guard_roots() == [str(first), str(second)]


def test_guard_removed_only_when_no_state_dir_has_a_pending_transaction(tmp_path, guard, monkeypatch):
    monkeypatch.setattr(_t2b_txn, "log", lambda directory, message: None)
    first, second = tmp_path / "a", tmp_path / "b"
    one = _transaction(first, "tx-1", "applied")
    two = _transaction(second, "tx-2", "confirmed")
    _t2b_txn.install_guard(str(one))
    _t2b_txn.install_guard(str(two))

    _t2b_txn.remove_guard_unless_pending(str(two))  # tx-1 in the other state dir is still pending
    assert os.path.exists(_t2b_txn.GUARD_PATH)

    (one / "state.json").write_text(json.dumps({"state": "confirmed"}))
    _t2b_txn.remove_guard_unless_pending(str(one))
    assert not os.path.lexists(_t2b_txn.GUARD_PATH) and not os.path.lexists(_t2b_txn.GUARD_LINK)


def test_boot_guard_rolls_back_pending_transactions_of_the_listed_state_dirs(tmp_path, monkeypatch):
    rolled = []
    monkeypatch.setattr(_t2b_txn, "rollback", lambda directory, **kw: rolled.append((directory, kw["at_boot"])))
    root = tmp_path / "custom"
    pending = _transaction(root, "tx-1", "applied")
    _transaction(root, "tx-2", "confirmed")
    _transaction(root, "tx-3", "rolled_back")
    other = _transaction(tmp_path / "other", "tx-4", "applying")

    assert _t2b_txn.main(["t2b_guard.py", "boot-guard", str(root), str(tmp_path / "other")]) == 0

    assert rolled == [(str(pending), True), (str(other), True)]


def test_guard_written_before_state_dirs_were_listed_covers_the_default(guard):
    guard.mkdir()
    (guard / _t2b_txn.GUARD_UNIT).write_text("[Service]\nExecStart=/usr/bin/python3 /x/t2b_guard.py boot-guard\n")

    assert _t2b_txn.guard_roots() == [_t2b_txn.DEFAULT_STATE_DIR]


def test_boot_guard_without_arguments_uses_the_default(monkeypatch):
    seen = []
    monkeypatch.setattr(_t2b_txn, "boot_guard", lambda roots: seen.append(roots) or 0)

    _t2b_txn.main(["t2b_guard.py", "boot-guard"])

    assert seen == [[_t2b_txn.DEFAULT_STATE_DIR]]


def test_the_shipped_scripts_and_the_guard_copy_run_on_their_own(tmp_path, guard):
    """As the host runs them: without the collection (python -S: no site-packages; cwd elsewhere; a safe
    sys.path), from the files t2b_launch writes, then from the boot guard's copies in the state directory."""
    root = tmp_path / "state"
    directory = _transaction(root, "tx-1", "confirmed")
    for name, source in _apply_t2b.txn_sources().items():
        (directory / name).write_text(source)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONSAFEPATH": "1"}

    def run(*argv):
        return subprocess.run([sys.executable, "-S"] + [str(a) for a in argv], cwd=str(tmp_path), env=env,
                              capture_output=True, text=True, check=False)

    usage = run(directory / _t2b_txn.TXN_SCRIPT)
    assert usage.returncode == 2 and "boot-guard" in usage.stderr, usage.stderr
    assert run(directory / _t2b_txn.TXN_SCRIPT, "boot-guard", root).returncode == 0

    _t2b_txn.install_guard(str(directory))
    assert (root / _t2b_txn.HOST_HELPERS).read_text() == _apply_t2b.txn_sources()[_t2b_txn.HOST_HELPERS]
    guard_run = run(root / _t2b_txn.GUARD_SCRIPT, "boot-guard", root)
    assert guard_run.returncode == 0, guard_run.stderr


class _Unit:
    """systemctl is-active for the apply's unit: active while ``active`` says so."""

    def __init__(self, directory, active, finish_after=None):
        self.directory, self.active, self.finish_after, self.calls = directory, active, finish_after, 0

    def __call__(self, argv, **kwargs):
        assert argv[:3] == ["systemctl", "is-active", "--quiet"]
        self.calls += 1
        if self.finish_after and self.calls >= self.finish_after:  # the apply's rollback finishes meanwhile
            _t2b_txn.set_state(str(self.directory), "rolled_back", rolled_back=1.0)
        return subprocess.CompletedProcess(argv, 0 if self.active else 3)


def _rolling_back(root):
    directory = _transaction(root, "tx-9", "rolling_back")
    plan = {"txid": "tx-9", "rollback_pre": [], "rollback_post": [], "restore_runtime": []}
    (directory / "plan.json").write_text(json.dumps(plan))
    (directory / "state.json").write_text(json.dumps({"state": "rolling_back", "reason": "apply failed: probe"}))
    return directory


def test_the_timer_lets_the_applys_own_rollback_finish(tmp_path, guard, monkeypatch):
    # Before: the timer, firing during the apply's rollback on a slow host, stopped the apply's unit (cutting
    # its restore off) and rolled back again; the module saw "rolling_back" at its deadline (lab, t2b_nm).
    directory = _rolling_back(tmp_path / "state")
    unit = _Unit(directory, active=True, finish_after=3)
    ran = []
    monkeypatch.setattr(_t2b_txn.subprocess, "run", unit)
    monkeypatch.setattr(_t2b_txn.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(_t2b_txn, "run", lambda d, argv, **kw: ran.append(argv) or (0, ""))

    assert _t2b_txn.rollback(str(directory)) == 0

    assert unit.calls == 3 and ran == []  # waited; stopped nothing, restored nothing twice
    state = json.loads((directory / "state.json").read_text())
    assert state["state"] == "rolled_back" and state["reason"] == "apply failed: probe"


def test_the_timer_takes_over_a_rollback_whose_unit_is_gone(tmp_path, guard, monkeypatch):
    directory = _rolling_back(tmp_path / "state")
    monkeypatch.setattr(_t2b_txn.subprocess, "run", _Unit(directory, active=False))
    ran = []
    monkeypatch.setattr(_t2b_txn, "run", lambda d, argv, **kw: ran.append(argv) or (0, ""))

    assert _t2b_txn.rollback(str(directory)) == 0

    assert ["systemctl", "stop", "hostnet-t2b-tx-9.service"] in ran
    state = json.loads((directory / "state.json").read_text())
    assert state["state"] == "rolled_back" and state["reason"] == "apply failed: probe"
    assert "is gone before its rollback finished; taking over" in (directory / "log.txt").read_text()
