# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enforcement engine: pre-flight, apply with undo, verify, and what a failure says and reports.

Real files in tmp_path (bytes, mode compared), fake netlink writers and command runners that record and fail
on demand; port_promisc's fault paths (no bond or team on the test kernel) are exercised here through its
plan and the engine."""

from __future__ import annotations

import errno
import hashlib
import json
import os

import pytest

from engine_fakes import FakeNetlink
from hostnet_builders import bond, bridge, link, state

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import promisc as promisc_apply
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.bridge_mac import (
    plan_bridge_mac_transaction,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.kernel_steps import LinkStep, SysctlStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.ledger import load_ledger, plan_ledger
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import path_problem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import CommandStep, Step
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import (
    Transaction,
    TransactionFailed,
    finish,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Persistence
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.bridge_mac import the_bridge
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit, plan_file
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_model import RuntimeEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import (
    LEDGER_SHAPE,
    plan_port_promisc,
)


# --------------------------------------------------------------------------------------------------------
# fakes


class Recorded(Step):
    """A step that logs apply/undo into a shared list and fails where told."""

    def __init__(self, name, log, fail_apply=False, fail_undo=False, rerun=False):
        self.name = self.target = name
        self.log = log
        self.fail_apply = fail_apply
        self.fail_undo = fail_undo
        self.rerun_on_undo = rerun
        self.argv = [name]

    def describe(self):
        return "step %s" % self.name

    def apply(self):
        if self.fail_apply:
            raise OSError(errno.ENOSPC, "No space left on device", "/x/" + self.name)
        self.log.append("apply " + self.name)

    def undo(self):
        if self.fail_undo:
            raise OSError(errno.EROFS, "Read-only file system")
        self.log.append("undo " + self.name)

    def rerun(self):
        self.log.append("rerun " + self.name)

    def now(self):
        return "%s now" % self.name


class FakeModule:
    def __init__(self, check_mode=False, diff=False):
        self.check_mode = check_mode
        self._diff = diff


def fingerprint(root):
    """path -> (sha256, mode) of every file under root, and the set of directories."""
    files, dirs = {}, set()
    for current, subdirs, names in os.walk(root):
        dirs.update(os.path.join(current, d) for d in subdirs)
        for name in names:
            path = os.path.join(current, name)
            with open(path, "rb") as handle:
                files[path] = (hashlib.sha256(handle.read()).hexdigest(), os.stat(path).st_mode & 0o7777)
    return files, dirs


# --------------------------------------------------------------------------------------------------------
# undo order and partial failure at every step


@pytest.mark.parametrize("failing", [0, 1, 2, 3])
def test_failure_at_each_step_undoes_the_earlier_ones_in_reverse(failing):
    log = []
    steps = [Recorded(str(i), log, fail_apply=(i == failing), rerun=(i == 1)) for i in range(4)]
    with pytest.raises(TransactionFailed) as caught:
        Transaction("mod", steps).run()
    applied = ["apply %d" % i for i in range(failing)]
    undone = ["undo %d" % i for i in reversed(range(failing))]
    reruns = ["rerun 1"] if failing > 1 else []  # a reload that ran runs again after everything is undone
    assert log == applied + undone + reruns
    failure = caught.value
    assert failure.details["changed"] is False
    assert "step %d of 4 (step %d) failed: No space left on device (ENOSPC) (/x/%d)" % (failing + 1, failing, failing) \
        in failure.msg
    assert ("Nothing stayed changed." if failing else "Nothing was changed.") in failure.msg
    assert "The host now: 0 now; 1 now; 2 now; 3 now." in failure.msg
    assert failure.details["step"] == "step %d" % failing and failure.details["errno"] == errno.ENOSPC


def test_an_undo_that_fails_leaves_changed_true_and_says_what():
    log = []
    steps = [Recorded("a", log), Recorded("b", log, fail_undo=True), Recorded("c", log),
             Recorded("d", log, fail_apply=True)]
    with pytest.raises(TransactionFailed) as caught:
        Transaction("mod", steps).run()
    assert log == ["apply a", "apply b", "apply c", "undo c", "undo a"]  # b's undo failed, a's still ran
    assert caught.value.details["changed"] is True
    assert "STILL CHANGED: step b: Read-only file system (EROFS)" in caught.value.msg


def test_verify_mismatch_retries_then_undoes_everything():
    log, sleeps, reads = [], [], [["x is 0"], ["x is 0"], ["x is 0"]]
    steps = [Recorded("a", log), Recorded("b", log)]
    txn = Transaction("mod", steps, verify=lambda: reads.pop(0), attempts=3, delay=0.25, sleep=sleeps.append)
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert log == ["apply a", "apply b", "undo b", "undo a"] and sleeps == [0.25, 0.25]
    assert "verification after the change failed (3 reads of the host): x is 0" in caught.value.msg
    assert caught.value.details["changed"] is False and caught.value.details["mismatches"] == ["x is 0"]


def test_verify_that_sees_the_change_on_a_later_read_succeeds():
    log, reads = [], [["not yet"], []]
    txn = Transaction("mod", [Recorded("a", log)], verify=lambda: reads.pop(0), attempts=5, sleep=lambda _s: None)
    assert txn.run() == ["step a"] and log == ["apply a"]


def test_preflight_failure_touches_nothing_and_gives_the_modules_hint(tmp_path):
    log = []
    blocker = tmp_path / "rules.d"
    blocker.write_text("I am a file\n")
    steps = [Recorded("a", log), FileStep(plan_file(str(blocker / "x.rules"), "rule\n"))]
    with pytest.raises(TransactionFailed) as caught:
        Transaction("bridge_mac", steps, hint="Use persist=false.").run()
    assert log == []
    assert "%s is a file, not a directory: Not a directory (ENOTDIR)" % blocker in caught.value.msg
    assert caught.value.msg.endswith("nothing was changed on the host. Use persist=false.")
    assert caught.value.details["changed"] is False


def test_unchanged_steps_are_neither_checked_nor_applied(tmp_path):
    same = tmp_path / "same.conf"
    same.write_text("x\n")
    txn = Transaction("mod", [FileStep(plan_file(str(same), "x\n"))])
    assert not txn.changed and txn.run() == []


# --------------------------------------------------------------------------------------------------------
# pre-flight of paths


def test_path_problems(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    (tmp_path / "d").mkdir()
    assert path_problem(str(tmp_path / "new" / "deeper" / "x.conf")) is None  # created from tmp_path
    assert path_problem(str(tmp_path / "f" / "x.conf"))[:2] == (errno.ENOTDIR, str(tmp_path / "f"))
    assert path_problem(str(tmp_path / "f" / "a" / "b" / "x"))[1] == str(tmp_path / "f")
    assert path_problem(str(tmp_path / "d"))[0] == errno.EISDIR

    class Full:
        f_flag, f_bavail, f_frsize = 0, 0, 4096

    monkeypatch.setattr(os, "statvfs", lambda _p: Full())
    code, at, words = path_problem(str(tmp_path / "x.conf"), needed=100)
    assert code == errno.ENOSPC and at == str(tmp_path) and "0 bytes free, 100 needed" in words
    assert path_problem(str(tmp_path / "f"), needed=0) is None  # removing needs no room

    class ReadOnly(Full):
        f_flag, f_bavail = os.ST_RDONLY, 1000

    monkeypatch.setattr(os, "statvfs", lambda _p: ReadOnly())
    assert path_problem(str(tmp_path / "x.conf"))[0] == errno.EROFS


# --------------------------------------------------------------------------------------------------------
# real files: byte-identical after an undo


def test_second_file_failing_restores_the_first_byte_for_byte_and_removes_new_ones(tmp_path, monkeypatch):
    existing = tmp_path / "etc" / "a.conf"
    existing.parent.mkdir()
    existing.write_bytes(b"old \xe2\x9c\x93 bytes\n")
    os.chmod(existing, 0o640)
    new_in_new_dir = tmp_path / "etc" / "sub" / "dir" / "b.conf"
    ledger = tmp_path / "var" / "ledger.json"
    ledger.parent.mkdir()
    before = fingerprint(tmp_path)
    real_rename = os.rename

    def rename(src, dst):
        if dst == str(ledger):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    steps = [FileStep(plan_file(str(existing), "new\n")), FileStep(plan_file(str(new_in_new_dir), "b\n")),
             FileStep(plan_file(str(ledger), "{}\n"))]
    with pytest.raises(TransactionFailed) as caught:
        Transaction("port_promisc", steps).run()
    assert fingerprint(tmp_path) == before  # bytes, modes, no new directory, no temporary file left
    msg = caught.value.msg
    assert "step 3 of 3 (create %s) failed: No space left on device (ENOSPC)" % ledger in msg
    assert "Undone in reverse order: create %s; update %s." % (new_in_new_dir, existing) in msg
    assert "%s as before" % existing in msg and "%s absent" % ledger in msg


def test_backup_files_of_a_failed_run_are_removed(tmp_path):
    target = tmp_path / "a.conf"
    target.write_text("old\n")
    before = fingerprint(tmp_path)
    log = []
    steps = [FileStep(plan_file(str(target), "new\n"), backup=True), Recorded("z", log, fail_apply=True)]
    with pytest.raises(TransactionFailed):
        Transaction("mod", steps).run()
    assert fingerprint(tmp_path) == before


def test_removal_is_undone(tmp_path):
    gone = tmp_path / "gone.rules"
    gone.write_text("rule\n")
    os.chmod(gone, 0o600)
    before = fingerprint(tmp_path)
    steps = [FileStep(FileEdit(str(gone), "rule\n", None)), Recorded("z", [], fail_apply=True)]
    with pytest.raises(TransactionFailed):
        Transaction("mod", steps).run()
    assert fingerprint(tmp_path) == before


def test_sysctl_step_restores_the_value_it_read(tmp_path):
    proc = tmp_path / "forwarding"
    proc.write_text("0\n")
    steps = [SysctlStep(RuntimeEdit("net.ipv4.conf.x.forwarding", str(proc), False)),
             Recorded("z", [], fail_apply=True)]
    with pytest.raises(TransactionFailed) as caught:
        Transaction("networkd_forwarding", steps).run()
    assert proc.read_text() == "0\n"
    assert "Undone in reverse order: set net.ipv4.conf.x.forwarding=1" in caught.value.msg
    assert "net.ipv4.conf.x.forwarding = 0" in caught.value.msg


def test_sysctl_preflight_names_a_missing_file(tmp_path):
    step = SysctlStep(RuntimeEdit("net.ipv4.conf.gone.forwarding", str(tmp_path / "nope"), False))
    with pytest.raises(TransactionFailed, match="does not exist .*No such file or directory"):
        Transaction("networkd_forwarding", [step]).run()


def test_a_failing_command_is_named_with_its_exit_code_and_profile_commands_are_undone():
    calls = []

    def run(argv):
        calls.append(list(argv))
        return (4, "", "Error: not allowed") if argv[-1] == "boom" else (0, "", "")

    steps = [CommandStep(run, ["nmcli", "connection", "modify", "u1", "prop", "1"],
                         undo_argv=["nmcli", "connection", "modify", "u1", "prop", "-1"]),
             CommandStep(run, ["reload", "boom"])]
    with pytest.raises(TransactionFailed) as caught:
        Transaction("port_promisc", steps).run()
    assert calls[-1] == ["nmcli", "connection", "modify", "u1", "prop", "-1"]
    assert "step 2 of 2 (run reload boom) failed: reload boom: exit code 4: Error: not allowed" in caught.value.msg


# --------------------------------------------------------------------------------------------------------
# check mode, diff, changed accounting


def test_finish_in_check_mode_applies_nothing_and_diff_only_in_diff_mode():
    log = []
    txn = Transaction("mod", [Recorded("a", log)])
    result = finish(FakeModule(check_mode=True), txn, {"diff": "stale"}, ["the diff"])
    assert result == {"changed": True} and log == []
    result = finish(FakeModule(check_mode=True, diff=True), txn, {}, ["the diff"])
    assert result == {"changed": True, "diff": ["the diff"]} and log == []
    result = finish(FakeModule(), txn, {}, ["the diff"])
    assert result == {"changed": True, "msg": "changed: step a"} and log == ["apply a"]


def test_nothing_to_do_is_not_changed():
    result = finish(FakeModule(), Transaction("mod", []), {}, [])
    assert result == {"changed": False}


# --------------------------------------------------------------------------------------------------------
# bridge_mac and port_promisc through the engine (fault paths; the namespace tier has no bond or team)


def _bridge_host(mac_is_set=False):
    return state(bridge("br0", mac="02:00:00:00:00:20", addr_assign_type=3 if mac_is_set else 1),
                 link("vx0", "vxlan", master="br0", mac="02:00:00:00:99:99"))


def test_bridge_mac_sets_the_mac_last_and_a_refused_write_undoes_the_rule(tmp_path):
    host = _bridge_host()
    netlink = FakeNetlink(host.links, refuse={"br0"})
    rule = tmp_path / "rules.d" / "90-hostnet-dockerhost-mac-br0.rules"
    persistence = Persistence("br0", "fallback", files=[plan_file(str(rule), "rule\n")])
    txn = plan_bridge_mac_transaction(host.links["br0"], "02:00:00:00:99:99", True, [persistence], run=None,
                                      writer=netlink)
    assert [s.kind for s in txn.steps] == ["file", "netlink"]
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert not rule.exists() and not rule.parent.exists()
    assert "step 2 of 2 (set br0 MAC 02:00:00:00:99:99) failed" in caught.value.msg
    assert "Operation not permitted (EPERM)" in caught.value.msg
    assert caught.value.details["changed"] is False and host.links["br0"].mac == "02:00:00:00:00:20"


def test_bridge_mac_undo_restores_the_address_and_says_the_pin_stays():
    host = _bridge_host(mac_is_set=False)
    netlink = FakeNetlink(host.links)
    step = LinkStep(netlink, "br0", "mac", "02:00:00:00:00:20", "02:00:00:00:99:99", force=True,
                    before_is_set=False)
    txn = Transaction("bridge_mac", [step], verify=lambda: ["br0 has MAC 02:00:00:00:00:20"])
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert netlink.calls == [("br0", "mac", "02:00:00:00:99:99"), ("br0", "mac", "02:00:00:00:00:20")]
    assert caught.value.details["changed"] is True
    assert "STILL CHANGED: br0's MAC 02:00:00:00:00:20 is now set explicitly" in caught.value.msg


def _lag_host():
    return state(bridge("br0"), bond("ab0", "active-backup", active="lan0", master="br0"),
                 link("lan0", "physical", master="ab0", slave_state="active"),
                 link("lan1", "physical", master="ab0", slave_state="backup"))


class RuleFallback:
    """The fallback backend's persistence, into tmp_path."""

    name = "fallback"

    def __init__(self, rules):
        self.rules = rules

    def owner(self, _ifname):
        return None

    def plan_promisc(self, ifname, enabled):
        path = str(self.rules / ("90-hostnet-dockerhost-promisc-%s.rules" % ifname))
        return Persistence(ifname, "fallback", files=[plan_file(path, "rule %s\n" % ifname if enabled else None)])


