# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding's plan: targets, drop-ins per systemd version, sysctl.d, management links, conflicts,
deprecated keys, verification. Hand-built states; the files the plan would read come from a dict or tmp_path."""

from __future__ import annotations

import os
import struct

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.forwarding import (
    find_ssh_server_address,
    verify,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding import plan_forwarding
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_model import (
    Desired,
    Paths,
    management_interfaces,
    ssh_server_address,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_units import rewrite_deprecated
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import decode_address
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import parse_unit_text
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.sysctl_d import render_sysctl_file, sysctl_name
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_interface_names
from hostnet_builders import bridge, docker, link, networkd, state, unit

OWN = "90-hostnet-dockerhost-forwarding.conf"
BR_NETWORK = "/etc/systemd/network/50-brx.network"
UPLINK_NETWORK = "/etc/systemd/network/10-uplink.network"


def network_text(name, *lines):
    return "# written by hand\n[Match]\nName=%s\n\n[Network]\nAddress=192.0.2.1/24\n%s" % (
        name, "".join(line + "\n" for line in lines))


def host(version, units=(), conf=(), links=None, running=True, **kw):
    """brx (a bridge with a container veth) and eno1 (the uplink with the default route), both networkd's."""
    if links is None:
        links = [bridge("brx", forwarding_ipv4=False, forwarding_ipv6=False),
                 link("vc1", "veth", master="brx", forwarding_ipv4=False),
                 link("eno1", "physical", forwarding_ipv4=False, forwarding_ipv6=False, addresses=["10.0.2.15/24"])]
    if not units:
        units = [unit(BR_NETWORK, network_text("brx")), unit(UPLINK_NETWORK, network_text("eno1"))]
    kw.setdefault("default_route_interfaces", ["eno1"])
    kw.setdefault("ip_forward", False)
    # networkd's own record of which .network each link got (/run/systemd/netif/links)
    record = {e[2]: u.path for u in units for e in u.entries if e[:2] == ("Match", "Name")} if running else {}
    record = {name: path for name, path in record.items() if any(item.name == name for item in links)}
    nd = networkd(version, units, conf, link_network_file=record, running=running)
    return state(*links, networkd=nd, **kw)


@pytest.fixture
def etc(tmp_path):
    return tmp_path / "network"


def plan_for(st, etc, files=None, **desired):
    backend = NetworkdBackend(st, run=None, etc_dir=str(etc))
    paths = Paths(sysctl_file=str(etc.parent / "sysctl.d" / "90-hostnet-dockerhost-forwarding.conf"),
                  networkd_conf_dropin="/etc/systemd/networkd.conf.d/" + OWN, proc_sys="/proc-test/sys")
    files = dict(files or {})
    return plan_forwarding(st, Desired(**desired), backend, paths=paths,
                           read_text=lambda path: files.get(path, _disk(path)))


