# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding on the local kernel: the path for links systemd-networkd does not manage.

This machine has networkctl but no running networkd, so every target goes through the sysctl.d file, written
into a private copy of /etc (mount namespace); the host's /etc is never touched. The networkd path (drop-ins,
reload, management link) is exercised in the lab guests (systemd 252 and 257). Assertions read the kernel's
/proc/sys values and run the real systemd-sysctl on the file the module wrote, as udev does for a new link.
"""

from __future__ import annotations

from conftest import docker_host, private_etc, tree_digest

SYSCTL_FILE = "sysctl.d/90-hostnet-dockerhost-forwarding.conf"
SYSTEMD_SYSCTL = "/lib/systemd/systemd-sysctl"


def forwarding(ns, name, family="ipv4"):
    return ns.read("/proc/sys/net/%s/conf/%s/forwarding" % (family, name))


def test_check_mode_then_apply_then_unchanged(netns, tmp_path):
    docker_host(netns)
    etc, wrap = private_etc(tmp_path)
    before = tree_digest(etc)

    planned = netns.module("networkd_forwarding", check_mode=True, wrap=wrap)
    assert not planned.get("failed"), planned
    assert planned["changed"] is True
    assert sorted(t["name"] for t in planned["interfaces"]) == ["docker0", "uplink0"]
    assert {t["backend"] for t in planned["interfaces"]} == {"sysctl.d"}
    assert planned["reloaded"] is False and planned["management_interfaces"] == ["uplink0"]
    headers = [d["before_header"] for d in planned["diff"]]
    assert any("net.ipv4.conf.docker0.forwarding" in h for h in headers)
    assert any(h.startswith("/etc/" + SYSCTL_FILE) for h in headers)
    assert tree_digest(etc) == before  # check mode wrote nothing
    assert (forwarding(netns, "docker0"), forwarding(netns, "uplink0")) == ("0", "0")

    applied = netns.module("networkd_forwarding", wrap=wrap)
    assert not applied.get("failed"), applied
    assert applied["changed"] is True
    assert (forwarding(netns, "docker0"), forwarding(netns, "uplink0")) == ("1", "1")
    text = (etc / SYSCTL_FILE).read_text()
    assert "net.ipv4.conf.docker0.forwarding = 1\n" in text and "net.ipv4.conf.uplink0.forwarding = 1\n" in text
    assert all(t["forwarding_after"] is True for t in applied["interfaces"])

    again = netns.module("networkd_forwarding", wrap=wrap)
    assert not again.get("failed"), again
    assert again["changed"] is False and "diff" not in again  # no --diff: no diff returned


def test_the_sysctl_d_line_is_applied_to_a_link_created_later(netns, tmp_path):
    """A dotted name is written with '/' in sysctl.d; the real systemd-sysctl (as udev runs it) applies it."""
    netns.ip("link", "add", "ve.7", "type", "veth", "peer", "name", "ve7p")
    netns.sysctl("net.ipv4.conf.default.forwarding", 0)
    netns.sysctl("net.ipv4.conf.ve/7.forwarding", 0)
    etc, wrap = private_etc(tmp_path)

    result = netns.module("networkd_forwarding", wrap=wrap, interfaces=["ve.7"])
    assert not result.get("failed"), result
    assert "net.ipv4.conf.ve/7.forwarding = 1\n" in (etc / SYSCTL_FILE).read_text()
    assert forwarding(netns, "ve.7") == "1"

    netns.ip("link", "del", "ve.7")
    netns.ip("link", "add", "ve.7", "type", "veth", "peer", "name", "ve7p")
    assert forwarding(netns, "ve.7") == "0"  # a new link takes conf/default
    netns.exec(*(wrap + [SYSTEMD_SYSCTL, "--prefix=/net/ipv4/conf/ve.7"]))
    assert forwarding(netns, "ve.7") == "1"


def test_global_ip_forward_and_ipv6(netns, tmp_path):
    netns.ip("link", "add", "brv6", "type", "bridge")
    netns.ip("link", "add", "vc6", "type", "veth", "peer", "name", "vc6p")
    netns.ip("link", "set", "vc6", "master", "brv6")
    netns.sysctl("net.ipv4.ip_forward", 0)
    netns.sysctl("net.ipv6.conf.all.forwarding", 0)
    etc, wrap = private_etc(tmp_path)

    result = netns.module("networkd_forwarding", wrap=wrap, interfaces=["brv6"], ipv6=True, global_ip_forward=True)
    assert not result.get("failed"), result
    assert netns.read("/proc/sys/net/ipv4/ip_forward") == "1"
    assert netns.read("/proc/sys/net/ipv6/conf/all/forwarding") == "1"
    assert (forwarding(netns, "brv6"), forwarding(netns, "brv6", "ipv6")) == ("1", "1")
    text = (etc / SYSCTL_FILE).read_text()
    for line in ("net.ipv4.ip_forward = 1", "net.ipv6.conf.all.forwarding = 1", "net.ipv4.conf.brv6.forwarding = 1",
                 "net.ipv6.conf.brv6.forwarding = 1"):
        assert line + "\n" in text
    assert [r["key"] for r in result["runtime"]][0] == "net.ipv4.ip_forward"


def test_read_only_etc_fails_naming_the_file_and_changes_nothing(netns, tmp_path):
    docker_host(netns)
    etc, wrap = private_etc(tmp_path, read_only=True)
    before = tree_digest(etc)

    result = netns.module("networkd_forwarding", wrap=wrap)
    assert result.get("failed") is True
    assert "/etc/" + SYSCTL_FILE in result["msg"] and "read-only" in result["msg"]
    assert "persist=false" not in result["msg"]  # this module has no such option
    assert (forwarding(netns, "docker0"), forwarding(netns, "uplink0")) == ("0", "0")
    assert tree_digest(etc) == before


def test_unknown_and_invalid_names_fail_listing_what_is_valid(netns, tmp_path):
    docker_host(netns)
    etc, wrap = private_etc(tmp_path)
    before = tree_digest(etc)

    unknown = netns.module("networkd_forwarding", wrap=wrap, interfaces=["docker0", "br-nope"])
    assert unknown.get("failed") is True
    assert "'br-nope'" in unknown["msg"] and "docker0" in unknown["msg"] and "uplink0" in unknown["msg"]

    invalid = netns.module("networkd_forwarding", wrap=wrap, interfaces=["bad name"])
    assert invalid.get("failed") is True and "'bad name'" in invalid["msg"] and "15 bytes" in invalid["msg"]
    assert forwarding(netns, "docker0") == "0" and tree_digest(etc) == before
