# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The write rule (_read/write_target) and the engine's file step on real files in a temporary tree: links that
leave their configuration tree are refused and change nothing, links inside it are written through and stay
links, FIFOs are refused without being opened, diffs never show what the collection did not write."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import (
    Transaction,
    TransactionFailed,
    finish,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import write_target
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.write_target import (
    WriteRefused,
    config_tree,
    diff_before,
    owned_whole,
    read_before,
    resolve,
)

OWN = "90-hostnet-dockerhost-promisc.conf"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """tmp/etc/net is a configuration tree (as /etc/systemd/network is); tmp/outside is not in it."""
    root = tmp_path / "etc" / "net"
    root.mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("root:$6$hash:19000::::::\n")
    monkeypatch.setattr(write_target, "CONFIG_TREES", (str(root),))
    return root


def snapshot(root):
    found = {}
    for path in sorted([root] + list(root.rglob("*"))):
        st = path.lstat()
        kind = "link:" + os.readlink(path) if path.is_symlink() else ("dir" if path.is_dir() else path.read_bytes())
        found[str(path)] = (kind, st.st_mode, st.st_uid)
    return found


def write(edit, check_mode=False):
    """Run one FileStep as the engine does (check mode: only what finish() runs)."""
    txn = Transaction("mod", [FileStep(edit)])

    class Module:
        pass

    module = Module()
    module.check_mode, module._diff = check_mode, True
    return finish(module, txn, {}, [edit.diff()])


def plan(path, after):
    return FileEdit(str(path), read_before(str(path), trees=write_target.CONFIG_TREES), after)


def test_config_tree_is_the_deepest_known_tree_else_the_directory():
    assert config_tree("/etc/systemd/network/a.network.d/x.conf") == "/etc/systemd/network"
    assert config_tree("/etc/udev/rules.d/90-x.rules") == "/etc/udev/rules.d"
    assert config_tree("/var/lib/hostnet-dockerhost/team_to_bond/T1/plan.json") == "/var/lib/hostnet-dockerhost"
    assert config_tree("/srv/profiles/site.prf") == "/srv/profiles"


def test_owned_whole_by_name_and_state_dir():
    assert owned_whole("/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf")
    assert owned_whole("/etc/netplan/90-hostnet-dockerhost.yaml")
    assert owned_whole("/etc/systemd/network/10-hostnet-bond0.netdev")
    assert owned_whole("/var/lib/hostnet-dockerhost/port_promisc.json")
    assert not owned_whole("/etc/systemd/network/50-lan0.network")
    assert not owned_whole("/etc/lynis/custom.prf")


def test_a_link_inside_the_tree_is_written_through_and_stays_a_link(tree):
    (tree / "b.network").write_text("[Network]\nIPForward=yes\n")
    os.symlink("b.network", tree / "a.network")
    edit = plan(tree / "a.network", "[Network]\nIPv4Forwarding=yes\n")
    assert edit.before == "[Network]\nIPForward=yes\n"
    result = write(edit)
    assert result["changed"] and "(through its link, at %s)" % (tree / "b.network") in result["msg"]
    assert os.readlink(tree / "a.network") == "b.network"
    assert (tree / "b.network").read_text() == "[Network]\nIPv4Forwarding=yes\n"
    assert sorted(os.listdir(tree)) == ["a.network", "b.network"]  # no temporary file left


def test_a_link_inside_the_tree_given_as_dot_dot_is_fine(tree):
    (tree / "real.network.d").mkdir()
    os.symlink("../net/real.network.d", tree / "a.network.d")
    target = resolve(str(tree / "a.network.d" / OWN), trees=write_target.CONFIG_TREES)
    assert target.real == str(tree / "real.network.d" / OWN)
    write(plan(tree / "a.network.d" / OWN, "# hostnet.dockerhost\n[Link]\nPromiscuous=yes\n"))
    assert (tree / "real.network.d" / OWN).read_text().startswith("# hostnet.dockerhost")
    assert os.path.islink(tree / "a.network.d")


