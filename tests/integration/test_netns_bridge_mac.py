# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bridge_mac against real bridges in throwaway namespaces (local kernel), with a private copy of /etc.

Nobody's backend owns these bridges, so persistence goes through the fallback (a udev rule) into the private
/etc; the host's own /etc is never touched. Assertions read the kernel (sysfs) and the files themselves.
"""

from __future__ import annotations

from conftest import private_etc, tree_digest

UPLINK_MAC = "02:00:00:00:99:99"
RULE = "udev/rules.d/90-hostnet-dockerhost-mac-brpin.rules"


def drifting_bridge(ns):
    """brpin with a vxlan "uplink" (high MAC) and a container veth (low MAC): the bridge holds the veth's MAC."""
    ns.ip("link", "add", "brpin", "type", "bridge")
    ns.ip("link", "add", "vxup", "address", UPLINK_MAC, "type", "vxlan", "id", "42", "dstport", "4789",
          "local", "127.0.0.1")
    ns.ip("link", "set", "vxup", "master", "brpin")
    ns.ip("link", "add", "vc1", "address", "02:00:00:00:00:20", "type", "veth", "peer", "name", "vc1p")
    ns.ip("link", "set", "vc1", "master", "brpin")
    for name in ("brpin", "vxup", "vc1", "vc1p"):
        ns.ip("link", "set", name, "up")
    assert ns.read("/sys/class/net/brpin/address") == "02:00:00:00:00:20"
    assert ns.read("/sys/class/net/brpin/addr_assign_type") != "3"


def test_check_mode_then_pin_then_idempotent_then_100_cycles_of_lower_macs(netns, tmp_path):
    drifting_bridge(netns)
    etc, wrap = private_etc(tmp_path)
    before = tree_digest(etc)

    # policy=uplink: take the uplink's MAC on purpose (auto would keep the veth's, the gateway MAC in use).
    planned = netns.module("bridge_mac", check_mode=True, wrap=wrap, bridge="brpin", policy="uplink")
    assert not planned.get("failed"), planned
    assert planned["changed"] is True and planned["mac"] == UPLINK_MAC and planned["source"] == "uplink"
    assert planned["backend"] == "fallback"
    assert netns.read("/sys/class/net/brpin/address") == "02:00:00:00:00:20"
    assert netns.read("/sys/class/net/brpin/addr_assign_type") != "3"
    assert tree_digest(etc) == before

    applied = netns.module("bridge_mac", wrap=wrap, bridge="brpin", policy="uplink")
    assert not applied.get("failed"), applied
    assert applied["changed"] is True and applied["mac_changed"] is True
    assert any("ARP" in w for w in applied.get("warnings", []))
    assert netns.read("/sys/class/net/brpin/address") == UPLINK_MAC
    assert netns.read("/sys/class/net/brpin/addr_assign_type") == "3"
    rule = (etc / RULE).read_text()
    assert 'KERNEL=="brpin"' in rule and "address %s" % UPLINK_MAC in rule

    again = netns.module("bridge_mac", wrap=wrap, bridge="brpin")
    assert not again.get("failed"), again
    assert again["changed"] is False and again["source"] == "kept"

    seen = set()
    for cycle in range(100):
        name = "vz%d" % cycle
        netns.batch(["link add %s address 02:00:00:00:00:%02x type veth peer name %sp" % (name, cycle % 250, name),
                     "link set %s master brpin" % name, "link set %s up" % name])
        seen.add(netns.read("/sys/class/net/brpin/address"))
        netns.ip("link", "del", name)
        seen.add(netns.read("/sys/class/net/brpin/address"))
    netns.ip("link", "del", "vc1")
    seen.add(netns.read("/sys/class/net/brpin/address"))
    assert seen == {UPLINK_MAC}


def test_bad_macs_and_names_fail_clearly_and_change_nothing(netns, tmp_path):
    drifting_bridge(netns)
    etc, wrap = private_etc(tmp_path)
    before = tree_digest(etc)
    cases = [
        (dict(bridge="brpin", mac="01:00:5e:00:00:01"), "multicast"),
        (dict(bridge="brpin", mac="00:00:00:00:00:00"), "all-zero"),
        (dict(bridge="brpin", mac="02:00:00:00:01"), "six hexadecimal octets"),
        (dict(bridge="brpin", mac="not-a-mac"), "six hexadecimal octets"),
        (dict(bridge="vc1"), "vc1 is a veth, not a bridge"),
        (dict(bridge="brnothere"), "no such interface"),
        (dict(bridge="br0/reboot"), "contains '/'"),
        (dict(bridge="br0;reboot"), "no such interface on this host: 'br0;reboot'"),  # a valid name, looked up
        (dict(bridge="brpin", mac=""), "mac: '' is empty (leave mac out to let policy choose)"),
        (dict(bridge="a-very-long-bridge-name"), "longer than 15 bytes"),
    ]
    for options, expected in cases:
        result = netns.module("bridge_mac", wrap=wrap, **options)
        assert result.get("failed") is True, (options, result)
        assert expected in result["msg"], (options, result["msg"])
    assert netns.read("/sys/class/net/brpin/address") == "02:00:00:00:00:20"
    assert netns.read("/sys/class/net/brpin/addr_assign_type") != "3"
    assert tree_digest(etc) == before


def test_read_only_etc_fails_before_touching_the_kernel(netns, tmp_path):
    drifting_bridge(netns)
    _etc, wrap = private_etc(tmp_path, read_only=True)
    result = netns.module("bridge_mac", wrap=wrap, bridge="brpin")
    assert result.get("failed") is True, result
    assert "read-only" in result["msg"] and RULE.rsplit("/", maxsplit=1)[-1] in result["msg"]
    assert netns.read("/sys/class/net/brpin/address") == "02:00:00:00:00:20"
    assert netns.read("/sys/class/net/brpin/addr_assign_type") != "3"


def test_runtime_only_pin_with_persist_false(netns, tmp_path):
    drifting_bridge(netns)
    etc, wrap = private_etc(tmp_path)
    before = tree_digest(etc)
    result = netns.module("bridge_mac", wrap=wrap, bridge="brpin", mac="02:42:AC:11:00:01", persist=False)
    assert not result.get("failed"), result
    assert result["source"] == "explicit"
    assert netns.read("/sys/class/net/brpin/address") == "02:42:ac:11:00:01"
    assert tree_digest(etc) == before
