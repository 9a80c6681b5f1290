# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netstate_info against real bridges and veths in throwaway namespaces (local kernel).

Assertions compare the module's findings with what the kernel itself reports (sysfs, /proc, `ip -j`),
and check that the kernel then behaves as a finding predicted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from conftest import COLLECTIONS, private_etc

NON_HOST_CHECKS = ["promisc", "bridge_mac", "forwarding", "capture"]  # networkd reads the host's /etc


def by_id(result, finding_id, interface=None):
    return [f for f in result["findings"] if f["id"] == finding_id and (interface is None or f["interface"] == interface)]


def add_veth(ns, name, mac=None, master=None, peer=None):
    peer = peer or name + "p"
    args = ["link", "add", name] + (["address", mac] if mac else []) + ["type", "veth", "peer", "name", peer]
    ns.ip(*args)
    if master:
        ns.ip("link", "set", name, "master", master)
    ns.ip("link", "set", name, "up")
    ns.ip("link", "set", peer, "up")


def test_clean_bridge_is_compliant(netns):
    netns.ip("link", "add", "brclean", "type", "bridge")
    netns.ip("link", "set", "brclean", "address", "02:aa:00:00:00:01", "up")
    add_veth(netns, "ctr1", master="brclean")
    add_veth(netns, "ctr2", master="brclean")
    assert netns.read("/sys/class/net/brclean/addr_assign_type") == "3"

    result = netns.audit(checks=NON_HOST_CHECKS)

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["findings"] == []
    assert result["compliant"] is True
    bridge = result["state"]["links"]["brclean"]
    assert bridge["kind"] == "bridge" and bridge["ports"] == ["ctr1", "ctr2"]
    assert bridge["addr_assign_type"] == 3 and bridge["mac"] == "02:aa:00:00:00:01"


def test_inherited_veth_mac_is_flagged_and_flips_as_predicted(netns):
    netns.ip("link", "add", "brdrift", "type", "bridge")
    netns.ip("link", "set", "brdrift", "up")
    add_veth(netns, "ctra", mac="02:00:00:00:10:30", master="brdrift")
    add_veth(netns, "ctrb", mac="02:00:00:00:10:50", master="brdrift")
    assert netns.read("/sys/class/net/brdrift/address") == "02:00:00:00:10:30"

    [finding] = by_id(netns.audit(checks=["bridge_mac"]), "bridge_mac_inherited", "brdrift")
    assert finding["severity"] == "error"  # the lowest port is a container veth
    assert finding["current"]["lowest_port"] == "ctra"
    assert finding["current"]["mac"] == "02:00:00:00:10:30"
    predicted = finding["current"]["mac_if_lowest_port_leaves"]
    assert predicted == "02:00:00:00:10:50"

    netns.ip("link", "set", "ctra", "nomaster")  # the container with the lowest MAC stops
    assert netns.read("/sys/class/net/brdrift/address") == predicted

    add_veth(netns, "ctrz", mac="02:00:00:00:10:10", master="brdrift")  # a new container, lower MAC
    assert netns.read("/sys/class/net/brdrift/address") == "02:00:00:00:10:10"
    [again] = by_id(netns.audit(checks=["bridge_mac"]), "bridge_mac_inherited", "brdrift")
    assert again["current"]["lowest_port"] == "ctrz"
    assert again["current"]["mac_if_lowest_port_leaves"] == "02:00:00:00:10:50"

    netns.ip("link", "set", "brdrift", "address", "02:00:00:00:10:50")  # pinned: no finding any more
    assert by_id(netns.audit(checks=["bridge_mac"]), "bridge_mac_inherited") == []
    netns.ip("link", "set", "ctrz", "nomaster")
    assert netns.read("/sys/class/net/brdrift/address") == "02:00:00:00:10:50"


def test_last_port_leaving_zeroes_the_bridge_mac_as_predicted(netns):
    netns.ip("link", "add", "brsolo", "type", "bridge")
    add_veth(netns, "solo", mac="02:00:00:00:20:01", master="brsolo")
    [finding] = by_id(netns.audit(checks=["bridge_mac"]), "bridge_mac_inherited", "brsolo")
    netns.ip("link", "set", "solo", "nomaster")
    assert netns.read("/sys/class/net/brsolo/address") == finding["current"]["mac_if_lowest_port_leaves"]


