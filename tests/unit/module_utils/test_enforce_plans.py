# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure plans of the enforcing modules: MAC validation and choice, promisc targets, owner choice,
the networkd backend's drop-ins, planned file edits. Hand-built states, tmp_path for files."""

from __future__ import annotations

import os

import pytest

from engine_fakes import apply_file_edits
from hostnet_builders import bond, bridge, link, networkd, state, team, unit

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import choose_bridge_mac, derived_mac
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import (
    Backend,
    Persistence,
    choose_backend,
    plan_with_owner,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend, dropin_path
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.bridge_mac import the_bridge
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import (
    FileEdit,
    plan_file,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.lynis import render_lines, whitelist_entries
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import plan_port_promisc
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import mac_problem, validate_mac

# --------------------------------------------------------------------------------------------------------
# MAC validation


@pytest.mark.parametrize("value,problem", [
    ("01:00:5e:00:00:01", "multicast"),
    ("ff:ff:ff:ff:ff:ff", "multicast"),
    ("00:00:00:00:00:00", "all-zero"),
    ("02:42:ac:11:00", "six hexadecimal octets"),
    ("02:42:ac:11:00:02:03", "six hexadecimal octets"),
    ("zz:42:ac:11:00:02", "six hexadecimal octets"),
    ("0242.ac11.0002", "six hexadecimal octets"),
    ("", "is empty (leave mac out to let policy choose)"),
    ("  ", "is empty"),
    (None, "not a string"),
])
def test_bad_macs_are_refused_with_the_reason(value, problem):
    assert problem in mac_problem(value)
    with pytest.raises(InvalidInput) as caught:
        validate_mac("mac", value)
    assert caught.value.msg.startswith("mac: ")
    assert "unicast" in caught.value.msg


def test_good_mac_is_normalised():
    assert validate_mac("mac", "02-42-AC-11-00-02") == "02:42:ac:11:00:02"
    assert mac_problem("fe:ff:ff:00:07:07") is None


# --------------------------------------------------------------------------------------------------------
# bridge MAC choice


def _drifting():
    return state(
        bridge("brx", mac="0a:00:00:00:00:01", addr_assign_type=1),
        bond("agg0", "active-backup", master="brx", mac="fe:ff:ff:00:07:07"),
        link("va1", master="brx", mac="0a:00:00:00:00:01"),
        link("va2", master="brx", mac="0c:00:00:00:00:01"),
    )


def test_auto_keeps_the_gateway_mac_even_when_a_veth_holds_it():
    host = _drifting()
    assert choose_bridge_mac(host, host.links["brx"]) == ("0a:00:00:00:00:01", "kept")


def test_policy_uplink_takes_the_uplink_when_a_veth_holds_the_mac():
    host = _drifting()
    assert choose_bridge_mac(host, host.links["brx"], policy="uplink") == ("fe:ff:ff:00:07:07", "uplink")


def test_auto_gives_a_bridge_without_a_usable_mac_its_uplink_mac():
    host = state(bridge("brz", mac="00:00:00:00:00:00", addr_assign_type=1),
                 bond("agg0", "802.3ad", master="brz", mac="fe:ff:ff:00:07:07"))
    assert choose_bridge_mac(host, host.links["brz"]) == ("fe:ff:ff:00:07:07", "uplink")


def test_auto_keeps_a_mac_that_comes_from_the_uplink():
    host = state(bridge("brx", mac="02:00:00:00:00:05", addr_assign_type=1),
                 bond("agg0", "802.3ad", master="brx", mac="02:00:00:00:00:05"),
                 link("va1", master="brx", mac="0a:00:00:00:00:09"))
    assert choose_bridge_mac(host, host.links["brx"]) == ("02:00:00:00:00:05", "kept")


def test_auto_keeps_a_mac_that_is_already_set():
    host = state(bridge("bry", mac="02:00:00:00:0b:01"), link("vb1", master="bry", mac="00:00:00:00:00:02"))
    assert choose_bridge_mac(host, host.links["bry"]) == ("02:00:00:00:0b:01", "kept")


def test_only_veths_keeps_the_current_mac_under_auto():
    host = state(bridge("brv", mac="0a:00:00:00:00:01", addr_assign_type=1),
                 link("va1", master="brv", mac="0a:00:00:00:00:01"))
    assert choose_bridge_mac(host, host.links["brv"], machine_id="0123456789abcdef0123456789abcdef") == \
        ("0a:00:00:00:00:01", "kept")


def test_an_empty_bridge_with_a_zero_mac_gets_a_derived_mac_stable_per_host_and_bridge():
    host = state(bridge("brv", mac="00:00:00:00:00:00", addr_assign_type=1))
    mac, source = choose_bridge_mac(host, host.links["brv"], machine_id="0123456789abcdef0123456789abcdef")
    assert source == "derived"
    assert mac == derived_mac("0123456789abcdef0123456789abcdef", "brv")
    assert mac_problem(mac) is None
    assert int(mac[:2], 16) & 0x03 == 0x02  # unicast, locally administered
    assert derived_mac("0123456789abcdef0123456789abcdef", "brw") != mac
    assert derived_mac("fedcba9876543210fedcba9876543210", "brv") != mac


def test_derivation_needs_a_machine_id():
    host = state(bridge("brv", mac="0a:00:00:00:00:01", addr_assign_type=1),
                 link("va1", master="brv", mac="0a:00:00:00:00:01"))
    with pytest.raises(InvalidInput, match="machine-id"):
        choose_bridge_mac(host, host.links["brv"], policy="derived", machine_id=None)


def test_policy_uplink_without_an_uplink_is_an_error():
    host = state(bridge("brv", mac="0a:00:00:00:00:01", addr_assign_type=1),
                 link("va1", master="brv", mac="0a:00:00:00:00:01"))
    with pytest.raises(InvalidInput, match="policy=uplink"):
        choose_bridge_mac(host, host.links["brv"], policy="uplink")


def test_explicit_mac_wins_and_is_validated():
    host = _drifting()
    assert choose_bridge_mac(host, host.links["brx"], mac="02:AA:00:00:00:01") == ("02:aa:00:00:00:01", "explicit")
    with pytest.raises(InvalidInput):
        choose_bridge_mac(host, host.links["brx"], mac="01:aa:00:00:00:01")


def test_a_bridge_that_is_not_a_bridge_is_refused():
    host = _drifting()
    with pytest.raises(InvalidInput, match="agg0 is a bond, not a bridge"):
        the_bridge(host, "agg0")
    with pytest.raises(InvalidInput, match="no such interface"):
        the_bridge(host, "br9")
    with pytest.raises(InvalidInput, match="invalid interface name"):
        the_bridge(host, "br0/reboot")
    # a name the kernel accepts is looked up like any other (names are data)
    with pytest.raises(InvalidInput, match="no such interface on this host: 'br0;reboot'"):
        the_bridge(host, "br0;reboot")


# --------------------------------------------------------------------------------------------------------
# promisc plan (with a recording stand-in backend: the plan is what is tested, not a backend)


class RecordingBackend(Backend):
    name = "recording"

    def __init__(self, owned=()):
        super().__init__(host=None, run=None)
        self.owned = set(owned)
        self.asked = []

    def owner(self, ifname):
        return "test:%s" % ifname if ifname in self.owned else None

    def plan_promisc(self, ifname, enabled):
        self.asked.append((ifname, enabled))
        return Persistence(interface=ifname, backend=self.name,
                           files=[FileEdit("/x/%s" % ifname, None, "yes\n" if enabled else None)])


class Fallback(RecordingBackend):
    name = "fallback"


def _lags():
    return state(
        bridge("br0"),
        bond("ab0", "active-backup", active="lan0", master="br0"),
        link("lan0", "physical", master="ab0", slave_state="active", promisc=True, promiscuity=1),
        link("lan1", "physical", master="ab0", slave_state="backup", promisc=False),
        team("tm0", master="br0"),
        link("lan2", "physical", master="tm0", promisc=True, promisc_flag=True, promiscuity=2),
        bond("lonely", "802.3ad"),
        link("lan3", "physical", master="lonely"),
    )


def test_default_targets_are_ports_of_bridged_lags_only():
    owner, fallback = RecordingBackend(owned={"lan0"}), Fallback()
    plan = plan_port_promisc(_lags(), [], True, {}, [owner], fallback)
    assert [p.name for p in plan.ports] == ["lan0", "lan1", "lan2"]
    assert [p.runtime_changed for p in plan.ports] == [True, True, False]
    assert [p.persistence.backend for p in plan.ports] == ["recording", "fallback", "fallback"]
    assert "active slave only" in plan.ports[1].note and "backup slave" in plan.ports[1].note
    assert set(plan.ledger_after["ports"]) == {"lan0", "lan1", "lan2"}
    assert plan.ledger_after["ports"]["lan2"]["runtime_set"] is False  # the flag was there before us
    assert render_lines(whitelist_entries(_lags(), plan.ports)[0]) == [
        "if_promisc:ab0:bond, port of bridge br0 (hostnet.dockerhost):",
        "if_promisc:lan0:port of bond ab0 (hostnet.dockerhost):",
        "if_promisc:lan1:port of bond ab0 (hostnet.dockerhost):",
        "if_promisc:lan2:port of team tm0 (hostnet.dockerhost):",
        "if_promisc:tm0:team, port of bridge br0 (hostnet.dockerhost):",
    ]


def test_nothing_to_do_means_no_change_and_no_ledger_entry():
    host = _lags()
    for name in ("lan0", "lan1", "lan2"):
        host.links[name].promisc_flag = True
    plan = plan_port_promisc(host, ["ab0", "tm0"], True, {}, [], Fallback(), persist=False)
    assert not plan.changed
    assert plan.ledger_after == {}


def test_named_masters_must_be_lags():
    with pytest.raises(InvalidInput, match="br0 is a bridge"):
        plan_port_promisc(_lags(), ["br0"], True, {}, [], Fallback())
    with pytest.raises(InvalidInput, match="no such interface"):
        plan_port_promisc(_lags(), ["team0"], True, {}, [], Fallback())


def test_absent_reverts_only_what_the_ledger_records():
    host = _lags()
    host.links["lan1"].promisc_flag = True
    host.links["lan2"].promisc_flag = True
    ledger = {"ports": {"lan1": {"master": "ab0", "runtime_set": True, "backend": "fallback"},
                        "lan2": {"master": "tm0", "runtime_set": False, "backend": "fallback"}}}
    fallback = Fallback()
    plan = plan_port_promisc(host, [], False, ledger, [], fallback)
    by_name = {p.name: p for p in plan.ports}
    assert set(by_name) == {"lan1", "lan2"}
    assert by_name["lan1"].flag_after is False      # we set it: cleared
    assert by_name["lan2"].flag_after is True       # it was set before us: left alone
    assert sorted(fallback.asked) == [("lan1", False), ("lan2", False)]
    assert plan.ledger_after == {}


def test_absent_limited_to_named_masters_keeps_the_rest_recorded():
    ledger = {"ports": {"lan1": {"master": "ab0", "runtime_set": True, "backend": "fallback"},
                        "lan2": {"master": "tm0", "runtime_set": True, "backend": "fallback"}}}
    host = _lags()
    host.links["lan1"].promisc_flag = True  # still set by us: the record stays
    plan = plan_port_promisc(host, ["tm0"], False, ledger, [], Fallback())
    assert [p.name for p in plan.ports] == ["lan2"]
    assert list(plan.ledger_after["ports"]) == ["lan1"]
    assert plan.notes == []


class PersistedFallback(Fallback):
    """A fallback whose rule for the ports in ``persisted`` exists on disk."""

    def __init__(self, persisted=()):
        super().__init__()
        self.persisted = set(persisted)

    def plan_promisc(self, ifname, enabled):
        self.asked.append((ifname, enabled))
        before = "yes\n" if ifname in self.persisted else None
        return Persistence(interface=ifname, backend=self.name,
                           files=[FileEdit("/x/%s" % ifname, before, "yes\n" if enabled else None)])


def test_stale_records_are_forgotten_and_live_ones_kept():
    host = _lags()
    for name in ("lan0", "lan1", "lan2"):
        host.links[name].promisc_flag = True
    ledger = {"ports": {
        "gone0": {"master": "ab9", "runtime_set": True, "backend": None},        # interface gone, nothing persisted
        "gone1": {"master": "ab9", "runtime_set": True, "backend": "fallback"},  # gone, but its rule is still there
        "lan3": {"master": "lonely", "runtime_set": True, "backend": "fallback"},  # flag off now, rule removed
    }}
    plan = plan_port_promisc(host, ["ab0", "tm0"], True, ledger, [], PersistedFallback({"gone1"}), persist=False)
    assert not [p for p in plan.ports if p.runtime_changed]
    assert sorted(plan.ledger_after["ports"]) == ["gone1"]
    assert any("gone0" in n and "no longer exists" in n for n in plan.notes)
    assert any("lan3" in n and "no longer set by port_promisc" in n for n in plan.notes)
    assert plan.ledger_after != plan.ledger_before  # the ledger file is rewritten: the run reports a change


# --------------------------------------------------------------------------------------------------------
# owner choice


def test_first_claimant_owns_and_the_others_are_named():
    first, second = RecordingBackend(owned={"lan0"}), RecordingBackend(owned={"lan0"})
    second.name = "second"
    chosen, evidence, others = choose_backend("lan0", [first, second], Fallback())
    assert chosen is first and evidence == "test:lan0" and others == ["second (test:lan0)"]
    plan = plan_with_owner("lan0", "promisc", True, [first, second], Fallback())
    assert any("also configured by: second" in note for note in plan.notes)


def test_owner_that_cannot_persist_hands_over_to_the_fallback_and_says_why():
    class Old(RecordingBackend):
        def plan_promisc(self, ifname, enabled):
            raise Unsupported("NetworkManager 1.30 has no accept-all-mac-addresses")

    plan = plan_with_owner("lan0", "promisc", True, [Old(owned={"lan0"})], Fallback())
    assert plan.backend == "fallback"
    assert "1.30" in plan.notes[0] and "fallback" in plan.notes[0]


# --------------------------------------------------------------------------------------------------------
# systemd-networkd backend


def _networkd_host(tmp_path, version=252):
    lan = unit("/usr/lib/systemd/network/50-lan0.network", "[Match]\nName=lan0\n\n[Network]\nBond=ab0\n",
               dropins=[("/etc/systemd/network/50-lan0.network.d/99-user.conf", "[Link]\nPromiscuous=no\n")])
    brnet = unit("/etc/systemd/network/50-br0.network", "[Match]\nName=br0\n[Network]\nConfigureWithoutCarrier=yes\n")
    brdev = unit("/etc/systemd/network/50-br0.netdev", "[NetDev]\nName=br0\nKind=bridge\n")
    host = _lags()
    host.networkd = networkd(version, network_files=[brnet, lan],
                             link_network_file={"lan0": lan.path, "br0": brnet.path})
    host.networkd.netdev_files = [brdev]
    return NetworkdBackend(host, run=None, etc_dir=str(tmp_path))


def test_networkd_owns_what_it_applies_a_file_to(tmp_path):
    backend = _networkd_host(tmp_path)
    assert backend.owner("lan0") == "/usr/lib/systemd/network/50-lan0.network"
    assert backend.owner("br0") == "/etc/systemd/network/50-br0.network"
    assert backend.owner("lan1") is None
    backend.networkd.running = False
    assert backend.owner("lan0") is None


def test_networkd_promisc_is_a_dropin_in_etc_and_a_later_user_dropin_is_reported(tmp_path):
    plan = _networkd_host(tmp_path).plan_promisc("lan0", True)
    edit = plan.files[0]
    assert edit.path == os.path.join(str(tmp_path), "50-lan0.network.d", "90-hostnet-dockerhost-promisc.conf")
    assert edit.before is None and "[Link]\nPromiscuous=yes\n" in edit.after
    assert plan.reload == [["networkctl", "reload"]]
    assert any("99-user.conf:2 sets Promiscuous=no" in note for note in plan.notes)


def test_networkd_promisc_dropin_says_why_lag_port_or_named_interface(tmp_path):
    backend = _networkd_host(tmp_path)
    assert backend.plan_promisc("lan0", True).files[0].after.startswith(
        "# Managed by hostnet.dockerhost.port_promisc: keep lan0 promiscuous (port of a bridged LAG)\n")
    bridge_dropin = backend.plan_promisc("br0", True).files[0]  # seed 001: a bridge itself, named
    assert bridge_dropin.path == os.path.join(str(tmp_path), "50-br0.network.d", "90-hostnet-dockerhost-promisc.conf")
    assert bridge_dropin.after == ("# Managed by hostnet.dockerhost.port_promisc: keep br0 promiscuous (named in its "
                                   "interfaces option)\n# To undo: delete this file and run 'networkctl reload'.\n"
                                   "[Link]\nPromiscuous=yes\n")


def test_networkd_leaves_a_named_interface_to_the_fallback_when_its_network_is_shared(tmp_path):
    backend = _networkd_host(tmp_path)
    backend.networkd.link_network_file["lan3"] = "/etc/systemd/network/50-br0.network"  # a catch-all, say
    with pytest.raises(Unsupported, match="50-br0.network also applies to lan3, which a drop-in would make"):
        backend.plan_promisc("br0", True)
    plan = plan_with_owner("br0", "promisc", True, [backend], Fallback())
    assert plan.backend == "fallback" and "persisted through the fallback instead" in plan.notes[0]
    assert backend.plan_promisc("br0", False).files[0].action == "none"  # removal still planned through networkd


def test_networkd_dropin_is_idempotent_and_removable(tmp_path):
    backend = _networkd_host(tmp_path)
    edit = backend.plan_promisc("lan0", True).files[0]
    os.makedirs(os.path.dirname(edit.path))
    with open(edit.path, "w", encoding="utf-8") as handle:
        handle.write(edit.after)
    assert not backend.plan_promisc("lan0", True).changed
    removal = backend.plan_promisc("lan0", False)
    assert removal.changed and removal.files[0].after is None


def test_networkd_bridge_mac_goes_to_the_netdev_dropin(tmp_path):
    plan = _networkd_host(tmp_path).plan_mac("br0", "02:00:00:00:00:01")
    assert plan.files[0].path == dropin_path("/etc/systemd/network/50-br0.netdev", "mac", str(tmp_path))
    assert "[NetDev]\nMACAddress=02:00:00:00:00:01\n" in plan.files[0].after


def test_networkd_forwarding_dropin_uses_the_given_key(tmp_path):
    plan = _networkd_host(tmp_path).plan_forwarding("br0", [("IPv4Forwarding", "yes")])
    assert "[Network]\nIPv4Forwarding=yes\n" in plan.files[0].after
    with pytest.raises(Unsupported):
        _networkd_host(tmp_path).plan_forwarding("lan3", [("IPForward", "ipv4")])


# --------------------------------------------------------------------------------------------------------
# planned file edits


class FakeModule:
    def atomic_move(self, src, dest):
        os.rename(src, dest)

    def backup_local(self, path):
        copy = path + ".bak"
        with open(path, encoding="utf-8") as src, open(copy, "w", encoding="utf-8") as dst:
            dst.write(src.read())
        return copy


def test_file_edits_write_only_what_changed_and_remove(tmp_path):
    keep = tmp_path / "keep.conf"
    keep.write_text("same\n")
    before = os.stat(keep).st_mtime_ns
    new = tmp_path / "sub" / "new.conf"
    gone = tmp_path / "gone.conf"
    gone.write_text("old\n")
    edits = [plan_file(str(keep), "same\n"), plan_file(str(new), "fresh\n", mode=0o600),
             FileEdit(str(gone), "old\n", None)]
    assert [e.action for e in edits] == ["none", "create", "remove"]
    backups = apply_file_edits(FakeModule(), edits, backup=True)
    assert os.stat(keep).st_mtime_ns == before
    assert new.read_text() == "fresh\n" and oct(os.stat(new).st_mode & 0o777) == "0o600"
    # AnsibleModule.backup_local's naming: FILE.PID.YYYY-MM-DD@HH:MM:SS~
    assert not gone.exists() and len(backups) == 1 and backups[0].startswith(str(gone) + ".%d." % os.getpid())
    assert backups[0].endswith("~") and open(backups[0], encoding="utf-8").read() == "old\n"
    assert not [p for p in os.listdir(tmp_path / "sub") if p.startswith(".hostnet-")]
