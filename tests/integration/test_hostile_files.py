# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile files (issue 17 items 2, 3 and 7, module side) on the local kernel.

Each case runs a module in a throwaway network namespace with a private copy of /etc and an own /var/lib
(mount namespace, as test_fault_injection does) and plants the hostile file there first: a link on the write
path (a directory, the tree itself, the file), a lynis_profile that is not a profile (/etc/passwd, a device, a
FIFO, a link to /etc/shadow), FIFOs where the audit reads, a daemon.json nested 100,000 deep. After each:
the trees compared entry by entry (type, sha256 of a file or a link's target, mode, owner), the runtime
(every attribute ``ip -d -j link`` shows, forwarding sysctls), the message naming the path and what is valid,
no traceback - and every run bounded in time (``timeout``), so a hang fails the test instead of the suite.

systemd-networkd does not run here: where a case needs networkd to own an interface, the namespace gets what
the read model looks at - a link record in a private /run/systemd/netif/links naming the interface's .network,
and a ``networkctl`` first in PATH that answers ``--version`` (systemd 257) and accepts ``reload``.
"""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from conftest import docker_host, private_host, tree_state
from test_fault_injection import assert_same_runtime, bridge_host, runtime

LIMIT = 150  # seconds for one module run (ansible-playbook included) on a busy machine; a hang is killed
SHADOW_LINE = "root:$y$j9T$hostile-test-hash:19700:0:99999:7:::"
PROFILE_DIR = "lynis"  # under the private /etc
FAKE_NETWORKCTL = '#!/bin/sh\ncase "$1" in --version) echo "systemd 257 (257.9-1)"; echo "+PAM";; esac\nexit 0\n'


def bounded(netns, name, wrap, check_mode=False, **options):
    """The module's result; fails the test when the run did not end within LIMIT seconds."""
    started = time.monotonic()
    try:
        result = netns.module(name, check_mode=check_mode, wrap=["timeout", "-k", "10", str(LIMIT)] + wrap,
                              **options)
    except AssertionError as exc:
        pytest.fail("%s did not finish within %d s (a hang?): %s" % (name, LIMIT, exc))
    return result, time.monotonic() - started


def refused(result, *words):
    assert result.get("failed") is True, result
    assert result.get("changed") is False, result
    text = json.dumps(result)
    assert "Traceback" not in text and result.get("exception", "(traceback unavailable)") == "(traceback unavailable)"
    for expected in words:
        assert expected in result["msg"], (expected, result["msg"])


def host_with(tmp_path, setup=""):
    etc, varlib, wrap = private_host(tmp_path, setup=setup)
    (etc / "udev" / "rules.d").mkdir(parents=True, exist_ok=True)
    (varlib / "hostnet-dockerhost").mkdir(exist_ok=True)
    (etc / PROFILE_DIR).mkdir(exist_ok=True)
    (etc / "shadow").write_text(SHADOW_LINE + "\n")
    os.chmod(etc / "shadow", 0o640)
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    return etc, varlib, outside, wrap


def files(etc, varlib, outside):
    return tree_state(etc, varlib, outside)


def promisc(ns, name):
    return bool(int(ns.read("/sys/class/net/%s/flags" % name), 16) & 0x100)


# --------------------------------------------------------------------------------------------------------
# Links on the write path: refused (naming link and target), nothing changed, also in check mode


def test_udev_rules_d_linked_elsewhere_is_refused_and_nothing_changes(netns, tmp_path):
    bridge_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    (etc / "udev" / "rules.d").rmdir()
    os.symlink(str(outside), etc / "udev" / "rules.d")
    before, runtime_before = files(etc, varlib, outside), runtime(netns, ["brpin"])
    for check_mode in (True, False):
        result, _took = bounded(netns, "bridge_mac", wrap, check_mode=check_mode, bridge="brpin", policy="uplink")
        refused(result, "/etc/udev/rules.d is a symbolic link to %s" % outside, "must be a directory of its own",
                "Remove the link")
        assert "diff" not in result
    assert files(etc, varlib, outside) == before and list(outside.iterdir()) == []
    assert_same_runtime(runtime_before, runtime(netns, ["brpin"]))


def test_our_sysctl_d_file_premade_as_a_link_is_refused_and_its_target_kept(netns, tmp_path):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    foreign = "kernel.foreign_key = 1\n"
    (etc / "sysctl.conf").write_text(foreign)
    os.symlink("../sysctl.conf", etc / "sysctl.d" / "90-hostnet-dockerhost-forwarding.conf")
    (etc / "sysctl.d" / "50-local.conf").write_text("net.core.somaxconn = 1024\n")
    before, runtime_before = files(etc, varlib, outside), runtime(netns, ["docker0", "uplink0"])
    result, _took = bounded(netns, "networkd_forwarding", wrap)
    refused(result, "/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf is a symbolic link to ../sysctl.conf",
            "outside /etc/sysctl.d")
    assert files(etc, varlib, outside) == before and (etc / "sysctl.conf").read_text() == foreign
    assert_same_runtime(runtime_before, runtime(netns, ["docker0", "uplink0"]))  # no sysctl written either

    # inside its own directory it is refused too: the collection writes that file whole
    os.unlink(etc / "sysctl.d" / "90-hostnet-dockerhost-forwarding.conf")
    os.symlink("50-local.conf", etc / "sysctl.d" / "90-hostnet-dockerhost-forwarding.conf")
    before = files(etc, varlib, outside)
    result, _took = bounded(netns, "networkd_forwarding", wrap, check_mode=True)
    refused(result, "is a symbolic link to 50-local.conf", "the collection writes this file whole")
    assert "diff" not in result and "somaxconn" not in json.dumps(result)
    assert files(etc, varlib, outside) == before


def test_the_state_directory_linked_elsewhere_is_refused(netns, tmp_path):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    (varlib / "hostnet-dockerhost").rmdir()
    os.symlink(str(outside), varlib / "hostnet-dockerhost")
    before, promisc_before = files(etc, varlib, outside), promisc(netns, "docker0")
    result, _took = bounded(netns, "port_promisc", wrap, interfaces=["docker0"])
    refused(result, "/var/lib/hostnet-dockerhost is a symbolic link to %s" % outside)
    assert files(etc, varlib, outside) == before
    assert promisc_before is False and promisc(netns, "docker0") is False


# --------------------------------------------------------------------------------------------------------
# systemd-networkd's tree: drop-in directories and .network files that are links


def networkd_host(netns, tmp_path, network_text="[Match]\nName=docker0\n", record_fifo=False):
    """docker_host, and what the read model takes for systemd-networkd managing docker0 through
    /etc/systemd/network/50-docker0.network (see the module docstring); ``record_fifo``: docker0's link record
    is a FIFO (and uplink0's the record that says networkd runs)."""
    docker_host(netns)
    links = netns.links()
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "networkctl").write_text(FAKE_NETWORKCTL)
    os.chmod(fake / "networkctl", 0o755)
    record = ('printf "ADMIN_STATE=configured\\nNETWORK_FILE=/etc/systemd/network/50-docker0.network\\n" '
              '> /run/systemd/netif/links/%d' % links["docker0"]["ifindex"])
    if record_fifo:
        record = ('mkfifo /run/systemd/netif/links/%d\nprintf "ADMIN_STATE=unmanaged\\n" > '
                  '/run/systemd/netif/links/%d' % (links["docker0"]["ifindex"], links["uplink0"]["ifindex"]))
    setup = ('mount -t tmpfs hostnet-run /run || exit 98\nmkdir -p /run/systemd/netif/links\n%s\n'
             'export PATH="%s:$PATH"' % (record, fake))
    etc, varlib, outside, wrap = host_with(tmp_path, setup=setup)
    network = etc / "systemd" / "network"
    network.mkdir(parents=True, exist_ok=True)
    for entry in network.iterdir():  # the copy of this machine's own units: not part of the case
        if entry.is_symlink() or not entry.is_dir():
            os.unlink(entry)
    (network / "50-docker0.network").write_text(network_text)
    return etc, varlib, outside, wrap