@pytest.mark.parametrize("what", ["file", "directory", "tree", "own file inside"])
def test_a_refused_link_names_link_and_target_and_changes_nothing(tree, tmp_path, what):
    outside = tmp_path / "outside"
    if what == "file":
        os.symlink(str(outside / "secret"), tree / "a.network")
        path, link, target = tree / "a.network", tree / "a.network", str(outside / "secret")
    elif what == "directory":
        os.symlink(str(outside), tree / "a.network.d")
        path, link, target = tree / "a.network.d" / OWN, tree / "a.network.d", str(outside)
    elif what == "tree":
        os.rename(tree, tmp_path / "etc" / "net.real")
        os.symlink(str(outside), tree)
        path, link, target = tree / OWN, tree, str(outside)
    else:
        (tree / "shared.conf").write_text("[Link]\nMTUBytes=9000\n")
        os.symlink("shared.conf", tree / OWN)
        path, link, target = tree / OWN, tree / OWN, "shared.conf"
    before = snapshot(tmp_path)
    with pytest.raises(WriteRefused) as caught:
        read_before(str(path), trees=write_target.CONFIG_TREES)
    assert "%s is a symbolic link to %s" % (link, target) in caught.value.msg
    # the engine refuses it too, in check mode and for real, and touches nothing
    edit = FileEdit(str(path), None, "# hostnet.dockerhost\n")
    for check_mode in (True, False):
        with pytest.raises(TransactionFailed) as caught:
            write(edit, check_mode=check_mode)
        assert "%s is a symbolic link to %s" % (link, target) in caught.value.msg
        assert "nothing was changed on the host" in caught.value.msg
    assert snapshot(tmp_path) == before
    assert (outside / "secret").read_text() == "root:$6$hash:19000::::::\n"


def test_a_fifo_is_refused_without_being_opened(tree):
    os.mkfifo(tree / OWN)
    result = {}

    def read():
        try:
            read_before(str(tree / OWN), trees=write_target.CONFIG_TREES)
        except WriteRefused as exc:
            result["msg"] = exc.msg

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "read_before blocked on a FIFO"
    assert "is a FIFO (named pipe), not a regular file" in result["msg"]
    with pytest.raises(TransactionFailed, match="FIFO"):
        write(FileEdit(str(tree / OWN), None, "x\n"), check_mode=True)
    assert stat.S_ISFIFO(os.lstat(tree / OWN).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a device needs root")
def test_a_device_node_is_refused(tree):
    os.mknod(tree / "custom.prf", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    with pytest.raises(WriteRefused, match="is a character device, not a regular file"):
        read_before(str(tree / "custom.prf"), trees=write_target.CONFIG_TREES)
    with pytest.raises(TransactionFailed, match="character device"):
        write(FileEdit(str(tree / "custom.prf"), None, "x\n"))
    assert stat.S_ISCHR(os.lstat(tree / "custom.prf").st_mode)


def test_our_file_with_a_second_name_is_refused(tree, tmp_path):
    (tree / OWN).write_text("# hostnet.dockerhost\n")
    os.link(tree / OWN, tmp_path / "outside" / "other-name")
    with pytest.raises(WriteRefused, match="has 2 hard links"):
        read_before(str(tree / OWN), trees=write_target.CONFIG_TREES)


def test_a_file_too_large_is_refused(tree, monkeypatch):
    monkeypatch.setattr(write_target, "MAX_BYTES", 10)
    (tree / "big.network").write_text("x" * 11)
    with pytest.raises(WriteRefused, match="11 bytes, more than the 10"):
        read_before(str(tree / "big.network"), trees=write_target.CONFIG_TREES)


def test_diff_before_hides_bytes_at_our_path_that_we_did_not_write():
    foreign = "root:$6$secret:19000::::::\n"
    shown = diff_before("/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf", foreign)
    assert "secret" not in shown and "%d bytes not written by hostnet.dockerhost" % len(foreign) in shown
    ours = "# Managed by hostnet.dockerhost.networkd_forwarding\nnet.ipv4.conf.x.forwarding = 1\n"
    assert diff_before("/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf", ours) == ours
    assert diff_before("/etc/lynis/custom.prf", "skip-test=X\n") == "skip-test=X\n"  # an operator's file we edit
    assert diff_before("/var/lib/hostnet-dockerhost/port_promisc.json", "{}\n") == "{}\n"
    assert diff_before("/etc/x", None) == ""


def test_undo_after_a_later_failure_gives_the_link_target_its_bytes_back(tree):
    (tree / "b.network").write_text("old\n")
    os.symlink("b.network", tree / "a.network")

    class Fails(FileStep):
        def apply(self):
            raise OSError(28, "No space left on device")

    steps = [FileStep(plan(tree / "a.network", "new\n")), Fails(FileEdit(str(tree / "c.network"), None, "c\n"))]
    with pytest.raises(TransactionFailed, match="Nothing stayed changed"):
        Transaction("mod", steps).run()
    assert (tree / "b.network").read_text() == "old\n" and os.readlink(tree / "a.network") == "b.network"
