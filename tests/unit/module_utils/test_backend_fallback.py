# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_backend_fallback: the udev rule per interface and feature, its removal, names it refuses, ``ip``'s path."""

from __future__ import annotations

import os

import pytest

from engine_fakes import apply_file_edits
from hostnet_builders import bond, bridge, link, state

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends import fallback as backend_fallback
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend, plan_with_owner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.fallback import (
    FallbackBackend,
    find_ip,
    render_rule,
    rule_path,
    udev_name_problem,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput, NameNotWritable, Unsupported

MAC = "02:42:ac:11:00:02"


class FakeModule:
    def atomic_move(self, src, dest):
        os.rename(src, dest)


def fallback(tmp_path, ip_path="/usr/sbin/ip"):
    host = state(bridge("br0"), bond("agg0", "active-backup", master="br0"), link("lan0", "physical", master="agg0"),
                 bridge("docker0"))
    return FallbackBackend(host, run=None, rules_dir=str(tmp_path / "rules.d"), ip_path=ip_path)


def test_promisc_rule_text():
    assert render_rule("lan0", "promisc", "/usr/sbin/ip") == (
        "# Written by hostnet.dockerhost.port_promisc: keep lan0 promiscuous (a port of a bridged LAG).\n"
        "# No network backend on this host (systemd-networkd, NetworkManager, ifupdown) configures lan0,\n"
        "# so the collection persists the setting here. Remove it with the module's state=absent.\n"
        "# NAME== is the name udev gives the device; one it does not rename keeps its KERNEL name.\n"
        'ACTION=="add", SUBSYSTEM=="net", NAME=="lan0", RUN+="/usr/sbin/ip link set dev lan0 promisc on"\n'
        'ACTION=="add", SUBSYSTEM=="net", NAME=="", KERNEL=="lan0", RUN+="/usr/sbin/ip link set dev lan0 promisc on"\n'
    )


def test_mac_rule_sets_the_address_with_the_ip_found():
    text = render_rule("brx", "mac", "/sbin/ip", mac=MAC)

    assert text.startswith("# Written by hostnet.dockerhost.bridge_mac: pin the MAC of bridge brx")
    rules = [line for line in text.splitlines() if not line.startswith("#")]
    assert rules == [
        'ACTION=="add", SUBSYSTEM=="net", NAME=="brx", RUN+="/sbin/ip link set dev brx address %s"' % MAC,
        'ACTION=="add", SUBSYSTEM=="net", NAME=="", KERNEL=="brx", RUN+="/sbin/ip link set dev brx address %s"'
        % MAC,
    ]


def test_one_file_per_interface_and_feature_sorting_after_net_setup_link():
    assert rule_path("lan0", "promisc") == "/etc/udev/rules.d/90-hostnet-dockerhost-promisc-lan0.rules"
    assert rule_path("brx", "mac", "/x") == "/x/90-hostnet-dockerhost-mac-brx.rules"
    assert os.path.basename(rule_path("a", "mac")) > "80-net-setup-link.rules"


def test_plan_writes_the_rule_and_reloads_udev(tmp_path, monkeypatch):
    control = tmp_path / "udev-control"
    control.write_text("")
    monkeypatch.setattr(backend_fallback, "UDEV_CONTROL", str(control))
    plan = fallback(tmp_path).plan_promisc("lan0", True)

    assert plan.backend == "fallback" and plan.owner is None
    assert plan.reload == [["udevadm", "control", "--reload"]]
    assert [(f.path, f.action) for f in plan.files] == [
        (str(tmp_path / "rules.d" / "90-hostnet-dockerhost-promisc-lan0.rules"), "create")]
    assert plan.files[0].after == render_rule("lan0", "promisc", "/usr/sbin/ip")
    assert not (tmp_path / "rules.d").exists()  # planning wrote nothing


def test_an_interface_that_is_no_lag_port_gets_a_rule_that_says_it_was_named(tmp_path, monkeypatch):
    monkeypatch.setattr(backend_fallback, "UDEV_CONTROL", str(tmp_path / "absent"))
    for name in ("docker0", "br0", "agg0"):  # a bridge, a bridge with a LAG port, the bridged LAG itself
        text = fallback(tmp_path).plan_promisc(name, True).files[0].after
        assert text.startswith("# Written by hostnet.dockerhost.port_promisc: keep %s promiscuous (named in its "
                               "interfaces option).\n" % name)
        assert text.splitlines()[4:] == render_rule(name, "promisc", "/usr/sbin/ip").splitlines()[4:]
        assert "bridged LAG" not in text


def test_without_udevd_there_is_nothing_to_reload_and_the_result_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(backend_fallback, "UDEV_CONTROL", str(tmp_path / "absent"))
    plan = fallback(tmp_path).plan_promisc("lan0", True)
    assert plan.reload == [] and plan.changed
    assert "udevd is not running" in plan.notes[0]


def test_applied_rule_plans_no_change_and_removal_deletes_it(tmp_path):
    backend = fallback(tmp_path)
    apply_file_edits(FakeModule(), backend.plan_mac("brx", "02:42:AC:11:00:02").files)
    path = tmp_path / "rules.d" / "90-hostnet-dockerhost-mac-brx.rules"
    assert MAC in path.read_text() and oct(path.stat().st_mode & 0o777) == "0o644"

    assert not backend.plan_mac("brx", MAC).changed
    removal = backend.plan_mac("brx", None)
    assert [f.action for f in removal.files] == ["remove"]
    apply_file_edits(FakeModule(), removal.files)
    assert not path.exists()
    assert not backend.plan_mac("brx", None).changed
    assert not backend.plan_promisc("brx", False).changed


def test_a_changed_mac_rewrites_the_rule(tmp_path):
    backend = fallback(tmp_path)
    apply_file_edits(FakeModule(), backend.plan_mac("brx", MAC).files)

    plan = backend.plan_mac("brx", "02:42:ac:11:00:03")

    assert plan.files[0].action == "update" and "02:42:ac:11:00:03" in plan.files[0].after


@pytest.mark.parametrize("name", ["lan*", "lan?", "lan[0]", "a|b", 'a"b', "a'b", "a\\b", "a$b", "a%b"])
def test_names_udev_would_read_as_patterns_or_quotes_are_refused(tmp_path, name):
    assert udev_name_problem(name)
    with pytest.raises(NameNotWritable, match="udev reads as a pattern, substitution or quote"):
        fallback(tmp_path).plan_promisc(name, True)


@pytest.mark.parametrize("name", ["b\x1b[31m", "c\x01x", "e\u009bx", "f\ufffd"])
def test_names_with_control_characters_or_not_utf8_are_not_written_into_a_rule(tmp_path, name):
    assert udev_name_problem(name)
    with pytest.raises(NameNotWritable) as caught:
        fallback(tmp_path).plan_mac(name, MAC)
    assert not any(ord(c) < 32 for c in caught.value.msg)  # the message shows the name escaped


@pytest.mark.parametrize("name", ["b;reboot", "-x", "b(x)", "#x"])
def test_names_with_shell_characters_udev_does_not_interpret_are_written_literally(tmp_path, name):
    # udev runs RUN+= programs without a shell (argv split on whitespace), so ';' '(' and a leading '-' are
    # plain characters there; 'ip link set dev -x' takes -x as the device (measured with iproute2 6.1)
    assert udev_name_problem(name) is None
    text = fallback(tmp_path).plan_mac(name, MAC).files[0].after
    assert 'KERNEL=="%s", RUN+="/usr/sbin/ip link set dev %s address %s"' % (name, name, MAC) in text


@pytest.mark.parametrize("name", ["lan0", "bond0.100", "br-0a1b2c3d4e5f", "eth_0", "vlan@x"])
def test_ordinary_names_are_accepted(name):
    assert udev_name_problem(name) is None


def test_an_invalid_mac_is_refused(tmp_path):
    with pytest.raises(InvalidInput):
        fallback(tmp_path).plan_mac("brx", "ff:ff:ff:ff:ff:ff")


def test_ip_prefers_sbin_paths_then_path(tmp_path):
    first, second = tmp_path / "usr-sbin-ip", tmp_path / "sbin-ip"
    for path in (first, second):
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)

    assert find_ip((str(first), str(second)), which=lambda _n: "/opt/bin/ip") == str(first)
    assert find_ip((str(tmp_path / "none"), str(second)), which=lambda _n: "/opt/bin/ip") == str(second)
    assert find_ip((str(tmp_path / "none"),), which=lambda _n: "/opt/bin/ip") == "/opt/bin/ip"
    assert find_ip((str(tmp_path / "none"),), which=lambda _n: None) is None


def test_without_ip_the_plan_says_what_is_missing(tmp_path, monkeypatch):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends import fallback as _backend_fallback

    monkeypatch.setattr(_backend_fallback, "find_ip", lambda: None)

    with pytest.raises(Unsupported, match="ip command \\(iproute2\\) is not installed"):
        fallback(tmp_path, ip_path=None).plan_promisc("lan0", True)
    assert fallback(tmp_path, ip_path=None).plan_promisc("lan0", False).files[0].action == "none"


def test_the_fallback_never_claims_and_takes_what_nobody_owns(tmp_path):
    class Nobody(Backend):
        name = "nobody"

    backend = fallback(tmp_path)
    plan = plan_with_owner("lan0", "promisc", True, [Nobody(state(), None)], backend)

    assert backend.owner("lan0") is None
    assert plan.backend == "fallback" and plan.changed
