# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_promisc's ``interfaces`` (seed 001: docker0 or a bridge itself promiscuous) and its lynis profile block:
which interfaces are acted on, which go into the whitelist, the block merged into and removed from a profile."""

from __future__ import annotations

import pytest

from hostnet_builders import bond, bridge, link, state

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Persistence
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.lynis import (
    BEGIN,
    END,
    lynis_name_problem,
    merge_block,
    plan_lynis_profiles,
    remove_block,
    render_block,
    whitelist_entries,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import (
    LEDGER_SHAPE,
    plan_port_promisc,
)


class Fallback:
    name = "fallback"

    def __init__(self):
        self.asked = []

    def owner(self, ifname):
        return None

    def plan_promisc(self, ifname, enabled):
        self.asked.append((ifname, enabled))
        return Persistence(interface=ifname, backend=self.name, files=[FileEdit("/x/" + ifname, None,
                                                                                "y\n" if enabled else None)])


def host():
    """br0 over ab0 (lan0, lan1) and a vxlan; docker0 with two container veths; a lonely NIC."""
    return state(
        bridge("br0"),
        bond("ab0", "active-backup", active="lan0", master="br0"),
        link("lan0", "physical", master="ab0", slave_state="active"),
        link("lan1", "physical", master="ab0", slave_state="backup"),
        link("vx0", "vxlan", master="br0"),
        bridge("docker0"),
        link("veth1a2b", master="docker0"),
        link("veth3c4d", master="docker0"),
        link("eno9", "physical"),
    )


# --------------------------------------------------------------------------------------------------------
# interfaces vs masters


def test_interfaces_alone_touch_only_the_named_interfaces():
    fallback = Fallback()
    plan = plan_port_promisc(host(), [], True, {}, [], fallback, interfaces=["docker0"])
    assert [p.name for p in plan.ports] == ["docker0"]
    item = plan.ports[0]
    assert (item.master, item.master_kind, item.kind, item.flag_after) == (None, None, "bridge", True)
    assert "not a LAG port" in item.note and "bridge_mac" in item.note and "vSwitch" in item.note
    assert fallback.asked == [("docker0", True)]
    assert plan.ledger_after == {"ports": {"docker0": {"master": None, "runtime_set": True, "backend": "fallback"}}}
    assert LEDGER_SHAPE(plan.ledger_after) is None


def test_neither_option_means_every_bridged_lag_and_no_named_interface():
    plan = plan_port_promisc(host(), [], True, {}, [], Fallback())
    assert [p.name for p in plan.ports] == ["lan0", "lan1"]


def test_both_options_act_on_the_ports_then_the_named_ones_once_each():
    plan = plan_port_promisc(host(), ["ab0"], True, {}, [], Fallback(), interfaces=["br0", "lan1", "br0"])
    assert [p.name for p in plan.ports] == ["lan0", "lan1", "br0"]
    assert plan.ports[1].master == "ab0" and "backup slave" in plan.ports[1].note  # a LAG port keeps its note


def test_bridged_lags_adds_every_bridged_lag_to_the_named_interfaces():
    plan = plan_port_promisc(host(), [], True, {}, [], Fallback(), interfaces=["docker0"], bridged_lags=True)
    assert [p.name for p in plan.ports] == ["lan0", "lan1", "docker0"]
    plan = plan_port_promisc(host(), ["ab0"], True, {}, [], Fallback(), bridged_lags=True)
    assert [p.name for p in plan.ports] == ["lan0", "lan1"]  # a named master that is also bridged: once
    plan = plan_port_promisc(host(), [], True, {}, [], Fallback(), bridged_lags=False)
    assert plan.ports == []


def test_a_named_lag_port_gets_its_lag_and_note():
    plan = plan_port_promisc(host(), [], True, {}, [], Fallback(), interfaces=["lan1"])
    assert (plan.ports[0].master, plan.ports[0].master_kind) == ("ab0", "bond")
    assert "not a LAG port" not in plan.ports[0].note


def test_a_missing_name_fails_naming_it_before_any_backend_is_asked():
    fallback = Fallback()
    with pytest.raises(InvalidInput) as caught:
        plan_port_promisc(host(), ["ab0"], True, {}, [], fallback, interfaces=["docker0", "nosuch0"])
    assert caught.value.msg.startswith("interfaces: no such interface on this host: 'nosuch0'")
    assert fallback.asked == []


def test_absent_limited_by_interfaces_reverts_only_those_and_a_gone_recorded_one():
    ledger = {"ports": {"lan1": {"master": "ab0", "runtime_set": True, "backend": "fallback"},
                        "docker0": {"master": None, "runtime_set": True, "backend": "fallback"},
                        "br9": {"master": None, "runtime_set": True, "backend": "fallback"}}}
    current = host()
    current.links["docker0"].promisc_flag = True
    current.links["lan1"].promisc_flag = True
    plan = plan_port_promisc(current, [], False, ledger, [], Fallback(), interfaces=["docker0", "br9"])
    assert [(p.name, p.flag_after) for p in plan.ports] == [("br9", False), ("docker0", False)]
    assert plan.ledger_after == {"ports": {"lan1": ledger["ports"]["lan1"]}}
    with pytest.raises(InvalidInput, match="'br8'"):
        plan_port_promisc(current, [], False, ledger, [], Fallback(), interfaces=["br8"])


def test_the_ledger_shape_takes_profiles_and_refuses_wrong_flags():
    assert LEDGER_SHAPE({"lynis_profiles": {"/etc/lynis/custom.prf": {"created": True, "newline_added": False}}}) \
        is None
    assert "created is not true or false" in LEDGER_SHAPE({"lynis_profiles": {"/p": {"created": "yes"}}})
    assert "'lynis_profiles' is a list" in LEDGER_SHAPE({"lynis_profiles": ["/p"]})


# --------------------------------------------------------------------------------------------------------
# which interfaces go into the whitelist


def test_whitelist_lag_ports_bridge_ports_but_no_veths_and_the_named_ones():
    current = host()
    plan = plan_port_promisc(current, ["ab0"], True, {}, [], Fallback(), interfaces=["docker0"])
    entries, notes = whitelist_entries(current, plan.ports, ["docker0"])
    assert [name for name, _description in entries] == ["ab0", "docker0", "lan0", "lan1", "vx0"]
    assert dict(entries)["ab0"] == "bond, port of bridge br0 (hostnet.dockerhost)"
    assert dict(entries)["lan1"] == "port of bond ab0 (hostnet.dockerhost)"
    assert dict(entries)["docker0"] == "named in port_promisc interfaces (hostnet.dockerhost)"
    assert notes == []


def test_a_name_lynis_cannot_take_is_left_out_with_a_note():
    current = state(bridge("br0"), link("eth+1", "physical", master="br0"))
    entries, notes = whitelist_entries(current, [])
    assert entries == [] and "eth+1" in notes[0]
    assert lynis_name_problem("eth0.100") is None and lynis_name_problem("a=b")


def test_descriptions_hold_only_characters_lynis_accepts():
    current = host()
    plan = plan_port_promisc(current, ["ab0"], True, {}, [], Fallback(), interfaces=["docker0"])
    block = render_block(whitelist_entries(current, plan.ports, ["docker0"])[0])
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/[]()_|,.:;= -")
    for line in block.splitlines():
        if not line.startswith("#"):
            assert set(line) <= allowed and "=" not in line, line
            assert line.count(":") == 3 and line.endswith(":")


# --------------------------------------------------------------------------------------------------------
# the block in a profile


ENTRIES = [("br0", "named in port_promisc interfaces (hostnet.dockerhost)")]
BLOCK = render_block(ENTRIES)


def test_block_text():
    assert BLOCK == "%s\nif_promisc:br0:named in port_promisc interfaces (hostnet.dockerhost):\n%s\n" % (BEGIN, END)
    assert render_block([]) == ""


@pytest.mark.parametrize("original", [
    "# my profile\nskip-test=SSH-7408\nif_promisc:eth9:mine:\n",
    "no newline at the end",
    "",
    "\r\nwindows line\r\n",
])
def test_merge_then_remove_gives_back_the_bytes(original):
    merged, added = merge_block(original, BLOCK)
    assert merged.startswith(original) and BLOCK in merged
    assert added == (original != "" and not original.endswith("\n"))
    assert merge_block(merged, BLOCK) == (merged, False)  # idempotent
    assert remove_block(merged, added) == original


def test_the_block_is_replaced_in_place_and_the_lines_around_it_stay():
    text = "a=1\n" + BLOCK + "b=2\n"
    other = render_block([("br1", "x")])
    assert merge_block(text, other) == ("a=1\n" + other + "b=2\n", False)
    assert remove_block(text) == "a=1\nb=2\n"


def test_a_file_the_module_created_goes_when_only_the_block_is_left():
    assert merge_block(None, BLOCK) == (BLOCK, False)
    assert remove_block(BLOCK, created=True) is None
    assert remove_block("mine=1\n" + BLOCK, created=True) == "mine=1\n"
    assert remove_block(BLOCK, created=False) == ""


@pytest.mark.parametrize("broken", [BEGIN + "\nx\n", "x\n" + END + "\n", BLOCK + BLOCK, END + "\n" + BEGIN + "\n"])
def test_a_broken_block_fails_naming_the_file(broken):
    with pytest.raises(HostnetError, match="/etc/lynis/custom.prf: the collection's block is broken"):
        merge_block(broken, BLOCK, "/etc/lynis/custom.prf")


class Plan:
    def __init__(self, ports=(), ledger=None):
        self.ports, self.notes, self.profiles = list(ports), [], []
        self.ledger_after = dict(ledger or {})


def test_plan_profiles_create_record_and_remove():
    files = {"/p": None}
    current = host()
    plan = Plan()
    lines = plan_lynis_profiles(plan, current, ["docker0"], "/p", True, read_text=files.get)
    assert "if_promisc:docker0:named in port_promisc interfaces (hostnet.dockerhost):" in lines
    assert [e.action for e in plan.profiles] == ["create"]
    assert plan.ledger_after == {"lynis_profiles": {"/p": {"created": True, "newline_added": False}}}
    files["/p"] = plan.profiles[0].after

    again = Plan(ledger=plan.ledger_after)
    plan_lynis_profiles(again, current, ["docker0"], "/p", True, read_text=files.get)
    assert not again.profiles[0].changed and again.ledger_after == plan.ledger_after

    unset = Plan(ledger=plan.ledger_after)  # no lynis_profile: profiles left alone, the record kept
    plan_lynis_profiles(unset, current, [], None, True, read_text=files.get)
    assert unset.profiles == [] and unset.ledger_after == plan.ledger_after

    revert = Plan(ledger=plan.ledger_after)  # state=absent without a path: every recorded profile
    assert plan_lynis_profiles(revert, current, [], None, False, read_text=files.get)
    assert [e.action for e in revert.profiles] == ["remove"] and revert.ledger_after == {}


def test_plan_profiles_nothing_to_whitelist_removes_the_block_and_the_record():
    text = "keep=1\nno newline"
    merged, _added = merge_block(text, BLOCK)
    plan = Plan(ledger={"lynis_profiles": {"/p": {"created": False, "newline_added": True}}})
    assert plan_lynis_profiles(plan, state(bridge("docker0")), [], "/p", True, read_text={"/p": merged}.get) == []
    assert plan.profiles[0].after == text and plan.ledger_after == {}


def test_a_relative_profile_path_is_refused():
    with pytest.raises(InvalidInput, match="lynis_profile: 'custom.prf' is not an absolute path"):
        plan_lynis_profiles(Plan(), host(), [], "custom.prf", True, read_text=lambda p: None)
