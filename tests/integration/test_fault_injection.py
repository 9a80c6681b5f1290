# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection on the local kernel: every enforcing module fails closed.

bridge_mac and networkd_forwarding run in throwaway network namespaces with a private /etc and /var/lib
(mount namespace); each fault is set up inside that namespace: a directory in the path that is a file, a full
tmpfs, an inode-exhausted tmpfs (a failure the pre-flight cannot foresee: it happens at apply time, after
earlier steps), a read-only bind mount, a verify that does not see the change (a background reverter, bounded
in time), and a kernel that refuses the write (the module run without CAP_NET_ADMIN: reads work, writes get
EPERM). After each: the private trees byte-identical (sha256, mode, owner; also inside the tmpfs), the
runtime identical (``ip -d -j link``, addr_assign_type, forwarding sysctls), a clear error naming the path or
interface and the errno in words, no traceback, ``changed`` false.

port_promisc needs a bond or team, which this kernel lacks: its fault paths (a refused write on the second
port, the ledger failing after the rules, a verify mismatch) are unit tests of its plan and the engine
(tests/unit/module_utils/test_transaction.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import docker_host, private_host, tree_state

PINNED = "02:00:00:00:00:20"
UPLINK_MAC = "02:00:00:00:99:99"
RULES = "/etc/udev/rules.d"
SYSCTL_D = "/etc/sysctl.d"
NO_NET_ADMIN = ["setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin", "--"]
# Inside the mount namespace: a listing of a directory (entries, modes, owners, sizes, sha256 of files).
SNAP = ('snap() { find "$1" -printf "%p %y %m %U %G %s\\n" | sort; '
        'find "$1" -type f -exec sha256sum {} + | sort; }\n')


def tmpfs(directory, snapshot, inodes=False):
    """Setup lines: a tiny tmpfs over ``directory``, filled (blocks, or with ``inodes`` every inode), then a
    listing of it into ``snapshot``.before."""
    if inodes:
        mount = "mount -t tmpfs -o size=1m,nr_inodes=8 hostnet-fault %s" % directory
        fill = 'i=0; while touch "%s/f$i" 2>/dev/null; do i=$((i+1)); done' % directory
    else:
        mount = "mount -t tmpfs -o size=64k hostnet-fault %s" % directory
        fill = 'dd if=/dev/zero of="%s/fill" bs=4k 2>/dev/null; true' % directory
    return "%s%s || exit 98\n%s\nsnap %s > %s.before" % (SNAP, mount, fill, directory, snapshot)


def after_snapshot(directory, snapshot):
    return "%ssnap %s > %s.after" % (SNAP, directory, snapshot)


def _flat(value, prefix=""):
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, "%s%s." % (prefix, key)).items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, "%s%d." % (prefix, i)).items()}
    return {prefix.rstrip("."): value}


def runtime(ns, names):
    """What must be identical after a failure: every attribute of every link as ``ip -d -j link`` shows it
    (flattened; the bridge's running timers left out, they tick), per named link its addr_assign_type and IPv4
    forwarding, and ip_forward."""
    found = {}
    for link in json.loads(ns.ip("-d", "-j", "link", "show")):
        for key, value in _flat(link).items():
            if not key.endswith("_timer"):
                found["%s %s" % (link["ifname"], key)] = value
    for name in names:
        found["%s addr_assign_type" % name] = ns.read("/sys/class/net/%s/addr_assign_type" % name)
        found["%s forwarding" % name] = ns.read("/proc/sys/net/ipv4/conf/%s/forwarding" % name)
    found["ip_forward"] = ns.read("/proc/sys/net/ipv4/ip_forward")
    return found