def test_forwarding_off_on_container_interfaces_is_flagged(netns):
    netns.ip("link", "add", "docker0", "type", "bridge")
    netns.ip("link", "set", "docker0", "up")
    add_veth(netns, "vethc1", master="docker0")
    add_veth(netns, "uplink0")
    netns.ip("addr", "add", "192.0.2.10/24", "dev", "uplink0")
    netns.ip("route", "add", "default", "via", "192.0.2.1", "dev", "uplink0")
    netns.sysctl("net.ipv4.ip_forward", 1)
    netns.sysctl("net.ipv4.conf.docker0.forwarding", 0)
    netns.sysctl("net.ipv4.conf.uplink0.forwarding", 0)

    result = netns.audit(checks=["forwarding"])
    flagged = {f["interface"]: f for f in by_id(result, "interface_forwarding_off")}
    assert set(flagged) == {"docker0", "uplink0"}
    for name, finding in flagged.items():
        key = "net.ipv4.conf.%s.forwarding" % name
        assert finding["current"][key] == int(netns.read("/proc/sys/net/ipv4/conf/%s/forwarding" % name))
        assert finding["severity"] == "error"
    assert result["state"]["default_route_interfaces"] == ["uplink0"]
    assert result["state"]["docker"]["bridges"] == ["docker0"]

    netns.sysctl("net.ipv4.conf.docker0.forwarding", 1)
    netns.sysctl("net.ipv4.conf.uplink0.forwarding", 1)
    assert netns.audit(checks=["forwarding"])["findings"] == []

    netns.sysctl("net.ipv4.ip_forward", 0)
    result = netns.audit(checks=["forwarding"])
    assert [f["id"] for f in result["findings"]] == ["global_forwarding_off"]
    assert result["state"]["ip_forward"] is False


def test_bridge_port_promisc_is_read_in_all_three_views(netns):
    netns.ip("link", "add", "brp", "type", "bridge")
    add_veth(netns, "portp", master="brp")
    add_veth(netns, "loose")

    def views(result, name):
        link = result["state"]["links"][name]
        return link["promisc_flag"], link["promiscuity"], link["sysfs_promisc"], link["effective_promisc"]

    def kernel(name):
        flags = int(netns.read("/sys/class/net/%s/flags" % name), 16)
        return netns.links()[name]["promiscuity"], bool(flags & 0x100)

    result = netns.audit(checks=["promisc"])
    counter, sysfs = kernel("portp")
    assert counter >= 1 and sysfs is True  # the bridge raised the counter ...
    assert "PROMISC" not in netns.links()["portp"]["flags"]  # ... while ip link shows no flag
    assert views(result, "portp") == (False, counter, True, True)
    assert views(result, "loose") == (False, 0, False, False)

    netns.ip("link", "set", "portp", "promisc", "on")
    result = netns.audit(checks=["promisc"])
    counter2, sysfs2 = kernel("portp")
    assert counter2 == counter + 1 and sysfs2 is True
    assert views(result, "portp") == (True, counter2, True, True)


def test_read_model_agrees_with_iproute2(netns):
    netns.ip("link", "add", "bragree", "type", "bridge")
    add_veth(netns, "agree1", mac="02:00:00:00:30:01", master="bragree")
    add_veth(netns, "agree2")
    netns.ip("link", "set", "agree2", "mtu", "1400")
    netns.ip("link", "add", "vx42", "type", "vxlan", "id", "42", "dstport", "4789", "local", "192.0.2.5")
    netns.sysctl("net.ipv4.conf.agree2.forwarding", 1)

    result = netns.audit(checks=["promisc"])
    model = result["state"]["links"]
    kernel = netns.links()
    assert set(model) == set(kernel)
    for name, link in kernel.items():
        mine = model[name]
        assert mine["ifindex"] == link["ifindex"], name
        assert mine["mac"] == link.get("address"), name
        assert mine["master"] == link.get("master"), name
        assert mine["mtu"] == link["mtu"], name
        assert mine["promiscuity"] == link["promiscuity"], name
        assert mine["operstate"] == link["operstate"].lower(), name
        expected_kind = link.get("linkinfo", {}).get("info_kind") or ("loopback" if name == "lo" else mine["kind"])
        assert mine["kind"] == expected_kind, name
        forwarding = netns.read("/proc/sys/net/ipv4/conf/%s/forwarding" % name)
        assert mine["forwarding_ipv4"] == (forwarding == "1"), name
        assert mine["addr_assign_type"] == int(netns.read("/sys/class/net/%s/addr_assign_type" % name)), name


