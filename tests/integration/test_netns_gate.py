# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A gate that cannot be fooled, and findings that tell the whole truth, on the local kernel.

netstate_info refuses requests that would audit less than asked; an empty unpinned bridge is flagged; the
bridge_mac finding and the bridge_mac module pin the same MAC; the default result says what was looked at.
"""

from __future__ import annotations

from conftest import private_etc


def add_veth(ns, name, master=None, mac=None):
    argv = ["link", "add", name] + (["address", mac] if mac else []) + ["type", "veth", "peer", "name", name + "p"]
    ns.ip(*argv)
    if master:
        ns.ip("link", "set", name, "master", master)
    ns.ip("link", "set", name, "up")


def test_an_empty_check_list_is_an_error_not_compliant(netns):
    result = netns.audit(checks=[])
    assert result.get("failed") is True, result
    assert "checks: the list is empty" in result["msg"] and "promisc, bridge_mac" in result["msg"]
    assert "Traceback" not in str(result)


def test_a_repeated_check_is_counted_once(netns):
    netns.ip("link", "add", "brtwice", "type", "bridge")
    add_veth(netns, "twv", master="brtwice", mac="02:00:00:00:51:01")
    once = netns.audit(checks=["bridge_mac"], return_state=False)
    twice = netns.audit(checks=["bridge_mac", "bridge_mac"], return_state=False)
    assert twice["checks"] == ["bridge_mac"]
    assert twice["findings"] == once["findings"] and len(once["findings"]) == 1
    assert twice["summary"] == once["summary"] == {"error": 1, "warning": 0, "info": 0}


def test_a_name_both_included_and_excluded_is_an_error_naming_it(netns):
    netns.ip("link", "add", "brboth", "type", "bridge")
    result = netns.audit(include=["brboth"], exclude=["brboth"])
    assert result.get("failed") is True, result
    assert "include and exclude both name 'brboth'" in result["msg"]


def test_unknown_names_fail_a_single_call_and_warn_in_a_fleet(netns):
    netns.ip("link", "add", "brhere", "type", "bridge")
    add_veth(netns, "hv", master="brhere", mac="02:00:00:00:52:01")

    failed = netns.audit(exclude=["docker0"])
    assert failed.get("failed") is True and "no such interface on this host: 'docker0'" in failed["msg"]

    warned = netns.audit(exclude=["docker0"], unknown_interfaces="warn", checks=["bridge_mac"], return_state=False)
    assert not warned.get("failed"), warned
    assert warned["unknown_interfaces"] == {"exclude": ["docker0"]}
    assert warned["audit_warnings"] == ["exclude names docker0, which this host does not have; nothing was "
                                        "silenced for it"]
    assert [f["interface"] for f in warned["findings"]] == ["brhere"]  # the audit itself still ran

    only_missing = netns.audit(include=["docker0"], unknown_interfaces="warn", checks=["bridge_mac"],
                               return_state=False)
    assert only_missing["findings"] == []  # an include the host lacks matches nothing; it does not widen the audit
    assert only_missing["unknown_interfaces"] == {"include": ["docker0"]}


def test_an_empty_unpinned_container_bridge_is_a_warning(netns):
    netns.ip("link", "add", "br-0123456789ab", "type", "bridge")
    netns.ip("link", "set", "br-0123456789ab", "up")
    assert netns.read("/sys/class/net/br-0123456789ab/addr_assign_type") != "3"
    mac = netns.read("/sys/class/net/br-0123456789ab/address")

    result = netns.audit(checks=["bridge_mac"], return_state=False)
    [finding] = result["findings"]
    assert (finding["id"], finding["severity"], finding["interface"]) == \
        ("bridge_mac_inherited", "warning", "br-0123456789ab")
    assert "first port that joins" in finding["why"]
    assert finding["remediation"].startswith("ip link set dev br-0123456789ab address %s" % mac)

    # ... and it really takes the first port's MAC, which is what the warning is about.
    add_veth(netns, "first", master="br-0123456789ab", mac="02:00:00:00:53:01")
    assert netns.read("/sys/class/net/br-0123456789ab/address") == "02:00:00:00:53:01"


def test_finding_and_module_pin_the_same_mac_and_the_gateway_mac_does_not_change(netns, tmp_path):
    """A bridge of container veths only: the finding and bridge_mac (default policy) both keep its MAC."""
    netns.ip("link", "add", "brctr", "type", "bridge")
    add_veth(netns, "ctra", master="brctr", mac="02:00:00:00:54:01")
    add_veth(netns, "ctrb", master="brctr", mac="02:00:00:00:54:09")
    gateway_mac = netns.read("/sys/class/net/brctr/address")
    assert gateway_mac == "02:00:00:00:54:01"

    [finding] = netns.audit(checks=["bridge_mac"], return_state=False)["findings"]
    assert "address %s  # keeps the current MAC" % gateway_mac in finding["remediation"]

    etc, wrap = private_etc(tmp_path)
    planned = netns.module("bridge_mac", check_mode=True, wrap=wrap, bridge="brctr")
    assert (planned["mac"], planned["source"], planned["mac_changed"]) == (gateway_mac, "kept", False)
    applied = netns.module("bridge_mac", wrap=wrap, bridge="brctr")
    assert applied["changed"] is True and applied["mac"] == gateway_mac, applied
    assert netns.read("/sys/class/net/brctr/address") == gateway_mac
    assert netns.read("/sys/class/net/brctr/addr_assign_type") == "3"
    netns.ip("link", "del", "ctra")  # the port whose MAC it was leaves: the gateway MAC stays
    assert netns.read("/sys/class/net/brctr/address") == gateway_mac
    assert netns.audit(checks=["bridge_mac"], return_state=False)["findings"] == []


def test_the_default_result_is_compact_and_says_what_was_looked_at(netns):
    netns.ip("link", "add", "brlook", "type", "bridge")
    add_veth(netns, "lk1", master="brlook")
    result = netns.module("netstate_info", check_mode=True)
    assert "state" not in result
    links = len(netns.links())
    assert result["audited"]["links"] == links and result["audited"]["bridges"] == 1
    assert result["audited"]["description"].startswith(
        "read %d links: 1 bridge, 0 bonds, no Docker, systemd-networkd not running" % links)
    assert result["checks"] == ["promisc", "bridge_mac", "forwarding", "networkd", "capture"]


def test_a_host_with_nothing_to_audit_says_so(netns):
    result = netns.module("netstate_info", check_mode=True)
    assert result["findings"] == [] and result["compliant"] is True
    assert result["audited"]["nothing_to_audit"] is True
    assert list(netns.links()) == ["lo"]
    assert result["audited"]["description"] == \
        "read 1 link: 0 bridges, 0 bonds, no Docker, systemd-networkd not running"