def _disk(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def own_dropin(etc, network_path):
    return str(etc / (os.path.basename(network_path) + ".d") / OWN)


def by_name(plan):
    return {t.name: t for t in plan.targets}


def changed_files(plan):
    return {f.path: f.after for f in plan.all_files() if f.changed}


# --------------------------------------------------------------------------------------------------------
# The key per systemd version


def test_257_writes_ipv4forwarding_dropin_and_reloads(etc):
    plan = plan_for(host(257), etc, interfaces=["brx"])

    dropin = own_dropin(etc, BR_NETWORK)
    assert [f.path for f in plan.files] == [dropin]
    text = plan.files[0].after
    assert "[Network]\nIPv4Forwarding=yes\n" in text and "IPForward" not in text
    target = by_name(plan)["brx"]
    assert (target.backend, target.network_file, target.dropin) == ("systemd-networkd", BR_NETWORK, dropin)
    assert target.settings == ["IPv4Forwarding=yes"]
    assert plan.reload is True and target.reconfigured is True and target.deferred is False
    assert [(r.key, r.path, r.before, r.after) for r in plan.runtime] == [
        ("net.ipv4.conf.brx.forwarding", "/proc-test/sys/net/ipv4/conf/brx/forwarding", False, True)]
    assert plan.changed


def test_257_ipv6_adds_ipv6forwarding_and_its_runtime_value(etc):
    plan = plan_for(host(257), etc, interfaces=["brx"], ipv6=True)

    assert plan.files[0].after.endswith("IPv4Forwarding=yes\nIPv6Forwarding=yes\n")
    assert [r.key for r in plan.runtime] == ["net.ipv4.conf.brx.forwarding", "net.ipv6.conf.brx.forwarding"]
    assert by_name(plan)["brx"].ipv6_forwarding_after is True


def test_252_writes_ipforward_ipv4_and_notes_the_global_side_effect(etc):
    plan = plan_for(host(252), etc, interfaces=["brx"])

    assert plan.files[0].after.endswith("[Network]\nIPForward=ipv4\n")
    assert any("ip_forward" in note and "252" in note for note in by_name(plan)["brx"].notes)


def test_252_ipv6_writes_ipforward_yes(etc):
    plan = plan_for(host(252), etc, interfaces=["brx"], ipv6=True)

    assert plan.files[0].after.endswith("IPForward=yes\n")


def test_252_keeps_the_family_the_users_ipforward_enables(etc):
    units = [unit(BR_NETWORK, network_text("brx", "IPForward=ipv6")), unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(252, units), etc, interfaces=["brx"])

    assert plan.files[0].after.endswith("IPForward=yes\n")  # not ipv4, which would drop the user's ipv6
    assert plan.conflicts == []


@pytest.mark.parametrize("version, warned", [(252, True), (257, False)])
def test_252_reconfigure_of_a_dhcp_target_warns_that_the_lease_is_released(etc, version, warned):
    units = [unit(BR_NETWORK, network_text("brx", "DHCP=ipv4")), unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(version, units), etc, interfaces=["brx"])

    assert by_name(plan)["brx"].reconfigured is True
    assert any("releases the DHCPv4 lease of brx" in w for w in plan.warnings) is warned
    assert any("removing its addresses" in n for n in by_name(plan)["brx"].notes) is warned


def test_unknown_version_falls_back_to_the_legacy_key(etc):
    plan = plan_for(host(None), etc, interfaces=["brx"])

    assert plan.files[0].after.endswith("IPForward=ipv4\n")


def test_upgrade_from_252_replaces_our_old_dropin_and_does_not_report_it(etc):
    old = own_dropin(etc, BR_NETWORK)
    os.makedirs(os.path.dirname(old))
    with open(old, "w", encoding="utf-8") as handle:
        handle.write("[Network]\nIPForward=ipv4\n")
    units = [unit(BR_NETWORK, network_text("brx"), dropins=[(old, "[Network]\nIPForward=ipv4\n")]),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, interfaces=["brx"], fix_deprecated=True)

    assert plan.deprecated == []
    assert changed_files(plan)[old].endswith("[Network]\nIPv4Forwarding=yes\n")
    assert plan.files[0].before == "[Network]\nIPForward=ipv4\n"


# --------------------------------------------------------------------------------------------------------
# Links networkd does not manage: sysctl.d


def test_unmanaged_link_gets_a_sysctl_d_line_and_no_reload(etc):
    st = host(257, links=[bridge("docker0", forwarding_ipv4=False), link("veth1", master="docker0")],
              docker=docker("docker0"), default_route_interfaces=[])
    plan = plan_for(st, etc)

    target = by_name(plan)["docker0"]
    assert target.backend == "sysctl.d" and target.settings == ["net.ipv4.conf.docker0.forwarding = 1"]
    sysctl_file = str(etc.parent / "sysctl.d" / OWN)
    assert target.dropin == sysctl_file
    assert changed_files(plan)[sysctl_file].endswith("\nnet.ipv4.conf.docker0.forwarding = 1\n")
    assert plan.reload is False and target.reconfigured is False
    assert any("udev" in note for note in target.notes)


def test_networkd_not_running_uses_sysctl_d_even_with_a_matching_network(etc):
    plan = plan_for(host(257, running=False), etc, interfaces=["brx"])

    assert by_name(plan)["brx"].backend == "sysctl.d"
    assert any("not running" in note for note in by_name(plan)["brx"].notes)
    assert plan.reload is False


def test_dotted_name_is_written_with_a_slash_in_sysctl_d_and_a_dot_in_proc(etc):
    st = host(257, links=[link("eth0.100", "vlan", forwarding_ipv4=False)], default_route_interfaces=[])
    plan = plan_for(st, etc, interfaces=["eth0.100"])

    assert sysctl_name("ipv4", "eth0.100") == "net.ipv4.conf.eth0/100.forwarding"
    assert by_name(plan)["eth0.100"].settings == ["net.ipv4.conf.eth0/100.forwarding = 1"]
    assert plan.runtime[0].path == "/proc-test/sys/net/ipv4/conf/eth0.100/forwarding"


def test_sysctl_file_keeps_lines_of_earlier_runs_and_is_stable():
    earlier = render_sysctl_file(None, [("net.ipv4.conf.docker0.forwarding", "1")])
    both = render_sysctl_file(earlier, [("net.ipv4.conf.br-0123456789ab.forwarding", "1")])

    assert both.splitlines()[-2:] == ["net.ipv4.conf.docker0.forwarding = 1",
                                      "net.ipv4.conf.br-0123456789ab.forwarding = 1"]
    assert render_sysctl_file(both, [("net.ipv4.conf.docker0.forwarding", "1")]) == both


def test_name_a_sysctl_d_line_cannot_express_is_skipped_and_the_others_planned(etc):
    st = host(257, links=[link("a=b", forwarding_ipv4=False), link("ok0", forwarding_ipv4=False)],
              default_route_interfaces=[])
    plan = plan_for(st, etc, interfaces=["a=b", "ok0"])
    skipped = {t.name: t.skipped for t in plan.targets}
    assert "which a sysctl.d line cannot express" in skipped["a=b"] and skipped["ok0"] is None
    # never half-done: neither a runtime value nor a line for the skipped link
    assert [edit.key for edit in plan.runtime] == ["net.ipv4.conf.ok0.forwarding"]
    [sysctl_file] = [edit for edit in plan.files if edit.path.endswith("forwarding.conf")]
    assert "a=b" not in sysctl_file.after and "net.ipv4.conf.ok0.forwarding = 1" in sysctl_file.after
    assert any(w.startswith("a=b: left unchanged: not managed by systemd-networkd") for w in plan.warnings)


def test_global_ip_forward_goes_first_at_runtime_and_into_sysctl_d(etc):
    st = host(257, links=[bridge("docker0", forwarding_ipv4=False), link("veth1", master="docker0")],
              docker=docker("docker0"), default_route_interfaces=[], ip_forward=False, ipv6_forwarding=True)
    plan = plan_for(st, etc, global_ip_forward=True, ipv6=True)

    assert [(r.key, r.before) for r in plan.runtime][:2] == [
        ("net.ipv4.ip_forward", False), ("net.ipv6.conf.all.forwarding", True)]
    assert [r.key for r in plan.runtime if r.changed][0] == "net.ipv4.ip_forward"
    text = changed_files(plan)[str(etc.parent / "sysctl.d" / OWN)]
    assert "net.ipv4.ip_forward = 1\n" in text and "net.ipv6.conf.all.forwarding = 1\n" in text


# --------------------------------------------------------------------------------------------------------
# Targets and the management connection


def test_default_targets_are_the_container_traffic_interfaces(etc):
    st = host(257, links=[bridge("brx", forwarding_ipv4=False), link("vc1", master="brx"),
                          bridge("brlan"), link("eno1", "physical", forwarding_ipv4=True),
                          bridge("docker0", forwarding_ipv4=True)],
              docker=docker("docker0"))
    plan = plan_for(st, etc)

    assert sorted(by_name(plan)) == ["brx", "docker0", "eno1"]  # brlan has no veth port


def test_management_link_dropin_is_written_after_the_reload_with_a_warning(etc):
    plan = plan_for(host(257), etc)

    uplink = by_name(plan)["eno1"]
    assert uplink.management is True and uplink.deferred is True and uplink.reconfigured is False
    assert [f.path for f in plan.deferred_files] == [own_dropin(etc, UPLINK_NETWORK)]
    assert own_dropin(etc, UPLINK_NETWORK) not in [f.path for f in plan.files]
    assert plan.reload is True  # for brx
    [warning] = [w for w in plan.warnings if w.startswith("eno1:")]
    assert "after 'networkctl reload'" in warning and "reconfigure_management=true" in warning
    assert any(r.key == "net.ipv4.conf.eno1.forwarding" and r.changed for r in plan.runtime)


def test_only_the_management_link_changing_means_no_reload(etc):
    plan = plan_for(host(257), etc, interfaces=["eno1"])

    assert plan.reload is False and plan.changed
    assert plan.files == [] and len(plan.deferred_files) == 1


def test_reconfigure_management_writes_before_the_reload(etc):
    plan = plan_for(host(257), etc, interfaces=["eno1"], reconfigure_management=True)

    assert plan.deferred_files == [] and plan.reload is True
    assert by_name(plan)["eno1"].reconfigured is True
    assert not any(w.startswith("eno1:") for w in plan.warnings)


def test_a_network_shared_with_the_management_link_is_deferred_for_every_link(etc):
    shared = unit("/etc/systemd/network/20-en.network", "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n")
    st = host(257, units=[shared], links=[link("eno1", "physical", forwarding_ipv4=False),
                                          link("eno2", "physical", forwarding_ipv4=False)],
              default_route_interfaces=["eno1"])
    st.networkd.link_network_file = {"eno1": shared.path, "eno2": shared.path}
    plan = plan_for(st, etc, interfaces=["eno2"])

    assert plan.files == [] and [f.path for f in plan.deferred_files] == [own_dropin(etc, shared.path)]
    assert by_name(plan)["eno2"].deferred is True and plan.reload is False
    assert any("eno1" in w and "management" in w for w in plan.warnings)


def test_management_includes_the_ssh_address_holder_and_its_ports():
    st = state(bridge("br0", addresses=["192.0.2.5/24"]), link("eno1", "physical", master="br0"),
               link("eno9", "physical", addresses=["198.51.100.9/24"]), default_route_interfaces=["eno9"])

    assert management_interfaces(st, "192.0.2.5") == ["br0", "eno1", "eno9"]
    assert management_interfaces(st, None) == ["eno9"]
    assert ssh_server_address("10.0.2.2 43848 ::ffff:192.0.2.5 22") == "192.0.2.5"
    assert ssh_server_address("fe80::1%eth0 1 fe80::2%eth0 22") == "fe80::2"
    assert ssh_server_address("garbage") is None


def test_ssh_connection_is_found_in_a_parent_process_when_become_dropped_it(tmp_path):
    proc = tmp_path / "proc"
    parent = os.getppid()
    (proc / str(parent)).mkdir(parents=True)
    (proc / str(parent) / "environ").write_bytes(b"USER=root\0")
    (proc / str(parent) / "stat").write_bytes(b"%d (sudo (x)) S 4242 1 1" % parent)
    (proc / "4242").mkdir()
    (proc / "4242" / "environ").write_bytes(b"HOME=/root\0SSH_CONNECTION=10.0.2.2 5 10.0.2.15 22\0")

    assert find_ssh_server_address({}, proc=str(proc)) == "10.0.2.15"
    assert find_ssh_server_address({"SSH_CONNECTION": "1.2.3.4 5 192.0.2.7 22"}, proc=str(proc)) == "192.0.2.7"


# --------------------------------------------------------------------------------------------------------
# Conflicts


def test_257_link_forced_off_is_skipped_and_reported_without_fix_conflicts(etc):
    units = [unit(BR_NETWORK, network_text("brx", "IPv4Forwarding=no")), unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, interfaces=["brx"])

    [conflict] = plan.conflicts
    assert (conflict["file"], conflict["line"], conflict["key"], conflict["value"]) == (
        BR_NETWORK, 7, "IPv4Forwarding", "no")
    assert conflict["resolvable"] is True and conflict["resolved"] is False
    target = by_name(plan)["brx"]
    assert "fix_conflicts=true" in target.skipped
    assert plan.runtime == [] and plan.all_files() == [] and not plan.changed
    assert any(w.startswith("brx: left unchanged") for w in plan.warnings)


def test_257_fix_conflicts_overrides_an_earlier_no_with_our_dropin(etc):
    units = [unit(BR_NETWORK, network_text("brx", "IPv4Forwarding=no")), unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, interfaces=["brx"], fix_conflicts=True)

    assert plan.conflicts[0]["resolved"] is True
    assert by_name(plan)["brx"].skipped is None
    assert changed_files(plan)[own_dropin(etc, BR_NETWORK)].endswith("IPv4Forwarding=yes\n")


def test_a_dropin_sorting_after_ours_cannot_be_overridden(etc):
    later = "/etc/systemd/network/50-brx.network.d/95-local.conf"
    units = [unit(BR_NETWORK, network_text("brx"), dropins=[(later, "[Network]\nIPv4Forwarding=no\n")]),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, interfaces=["brx"], fix_conflicts=True)

    [conflict] = plan.conflicts
    assert conflict["file"] == later and conflict["resolvable"] is False and conflict["resolved"] is False
    assert "95-local.conf sorts after" in conflict["why"]
    assert "remove or rename" in by_name(plan)["brx"].skipped


def test_a_later_dropin_that_turns_forwarding_on_is_no_conflict(etc):
    later = "/etc/systemd/network/50-brx.network.d/95-local.conf"
    units = [unit(BR_NETWORK, network_text("brx", "IPv4Forwarding=no"),
                  dropins=[(later, "[Network]\nIPv4Forwarding=yes\n")]),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, interfaces=["brx"])

    assert plan.conflicts == [] and by_name(plan)["brx"].skipped is None


def test_252_ipforward_no_is_not_a_conflict_but_a_later_ipv6_only_is(etc):
    units = [unit(BR_NETWORK, network_text("brx", "IPForward=no")), unit(UPLINK_NETWORK, network_text("eno1"))]
    assert plan_for(host(252, units), etc, interfaces=["brx"]).conflicts == []

    later = "/etc/systemd/network/50-brx.network.d/99-v6.conf"
    units = [unit(BR_NETWORK, network_text("brx"), dropins=[(later, "[Network]\nIPForward=ipv6\n")]),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    [conflict] = plan_for(host(252, units), etc, interfaces=["brx"], fix_conflicts=True).conflicts
    assert (conflict["file"], conflict["value"], conflict["resolvable"]) == (later, "ipv6", False)


def test_our_existing_dropin_keeps_a_conflict_resolved_without_fix_conflicts(etc):
    ours = own_dropin(etc, BR_NETWORK)
    os.makedirs(os.path.dirname(ours))
    first = plan_for(host(257, [unit(BR_NETWORK, network_text("brx", "IPv4Forwarding=no")),
                                unit(UPLINK_NETWORK, network_text("eno1"))]), etc, interfaces=["brx"],
                     fix_conflicts=True)
    with open(ours, "w", encoding="utf-8") as handle:
        handle.write(changed_files(first)[ours])
    units = [unit(BR_NETWORK, network_text("brx", "IPv4Forwarding=no"), dropins=[(ours, changed_files(first)[ours])]),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    st = host(257, units)
    st.links["brx"].forwarding_ipv4 = True
    again = plan_for(st, etc, interfaces=["brx"])

    assert again.conflicts[0]["resolved"] is True and not again.changed and again.warnings == []


def test_networkd_conf_forcing_off_is_reported_then_reset_with_an_empty_assignment(etc):
    conf = unit("/etc/systemd/networkd.conf", "[Network]\nIPv4Forwarding=no\n")
    reported = plan_for(host(257, conf=[conf]), etc, interfaces=["brx"])

    [conflict] = reported.conflicts
    assert (conflict["kind"], conflict["resolvable"], conflict["resolved"]) == ("networkd.conf", True, False)
    assert any("every start of systemd-networkd" in w for w in reported.warnings)
    assert reported.networkd_restart_needed is False

    fixed = plan_for(host(257, conf=[conf]), etc, interfaces=["brx"], fix_conflicts=True)
    text = changed_files(fixed)["/etc/systemd/networkd.conf.d/" + OWN]
    assert text.endswith("[Network]\nIPv4Forwarding=\n")
    assert fixed.networkd_restart_needed is True
    assert any("next restart" in w for w in fixed.warnings)
    assert [p[:3] for p in parse_unit_text(text) if p[1]] == [("Network", "IPv4Forwarding", "")]


def test_our_networkd_conf_reset_from_an_earlier_run_counts_as_resolved(etc):
    ours = "/etc/systemd/networkd.conf.d/" + OWN
    conf = unit("/etc/systemd/networkd.conf", "[Network]\nIPv4Forwarding=no\n",
                dropins=[(ours, "[Network]\nIPv4Forwarding=\n")])
    plan = plan_for(host(257, conf=[conf]), etc, interfaces=["brx"])

    assert plan.conflicts[0]["resolved"] is True and "reset_in_place" not in plan.conflicts[0]
    assert not any("networkd.conf" in w for w in plan.warnings)
    assert ours not in changed_files(plan)


def test_duplicate_names_are_one_target(etc):
    plan = plan_for(host(257), etc, interfaces=["brx", "brx"])
    assert [t.name for t in plan.targets] == ["brx"] and len(plan.runtime) == 1


def test_networkd_conf_dropin_after_ours_is_not_resettable(etc):
    conf = unit("/etc/systemd/networkd.conf", "[Network]\n",
                dropins=[("/etc/systemd/networkd.conf.d/95-off.conf", "[Network]\nIPv4Forwarding=no\n")])
    plan = plan_for(host(257, conf=[conf]), etc, interfaces=["brx"], fix_conflicts=True)

    assert plan.conflicts[0]["resolvable"] is False
    assert "/etc/systemd/networkd.conf.d/" + OWN not in changed_files(plan)


def test_networkd_conf_forwarding_key_means_nothing_before_256(etc):
    conf = unit("/etc/systemd/networkd.conf", "[Network]\nIPv4Forwarding=no\n")
    assert plan_for(host(252, conf=[conf]), etc, interfaces=["brx"], fix_conflicts=True).conflicts == []


# --------------------------------------------------------------------------------------------------------
# Deprecated keys


def test_257_deprecated_ipforward_is_reported_with_its_replacement(etc):
    units = [unit(BR_NETWORK, network_text("brx", "IPForward=yes")), unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, interfaces=["brx"])

    [item] = plan.deprecated
    assert (item["file"], item["line"], item["key"], item["action"]) == (BR_NETWORK, 7, "IPForward", "reported")
    assert item["replacement"] == ["IPv4Forwarding=yes", "IPv6Forwarding=yes"]
    assert item["applies_to"] == ["brx"]
    assert BR_NETWORK not in changed_files(plan)


def test_257_fix_deprecated_rewrites_only_the_key_line(etc):
    text = network_text("brx", "IPForward=yes", "# keep me", "DNS=192.0.2.53")
    units = [unit(BR_NETWORK, text), unit(UPLINK_NETWORK, network_text("eno1"))]
    plan = plan_for(host(257, units), etc, files={BR_NETWORK: text}, interfaces=["brx"], fix_deprecated=True)

    expected = text.replace("IPForward=yes\n", "IPv4Forwarding=yes\nIPv6Forwarding=yes\n")
    assert changed_files(plan)[BR_NETWORK] == expected
    assert plan.deprecated[0]["action"] == "rewritten"
    assert plan.reload is True


def test_files_outside_etc_are_reported_never_edited(etc):
    lib = "/usr/lib/systemd/network/80-container-host0.network"
    units = [unit(BR_NETWORK, network_text("brx")), unit(lib, "[Match]\nName=host0\n\n[Network]\nIPForward=yes\n")]
    plan = plan_for(host(257, units), etc, files={lib: "x"}, interfaces=["brx"], fix_deprecated=True)

    [item] = plan.deprecated
    assert item["file"] == lib and item["action"] == "reported" and "/etc/systemd/network" in item["note"]
    assert lib not in changed_files(plan)


def test_management_link_deprecated_rewrite_is_deferred(etc):
    text = network_text("eno1", "IPForward=yes")
    units = [unit(BR_NETWORK, network_text("brx")), unit(UPLINK_NETWORK, text)]
    plan = plan_for(host(257, units), etc, files={UPLINK_NETWORK: text}, interfaces=["brx"], fix_deprecated=True)

    assert UPLINK_NETWORK in [f.path for f in plan.deferred_files]
    assert UPLINK_NETWORK not in [f.path for f in plan.files]


@pytest.mark.parametrize("version, text, expected", [
    # 257: the legacy key becomes both family keys; keys the file sets itself are not translated over
    (257, "[Network]\nIPForward=ipv4\n", "[Network]\nIPv4Forwarding=yes\n"),
    (257, "[Network]\nIPv4Forwarding=no\nIPForward=yes\n", "[Network]\nIPv4Forwarding=no\nIPv6Forwarding=yes\n"),
    (257, "[Network]\nIPv4Forwarding=yes\nIPv6Forwarding=no\nIPForward=yes\n",
     "[Network]\nIPv4Forwarding=yes\nIPv6Forwarding=no\n# IPForward=yes  (ignored by systemd 257; "
     "IPv4Forwarding=, IPv6Forwarding= set in this file applies - hostnet.dockerhost)\n"),
    (257, "[Network]\r\n  IPForward=no\r\n", "[Network]\r\n  IPv4Forwarding=no\r\n  IPv6Forwarding=no\r\n"),
    (257, "[Network]\nIPForward=yes", "[Network]\nIPv4Forwarding=yes\nIPv6Forwarding=yes"),
    # 252: the family keys merge into one IPForward= value written on every such line
    (252, "[Network]\nIPv4Forwarding=yes\nIPv6Forwarding=no\n", "[Network]\nIPForward=ipv4\nIPForward=ipv4\n"),
    (252, "[Network]\nIPv4Forwarding=yes\n#c\nIPv6Forwarding=yes\n", "[Network]\nIPForward=yes\n#c\nIPForward=yes\n"),
    (252, "[Network]\nIPForward=ipv6\nIPv4Forwarding=yes\n",
     "[Network]\nIPForward=ipv6\n# IPv4Forwarding=yes  (ignored by systemd 252; IPForward= set in this file "
     "applies - hostnet.dockerhost)\n"),
    # lines outside [Network] and lines continued with '\' are left alone
    (257, "[Match]\nIPForward=yes\n", "[Match]\nIPForward=yes\n"),
    (257, "[Network]\nIPForward=\\\n  yes\n", "[Network]\nIPForward=\\\n  yes\n"),
])
def test_rewrite_deprecated_in_place(version, text, expected):
    assert rewrite_deprecated(text, version)[0] == expected


def test_rewrite_reports_what_it_left_alone():
    _text, changes = rewrite_deprecated("[Network]\nIPForward=kernel\n", 257)
    assert changes == [(2, "IPForward=kernel", None, "IPForward=kernel has no equivalent on systemd 257")]


# --------------------------------------------------------------------------------------------------------
# Bad input, idempotence, verification


def test_malformed_network_of_a_target_is_refused_naming_file_and_line(etc):
    units = [unit(BR_NETWORK, "[Match]\nName=brx\n[Network]\nthis is not valid\n"),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    with pytest.raises(InvalidInput) as raised:
        plan_for(host(257, units), etc, interfaces=["brx"])
    assert "%s line 4 'this is not valid'" % BR_NETWORK in raised.value.msg
    assert "Nothing was changed" in raised.value.msg


def test_unknown_interface_is_refused_listing_those_present(etc):
    with pytest.raises(InvalidInput, match=r"interfaces: no such interface on this host: 'br9'.*brx"):
        plan_for(host(257), etc, interfaces=["br9"])


def test_bad_interface_names_are_refused():
    with pytest.raises(InvalidInput, match=r"interfaces: invalid interface name"):
        validate_interface_names("interfaces", ["br0", "x" * 16])


def test_second_run_on_the_result_of_the_first_changes_nothing(etc):
    first = plan_for(host(257), etc)
    for edit in first.all_files():
        os.makedirs(os.path.dirname(edit.path), exist_ok=True)
        with open(edit.path, "w", encoding="utf-8") as handle:
            handle.write(edit.after)
    written = {f.path: f.after for f in first.all_files()}
    units = [unit(path, network_text(name), dropins=[(own_dropin(etc, path), written[own_dropin(etc, path)])])
             for name, path in (("brx", BR_NETWORK), ("eno1", UPLINK_NETWORK))]
    st = host(257, units)
    for name in ("brx", "eno1"):
        st.links[name].forwarding_ipv4 = True
    second = plan_for(st, etc)

    assert first.changed and not second.changed
    assert second.diffs() == [] and second.reload is False
    assert not any(t.deferred for t in second.targets)


def test_diff_has_runtime_values_and_files(etc):
    plan = plan_for(host(257), etc, interfaces=["brx"])
    runtime, dropin = plan.diffs()

    assert (runtime["before"], runtime["after"]) == ("0\n", "1\n")
    assert "net.ipv4.conf.brx.forwarding" in runtime["before_header"]
    assert dropin["before_header"].endswith("(absent)") and "IPv4Forwarding=yes" in dropin["after"]


def test_verify_waits_for_networkd_and_then_fails_with_the_values(etc):
    plan = plan_for(host(257), etc, interfaces=["brx"])
    off, on = host(257), host(257)
    on.links["brx"].forwarding_ipv4 = True
    reads, sleeps = [off, off, on], []

    verify(plan, Desired(), reader=lambda read_teams: reads.pop(0), sleep=sleeps.append)
    assert len(sleeps) == 2 and plan.targets[0].forwarding_after is True

    with pytest.raises(HostnetError) as raised:
        verify(plan, Desired(), reader=lambda read_teams: host(257), sleep=lambda _s: None)
    assert raised.value.details["failures"] == {"brx": {"ipv4": False, "ipv6": False}}


def test_verify_checks_the_global_switches_when_asked(etc):
    st = host(257, links=[bridge("docker0", forwarding_ipv4=True)], docker=docker("docker0"),
              default_route_interfaces=[], ip_forward=False)
    plan = plan_for(st, etc, global_ip_forward=True)
    with pytest.raises(HostnetError, match="net.ipv4.ip_forward"):
        verify(plan, Desired(global_ip_forward=True), reader=lambda read_teams: st, sleep=lambda _s: None)


# --------------------------------------------------------------------------------------------------------
# The read model's addresses (added for the management link)


class _RawAddress:
    def __init__(self, family, index, prefixlen, attrs):
        self.data = b"\0" * 24 + attrs
        self.raw_span = (24, len(self.data))
        self.fields = {"family": family, "index": index, "prefixlen": prefixlen}

    def __getitem__(self, key):
        return self.fields[key]


def _nla(nla_type, payload):
    return struct.pack("=HH", 4 + len(payload), nla_type) + payload + b"\0" * (-len(payload) % 4)


def test_decode_address_prefers_the_local_address():
    peer, local = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
    assert decode_address(_RawAddress(2, 7, 32, _nla(1, peer) + _nla(2, local))) == (7, "192.0.2.2/32")
    v6 = bytes.fromhex("20010db8000000000000000000000001")
    assert decode_address(_RawAddress(10, 3, 64, _nla(1, v6))) == (3, "2001:db8::1/64")
    assert decode_address(_RawAddress(17, 3, 0, b"")) is None


def test_257_on_a_netplan_unit_the_dropin_is_in_etc_and_the_backend_is_netplan(etc):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.netplan import NetplanBackend

    generated = "/run/systemd/network/10-netplan-brx.network"
    units = [unit(generated, "[Match]\nName=brx\n\n[Network]\nConfigureWithoutCarrier=yes\n"),
             unit(UPLINK_NETWORK, network_text("eno1"))]
    st = host(257, units)
    backend = NetplanBackend(st, run=None, etc_dir=str(etc),
                             files=[("/etc/netplan/50-a.yaml", "network:\n  bridges:\n    brx: {}\n")])
    paths = Paths(sysctl_file=str(etc.parent / "sysctl.d" / "x.conf"),
                  networkd_conf_dropin="/etc/systemd/networkd.conf.d/" + OWN, proc_sys="/proc-test/sys")
    plan = plan_forwarding(st, Desired(interfaces=["brx"]), backend, paths=paths, read_text=_disk)
    target = by_name(plan)["brx"]
    assert (target.backend, target.network_file) == ("netplan", generated)
    assert target.dropin == str(etc / "10-netplan-brx.network.d" / OWN)
    assert target.notes == ["owner: netplan (/etc/netplan/50-a.yaml)"]
    assert "[Network]\nIPv4Forwarding=yes\n" in plan.files[0].after