def _promisc_txn(tmp_path, host, netlink, ledger_dir, reader=None):
    plan = plan_port_promisc(host, [], True, {}, [], RuleFallback(tmp_path / "rules.d"))
    ledger = plan_ledger("port_promisc", plan.ledger_after, directory=str(ledger_dir))
    return plan, promisc_apply.plan_promisc_transaction(plan, ledger, run=None, writer=netlink,
                                                        reader=reader or (lambda read_teams: host))


def test_port_promisc_refused_write_on_the_second_port_undoes_the_first(tmp_path):
    host = _lag_host()
    netlink = FakeNetlink(host.links, refuse={"lan1"})
    before = fingerprint(tmp_path)
    _plan, txn = _promisc_txn(tmp_path, host, netlink, tmp_path / "var")
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert netlink.calls == [("lan0", "promisc", True), ("lan0", "promisc", False)]
    assert not host.links["lan0"].promisc_flag and fingerprint(tmp_path) == before
    assert "step 2 of 5 (set lan1 promisc on) failed" in caught.value.msg and "EPERM" in caught.value.msg


def test_port_promisc_ledger_failing_last_undoes_rules_and_flags(tmp_path):
    host = _lag_host()
    netlink = FakeNetlink(host.links)
    ledger_dir = tmp_path / "var"
    ledger_dir.write_text("a file where the ledger directory should be\n")
    before = fingerprint(tmp_path)
    _plan, txn = _promisc_txn(tmp_path, host, netlink, ledger_dir)
    with pytest.raises(TransactionFailed) as caught:  # caught by the pre-flight: nothing is touched
        txn.run()
    assert netlink.calls == [] and fingerprint(tmp_path) == before
    assert "%s is a file, not a directory" % ledger_dir in caught.value.msg
    assert "persist=false" in caught.value.msg