CHURN = r"""
set -u
i=0
while :; do
  for j in $(seq 1 40); do echo "link add churn$j type veth peer name churnp$j"; done | ip -batch - 2>/dev/null
  for j in $(seq 1 40); do echo "link del churn$j"; done | ip -batch - 2>/dev/null
done
"""

READ_LOOP = """
import json, sys
sys.path.insert(0, %r)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
vanished = 0
for _ in range(40):
    vanished += len(read_host_state().vanished)
print(json.dumps({"vanished": vanished}))
"""


def test_interfaces_deleted_during_the_read_are_skipped(netns):
    netns.ip("link", "add", "brchurn", "type", "bridge")
    for i in range(200):
        add_veth(netns, "stay%d" % i, master="brchurn")
    churn = subprocess.Popen(["ip", "netns", "exec", netns.name, "bash", "-c", CHURN],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        reads = netns.exec(sys.executable, "-c", READ_LOOP % str(COLLECTIONS), check=False)
        assert reads.returncode == 0, reads.stderr
        # The path under test really ran: links listed in a dump were gone when sysfs was read.
        assert json.loads(reads.stdout)["vanished"] > 0
        for _attempt in range(3):
            result = netns.audit()
            assert not result.get("failed"), result
            assert "stay0" in result["state"]["links"]
    finally:
        churn.kill()
        churn.wait()


def test_unknown_include_is_a_clear_error(netns):
    netns.ip("link", "add", "brx", "type", "bridge")
    result = netns.audit(include=["brx", "nosuch0"])
    assert result["failed"] is True
    assert "include" in result["msg"] and "'nosuch0'" in result["msg"] and "brx" in result["msg"]
    assert "Traceback" not in json.dumps(result)


def test_invalid_interface_names_are_rejected(netns):
    result = netns.audit(exclude=["averyveryverylongname0", "a/b", "has space"])
    assert result["failed"] is True
    for fragment in ("exclude", "longer than 15 bytes", "'a/b'", "'has space'", "whitespace"):
        assert fragment in result["msg"]


def test_unknown_check_is_a_clear_error(netns):
    result = netns.audit(checks=["promisc", "mtu"])
    assert result["failed"] is True
    assert "checks" in result["msg"] and "mtu" in result["msg"] and "bridge_mac" in result["msg"]


def _private_etc(tmp_path, daemon_json):
    """A wrapper that runs the audit with a private copy of /etc (mount namespace): the host's /etc is untouched."""
    etc, wrap = private_etc(tmp_path)
    (etc / "docker").mkdir(exist_ok=True)
    (etc / "docker" / "daemon.json").write_text(daemon_json)
    return wrap


def test_daemon_json_bridge_is_recognised(netns, tmp_path):
    netns.ip("link", "add", "ctrbr7", "type", "bridge")
    netns.ip("link", "set", "ctrbr7", "up")
    netns.sysctl("net.ipv4.ip_forward", 1)
    netns.sysctl("net.ipv4.conf.ctrbr7.forwarding", 0)
    result = netns.audit(checks=["forwarding"], wrap=_private_etc(tmp_path, '{"bridge": "ctrbr7"}'))
    assert result["state"]["docker"]["configured_bridge"] == "ctrbr7"
    assert result["state"]["links"]["ctrbr7"]["docker_bridge"] is True
    assert [f["interface"] for f in by_id(result, "interface_forwarding_off")] == ["ctrbr7"]


def test_unreadable_daemon_json_becomes_a_finding(netns, tmp_path):
    result = netns.audit(checks=["forwarding"], wrap=_private_etc(tmp_path, '{"bridge": '))
    assert not result.get("failed"), result
    [finding] = by_id(result, "host_file_unreadable")
    assert finding["current"]["file"] == "/etc/docker/daemon.json"
    assert "JSON" in finding["current"]["error"]
    assert Path("/etc/docker/daemon.json").exists() is False or "bridge\": " not in Path("/etc/docker/daemon.json").read_text()
