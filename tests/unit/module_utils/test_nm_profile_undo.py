# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine undoes an ``nmcli connection modify`` by putting the profile's keyfile back byte for byte.

A fake nmcli rewrites the keyfile as NetworkManager 1.42 does (same settings, other bytes) on ``modify``, and
records what the file holds when ``load`` runs; the fake netlink writer logs into the same list, so the tests
see the whole undo order.
"""

from __future__ import annotations

import errno
import os

import pytest

from engine_fakes import FakeNetlink
from hostnet_builders import bridge, link, state, team

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import nm_profile
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import promisc as promisc_apply
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import file_step as file_step_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.bridge_mac import (
    plan_bridge_mac_transaction,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.ledger import plan_ledger
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.nm_profile import NmProfileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.persistence import persistence_steps
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import CommandStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import TransactionFailed
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import CommandEdit, Persistence
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import plan_port_promisc

ORIGINAL = b"[connection]\nid=brn\nuuid=u-brn\ntype=bridge\ninterface-name=brn\n\n[ipv4]\nmethod=disabled\n"
REWRITTEN = (b"[connection]\nid=brn\nuuid=u-brn\ntype=bridge\ninterface-name=brn\n\n[ethernet]\n"
             b"cloned-mac-address=02:00:00:00:99:99\n\n[bridge]\n\n[ipv4]\nmethod=disabled\n\n[ipv6]\n"
             b"addr-gen-mode=default\nmethod=auto\n\n[proxy]\n")


@pytest.fixture
def keyfile_dir(tmp_path, monkeypatch):
    directory = tmp_path / "etc" / "NetworkManager" / "system-connections"
    directory.mkdir(parents=True)
    monkeypatch.setattr(nm_profile, "KEYFILE_DIR", str(directory))
    return directory


def keyfile(directory, name, data=ORIGINAL, mode=0o600):
    path = directory / ("%s.nmconnection" % name)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def stat_of(path):
    st = os.stat(path)
    return path.read_bytes(), st.st_mode & 0o7777, st.st_uid, st.st_gid


class FakeNmcli:
    """``modify`` rewrites the profile's keyfile (other bytes, mode 0644, as a careless writer would);
    ``load`` records the bytes it finds; ``fail``: argv fragments that exit 1."""

    def __init__(self, log, files, fail=()):
        self.log = log
        self.files = files  # profile -> keyfile path
        self.fail = list(fail)
        self.loaded = {}

    def __call__(self, argv):
        self.log.append(" ".join(argv))
        if any(fragment in " ".join(argv) for fragment in self.fail):
            return 1, "", "Error: refused"
        if argv[1:3] == ["connection", "modify"] and argv[3] in self.files:
            path = self.files[argv[3]]
            path.write_bytes(REWRITTEN.replace(b"brn", argv[3].encode()))
            os.chmod(path, 0o644)
        if argv[1:3] == ["connection", "load"]:
            with open(argv[3], "rb") as handle:
                self.loaded[argv[3]] = handle.read()
        return 0, "", ""


def modify(profile, prop, value, keyfile_path="", before=""):
    return CommandEdit(argv=["nmcli", "connection", "modify", profile, prop, value], header="profile %s" % profile,
                       before=before, after=value, keyfile=str(keyfile_path))


# --------------------------------------------------------------------------------------------------------


def test_bridge_mac_refused_after_the_profile_change_puts_the_keyfile_back_byte_for_byte(keyfile_dir):
    path = keyfile(keyfile_dir, "brn")
    before = stat_of(path)
    log = []
    nmcli = FakeNmcli(log, {"u-brn": path})
    host = state(bridge("brn", mac="02:00:00:00:00:20"), link("tm0", "team", master="brn", mac="02:00:00:00:99:99"))
    plan = Persistence("brn", "NetworkManager", commands=[
        modify("u-brn", "802-3-ethernet.cloned-mac-address", "02:00:00:00:99:99", path)])
    txn = plan_bridge_mac_transaction(host.links["brn"], "02:00:00:00:99:99", True, [plan], nmcli,
                                      writer=FakeNetlink(host.links, refuse={"brn"}, log=log))
    assert [type(step) for step in txn.steps][0] is NmProfileStep

    with pytest.raises(TransactionFailed) as caught:
        txn.run()

    # modify, the MAC refused, then the file back before NetworkManager is told to read it
    assert log == ["nmcli connection modify u-brn 802-3-ethernet.cloned-mac-address 02:00:00:00:99:99",
                   "nmcli connection load %s" % path]
    assert nmcli.loaded == {str(path): ORIGINAL}
    assert stat_of(path) == before
    assert caught.value.details["changed"] is False
    assert "Nothing stayed changed" in caught.value.msg
    assert "%s as before (%d bytes)" % (path, len(ORIGINAL)) in caught.value.msg


def _nm_lag_host():
    return state(bridge("brn"), team("tm0", master="brn"),
                 link("lan0", "physical", master="tm0", slave_state="active"),
                 link("lan1", "physical", master="tm0", slave_state="active"))


class NmLike:
    """The NetworkManager backend's plan for a port: accept-all-mac-addresses on the port's profile."""

    name = "NetworkManager"

    def __init__(self, files):
        self.files = files

    def owner(self, ifname):
        return "profile %s" % ifname

    def plan_promisc(self, ifname, enabled):
        return Persistence(ifname, self.name, owner=self.owner(ifname), commands=[
            modify(ifname, "802-3-ethernet.accept-all-mac-addresses", "true" if enabled else "default",
                   self.files[ifname], before="-1")])


def test_port_promisc_ledger_failing_last_undoes_profiles_then_flags_in_reverse(keyfile_dir, tmp_path, monkeypatch):
    """The order of the lab's ledger_out_of_inodes case: flags, two profiles, then the ledger write fails."""
    files = {name: keyfile(keyfile_dir, name, ORIGINAL.replace(b"brn", name.encode())) for name in ("lan0", "lan1")}
    before = {name: stat_of(path) for name, path in files.items()}
    log = []
    nmcli = FakeNmcli(log, files)
    host = _nm_lag_host()
    ledger_dir = tmp_path / "var"
    ledger_dir.mkdir()
    plan = plan_port_promisc(host, [], True, {}, [NmLike(files)], None)
    txn = promisc_apply.plan_promisc_transaction(
        plan, plan_ledger("port_promisc", plan.ledger_after, directory=str(ledger_dir)), nmcli,
        writer=FakeNetlink(host.links, log=log), reader=lambda read_teams: host)

    real_write_at = file_step_module.write_at

    def no_inodes(dir_fd, name, *args, **kwargs):
        if name == "port_promisc.json":  # the ledger's temporary file cannot be created
            raise OSError(errno.ENOSPC, "No space left on device", str(ledger_dir))
        return real_write_at(dir_fd, name, *args, **kwargs)

    monkeypatch.setattr(file_step_module, "write_at", no_inodes)
    with pytest.raises(TransactionFailed) as caught:
        txn.run()

    assert log == [
        "netlink lan0 promisc on", "netlink lan1 promisc on",
        "nmcli connection modify lan0 802-3-ethernet.accept-all-mac-addresses true",
        "nmcli connection modify lan1 802-3-ethernet.accept-all-mac-addresses true",
        "nmcli connection load %s" % files["lan1"], "nmcli connection load %s" % files["lan0"],
        "netlink lan1 promisc off", "netlink lan0 promisc off",
    ]
    assert {name: stat_of(path) for name, path in files.items()} == before
    assert not host.links["lan0"].promisc_flag and not host.links["lan1"].promisc_flag
    assert list(ledger_dir.iterdir()) == []
    assert "step 5 of 5" in caught.value.msg and "No space left on device (ENOSPC)" in caught.value.msg
    assert caught.value.details["changed"] is False