def test_port_promisc_verify_mismatch_undoes_flags_rules_and_ledger(tmp_path):
    host = _lag_host()
    netlink = FakeNetlink(host.links)
    (tmp_path / "var").mkdir()
    before = fingerprint(tmp_path)

    def reverted(read_teams):  # something turns lan1's flag off again right after the write
        host.links["lan1"].promisc_flag = False
        return host

    _plan, txn = _promisc_txn(tmp_path, host, netlink, tmp_path / "var", reader=reverted)
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert fingerprint(tmp_path) == before
    assert [c for c in netlink.calls if c[2] is False] == [("lan1", "promisc", False), ("lan0", "promisc", False)]
    assert "lan1 promisc flag is False, expected True" in caught.value.msg
    assert caught.value.details["changed"] is False


# --------------------------------------------------------------------------------------------------------
# the ledger and the bridge option


@pytest.mark.parametrize("content, problem", [
    ('"just a string"', "it is a string, not an object"),
    ('["lan0"]', "it is a list, not an object"),
    ('{"ports": ["lan0"]}', "'ports' is a list, not an object"),
    ('{"ports": {"lan0": "yes"}}', "'ports'.lan0 is a str, not an object"),
    ('{"ports": {"lan0": {"runtime_set": "yes"}}}', "runtime_set is not true or false"),
    ('{"other": 1}', "unexpected keys 'other'"),
])
def test_a_ledger_of_the_wrong_shape_names_the_file_and_the_expected_shape(tmp_path, content, problem):
    (tmp_path / "port_promisc.json").write_text(content)
    with pytest.raises(HostnetError) as caught:
        load_ledger("port_promisc", directory=str(tmp_path), shape=LEDGER_SHAPE)
    assert str(tmp_path / "port_promisc.json") in caught.value.msg and problem in caught.value.msg
    assert '{"ports": {"<port>": {"master"' in caught.value.msg


