# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_backend_nm: nmcli parsing and planning, fed with nmcli's real output from the lab guest (data/nm/)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import (
    Backend,
    Persistence,
    plan_with_owner,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.nm import NetworkManagerBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.nmcli import (
    keyfile_is_external,
    parse_active,
    parse_settings,
    parse_version,
    split_terse,
    unescape_get_value,
)
from hostnet_builders import bridge, link, state, team

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "nm")

TEAM_PORT = "b7cfd25c-1e57-44cf-bf92-99bd1e678683"  # team0-eno0 on eno0
TEAM_PORT_2 = "a37aa449-e61a-49d3-bf88-974255f5a608"  # team0-eno1 on eno1
TEAM = "38717ca1-82d6-4df1-b826-03587c016ef7"  # 'team:0 x\y' on team0
BRIDGE = "c724a07b-95f9-4209-93b1-3e2a5313bdb3"  # br0
IN_MEMORY = "db1defd1-ee9c-44f3-bdb3-3bd2e4bfd848"  # mem-d on memd0 (nmcli connection add save no)

ACTIVE = ("nmcli", "-t", "-f", "NAME,UUID,TYPE,DEVICE,STATE,FILENAME", "connection", "show", "--active")
GENERAL = ("nmcli", "-t", "-f", "RUNNING,VERSION", "general")
ACCEPT_ALL = "802-3-ethernet.accept-all-mac-addresses"
MAC_FIELDS = "802-3-ethernet.cloned-mac-address,bridge.mac-address"