def assert_same_runtime(before, after):
    differences = {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert not differences, differences


def assert_failed_closed(result, *expected):
    assert result.get("failed") is True, result
    assert result.get("changed") is False, result
    text = json.dumps(result)
    # ansible itself puts "(traceback unavailable)" into every failed result that carries no exception
    assert "Traceback" not in text and result.get("exception", "(traceback unavailable)") == "(traceback unavailable)"
    for words in expected:
        assert words in result["msg"], (words, result["msg"])


def assert_inside_unchanged(snapshot):
    before, after = open(str(snapshot) + ".before").read(), open(str(snapshot) + ".after").read()
    assert before and before == after


# --------------------------------------------------------------------------------------------------------
# bridge_mac


def bridge_host(ns, pinned=False):
    """brpin over a vxlan uplink (high MAC) and a container veth (low MAC): the bridge holds the veth's MAC."""
    ns.ip("link", "add", "brpin", "type", "bridge")
    ns.ip("link", "add", "vxup", "address", UPLINK_MAC, "type", "vxlan", "id", "42", "dstport", "4789",
          "local", "127.0.0.1")
    ns.ip("link", "set", "vxup", "master", "brpin")
    ns.ip("link", "add", "vc1", "address", PINNED, "type", "veth", "peer", "name", "vc1p")
    ns.ip("link", "set", "vc1", "master", "brpin")
    for name in ("brpin", "vxup", "vc1", "vc1p"):
        ns.ip("link", "set", name, "up")
    if pinned:
        ns.ip("link", "set", "brpin", "address", PINNED)
    assert ns.read("/sys/class/net/brpin/address") == PINNED


BRIDGE_FAULTS = {
    # name: (setup, prefix, words the message must hold)
    "rules.d is a file": ("", [], ["/etc/udev/rules.d is a file, not a directory", "Not a directory (ENOTDIR)",
                                   "nothing was changed on the host"]),
    "full tmpfs": ("full", [], ["No space left on device (ENOSPC)", "0 bytes free", RULES]),
    "read-only mount": ("mount --bind {d} {d} && mount -o remount,bind,ro {d} || exit 98".format(d=RULES), [],
                        ["read-only file system", "Read-only file system (EROFS)", "persist=false"]),
    "inodes run out at apply time": ("inodes", [], ["step 1 of 2 (create %s/90-hostnet-dockerhost-mac-brpin.rules) "
                                                    "failed: No space left on device (ENOSPC)" % RULES,
                                                    "Nothing was changed", "brpin MAC %s" % PINNED]),
    "kernel refuses the MAC": ("", NO_NET_ADMIN, ["step 2 of 2 (set brpin MAC %s) failed" % UPLINK_MAC,
                                                  "Operation not permitted (EPERM)",
                                                  "Undone in reverse order: create %s/90-hostnet-dockerhost-mac-brpin"
                                                  ".rules" % RULES, "Nothing stayed changed",
                                                  "90-hostnet-dockerhost-mac-brpin.rules absent"]),
}


@pytest.mark.parametrize("fault", sorted(BRIDGE_FAULTS))
def test_bridge_mac_fails_closed(netns, tmp_path, fault):
    setup, prefix, expected = BRIDGE_FAULTS[fault]
    bridge_host(netns)
    snapshot = tmp_path / "inside"
    after = ""
    etc = tmp_path / "etc"
    if setup in ("full", "inodes"):
        setup, after = tmpfs(RULES, snapshot, inodes=setup == "inodes"), after_snapshot(RULES, snapshot)
    etc, varlib, wrap = private_host(tmp_path, setup=setup, after=after, prefix=prefix)
    (etc / "udev").mkdir(exist_ok=True)
    if fault == "rules.d is a file":
        (etc / "udev" / "rules.d").write_text("not a directory\n")
    else:
        (etc / "udev" / "rules.d").mkdir(exist_ok=True)
    files_before, runtime_before = tree_state(etc, varlib), runtime(netns, ["brpin"])

    result = netns.module("bridge_mac", wrap=wrap, bridge="brpin", policy="uplink")

    assert_failed_closed(result, *expected)
    assert not any("ARP" in w for w in result.get("warnings", [])), result  # nothing changed: no ARP advice
    assert tree_state(etc, varlib) == files_before
    assert_same_runtime(runtime_before, runtime(netns, ["brpin"]))
    if after:
        assert_inside_unchanged(snapshot)


REVERTER = r"""
import sys, time
from pyroute2 import IPRoute
name, mac, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
path = "/sys/class/net/%s/address" % name
with IPRoute() as ipr:
    index = ipr.link_lookup(ifname=name)[0]
    print("ready", flush=True)
    end = time.time() + seconds
    while time.time() < end:
        with open(path) as handle:
            if handle.read().strip() != mac:
                ipr.link("set", index=index, address=mac)
        time.sleep(0.0001)
"""


def test_bridge_mac_verify_that_does_not_see_the_change_undoes_rule_and_mac(netns, tmp_path):
    bridge_host(netns, pinned=True)  # pinned already: undoing restores it exactly (see the unit tests otherwise)
    etc, varlib, wrap = private_host(tmp_path)
    files_before, runtime_before = tree_state(etc, varlib), runtime(netns, ["brpin"])
    reverter = subprocess.Popen(["ip", "netns", "exec", netns.name, sys.executable, "-c", REVERTER, "brpin", PINNED,
                                 "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert reverter.stdout.readline().strip() == "ready"
        # force: the uplink's MAC, given explicitly, is refused as already in use on the L2 otherwise
        result = netns.module("bridge_mac", wrap=wrap, bridge="brpin", mac=UPLINK_MAC, force=True)
    finally:
        reverter.kill()
        reverter.wait()
    assert_failed_closed(result, "verification after the change failed",
                         "brpin has MAC %s (addr_assign_type 3), expected %s set" % (PINNED, UPLINK_MAC),
                         "Undone in reverse order: set brpin MAC %s; create /etc/udev/rules.d/" % UPLINK_MAC,
                         "Nothing stayed changed", "brpin MAC %s (addr_assign_type 3)" % PINNED)
    assert tree_state(etc, varlib) == files_before
    assert_same_runtime(runtime_before, runtime(netns, ["brpin"]))


# --------------------------------------------------------------------------------------------------------
# networkd_forwarding (this machine runs no networkd: the sysctl.d path)


SYSCTL_FILE = SYSCTL_D + "/90-hostnet-dockerhost-forwarding.conf"
FORWARDING_FAULTS = {
    "sysctl.d is a file": ("", [], ["/etc/sysctl.d is a file, not a directory", "Not a directory (ENOTDIR)",
                                    "nothing was changed on the host"]),
    "full tmpfs": ("full", [], ["No space left on device (ENOSPC)", "0 bytes free", SYSCTL_FILE]),
    "read-only mount": ("mount --bind {d} {d} && mount -o remount,bind,ro {d} || exit 98".format(d=SYSCTL_D), [],
                        ["read-only file system", "Read-only file system (EROFS)", "remount read-write"]),
    # The runtime values are written first; the file then fails: both sysctls are set back.
    "inodes run out after the runtime writes": ("inodes", [], [
        "step 3 of 3 (create %s) failed: No space left on device (ENOSPC)" % SYSCTL_FILE,
        "Undone in reverse order: set net.ipv4.conf.uplink0.forwarding=1", "Nothing stayed changed",
        "net.ipv4.conf.docker0.forwarding = 0", "net.ipv4.conf.uplink0.forwarding = 0"]),
    "kernel refuses the sysctl write": ("", NO_NET_ADMIN, [
        "step 1 of 3 (set net.ipv4.conf.docker0.forwarding=1", "Operation not permitted (EPERM)",
        "Nothing was changed", "net.ipv4.conf.docker0.forwarding = 0"]),
}


@pytest.mark.parametrize("fault", sorted(FORWARDING_FAULTS))
def test_networkd_forwarding_fails_closed(netns, tmp_path, fault):
    setup, prefix, expected = FORWARDING_FAULTS[fault]
    docker_host(netns)
    snapshot = tmp_path / "inside"
    after = ""
    if setup in ("full", "inodes"):
        setup, after = tmpfs(SYSCTL_D, snapshot, inodes=setup == "inodes"), after_snapshot(SYSCTL_D, snapshot)
    etc, varlib, wrap = private_host(tmp_path, setup=setup, after=after, prefix=prefix)
    if fault == "sysctl.d is a file":
        subprocess.run(["rm", "-rf", str(etc / "sysctl.d")], check=True)
        (etc / "sysctl.d").write_text("not a directory\n")
    files_before = tree_state(etc, varlib)
    runtime_before = runtime(netns, ["docker0", "uplink0"])

    result = netns.module("networkd_forwarding", wrap=wrap)

    assert_failed_closed(result, *expected)
    assert "persist=false" not in result["msg"]  # this module has no such option
    assert tree_state(etc, varlib) == files_before
    assert_same_runtime(runtime_before, runtime(netns, ["docker0", "uplink0"]))
    if after:
        assert_inside_unchanged(snapshot)


SYSCTL_WRITER = r"""
import sys, time
path, value, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
print("ready", flush=True)
end = time.time() + seconds
while time.time() < end:
    with open(path, "w") as handle:
        handle.write(value)
    time.sleep(0.0002)
"""


def test_networkd_forwarding_verify_that_does_not_see_the_change_undoes_file_and_sysctls(netns, tmp_path):
    docker_host(netns)
    etc, varlib, wrap = private_host(tmp_path)
    files_before = tree_state(etc, varlib)
    runtime_before = runtime(netns, ["docker0", "uplink0"])
    writer = subprocess.Popen(["ip", "netns", "exec", netns.name, sys.executable, "-c", SYSCTL_WRITER,
                               "/proc/sys/net/ipv4/conf/docker0/forwarding", "0", "60"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        result = netns.module("networkd_forwarding", wrap=wrap)
    finally:
        writer.kill()
        writer.wait()
    assert_failed_closed(result, "verification after the change failed", "docker0: {'ipv4': False",
                         "Undone in reverse order: create %s; set net.ipv4.conf.uplink0.forwarding=1" % SYSCTL_FILE,
                         "Nothing stayed changed", "net.ipv4.conf.uplink0.forwarding = 0", "%s absent" % SYSCTL_FILE)
    assert tree_state(etc, varlib) == files_before
    assert_same_runtime(runtime_before, runtime(netns, ["docker0", "uplink0"]))