def test_a_ledger_of_the_right_shape_loads(tmp_path):
    data = {"ports": {"lan0": {"master": "ab0", "runtime_set": True, "backend": None}}}
    (tmp_path / "port_promisc.json").write_text(json.dumps(data))
    assert load_ledger("port_promisc", directory=str(tmp_path), shape=LEDGER_SHAPE) == data
    assert load_ledger("absent", directory=str(tmp_path), shape=LEDGER_SHAPE) == {}


@pytest.mark.parametrize("given", [["br0"], "['br0']", "['br0', 'br1']"])
def test_bridge_given_a_list_says_a_single_name_is_expected(given):
    with pytest.raises(InvalidInput, match="bridge takes a single interface name, got a list"):
        the_bridge(_bridge_host(), given)


def test_settle_reads_again_and_a_change_that_did_not_stay_is_undone():
    log, sleeps, reads = [], [], [[], ["a was set back"]]
    txn = Transaction("mod", [Recorded("a", log)], verify=lambda: reads.pop(0), settle=0.3, sleep=sleeps.append)
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert sleeps == [0.3] and log == ["apply a", "undo a"]
    assert "it did not stay (read again after 0.3 s): a was set back" in caught.value.msg


# --------------------------------------------------------------------------------------------------------
# team_to_bond, module side: writing the plan and the script, starting systemd-run