def data(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


def get_accept_all(uuid):
    return ("nmcli", "-g", ACCEPT_ALL, "connection", "show", uuid)


def show_mac(uuid):
    return ("nmcli", "-t", "-f", MAC_FIELDS, "connection", "show", uuid)


class FakeNmcli:
    """``run`` answering known argvs with captured output; anything else fails the test."""

    def __init__(self, answers):
        self.answers = {tuple(argv): answer for argv, answer in answers.items()}
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        assert tuple(argv) in self.answers, "unexpected command: %r" % (argv,)
        return self.answers[tuple(argv)]


def ok(name):
    return (0, data(name), "")


def keyfiles(path):
    """read_text for the /run keyfiles the lab captured."""
    name = os.path.basename(path)
    captured = ("docker0.nmconnection", "vp0.nmconnection", "lo.nmconnection", "mem-d.nmconnection")
    return data(name) if name in captured else None


def host():
    return state(
        bridge("br0"), link("bond0", "bond", master="br0"), team("team0", master="br0"),
        link("eno0", master="team0"), link("eno1", master="team0"), link("docker0", "bridge"),
    )


def backend(answers, active="active.out", installed=True):
    answers = dict(answers)
    answers.setdefault(ACTIVE, ok(active))
    run = FakeNmcli(answers)
    nm = NetworkManagerBackend(host(), run, which=lambda name: "/usr/bin/nmcli" if installed else None,
                               read_text=keyfiles)
    return nm, run


# --------------------------------------------------------------------------------------------------------
# Parsers on nmcli's real text


def test_terse_line_with_escaped_colon_and_backslash_in_name_and_filename():
    line = [entry for entry in data("active.out").splitlines() if entry.startswith("team")][-1]

    assert split_terse(line) == [
        "team:0 x\\y", TEAM, "team", "team0", "activated",
        "/etc/NetworkManager/system-connections/team:0 x\\y.nmconnection",
    ]


def test_get_value_unescapes_colons_and_backslashes():
    assert unescape_get_value(data("mac-cloned-get.out")) == "02:AA:BB:CC:DD:01"
    assert unescape_get_value(data("team-id-get.out")) == "team:0 x\\y"


def test_active_list_has_every_device_once():
    profiles = parse_active(data("active.out"))

    assert [p.device for p in profiles] == [
        "docker0", "lo", "ens2", "bond0", "eno2", "eno3", "br0", "eno0", "eno1", "team0", "vp0",
    ]
    assert profiles[7].type == "802-3-ethernet"


def test_version_from_general_and_from_nmcli_version():
    assert parse_version(data("general.out")) == (1, 42, 4)
    assert parse_version(data("version.out")) == (1, 42, 4)
    assert parse_version("") is None


def test_settings_output_keeps_colons_of_the_value():
    assert parse_settings(data("mac-bridge-differs.out")) == {
        "802-3-ethernet.cloned-mac-address": "02:AA:BB:CC:DD:01",
        "bridge.mac-address": "02:00:00:00:0C:08",
    }
    assert parse_settings(data("mac-absent.out")) == {}


def test_generated_keyfiles_of_external_devices_are_recognised():
    assert keyfile_is_external(data("docker0.nmconnection"))
    assert keyfile_is_external(data("vp0.nmconnection"))
    assert keyfile_is_external(data("lo.nmconnection"))
    assert not keyfile_is_external(data("mem-d.nmconnection"))  # in /run, but made by a person
    assert not keyfile_is_external(data("team0-eno0.nmconnection"))


# --------------------------------------------------------------------------------------------------------
# owner()


def test_owner_is_the_active_profile_with_uuid_and_file():
    nm, _run = backend({})

    assert nm.owner("eno0") == ("profile 'team0-eno0' (uuid %s, "
                                "/etc/NetworkManager/system-connections/team0-eno0.nmconnection)" % TEAM_PORT)
    assert nm.owner("team0") == ("profile 'team:0 x\\y' (uuid %s, "
                                 "/etc/NetworkManager/system-connections/team:0 x\\y.nmconnection)" % TEAM)


def test_devices_networkmanager_only_mirrors_are_not_owned():
    nm, _run = backend({})

    assert nm.owner("docker0") is None
    assert nm.owner("vp0") is None
    assert nm.owner("lo") is None
    assert sorted(nm.external) == ["docker0", "lo", "vp0"]
    assert nm.owner("br0") is not None


def test_in_memory_profile_made_by_a_person_is_owned():
    nm, _run = backend({}, active="active-in-memory.out")

    assert nm.owner("memd0") == ("profile 'mem-d' (uuid %s, /run/NetworkManager/system-connections/"
                                 "mem-d.nmconnection)" % IN_MEMORY)


def test_unreadable_keyfile_under_run_is_not_claimed():
    def unreadable(path):
        raise HostnetError("cannot read %s: Permission denied" % path, path=path)

    nm = NetworkManagerBackend(host(), FakeNmcli({ACTIVE: ok("active-in-memory.out")}),
                               which=lambda name: "/usr/bin/nmcli", read_text=unreadable)

    assert nm.owner("memd0") is None
    assert nm.owner("eno0") is not None  # keyfiles under /etc are not read at all


def test_vpn_on_a_device_does_not_take_it_from_the_device_profile():
    # The lab has no VPN; a VPN's active line names the device it runs over, like this one.
    vpn = ("office:0d7b6f0e-0000-4000-8000-000000000001:vpn:ens2:activated:"
           "/etc/NetworkManager/system-connections/office.nmconnection\n")
    nm, _run = backend({ACTIVE: (0, vpn + data("active.out"), "")})

    assert nm.owner("ens2").startswith("profile 'lab-mgmt' ")


def test_unknown_interface_is_not_owned():
    nm, _run = backend({})

    assert nm.owner("peer0") is None


def test_detection_runs_one_command_for_all_interfaces():
    nm, run = backend({})

    for name in ("eno0", "eno1", "team0", "br0", "docker0", "peer0"):
        nm.owner(name)

    assert run.calls == [list(ACTIVE)]


def test_networkmanager_not_running_owns_nothing():
    nm, run = backend({ACTIVE: (8, "", data("not-running.err"))})

    assert nm.owner("eno0") is None
    assert nm.unavailable == "Error: NetworkManager is not running."
    assert len(run.calls) == 1


def test_nmcli_not_installed_runs_nothing():
    nm, run = backend({}, installed=False)

    assert nm.owner("eno0") is None
    assert nm.unavailable == "nmcli is not installed"
    assert run.calls == []


# --------------------------------------------------------------------------------------------------------
# plan_promisc


def test_promisc_on_sets_accept_all_mac_addresses_on_the_port_profile():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT_2): ok("accept-all-default.out")})

    plan = nm.plan_promisc("eno1", True)

    assert plan.backend == "NetworkManager"
    assert plan.owner.startswith("profile 'team0-eno1' (uuid %s" % TEAM_PORT_2)
    assert plan.changed
    assert plan.reload == []
    assert plan.files == []
    [command] = plan.commands
    assert command.argv == ["nmcli", "connection", "modify", TEAM_PORT_2, ACCEPT_ALL, "true"]
    assert command.header == "NetworkManager profile 'team0-eno1' (%s): %s" % (TEAM_PORT_2, ACCEPT_ALL)
    assert (command.before, command.after) == ("-1", "1")
    assert command.keyfile == "/etc/NetworkManager/system-connections/team0-eno1.nmconnection"