@pytest.mark.parametrize("where", ["run", "link", "missing", "none"])
def test_a_keyfile_that_is_not_ours_to_rewrite_is_undone_by_value(keyfile_dir, tmp_path, where):
    """In memory (/run), a symbolic link, gone, or no file known: the old value is set back with nmcli."""
    if where == "run":
        (tmp_path / "run").mkdir()
        path = keyfile(tmp_path / "run", "brn")
    elif where == "link":
        target = keyfile(tmp_path, "elsewhere")
        path = keyfile_dir / "brn.nmconnection"
        os.symlink(target, path)
    elif where == "missing":
        path = keyfile_dir / "gone.nmconnection"
    else:
        path = ""
    log = []
    [step] = persistence_steps([Persistence("brn", "NetworkManager", commands=[
        modify("u-brn", "802-3-ethernet.cloned-mac-address", "02:00:00:00:99:99", path, before="")])],
        FakeNmcli(log, {}))
    assert isinstance(step, NmProfileStep) == bool(path)
    step.apply()
    step.undo()
    assert log == ["nmcli connection modify u-brn 802-3-ethernet.cloned-mac-address 02:00:00:00:99:99",
                   "nmcli connection modify u-brn 802-3-ethernet.cloned-mac-address "]


def test_a_refused_modify_is_not_undone_and_a_failed_load_stays_changed(keyfile_dir):
    path = keyfile(keyfile_dir, "brn")
    log = []
    step = NmProfileStep(FakeNmcli(log, {"u-brn": path}, fail=["modify"]),
                         ["nmcli", "connection", "modify", "u-brn", "p", "1"],
                         ["nmcli", "connection", "modify", "u-brn", "p", "0"], str(path))
    with pytest.raises(HostnetError, match="exit code 1: Error: refused"):
        step.apply()

    nmcli = FakeNmcli(log, {"u-brn": path}, fail=["load"])
    plan = Persistence("brn", "NetworkManager", commands=[modify("u-brn", "p", "1", path, before="0")])
    host = state(bridge("brn", mac="02:00:00:00:00:20"))
    txn = plan_bridge_mac_transaction(host.links["brn"], "02:00:00:00:99:99", True, [plan], nmcli,
                                      writer=FakeNetlink(host.links, refuse={"brn"}, log=log))
    with pytest.raises(TransactionFailed) as caught:
        txn.run()
    assert path.read_bytes() == ORIGINAL  # the bytes are back; NetworkManager did not read them
    assert caught.value.details["changed"] is True
    assert "STILL CHANGED: run nmcli connection modify u-brn p 1: nmcli connection load %s: exit code 1" % path \
        in caught.value.msg


def test_a_command_without_a_keyfile_stays_a_plain_command_step():
    [step] = persistence_steps([Persistence("x", "other", commands=[modify("p", "k", "1", before="0")])], None)
    assert isinstance(step, CommandStep) and not isinstance(step, NmProfileStep)