def test_team_to_bond_launch_writes_plan_and_script_and_starts_them(tmp_path):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.t2b_launch import launch

    calls = []
    state_dir = tmp_path / "var" / "team_to_bond"
    directory = launch({"txid": "T1", "timeout": 60}, str(state_dir), lambda argv: calls.append(argv) or (0, "", ""),
                       {"t2b_host.py": "HELPERS = 1\n", "t2b_txn.py": "print('txn')\n"}, python="/usr/bin/python3")
    assert directory == str(state_dir / "T1")
    assert json.loads((state_dir / "T1" / "plan.json").read_text()) == {"txid": "T1", "timeout": 60}
    assert (state_dir / "T1" / "t2b_host.py").read_text() == "HELPERS = 1\n"
    assert oct(os.stat(state_dir / "T1" / "t2b_txn.py").st_mode & 0o777) == "0o700"
    assert oct(os.stat(state_dir / "T1").st_mode & 0o777) == "0o700"
    assert calls == [["systemd-run", "--quiet", "--collect", "--unit", "hostnet-t2b-T1", "--property=Type=exec",
                      "/usr/bin/python3", str(state_dir / "T1" / "t2b_txn.py"), "apply", str(state_dir / "T1")]]


def test_team_to_bond_launch_that_cannot_start_leaves_nothing(tmp_path):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.t2b_launch import launch

    before = fingerprint(tmp_path)
    with pytest.raises(TransactionFailed) as caught:
        launch({"txid": "T2"}, str(tmp_path / "var" / "team_to_bond"), lambda argv: (1, "", "Failed to connect to bus"),
               {"t2b_host.py": "x\n", "t2b_txn.py": "x\n"})
    assert fingerprint(tmp_path) == before  # plan, scripts and the directories made for them are gone
    assert "step 4 of 4 (run systemd-run" in caught.value.msg and "Failed to connect to bus" in caught.value.msg
    assert caught.value.details["changed"] is False

    (tmp_path / "var").write_text("a file\n")
    with pytest.raises(TransactionFailed, match="var is a file, not a directory.*give team_to_bond a writable"):
        launch({"txid": "T3"}, str(tmp_path / "var" / "team_to_bond"), lambda argv: (0, "", ""), {"t2b_txn.py": "x\n"})