def test_promisc_on_is_unchanged_when_the_profile_already_has_it():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT): ok("accept-all-true.out")})

    plan = nm.plan_promisc("eno0", True)

    assert not plan.changed
    assert plan.to_dict()["commands"] == []


def test_promisc_off_restores_default():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT): ok("accept-all-true.out")})

    [command] = nm.plan_promisc("eno0", False).commands

    assert command.argv[-1] == "default"
    assert (command.before, command.after) == ("1", "-1")


def test_promisc_off_replaces_an_explicit_false_with_default():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT_2): ok("accept-all-false.out")})

    [command] = nm.plan_promisc("eno1", False).commands

    assert (command.before, command.after) == ("0", "-1")


def test_profile_without_the_ethernet_setting_counts_as_default():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM): ok("accept-all-absent.out")})

    assert not nm.plan_promisc("team0", False).changed
    [command] = nm.plan_promisc("team0", True).commands
    assert (command.before, command.after) == ("-1", "1")


def test_networkmanager_before_1_32_is_unsupported_without_reading_the_property():
    older = data("general.out").replace("1.42.4", "1.30.0")
    nm, run = backend({GENERAL: (0, older, "")})

    with pytest.raises(Unsupported) as excinfo:
        nm.plan_promisc("eno0", True)

    assert excinfo.value.msg == ("NetworkManager 1.30 has no 802-3-ethernet.accept-all-mac-addresses "
                                 "(added in 1.32)")
    assert get_accept_all(TEAM_PORT) not in [tuple(c) for c in run.calls]


def test_networkmanager_1_32_is_supported():
    first = data("general.out").replace("1.42.4", "1.32.0")
    nm, _run = backend({GENERAL: (0, first, ""), get_accept_all(TEAM_PORT): ok("accept-all-default.out")})

    assert nm.plan_promisc("eno0", True).changed


def test_version_is_read_once():
    nm, run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT): ok("accept-all-true.out"),
                       get_accept_all(TEAM_PORT_2): ok("accept-all-default.out")})

    nm.plan_promisc("eno0", True)
    nm.plan_promisc("eno1", True)

    assert [c for c in run.calls if tuple(c) == GENERAL] == [list(GENERAL)]


def test_profile_type_without_ethernet_setting_is_unsupported():
    infiniband = data("active.out").replace(":802-3-ethernet:eno0:", ":infiniband:eno0:")
    nm, _run = backend({ACTIVE: (0, infiniband, ""), GENERAL: ok("general.out")})

    with pytest.raises(Unsupported) as excinfo:
        nm.plan_promisc("eno0", True)

    assert "of type infiniband, which has no 802-3-ethernet setting" in excinfo.value.msg


def test_nmcli_that_does_not_know_the_property_is_unsupported():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT): (2, "", data("invalid-field.err"))})

    with pytest.raises(Unsupported) as excinfo:
        nm.plan_promisc("eno0", True)

    assert "this nmcli cannot read 802-3-ethernet.accept-all-mac-addresses" in excinfo.value.msg


def test_profile_that_vanished_since_detection_is_an_error():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(TEAM_PORT): (10, "", data("no-such-profile.err"))})

    with pytest.raises(HostnetError) as excinfo:
        nm.plan_promisc("eno0", True)

    assert not isinstance(excinfo.value, Unsupported)
    assert excinfo.value.details["rc"] == 10
    assert "no such connection profile" in excinfo.value.msg


def test_not_owned_interface_is_unsupported():
    nm, _run = backend({GENERAL: ok("general.out")})

    with pytest.raises(Unsupported):
        nm.plan_promisc("docker0", True)