DROPIN = "90-hostnet-dockerhost-promisc.conf"


def test_a_dropin_directory_linked_out_of_the_tree_is_refused(netns, tmp_path):
    etc, varlib, outside, wrap = networkd_host(netns, tmp_path)
    (outside / "cm-docker0.network.d").mkdir()
    os.symlink(str(outside / "cm-docker0.network.d"), etc / "systemd" / "network" / "50-docker0.network.d")
    before = files(etc, varlib, outside)
    for check_mode in (True, False):
        result, _took = bounded(netns, "port_promisc", wrap, check_mode=check_mode, interfaces=["docker0"])
        refused(result, "/etc/systemd/network/50-docker0.network.d is a symbolic link to %s/cm-docker0.network.d"
                % outside, "outside /etc/systemd/network")
    assert files(etc, varlib, outside) == before and not promisc(netns, "docker0")


def test_a_dropin_directory_linked_inside_the_tree_is_written_through_and_reverted_exactly(netns, tmp_path):
    etc, varlib, outside, wrap = networkd_host(netns, tmp_path)
    network = etc / "systemd" / "network"
    (network / "shared.network.d").mkdir()
    (network / "shared.network.d" / "10-mtu.conf").write_text("[Link]\nMTUBytes=1500\n")
    os.symlink("../network/shared.network.d", network / "50-docker0.network.d")
    before = files(etc, varlib, outside)

    result, _took = bounded(netns, "port_promisc", wrap, interfaces=["docker0"])
    assert result["changed"] is True and not result.get("failed"), result
    assert [p["backend"] for p in result["persistence"]] == ["systemd-networkd"], result
    assert "(through its link, at /etc/systemd/network/shared.network.d/%s)" % DROPIN in result["msg"]
    assert os.readlink(network / "50-docker0.network.d") == "../network/shared.network.d"
    assert "Promiscuous=yes" in (network / "shared.network.d" / DROPIN).read_text()
    assert promisc(netns, "docker0")

    reverted, _took = bounded(netns, "port_promisc", wrap, state="absent")
    assert reverted["changed"] is True and not reverted.get("failed"), reverted
    assert files(etc, varlib, outside) == before  # the link a link, the shared directory as it was, no ledger
    assert not promisc(netns, "docker0")