def test_a_symbolic_link_that_was_rewritten_is_a_link_again_after_undo(tmp_path):
    target = tmp_path / "target.conf"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    link_path = tmp_path / "link.conf"
    os.symlink("target.conf", link_path)
    steps = [FileStep(plan_file(str(link_path), "new\n")), Recorded("z", [], fail_apply=True)]
    with pytest.raises(TransactionFailed):
        Transaction("mod", steps).run()
    assert os.readlink(link_path) == "target.conf" and target.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["link.conf", "target.conf"]


# --------------------------------------------------------------------------------------------------------
# a reload that overtakes the undo (networkd applies what its reload read after `networkctl reload` returns)


class Runtime(Recorded):
    kind = "netlink"


def _overtaken(sets_again_at, settle):
    """A runtime step, a reload, a failing last step; the 'daemon' sets the value again on the nth read."""
    log, reads = [], []
    state = {"value": "before"}
    runtime = Runtime("flag", log)
    runtime.apply = lambda: state.update(value="after")
    runtime.undo = lambda: (state.update(value="before"), log.append("undo flag"))
    reload_step = Recorded("reload", log, rerun=True)
    failing = Recorded("ledger", log, fail_apply=True)

    def verify_undone():
        reads.append(state["value"])
        if len(reads) == sets_again_at:
            state["value"] = "after"  # the daemon's late apply, after the undo put it back
        return [] if state["value"] == "before" else ["flag is %s" % state["value"]]

    txn = Transaction("m", [runtime, reload_step, failing], verify_undone=verify_undone, undo_settle=settle,
                      delay=0.5, sleep=lambda s: None)
    with pytest.raises(TransactionFailed) as info:
        txn.run()
    return info.value, state, log


def test_a_value_set_again_after_the_undo_is_put_back_and_nothing_stays_changed():
    failure, state, log = _overtaken(sets_again_at=3, settle=2.0)
    assert state["value"] == "before"
    assert log.count("undo flag") == 2  # the undo, then once more after the daemon set it again
    assert failure.details["changed"] is False
    assert "Nothing stayed changed" in failure.msg


def test_without_the_hold_the_late_value_would_stay_and_the_last_read_reports_it():
    # undo_settle 0: one read right after the reloads (sees nothing yet), then the final read sees the late set
    failure, state, log = _overtaken(sets_again_at=1, settle=0.0)
    assert log.count("undo flag") == 2
    assert state["value"] == "before"
    failure, state, log = _overtaken(sets_again_at=2, settle=0.0)
    assert state["value"] == "after"
    assert failure.details["changed"] is True
    assert "flag is after after the undo" in failure.msg and "STILL CHANGED" in failure.msg
