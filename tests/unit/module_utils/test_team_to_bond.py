# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_team_to_bond: the teamd -> bonding translation table, the plan per backend, the transaction document;
_t2b_host: snapshot and byte-identical restore, the bond check against sysfs-like values; _t2b_txn: waiting
for the bond."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_host as _t2b_host
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn as _t2b_txn
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput, MigrationRefused
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond import (
    plan_migration,
    transaction_document,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.bond import (
    nm_bond_options,
    render_networkd_netdev,
    retarget_network_text,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_translate import (
    apply_override,
    translate_team_config,
    tx_hash_to_policy,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.teams import TeamFacts, nm_settings_to_copy
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.nmcli import parse_settings, split_terse

# libteam-utils 1.31 examples (/usr/share/doc/libteam-utils/examples/), verbatim.
LACP_1 = """{
    "device":        "team0",
    "runner": {
        "name": "lacp",
        "active": true,
        "fast_rate": true,
        "tx_hash": ["eth", "ipv4", "ipv6"]
    },
    "link_watch":        {"name": "ethtool"},
    "ports":        {"eth1": {}, "eth2": {}}
}"""
ACTIVEBACKUP_ETHTOOL_1 = """{
    "device":    "team0",
    "runner":    {"name": "activebackup"},
    "link_watch":    {"name": "ethtool"},
    "ports":    {
        "eth1": {
            "prio": -10,
            "sticky": true
        },
        "eth2": {
            "prio": 100
        }
    }
}"""
ACTIVEBACKUP_ETHTOOL_3 = """{
    "device":    "team0",
    "runner":    {"name": "activebackup"},
    "link_watch":    {
        "name": "ethtool",
        "delay_up": 2500,
        "delay_down": 1000
    },
    "ports":    {
        "eth1": {
            "prio": -10,
            "sticky": true
        },
        "eth2": {
            "prio": 100
        }
    }
}"""
ACTIVEBACKUP_ARP_PING_1 = """{
    "device":    "team0",
    "runner":    {"name": "activebackup"},
    "link_watch":    {
        "name": "arp_ping",
        "interval": 100,
        "missed_max": 30,
        "source_host": "192.168.23.2",
        "target_host": "192.168.23.1"
    },
    "ports":    {
        "eth1": {
            "prio": -10,
            "sticky": true
        },
        "eth2": {
            "prio": 100
        }
    }
}"""
ACTIVEBACKUP_ETHTOOL_2 = """{
    "device":    "team0",
    "runner":    {"name": "activebackup"},
    "link_watch":    {"name": "ethtool"},
    "ports":    {
        "eth1": {
            "prio": -10,
            "sticky": true,
            "queue_id": 4
        },
        "eth2": {
            "prio": 100
        }
    }
}"""
ACTIVEBACKUP_NSNA = """{
    "device":    "team0",
    "runner":    {"name": "activebackup"},
    "link_watch":    {
        "name": "nsna_ping",
        "interval": 200,
        "missed_max": 15,
        "target_host": "fe80::210:18ff:feaa:bbcc"
    },
    "ports":    {"eth1": {"prio": -10, "sticky": true}, "eth2": {"prio": 100}}
}"""
MULTI_LW = """{
    "device":    "team0",
    "runner":    {"name": "activebackup"},
    "link_watch":    [
        {"name": "arp_ping", "interval": 100, "missed_max": 30, "source_host": "192.168.23.2",
         "target_host": "192.168.23.1"},
        {"name": "arp_ping", "interval": 50, "missed_max": 20, "source_host": "192.168.24.2",
         "target_host": "192.168.24.1"}
    ],
    "ports":    {"eth1": {"prio": -10, "sticky": true}, "eth2": {"prio": 100}}
}"""
BROADCAST = '{"device": "team0", "runner": {"name": "broadcast"}, "ports": {"eth1": {}, "eth2": {}}}'
ROUNDROBIN = '{"device": "team0", "runner": {"name": "roundrobin"}, "ports": {"eth1": {}, "eth2": {}}}'
RANDOM = '{"device": "team0", "runner": {"name": "random"}, "ports": {"eth1": {}, "eth2": {}}}'
LOADBALANCE_1 = '{"device": "team0", "runner": {"name": "loadbalance"}, "ports": {"eth1": {}, "eth2": {}}}'
LOADBALANCE_3 = """{
    "device":        "team0",
    "runner": {
        "name": "loadbalance",
        "tx_hash": ["eth", "ipv4", "ipv6"],
        "tx_balancer": {
            "name": "basic"
        }
    },
    "ports":        {"eth1": {}, "eth2": {}}
}"""
ROUNDROBIN_2 = """{
    "device":        "team0",
    "runner":        {"name": "roundrobin"},
    "link_watch":    {
        "name": "arp_ping",
        "interval": 1000,
        "missed_max": 2,
        "source_host": "192.168.23.2",
        "target_host": "192.168.23.1"
    },
    "ports":        {"eth1": {}, "eth2": {}}
}"""


def tr(text):
    return translate_team_config(json.loads(text))


# --------------------------------------------------------------------------------------------------------
# The table, runner by runner


def test_lacp_maps_to_8023ad_with_rate_and_hash():
    t = tr(LACP_1)
    assert t.problems == []
    assert t.mode == "802.3ad"
    assert t.options == {"mode": "802.3ad", "xmit_hash_policy": "layer2+3", "lacp_rate": "fast", "miimon": "100"}


def test_lacp_defaults_are_slow_rate_and_the_default_hash():
    t = translate_team_config({"runner": {"name": "lacp"}, "ports": {"a": {}, "b": {}}})
    assert t.options["lacp_rate"] == "slow"
    assert t.options["xmit_hash_policy"] == "layer2+3"  # teamd's default tx_hash is eth,ipv4,ipv6
    assert "lacp_active" not in t.options


def test_lacp_passive_sys_prio_min_ports_and_agg_select():
    t = translate_team_config({"runner": {"name": "lacp", "active": False, "sys_prio": 100, "min_ports": 2,
                                          "agg_select_policy": "bandwidth"}, "ports": {"a": {}}})
    assert t.problems == []
    assert t.options["lacp_active"] == "off"
    assert t.options["ad_actor_sys_prio"] == "100"
    assert t.options["min_links"] == "2"
    assert t.options["ad_select"] == "bandwidth"


@pytest.mark.parametrize("policy", ["lacp_prio_stable", "port_config"])
def test_lacp_agg_select_without_equivalent_is_a_problem(policy):
    t = translate_team_config({"runner": {"name": "lacp", "agg_select_policy": policy}, "ports": {"a": {}}})
    assert any("agg_select_policy" in p and policy in p for p in t.problems)


def test_activebackup_highest_prio_is_primary_and_sticky_backup_means_reselect_failure():
    t = tr(ACTIVEBACKUP_ETHTOOL_1)
    assert t.problems == []
    assert t.options == {"mode": "active-backup", "primary": "eth2", "primary_reselect": "failure",
                         "miimon": "100"}


def test_activebackup_without_sticky_keeps_reselect_default():
    t = translate_team_config({"runner": {"name": "activebackup"},
                               "ports": {"a": {"prio": 10}, "b": {"prio": 5}}})
    assert t.options["primary"] == "a"
    assert "primary_reselect" not in t.options


def test_activebackup_equal_prios_give_no_primary():
    t = translate_team_config({"runner": {"name": "activebackup"}, "ports": {"a": {}, "b": {}}})
    assert "primary" not in t.options
    assert t.problems == []


def test_activebackup_shared_highest_prio_gives_no_primary_and_a_note():
    t = translate_team_config({"runner": {"name": "activebackup"},
                               "ports": {"a": {"prio": 9}, "b": {"prio": 9}, "c": {"prio": 1}}})
    assert "primary" not in t.options
    assert any("share the highest prio" in n for n in t.notes)


def test_activebackup_hwaddr_policy_maps_to_fail_over_mac():
    t = translate_team_config({"runner": {"name": "activebackup", "hwaddr_policy": "by_active"}, "ports": {}})
    assert t.options["fail_over_mac"] == "active"


def test_ethtool_delays_become_updelay_downdelay():
    t = tr(ACTIVEBACKUP_ETHTOOL_3)
    assert t.options["updelay"] == "2500" and t.options["downdelay"] == "1000"
    assert t.options["miimon"] == "100"


def test_delay_not_multiple_of_miimon_is_rounded_with_a_note():
    t = translate_team_config({"runner": {"name": "roundrobin"},
                               "link_watch": {"name": "ethtool", "delay_up": 250}, "ports": {}})
    assert t.options["updelay"] == "200"
    assert any("rounded down" in n for n in t.notes)


def test_arp_ping_becomes_arp_monitor():
    t = tr(ACTIVEBACKUP_ARP_PING_1)
    assert t.problems == []
    assert t.options["arp_interval"] == "100"
    assert t.options["arp_ip_target"] == "192.168.23.1"
    assert t.options["arp_missed_max"] == "30"
    assert "miimon" not in t.options
    assert any("source_host" in n for n in t.notes)


def test_arp_ping_with_lacp_is_a_problem():
    t = translate_team_config({"runner": {"name": "lacp"}, "ports": {},
                               "link_watch": {"name": "arp_ping", "target_host": "192.0.2.1"}})
    assert any("no ARP monitor in mode 802.3ad" in p for p in t.problems)


def test_arp_ping_hostname_target_is_a_problem():
    t = translate_team_config({"runner": {"name": "roundrobin"}, "ports": {},
                               "link_watch": {"name": "arp_ping", "target_host": "gw.example"}})
    assert any("IPv4 addresses only" in p for p in t.problems)


@pytest.mark.parametrize("text, mode", [(BROADCAST, "broadcast"), (ROUNDROBIN, "balance-rr"),
                                        (LOADBALANCE_1, "balance-xor"), (LOADBALANCE_3, "balance-tlb")])
def test_other_runners(text, mode):
    t = tr(text)
    assert t.problems == []
    assert t.mode == mode and t.options["mode"] == mode


def test_loadbalance_with_tx_balancer_is_tlb_dynamic():
    assert tr(LOADBALANCE_3).options["tlb_dynamic_lb"] == "1"


def test_roundrobin_arp_ping_is_translated():
    t = tr(ROUNDROBIN_2)
    assert t.problems == [] and t.options["arp_interval"] == "1000" and t.options["arp_missed_max"] == "2"


@pytest.mark.parametrize("text, words", [
    (RANDOM, "runner 'random' has no bonding mode"),
    (ACTIVEBACKUP_NSNA, "link_watch 'nsna_ping'"),
    (MULTI_LW, "2 watchers"),
    (ACTIVEBACKUP_ETHTOOL_2, "ports.eth1.queue_id"),
])
def test_untranslatable_configs_are_problems(text, words):
    t = tr(text)
    assert any(words in p for p in t.problems), t.problems


def test_unknown_keys_are_problems_not_silently_dropped():
    t = translate_team_config({"runner": {"name": "lacp", "frobnicate": 1}, "ports": {"a": {"lacp_prio": 7}},
                               "extra_top": True})
    joined = " | ".join(t.problems)
    assert "runner.frobnicate" in joined
    assert "ports.a.lacp_prio" in joined
    assert "extra_top" in joined


@pytest.mark.parametrize("fields, policy, approximate", [
    (["eth"], "layer2", False),
    (["eth", "vlan"], "layer2", False),
    (["eth", "ipv4", "ipv6"], "layer2+3", False),
    (["ipv4"], "layer2+3", True),
    (["ipv4", "tcp", "udp"], "layer3+4", False),
    (["eth", "l4"], "layer3+4", True),
])
def test_tx_hash_table(fields, policy, approximate):
    got, note = tx_hash_to_policy(fields)
    assert got == policy
    assert (note is not None) == approximate


def test_tx_hash_unknown_field():
    assert tx_hash_to_policy(["eth", "mpls"])[0] is None


# --------------------------------------------------------------------------------------------------------
# Overrides


def test_override_mode_clears_the_runner_problem_only():
    t = apply_override(tr(RANDOM), {"mode": "balance-rr"})
    assert t.problems == []
    assert t.options["mode"] == "balance-rr"


def test_override_options_add_replace_and_drop():
    t = apply_override(tr(LACP_1), {"options": {"lacp_rate": "slow", "miimon": None, "min_links": 2}})
    assert t.options["lacp_rate"] == "slow" and t.options["min_links"] == "2" and "miimon" not in t.options


def test_override_ignore_problems_turns_them_into_notes():
    t = apply_override(tr(ACTIVEBACKUP_ETHTOOL_2), {"ignore_problems": True})
    assert t.problems == [] and any("queue_id" in n for n in t.notes)


def test_override_with_unknown_mode_names_the_input():
    with pytest.raises(InvalidInput, match="overrides: mode 'lacp'"):
        apply_override(tr(LACP_1), {"mode": "lacp"})


# --------------------------------------------------------------------------------------------------------
# Plans per backend


def nm_team(**kw):
    facts = TeamFacts(name="team0", config=json.loads(LACP_1.replace("eth1", "eno0").replace("eth2", "eno1")),
                      ports=["eno0", "eno1"], mac="52:54:00:aa:bb:cc", mtu=1500, master="br0", backend="NetworkManager",
                      nm_profile="team0", nm_port_profiles=["team0-eno0", "team0-eno1"],
                      nm_settings={"connection.master": "br0", "connection.slave-type": "bridge"})
    for key, value in kw.items():
        setattr(facts, key, value)
    return facts


def nd_team(**kw):
    facts = TeamFacts(name="agg7", config=json.loads(ACTIVEBACKUP_ETHTOOL_1.replace("eth1", "lan0")
                                                     .replace("eth2", "lan1")),
                      ports=["lan0", "lan1"], mac="02:00:00:00:07:07", mtu=9000, master="brx", backend="systemd-networkd",
                      teamd_unit="teamd@agg7.service", teamd_unit_enabled=True,
                      teamd_config_path="/etc/teamd/agg7.conf", network_file="/etc/systemd/network/30-agg7.network",
                      network_text="[Match]\nName=agg7\n\n[Network]\nBridge=brx\nVLAN=agg7.10\n",
                      port_network_files={"lan0": "/etc/systemd/network/30-lanports.network",
                                          "lan1": "/etc/systemd/network/30-lanports.network"})
    for key, value in kw.items():
        setattr(facts, key, value)
    return facts


def test_nm_plan_is_the_seeds_nmcli_sequence_with_team_mac_and_bridge():
    (plan,) = plan_migration([nm_team()], txid="tx1")
    assert plan.problems == []
    assert plan.bond == "bond0"
    add = plan.apply[0]
    assert add[:9] == ["nmcli", "connection", "add", "type", "bond", "con-name", "bond0", "ifname", "bond0"]
    assert add[add.index("bond.options") + 1] == "mode=802.3ad,xmit_hash_policy=layer2+3,lacp_rate=fast,miimon=100"
    assert add[add.index("ethernet.cloned-mac-address") + 1] == "52:54:00:aa:bb:cc"
    assert add[add.index("connection.master") + 1] == "br0"
    assert ["nmcli", "connection", "up", "bond0"] in plan.apply
    # the team is only deactivated by apply; its profiles go at confirmation
    assert not any(a[:3] == ["nmcli", "connection", "delete"] for a in plan.apply)
    assert plan.commit == [{"run": ["nmcli", "connection", "delete", "team0", "team0-eno0", "team0-eno1"]}]
    assert plan.snapshot_dirs == ["/etc/NetworkManager/system-connections"]
    assert ["nmcli", "connection", "up", "team0"] in plan.rollback_post
    # the team goes down (and stays down at boot) before the bond exists: no two LAGs with one MAC
    assert plan.stop_team == [["nmcli", "connection", "modify", p, "connection.autoconnect", "no"]
                              for p in ("team0", "team0-eno0", "team0-eno1")] + [
        ["nmcli", "connection", "down", "team0"]]


def test_nm_plan_reparents_vlans():
    (plan,) = plan_migration([nm_team(nm_vlan_profiles=["team0.10"])])
    assert ["nmcli", "connection", "modify", "team0.10", "vlan.parent", "bond0"] in plan.apply
    assert ["nmcli", "connection", "up", "team0.10"] in plan.rollback_post


def test_networkd_plan_files():
    (plan,) = plan_migration([nd_team()], bond_names={"agg7": "bond7"}, txid="tx2")
    assert plan.problems == []
    files = {f["path"]: f["content"] for f in plan.files}
    netdev = files["/etc/systemd/network/10-hostnet-bond7.netdev"]
    assert "Kind=bond" in netdev and "MACAddress=02:00:00:00:07:07" in netdev and "MTUBytes=9000" in netdev
    assert "Mode=active-backup" in netdev and "PrimaryReselectPolicy=failure" in netdev
    assert "MIIMonitorSec=100ms" in netdev
    network = files["/etc/systemd/network/10-hostnet-bond7.network"]
    assert "Name=bond7" in network and "Bridge=brx" in network and "VLAN=agg7.10" in network
    assert "Name=agg7" not in network
    assert "PrimarySlave=yes" in files["/etc/systemd/network/10-hostnet-bond7-lan1.network"]
    assert "PrimarySlave" not in files["/etc/systemd/network/10-hostnet-bond7-lan0.network"]
    assert plan.moved_aside == ["/etc/systemd/network/30-lanports.network"]
    # make-before-break: nothing stops the team during apply; teamd stops at the confirmation, first
    assert plan.stop_team == []
    assert plan.apply == [["networkctl", "reload"]]
    assert plan.commit[0] == {"run": ["systemctl", "disable", "--now", "teamd@agg7.service"]}
    assert {"remove": "/etc/teamd/agg7.conf"} in plan.commit
    assert {"remove": "/run/systemd/network/00-hostnet-t2b-hold-agg7.network"} in plan.commit
    assert "Unmanaged=yes" in plan.hold_files[0]["content"] and "Name=agg7" in plan.hold_files[0]["content"]
    assert ["systemctl", "enable", "teamd@agg7.service"] in plan.rollback_post
    assert plan.snapshot_dirs == ["/etc/systemd/network", "/etc/teamd"]


def test_networkd_without_teamd_unit_is_refused():
    (plan,) = plan_migration([nd_team(teamd_unit=None)], bond_names={"agg7": "bond7"})
    assert any("no teamd@ unit" in p for p in plan.problems)


def test_networkd_cannot_set_lacp_active():
    facts = nd_team(config={"runner": {"name": "lacp", "active": False}, "ports": {"lan0": {}, "lan1": {}}})
    (plan,) = plan_migration([facts], bond_names={"agg7": "bond7"})
    assert any("lacp_active" in p for p in plan.problems)


def test_bond_name_needed_for_names_without_team():
    (plan,) = plan_migration([nd_team()])
    assert any("no bond name for agg7" in p for p in plan.problems)


def test_bond_name_taken_or_invalid():
    (plan,) = plan_migration([nm_team()], existing_links={"bond0"})
    assert any("already exists" in p for p in plan.problems)
    (plan,) = plan_migration([nm_team()], bond_names={"team0": "bond/0"})
    assert any("bond/0" in p for p in plan.problems)


def test_unmanaged_team_is_refused():
    (plan,) = plan_migration([nm_team(backend=None)])
    assert any("managed neither" in p for p in plan.problems)


def test_transaction_document_collects_every_plan():
    teams = [nm_team(), nm_team(name="team1", nm_profile="team1", ports=["eno2", "eno3"],
                                config={"runner": {"name": "activebackup"}, "ports": {}})]
    plans = plan_migration(teams, txid="tx3")
    doc = transaction_document("tx3", plans, teams, ["192.0.2.1"], 120, 60, "/var/lib/x")
    assert [e["bond"] for e in doc["expect"]] == ["bond0", "bond1"]
    assert doc["expect"][0]["options"]["lacp_rate"] == "fast"
    assert doc["restore_runtime"][1] == {"team": "team1", "ports": ["eno2", "eno3"], "mac": "52:54:00:aa:bb:cc",
                                         "master": "br0", "mtu": 1500}
    assert doc["snapshot_dirs"] == ["/etc/NetworkManager/system-connections"]
    assert doc["probe"] == {"targets": ["192.0.2.1"]}
    # every team stops before anything of any bond is written or started
    assert [a[-1] for a in doc["stop_team"] if a[2] == "down"] == ["team0", "team1"]


def test_networkd_transaction_moves_each_team_at_runtime_and_reloads_once():
    teams = [nd_team(bridge_stp=False), nd_team(name="agg8", ports=["lan2", "lan3"], teamd_unit="teamd@agg8.service",
                                                network_file=None, network_text=None, port_network_files={},
                                                config={"runner": {"name": "lacp"}, "ports": {}}, master=None)]
    plans = plan_migration(teams, bond_names={"agg7": "bond7", "agg8": "bond8"}, lacp_wait=0)
    doc = transaction_document("tx4", plans, teams, ["192.0.2.1"], 120, 60, "/x")
    assert doc["stop_team"] == []
    assert [(r["team"], r["bond"], r["bridge"]) for r in doc["runtime"]] == [
        ("agg7", "bond7", "brx"), ("agg8", "bond8", None)]
    assert doc["runtime"][0]["options"][0] == ["mode", "active-backup"]  # mode first: it changes only while down
    assert doc["runtime"][0]["mac"] == "02:00:00:00:07:07" and doc["runtime"][0]["mtu"] == 9000
    assert doc["runtime"][1]["lacp_wait"] == 0
    assert doc["apply"] == [["networkctl", "reload"]]
    assert doc["hold_apply"] == [["networkctl", "reload"]] and len(doc["hold_files"]) == 2
    assert doc["rollback_files"] == [["networkctl", "reload"]]
    assert doc["rollback_post"].count(["networkctl", "reload"]) == 1


def test_mixed_backends_are_refused():
    plans = plan_migration([nd_team(), nm_team()], bond_names={"agg7": "bond7"})
    assert all(any("different backends" in p for p in plan.problems) for plan in plans)


def test_outage_plan_per_gap_class():
    lacp = nd_team(config={"runner": {"name": "lacp", "fast_rate": True}, "ports": {}}, bridge_stp=False)
    (plan,) = plan_migration([lacp], bond_names={"agg7": "bond7"})
    assert plan.outage["gap_class"] == "802.3ad" and plan.outage["bridge"] == "brx"
    assert any("swap brx's port agg7 -> bond7" in step for step in plan.outage["sequence"])
    assert not any("lacp_rate fast" in s for s in plan.outage["shorten"])
    slow = nd_team(config={"runner": {"name": "lacp"}, "ports": {}}, bridge_stp=False)
    (plan,) = plan_migration([slow], bond_names={"agg7": "bond7"})
    assert any("lacp_rate fast" in s for s in plan.outage["shorten"])
    (plan,) = plan_migration([nd_team(bridge_stp=False)], bond_names={"agg7": "bond7"})
    assert plan.outage["gap_class"] == "active-backup"
    assert plan.outage["sequence"].index(next(s for s in plan.outage["sequence"] if s.startswith("swap"))) < \
        plan.outage["sequence"].index("move the last (active) port; the bond's port already forwards")
    (plan,) = plan_migration([nd_team(bridge_stp=True, bridge_forward_delay=15.0)], bond_names={"agg7": "bond7"})
    assert plan.outage["gap_class"] == "stp" and plan.outage["expected"].startswith("30 s")
    assert "not a short outage" in plan.outage["expected"] and "STP off on brx" in plan.outage["shorten"][0]
    (plan,) = plan_migration([nm_team()])
    assert plan.outage["gap_class"] == "break-before-make" and plan.runtime is None


def test_nm_transaction_has_nothing_to_recreate():
    plans = plan_migration([nm_team()], txid="tx5")
    assert transaction_document("tx5", plans, [nm_team()], [], 120, 60, "/x")["recreate"] == []


# --------------------------------------------------------------------------------------------------------
# Rendering and parsing helpers


def test_retarget_keeps_everything_but_the_match():
    text = "[Match]\nName=team0\n\n[Network]\nAddress=192.0.2.5/24\n\n[Route]\nGateway=192.0.2.1\n"
    out = retarget_network_text(text, "bond0")
    assert out == text.replace("Name=team0", "Name=bond0")


def test_retarget_refuses_a_network_that_does_not_match_by_name():
    assert retarget_network_text("[Match]\nMACAddress=02:00:00:00:00:01\n\n[Network]\nDHCP=yes\n", "bond0") is None
    with pytest.raises(MigrationRefused, match="agg7: its .network does not match by Name=; cannot retarget it to bond7"):
        plan_migration([nd_team(network_text="[Match]\nMACAddress=02:00:00:00:00:01\n")], {"agg7": "bond7"})
    out = retarget_network_text("[Match]\nOriginalName=team0\n", "bond0")
    assert out == "[Match]\nName=bond0\n"


def test_netdev_arp_targets_space_separated_and_no_primary_key():
    text = render_networkd_netdev("b", {"mode": "active-backup", "arp_interval": "100",
                                        "arp_ip_target": "192.0.2.1,192.0.2.2", "primary": "x"}, None, 1500, "#")
    assert "ARPIPTargets=192.0.2.1 192.0.2.2" in text and "ARPIntervalSec=100ms" in text
    assert "primary" not in text.lower().replace("primaryreselect", "")


def test_nm_bond_options_arp_targets():
    assert nm_bond_options({"mode": "active-backup", "arp_ip_target": "1.1.1.1,2.2.2.2"}) == \
        "mode=active-backup,arp_ip_target=1.1.1.1 2.2.2.2"


def test_split_terse_unescapes_a_team_profile_line():
    assert split_terse(r"my\:team:uuid-1:team:team0:/etc/NetworkManager/system-connections/x") == \
        ["my:team", "uuid-1", "team", "team0", "/etc/NetworkManager/system-connections/x"]


def test_nm_settings_copied_only_when_set_and_no_ip_on_bridge_ports():
    values = parse_settings("connection.master:br0\nconnection.slave-type:bridge\nipv4.method:disabled\n"
                            "ipv4.addresses:\nipv4.gateway:--\n")
    assert nm_settings_to_copy(values) == {"connection.master": "br0", "connection.slave-type": "bridge"}
    values = parse_settings("connection.master:\nipv4.method:manual\nipv4.addresses:192.0.2.5/24\n"
                            "ipv4.gateway:192.0.2.1\n")
    assert nm_settings_to_copy(values) == {"ipv4.method": "manual", "ipv4.addresses": "192.0.2.5/24",
                                           "ipv4.gateway": "192.0.2.1"}


# --------------------------------------------------------------------------------------------------------
# The host-side transaction: snapshot and restore, byte for byte


def test_snapshot_restore_is_byte_identical(tmp_path):
    etc = tmp_path / "etc"
    (etc / "sub").mkdir(parents=True)
    (etc / "a.network").write_bytes(b"[Match]\nName=team0\n")
    (etc / "secret.nmconnection").write_bytes(b"psk=\x00\xff")
    os.chmod(etc / "secret.nmconnection", 0o600)
    os.symlink("/dev/null", etc / "masked.network")
    (etc / "sub" / "x.conf").write_text("x")
    txdir = tmp_path / "tx"
    txdir.mkdir()
    manifest = _t2b_host.snapshot(str(txdir), [str(etc)])
    # the transaction changes, adds and removes
    (etc / "a.network").write_text("[Match]\nName=bond0\n")
    os.chmod(etc / "a.network", 0o600)
    (etc / "secret.nmconnection").unlink()
    (etc / "bond0.netdev").write_text("[NetDev]\n")
    os.unlink(etc / "masked.network")
    _t2b_host.restore(str(txdir), manifest)
    assert (etc / "a.network").read_bytes() == b"[Match]\nName=team0\n"
    assert (etc / "secret.nmconnection").read_bytes() == b"psk=\x00\xff"
    assert os.stat(etc / "secret.nmconnection").st_mode & 0o777 == 0o600
    assert not (etc / "bond0.netdev").exists()
    assert os.readlink(etc / "masked.network") == "/dev/null"
    assert sorted(os.listdir(etc)) == ["a.network", "masked.network", "secret.nmconnection", "sub"]
    assert os.stat(etc / "a.network").st_mode & 0o777 == manifest[str(etc)]["files"][str(etc / "a.network")]["mode"]


def test_bond_mismatches_reports_each_difference(tmp_path, monkeypatch):
    values = {"bonding/mode": "802.3ad 4", "bonding/lacp_rate": "slow 0", "bonding/miimon": "100",
              "bonding/slaves": "eno0", "address": "52:54:00:aa:bb:cc", "mtu": "1500", "operstate": "up"}
    monkeypatch.setattr(_t2b_host, "sysfs", lambda name, attr: values[attr])
    monkeypatch.setattr(_t2b_host, "link_master", lambda name: "br0")
    monkeypatch.setattr(_t2b_host.os.path, "isdir", lambda path: True)
    expect = {"bond": "bond0", "options": {"mode": "802.3ad", "lacp_rate": "fast", "miimon": "100"},
              "ports": ["eno0", "eno1"], "mac": "52:54:00:aa:bb:cc", "master": "br0", "mtu": 1500}
    found = _t2b_host.bond_mismatches(expect)
    assert found == ["bond0: lacp_rate is 'slow 0', planned 'fast'", "bond0: ports not enslaved yet: eno1"]
    values["bonding/lacp_rate"] = "fast 1"
    values["bonding/slaves"] = "eno0 eno1"
    assert _t2b_host.bond_mismatches(expect) == []


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def _wait_bonds_world(monkeypatch, created_by_restart):
    """wait_bonds against a clock and a manager: bond0 appears only after the recreate command when
    created_by_restart, never otherwise. Returns (ran commands, clock)."""
    clock, ran, exists = FakeClock(), [], {"bond0": False}

    def run(directory, argv, check=True, timeout=120):
        ran.append((clock.t, argv))
        if created_by_restart:
            exists["bond0"] = True
        return 0, ""

    monkeypatch.setattr(_t2b_txn, "now", clock.now)
    monkeypatch.setattr(_t2b_txn.time, "sleep", clock.sleep)
    monkeypatch.setattr(_t2b_txn, "run", run)
    monkeypatch.setattr(_t2b_txn, "log", lambda directory, message: None)
    monkeypatch.setattr(_t2b_txn.os.path, "isdir", lambda path: exists["bond0"])
    monkeypatch.setattr(_t2b_txn, "bond_mismatches",
                        lambda expect: [] if exists[expect["bond"]] else ["bond0 does not exist as a bond"])
    return ran, clock


def test_wait_bonds_restarts_the_manager_once_when_the_bond_was_not_created(monkeypatch):
    ran, clock = _wait_bonds_world(monkeypatch, created_by_restart=True)
    plan = {"expect": [{"bond": "bond0"}], "recreate": [["systemctl", "restart", "systemd-networkd.service"]]}
    _t2b_txn.wait_bonds("/x", plan, deadline=clock.now() + 60)
    assert [argv for _t, argv in ran] == [["systemctl", "restart", "systemd-networkd.service"]]
    assert ran[0][0] >= 1000.0 + _t2b_txn.RECREATE_AFTER


def test_wait_bonds_recreates_at_most_once_then_fails(monkeypatch):
    ran, clock = _wait_bonds_world(monkeypatch, created_by_restart=False)
    plan = {"expect": [{"bond": "bond0"}], "recreate": [["systemctl", "restart", "systemd-networkd.service"]]}
    with pytest.raises(_t2b_txn.StepFailed, match="bond0 does not exist as a bond"):
        _t2b_txn.wait_bonds("/x", plan, deadline=clock.now() + 60)
    assert len(ran) == 1


def test_wait_bonds_without_recreate_only_waits(monkeypatch):
    ran, clock = _wait_bonds_world(monkeypatch, created_by_restart=True)
    with pytest.raises(_t2b_txn.StepFailed):
        _t2b_txn.wait_bonds("/x", {"expect": [{"bond": "bond0"}], "recreate": []}, deadline=clock.now() + 30)
    assert ran == []
