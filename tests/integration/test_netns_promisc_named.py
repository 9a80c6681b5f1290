# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_promisc on the local kernel without a bond or team: named interfaces (seed 001) and the lynis profile.

A throwaway namespace with ``br0`` (a vxlan uplink and a container veth) and ``docker0`` (a container veth); the
module runs with a private /etc and /var/lib (mount namespace). No network backend owns these bridges here, so
persistence is the fallback's udev rule (networkd does not run in the namespace). Asserted against sysfs flags
(IFF_PROMISC 0x100), the files' bytes (sha256, mode, owner) and the result.
"""

from __future__ import annotations

import json

from conftest import private_host as _private_host
from conftest import tree_state

RULE = "udev/rules.d/90-hostnet-dockerhost-promisc-%s.rules"
LEDGER = "hostnet-dockerhost/port_promisc.json"
PROFILE = "/etc/lynis/custom.prf"
# A profile as a person writes it: comments, settings, an own whitelist line, and no newline at the end.
CUSTOM_PRF = "# local lynis settings\nskip-test=SSH-7408\nif_promisc:eth9:capture box:\nmachine-role=server"
BRIDGE_NOTE = ("docker0 is not a LAG port", "bridge_mac", "vSwitch", "seed 001")


def topology(ns):
    ns.ip("link", "add", "br0", "type", "bridge")
    ns.ip("link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", "127.0.0.1")
    ns.ip("link", "set", "vx0", "master", "br0")
    ns.ip("link", "add", "vethb1", "type", "veth", "peer", "name", "vethb1p")
    ns.ip("link", "set", "vethb1", "master", "br0")
    ns.ip("link", "add", "docker0", "type", "bridge")
    ns.ip("link", "add", "vethd1", "type", "veth", "peer", "name", "vethd1p")
    ns.ip("link", "set", "vethd1", "master", "docker0")
    for name in ("br0", "vx0", "vethb1", "vethb1p", "docker0", "vethd1", "vethd1p"):
        ns.ip("link", "set", name, "up")


def private_host(tmp_path):
    """A private /etc and /var/lib with the directories a host has (udev's rules.d) and the collection's state
    directory: the module removes the files it wrote, not the directories it once had to create."""
    etc, varlib, wrap = _private_host(tmp_path)
    (etc / "udev" / "rules.d").mkdir(parents=True, exist_ok=True)
    (varlib / "hostnet-dockerhost").mkdir(exist_ok=True)
    return etc, varlib, wrap


def promisc(ns, name):
    """The kernel's IFF_PROMISC in sysfs flags (the admin flag on a bridge: nothing else sets it there)."""
    return bool(int(ns.read("/sys/class/net/%s/flags" % name), 16) & 0x100)


def flags(ns):
    return {name: ns.read("/sys/class/net/%s/flags" % name) for name in ("br0", "docker0", "vx0", "vethb1")}


def test_a_bridge_made_promiscuous_by_name_then_reverted_byte_for_byte(netns, tmp_path):
    topology(netns)
    etc, varlib, wrap = private_host(tmp_path)
    files_before, flags_before = tree_state(etc, varlib), flags(netns)
    assert not promisc(netns, "br0")

    checked = netns.module("port_promisc", check_mode=True, wrap=wrap, interfaces=["br0"])
    assert checked["changed"] is True and not checked.get("failed"), checked
    assert "br0 promisc on" in checked["diff"][0]["after"]
    assert tree_state(etc, varlib) == files_before and flags(netns) == flags_before

    result = netns.module("port_promisc", wrap=wrap, interfaces=["br0"])
    assert result["changed"] is True and not result.get("failed"), result
    assert [(p["name"], p["kind"], p["master"], p["backend"]) for p in result["ports"]] == \
        [("br0", "bridge", None, "fallback")]  # only the named one: no LAG here, docker0 untouched
    assert "br0 is not a LAG port" in result["ports"][0]["note"]
    assert promisc(netns, "br0") and not promisc(netns, "docker0")
    assert "PROMISC" in netns.ip("link", "show", "br0").split(">")[0]  # ip's view of the admin flag
    rule = (etc / (RULE % "br0")).read_text()
    assert rule.startswith("# Written by hostnet.dockerhost.port_promisc: keep br0 promiscuous (named in its "
                           "interfaces option).\n")
    assert 'NAME=="", KERNEL=="br0", RUN+="' in rule and 'link set dev br0 promisc on"' in rule
    ledger = json.loads((varlib / LEDGER).read_text())
    assert ledger == {"ports": {"br0": {"master": None, "runtime_set": True, "backend": "fallback"}}}

    again = netns.module("port_promisc", wrap=wrap, interfaces=["br0"])
    assert again["changed"] is False and not again.get("failed"), again

    reverted = netns.module("port_promisc", wrap=wrap, state="absent", interfaces=["br0"])
    assert reverted["changed"] is True and not reverted.get("failed"), reverted
    assert not promisc(netns, "br0")
    assert tree_state(etc, varlib) == files_before and flags(netns) == flags_before


def test_a_name_the_host_does_not_have_fails_before_any_change(netns, tmp_path):
    topology(netns)
    etc, varlib, wrap = private_host(tmp_path)
    files_before, flags_before = tree_state(etc, varlib), flags(netns)

    result = netns.module("port_promisc", wrap=wrap, interfaces=["br0", "nosuch0"])

    assert result.get("failed") is True and result.get("changed") is False, result
    assert "interfaces: no such interface on this host: 'nosuch0'" in result["msg"]
    assert "Traceback" not in json.dumps(result)
    assert tree_state(etc, varlib) == files_before and flags(netns) == flags_before


def test_lynis_profile_block_kept_with_the_rest_byte_identical(netns, tmp_path):
    topology(netns)
    etc, varlib, wrap = private_host(tmp_path)
    (etc / "lynis").mkdir(exist_ok=True)
    (etc / "lynis" / "custom.prf").write_text(CUSTOM_PRF)
    files_before, flags_before = tree_state(etc, varlib), flags(netns)
    options = dict(interfaces=["docker0"], lynis_profile=PROFILE, lynis_whitelist=True)

    checked = netns.module("port_promisc", check_mode=True, wrap=wrap, **options)
    assert checked["changed"] is True and not checked.get("failed"), checked
    assert [(d["before_header"], d["after"].startswith(CUSTOM_PRF + "\n# BEGIN")) for d in checked["diff"]
            if d["before_header"] == PROFILE] == [(PROFILE, True)]
    assert tree_state(etc, varlib) == files_before and flags(netns) == flags_before  # check mode wrote nothing

    result = netns.module("port_promisc", wrap=wrap, **options)
    assert result["changed"] is True and not result.get("failed"), result
    for words in BRIDGE_NOTE[:3]:
        assert words in result["ports"][0]["note"]
    text = (etc / "lynis" / "custom.prf").read_text()
    assert text.startswith(CUSTOM_PRF + "\n")
    lines = [line for line in text[len(CUSTOM_PRF) + 1:].splitlines() if not line.startswith("#")]
    # docker0 named; vx0 a bridge port that is not a veth; the veths (vethb1, vethd1) left out
    assert lines == ["if_promisc:docker0:named in port_promisc interfaces (hostnet.dockerhost):",
                     "if_promisc:vx0:vxlan, port of bridge br0 (hostnet.dockerhost):"]
    assert result["lynis_if_promisc"] == lines
    assert result["lynis_profiles"] == [{"path": PROFILE, "action": "update", "lines": lines,
                                         "reason": result["lynis_profiles"][0]["reason"]}]
    assert promisc(netns, "docker0")
    ledger = json.loads((varlib / LEDGER).read_text())
    assert ledger["lynis_profiles"] == {PROFILE: {"created": False, "newline_added": True}}

    again = netns.module("port_promisc", wrap=wrap, **options)
    assert again["changed"] is False and not again.get("failed"), again
    assert (etc / "lynis" / "custom.prf").read_text() == text

    reverted = netns.module("port_promisc", wrap=wrap, state="absent", lynis_profile=PROFILE)
    assert reverted["changed"] is True and not reverted.get("failed"), reverted
    assert (etc / "lynis" / "custom.prf").read_text() == CUSTOM_PRF
    assert tree_state(etc, varlib) == files_before and flags(netns) == flags_before


def test_lynis_profile_created_then_removed_with_its_directory(netns, tmp_path):
    topology(netns)
    etc, varlib, wrap = private_host(tmp_path)
    files_before, flags_before = tree_state(etc, varlib), flags(netns)
    assert not (etc / "lynis").exists()

    result = netns.module("port_promisc", wrap=wrap, interfaces=["docker0"], lynis_profile=PROFILE)
    assert result["changed"] is True and result["lynis_profiles"][0]["action"] == "create", result
    assert (etc / "lynis" / "custom.prf").read_text().startswith("# BEGIN hostnet.dockerhost.port_promisc")

    reverted = netns.module("port_promisc", wrap=wrap, state="absent")  # every recorded profile
    assert reverted["changed"] is True and reverted["lynis_profiles"][0]["action"] == "remove", reverted
    assert not (etc / "lynis" / "custom.prf").exists()
    files_after = tree_state(etc, varlib)
    # the directory the module created stays (a FileStep removes a file, not the directories it once made)
    files_after.pop(str(etc / "lynis"), None)
    assert files_after == files_before and flags(netns) == flags_before


def test_lynis_profile_directory_that_is_a_file_fails_closed(netns, tmp_path):
    topology(netns)
    etc, varlib, wrap = private_host(tmp_path)
    (etc / "lynis").write_text("not a directory\n")
    files_before, flags_before = tree_state(etc, varlib), flags(netns)

    result = netns.module("port_promisc", wrap=wrap, interfaces=["docker0"], lynis_profile=PROFILE)

    assert result.get("failed") is True and result.get("changed") is False, result
    assert "/etc/lynis is a file, not a directory" in result["msg"], result["msg"]
    assert "Not a directory (ENOTDIR)" in result["msg"] and "nothing was changed on the host" in result["msg"]
    assert "Traceback" not in json.dumps(result)
    assert tree_state(etc, varlib) == files_before and flags(netns) == flags_before
    assert not promisc(netns, "docker0")