def test_fix_deprecated_on_a_network_linked_out_of_the_tree_is_refused(netns, tmp_path):
    deprecated = "[Match]\nName=docker0\n\n[Network]\nIPForward=yes\n"
    etc, varlib, outside, wrap = networkd_host(netns, tmp_path, network_text=deprecated)
    network = etc / "systemd" / "network"
    os.unlink(network / "50-docker0.network")
    (outside / "docker0.network").write_text(deprecated)  # a config-management checkout
    os.symlink(str(outside / "docker0.network"), network / "50-docker0.network")
    before, runtime_before = files(etc, varlib, outside), runtime(netns, ["docker0", "uplink0"])
    result, _took = bounded(netns, "networkd_forwarding", wrap, interfaces=["docker0"], fix_deprecated=True)
    refused(result, "/etc/systemd/network/50-docker0.network is a symbolic link to %s/docker0.network" % outside,
            "outside /etc/systemd/network")
    assert files(etc, varlib, outside) == before and (outside / "docker0.network").read_text() == deprecated
    assert_same_runtime(runtime_before, runtime(netns, ["docker0", "uplink0"]))


def test_fix_deprecated_through_a_link_inside_the_tree_keeps_the_link(netns, tmp_path):
    deprecated = "[Match]\nName=docker0\n\n[Network]\nIPForward=yes\n"
    etc, varlib, outside, wrap = networkd_host(netns, tmp_path, network_text=deprecated)
    network = etc / "systemd" / "network"
    os.unlink(network / "50-docker0.network")
    (network / "store").mkdir()
    (network / "store" / "docker0.network").write_text(deprecated)
    os.symlink("store/docker0.network", network / "50-docker0.network")
    result, _took = bounded(netns, "networkd_forwarding", wrap, interfaces=["docker0"], fix_deprecated=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert os.readlink(network / "50-docker0.network") == "store/docker0.network"
    rewritten = (network / "store" / "docker0.network").read_text()
    assert "IPForward=yes" not in rewritten and "IPv4Forwarding=yes" in rewritten, rewritten


# --------------------------------------------------------------------------------------------------------
# lynis_profile: only a lynis profile


def test_lynis_profile_etc_passwd_is_refused_and_passwd_unchanged(netns, tmp_path):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    before = files(etc, varlib, outside)
    for options in ({}, {"lynis_profile_any_directory": True}):
        result, _took = bounded(netns, "port_promisc", wrap, interfaces=["docker0"], lynis_profile="/etc/passwd",
                                **options)
        refused(result, "lynis_profile: /etc/passwd does not end in .prf, so it is not a lynis profile",
                "expected a lynis profile: an absolute path ending in .prf directly in /etc/lynis")
    assert files(etc, varlib, outside) == before and not promisc(netns, "docker0")


@pytest.mark.parametrize("kind", ["device", "fifo", "link to /etc/shadow", "not a profile"])
def test_lynis_profile_that_is_no_profile_file_is_refused_also_in_check_mode(netns, tmp_path, kind):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    profile = etc / PROFILE_DIR / "custom.prf"
    if kind == "device":
        os.mknod(profile, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        words = "/etc/lynis/custom.prf is a character device, not a regular file"
    elif kind == "fifo":
        os.mkfifo(profile)
        words = "/etc/lynis/custom.prf is a FIFO (named pipe), not a regular file"
    elif kind == "link to /etc/shadow":
        os.symlink("/etc/shadow", profile)
        words = "/etc/lynis/custom.prf is a symbolic link to /etc/shadow"
    else:
        profile.write_text("skip-test=SSH-7408\n" + SHADOW_LINE + "\n")
        words = "/etc/lynis/custom.prf line 2 is not a lynis profile line"
    before = files(etc, varlib, outside)
    for check_mode in (True, False):
        result, took = bounded(netns, "port_promisc", wrap, check_mode=check_mode, interfaces=["docker0"],
                               lynis_profile="/etc/lynis/custom.prf")
        refused(result, words)
        assert SHADOW_LINE not in json.dumps(result) and "hostile-test-hash" not in json.dumps(result)
        assert "diff" not in result
    assert files(etc, varlib, outside) == before and not promisc(netns, "docker0")
    assert (etc / "shadow").read_text() == SHADOW_LINE + "\n"


def test_lynis_profile_linked_inside_its_directory_stays_a_link_and_absent_restores_it(netns, tmp_path):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    site = etc / PROFILE_DIR / "site.prf"
    site.write_text("# site profile\nskip-test=SSH-7408\nmachine-role=server")  # no newline at the end
    os.symlink("site.prf", etc / PROFILE_DIR / "custom.prf")
    before = files(etc, varlib, outside)

    result, _took = bounded(netns, "port_promisc", wrap, interfaces=["docker0"], lynis_profile="/etc/lynis/custom.prf")
    assert result["changed"] is True and not result.get("failed"), result
    assert os.readlink(etc / PROFILE_DIR / "custom.prf") == "site.prf"
    assert "if_promisc:docker0:" in site.read_text() and site.read_text().startswith("# site profile\n")

    reverted, _took = bounded(netns, "port_promisc", wrap, state="absent", lynis_profile="/etc/lynis/custom.prf")
    assert reverted["changed"] is True and not reverted.get("failed"), reverted
    assert files(etc, varlib, outside) == before  # a link again to site.prf, byte for byte, mode and owner
    assert not promisc(netns, "docker0")


# --------------------------------------------------------------------------------------------------------
# Reads never hang or crash


def test_a_daemon_json_nested_100000_deep_is_a_finding_and_the_host_is_audited(netns, tmp_path):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    (etc / "docker").mkdir(exist_ok=True)
    (etc / "docker" / "daemon.json").write_text("[" * 100000)
    result, _took = bounded(netns, "netstate_info", wrap, check_mode=True, checks=["forwarding"])
    assert not result.get("failed"), result
    problems = [f for f in result["findings"] if f["id"] == "host_file_unreadable"]
    assert [(f["current"]["file"], f["current"]["error"]) for f in problems] == [
        ("/etc/docker/daemon.json", "not valid JSON: nested deeper than 64 levels of [ and {")]
    # the rest of the host is audited: docker0 (a Docker bridge by its name) has forwarding off
    assert "docker0" in [f["interface"] for f in result["findings"] if f["id"] == "interface_forwarding_off"]


def test_a_fifo_as_the_ledger_fails_at_once_naming_it(netns, tmp_path):
    docker_host(netns)
    etc, varlib, outside, wrap = host_with(tmp_path)
    os.mkfifo(varlib / "hostnet-dockerhost" / "port_promisc.json")
    before = files(etc, varlib, outside)
    result, took = bounded(netns, "port_promisc", wrap, state="absent")
    refused(result, "/var/lib/hostnet-dockerhost/port_promisc.json is a FIFO (named pipe), not a regular file")
    assert took < LIMIT and files(etc, varlib, outside) == before


def test_fifos_at_the_read_models_paths_never_hang_the_audit(netns, tmp_path):
    # A FIFO where the read model reads (daemon.json, networkd.conf, a .network drop-in, /etc/machine-id,
    # docker0's networkd link record): each is named as a file problem, not opened; the rest is audited.
    etc, varlib, outside, wrap = networkd_host(netns, tmp_path, record_fifo=True)
    (etc / "docker").mkdir(exist_ok=True)
    os.mkfifo(etc / "docker" / "daemon.json")
    (etc / "systemd" / "networkd.conf").unlink(missing_ok=True)
    os.mkfifo(etc / "systemd" / "networkd.conf")
    (etc / "systemd" / "network" / "50-docker0.network.d").mkdir()
    os.mkfifo(etc / "systemd" / "network" / "50-docker0.network.d" / "10-x.conf")
    (etc / "machine-id").unlink(missing_ok=True)
    os.mkfifo(etc / "machine-id")
    before = files(etc, varlib, outside)
    result, took = bounded(netns, "netstate_info", wrap, check_mode=True, checks=["forwarding", "networkd", "bridge_mac"])
    assert not result.get("failed"), result
    assert took < LIMIT
    problems = {f["current"]["file"]: f["current"]["error"] for f in result["findings"] if f["id"] == "host_file_unreadable"}
    for path in ("/etc/docker/daemon.json", "/etc/systemd/networkd.conf",
                 "/etc/systemd/network/50-docker0.network.d/10-x.conf"):
        assert problems.get(path) == "is a FIFO (named pipe), not a regular file; not read", (path, problems)
    # the rest of the host is audited: docker0 (a Docker bridge by its name) has forwarding off
    assert "docker0" in [f["interface"] for f in result["findings"] if f["id"] == "interface_forwarding_off"]
    assert files(etc, varlib, outside) == before