def test_netplan_profile_is_unsupported():
    netplan = data("active.out").replace("/etc/NetworkManager/system-connections/team0-eno0.nmconnection",
                                         "/run/NetworkManager/system-connections/netplan-eno0.nmconnection")
    nm, _run = backend({ACTIVE: (0, netplan, ""), GENERAL: ok("general.out")})

    with pytest.raises(Unsupported) as excinfo:
        nm.plan_promisc("eno0", True)

    assert "generated by netplan" in excinfo.value.msg


def test_in_memory_profile_plan_says_where_it_will_be_saved():
    nm, _run = backend({GENERAL: ok("general.out"), get_accept_all(IN_MEMORY): ok("accept-all-absent.out")},
                       active="active-in-memory.out")

    plan = nm.plan_promisc("memd0", True)

    assert plan.changed
    assert any("saves it to /etc/NetworkManager/system-connections" in note for note in plan.notes)


# --------------------------------------------------------------------------------------------------------
# plan_mac


def test_mac_sets_cloned_mac_address_upper_case():
    nm, _run = backend({show_mac(BRIDGE): ok("mac-unset.out")})

    plan = nm.plan_mac("br0", "02:aa:bb:cc:dd:02")

    [command] = plan.commands
    assert command.argv == ["nmcli", "connection", "modify", BRIDGE, "802-3-ethernet.cloned-mac-address",
                            "02:AA:BB:CC:DD:02"]
    assert command.header == "NetworkManager profile 'br0' (%s): 802-3-ethernet.cloned-mac-address" % BRIDGE
    assert (command.before, command.after) == ("", "02:AA:BB:CC:DD:02")
    assert plan.notes == []


def test_mac_equal_but_for_case_is_unchanged():
    nm, _run = backend({show_mac(BRIDGE): ok("mac-cloned-set.out")})

    plan = nm.plan_mac("br0", "02:aa:bb:cc:dd:01")

    assert not plan.changed


def test_mac_none_restores_the_empty_value():
    nm, _run = backend({show_mac(BRIDGE): ok("mac-cloned-set.out")})

    [command] = nm.plan_mac("br0", None).commands

    assert command.argv[-1] == ""
    assert (command.before, command.after) == ("02:AA:BB:CC:DD:01", "")


def test_mac_none_when_unset_is_unchanged():
    nm, _run = backend({show_mac(BRIDGE): ok("mac-unset.out")})

    assert not nm.plan_mac("br0", None).changed


def test_differing_deprecated_bridge_mac_address_is_reported():
    nm, _run = backend({show_mac(BRIDGE): ok("mac-bridge-differs.out")})

    plan = nm.plan_mac("br0", "02:aa:bb:cc:dd:01")

    assert not plan.changed
    [note] = plan.notes
    assert "bridge.mac-address is 02:00:00:00:0C:08" in note
    assert "nmcli connection modify %s bridge.mac-address ''" % BRIDGE in note


def test_equal_deprecated_bridge_mac_address_is_not_reported():
    nm, _run = backend({show_mac(BRIDGE): ok("mac-bridge-differs.out")})

    assert nm.plan_mac("br0", "02:00:00:00:0c:08").notes == []


# --------------------------------------------------------------------------------------------------------
# Through the owner choice of _backends


class Fallback(Backend):
    name = "fallback"

    def plan_promisc(self, ifname, enabled):
        return Persistence(interface=ifname, backend=self.name)


def test_old_networkmanager_hands_promisc_to_the_fallback_with_the_reason():
    older = data("general.out").replace("1.42.4", "1.30.0")
    nm, run = backend({GENERAL: (0, older, "")})
    fallback = Fallback(host(), run)

    plan = plan_with_owner("eno0", "promisc", True, [nm], fallback)

    assert plan.backend == "fallback"
    [note] = plan.notes
    assert note.startswith("NetworkManager owns eno0 (profile 'team0-eno0'")
    assert "NetworkManager 1.30 has no 802-3-ethernet.accept-all-mac-addresses (added in 1.32)" in note


def test_external_device_goes_to_the_fallback_without_a_note():
    nm, run = backend({})
    fallback = Fallback(host(), run)

    plan = plan_with_owner("docker0", "promisc", True, [nm], fallback)

    assert plan.backend == "fallback"
    assert plan.notes == []
