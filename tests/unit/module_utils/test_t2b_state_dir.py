# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host-side team_to_bond transaction honours the module's state_dir: its boot guard is installed for
the transaction's own state directory (not a constant one), looks after every state directory that has
transactions, and is removed only when none of them has an unfinished transaction."""

from __future__ import annotations

import json
import os

import pytest

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
