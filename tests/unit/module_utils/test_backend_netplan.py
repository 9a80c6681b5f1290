# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_backends/netplan.py and _syntax/netplan.py: which YAML defines an interface, the units netplan generates,
where each fix goes (drop-ins for the generated units, the bridge MAC in our own netplan file), and that the
netplan backend is asked before systemd-networkd, which leaves netplan's units alone."""

from __future__ import annotations

import os

import pytest

from hostnet_builders import bond, bridge, link, networkd, state, unit

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import choose_backend, plan_with_owner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.fallback import FallbackBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.netplan import NetplanBackend, read_netplan_files
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.registry import host_backends
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax import netplan as syntax

RUN = "/run/systemd/network/"
ADMIN = "/etc/netplan/50-lab.yaml"
ADMIN_TEXT = """# as an operator writes it
network:
  version: 2
  renderer: networkd
  ethernets:
    lan0: {}
    lan1:
      link-local: []
  bonds:
    bnp0:
      interfaces: [lan0, lan1]
      parameters:
        mode: active-backup
        primary: lan0
  bridges:
    brp:
      interfaces: [bnp0]
    brk:
      addresses: [198.51.100.1/24]
"""
MAC = "02:00:5e:10:00:01"


# ------------------------------------------------------------------------------------------ syntax


def test_file_order_by_name_and_run_hides_etc_hides_lib():
    listing = {"/lib/netplan": ["00-a.yaml", "50-lab.yaml"], "/etc/netplan": ["50-lab.yaml", "10-b.yaml", "x.yml"],
               "/run/netplan": ["10-b.yaml"]}
    assert syntax.netplan_file_order(listing) == ["/lib/netplan/00-a.yaml", "/run/netplan/10-b.yaml",
                                                  "/etc/netplan/50-lab.yaml"]


@pytest.mark.parametrize("path, ident", [
    (RUN + "10-netplan-brp.netdev", "brp"),
    (RUN + "10-netplan-lan0.network", "lan0"),
    ("/etc/systemd/network/10-netplan-brp.network", None),  # not netplan's directory
    (RUN + "50-lab-brp.network", None),
    (RUN + "10-netplan-.network", None),
])
def test_generated_units_name_their_netplan_id(path, ident):
    assert syntax.generated_id(path) == ident


def test_definitions_merge_across_files_in_order():
    own = syntax.render_own_file({"brp": MAC})
    defs = syntax.definitions([(ADMIN, ADMIN_TEXT), (syntax.OWN_FILE, own)])
    assert [(p, k) for p, k, _d in defs["brp"]] == [(ADMIN, "bridges"), (syntax.OWN_FILE, "bridges")]
    assert defs["brp"][1][2] == {"macaddress": MAC}
    assert [k for _p, k, _d in defs["lan0"]] == ["ethernets"] and "bnp0" in defs and "brk" in defs


def test_the_line_scanner_finds_the_same_ids_without_pyyaml(monkeypatch):
    with_yaml = {kind: sorted(ids) for kind, ids in syntax.parse_netplan(ADMIN_TEXT).items() if ids}
    monkeypatch.setattr(syntax, "yaml", None)
    without = {kind: sorted(ids) for kind, ids in syntax.parse_netplan(ADMIN_TEXT).items() if ids}
    assert without == with_yaml == {"ethernets": ["lan0", "lan1"], "bonds": ["bnp0"], "bridges": ["brk", "brp"]}


def test_broken_yaml_is_a_value_error():
    with pytest.raises(ValueError):
        syntax.parse_netplan("network:\n  bridges: [unclosed\n")
    with pytest.raises(ValueError):
        syntax.parse_netplan("network:\n  bridges: 3\n")
    assert syntax.parse_netplan("# nothing\n") == {}


def test_own_file_round_trips_and_refuses_hand_edits():
    text = syntax.render_own_file({"brz": "02:00:00:00:00:02", "brp": MAC})
    assert text.index("brp:") < text.index("brz:")  # sorted, stable bytes
    assert syntax.parse_own_file(text) == {"brz": "02:00:00:00:00:02", "brp": MAC}
    assert syntax.render_own_file({}) is None and syntax.parse_own_file(None) == {}
    with pytest.raises(ValueError):
        syntax.parse_own_file(text + "      mtu: 9000\n")


# ------------------------------------------------------------------------------------------ backend


def _host():
    units = {name: unit(RUN + "10-netplan-%s.network" % name, "[Match]\nName=%s\n" % name)
             for name in ("lan0", "lan1", "bnp0", "brp", "brk", "mgmt")}
    other = unit("/etc/systemd/network/50-lab-bro.network", "[Match]\nName=bro\n")
    host = state(bridge("brp", addr_assign_type=1), bridge("brk"), bridge("bro"),
                 bond("bnp0", "active-backup", active="lan0", master="brp"),
                 link("lan0", "physical", master="bnp0", promisc=True), link("lan1", "physical", master="bnp0", promisc=False))
    host.networkd = networkd(257, network_files=list(units.values()) + [other],
                             link_network_file={name: u.path for name, u in units.items() if name != "mgmt"} | {"bro": other.path})
    host.networkd.netdev_files = [unit(RUN + "10-netplan-brp.netdev", "[NetDev]\nName=brp\nKind=bridge\n",
                                       dropins=[("/etc/systemd/network/10-netplan-brp.netdev.d/50-lab.conf",
                                                 "[NetDev]\nMACAddress=none\n")])]
    return host


def _backend(tmp_path, files=None):
    own = str(tmp_path / "90-hostnet-dockerhost.yaml")
    files = [(ADMIN, ADMIN_TEXT)] if files is None else files
    return NetplanBackend(_host(), run=None, etc_dir=str(tmp_path / "network"), files=files, own_file=own)


def test_netplan_owns_its_generated_units_and_networkd_leaves_them(tmp_path):
    backend = _backend(tmp_path)
    networkd_backend = NetworkdBackend(backend.host, run=None)
    for name in ("lan0", "lan1", "bnp0", "brp", "brk"):
        assert backend.owner(name) == ADMIN
        assert networkd_backend.owner(name) is None
    assert backend.owner("bro") is None and networkd_backend.owner("bro") == "/etc/systemd/network/50-lab-bro.network"
    chosen, evidence, others = choose_backend("brp", [backend, networkd_backend], FallbackBackend(backend.host, None))
    assert (chosen.name, evidence, others) == ("netplan", ADMIN, [])


def test_host_backends_ask_netplan_before_networkd():
    names = [b.name for b in host_backends(_host(), None)[0]]
    assert names.index("netplan") < names.index("systemd-networkd")


def test_a_generated_unit_whose_yaml_is_gone_is_still_netplans(tmp_path):
    assert "no netplan file defines brp now" in _backend(tmp_path, files=[]).owner("brp")


def test_promisc_is_a_dropin_for_the_generated_unit(tmp_path):
    plan = _backend(tmp_path).plan_promisc("lan1", True)
    assert (plan.backend, plan.owner) == ("netplan", ADMIN)
    assert plan.files[0].path == str(tmp_path / "network" / "10-netplan-lan1.network.d" / "90-hostnet-dockerhost-promisc.conf")
    assert "[Link]\nPromiscuous=yes\n" in plan.files[0].after
    assert plan.reload == [["networkctl", "reload"]]
    assert any("netplan has no key for promiscuous mode" in note for note in plan.notes)


def test_forwarding_is_a_dropin_for_the_generated_unit_and_networkd_units_stay_networkds(tmp_path):
    backend = _backend(tmp_path)
    plan = backend.plan_forwarding("brp", [("IPv4Forwarding", "yes")])
    assert (plan.backend, plan.owner) == ("netplan", ADMIN)
    assert plan.files[0].path.endswith("/10-netplan-brp.network.d/90-hostnet-dockerhost-forwarding.conf")
    other = backend.plan_forwarding("bro", [("IPv4Forwarding", "yes")])
    assert (other.backend, other.owner) == ("systemd-networkd", "/etc/systemd/network/50-lab-bro.network")


def test_bridge_mac_goes_to_our_own_netplan_file_and_is_removed_with_the_last_pin(tmp_path):
    backend = _backend(tmp_path)
    plan = backend.plan_mac("brp", MAC)
    edit = plan.files[0]
    assert (plan.backend, plan.owner, edit.path, edit.mode) == ("netplan", ADMIN, backend.own_file, 0o600)
    assert syntax.parse_own_file(edit.after) == {"brp": MAC}
    assert plan.reload == [["netplan", "generate"], ["networkctl", "reload"]]
    with open(edit.path, "w", encoding="utf-8") as handle:
        handle.write(syntax.render_own_file({"brp": MAC, "brk": "02:00:00:00:00:09"}))
    assert not backend.plan_mac("brp", MAC).changed
    assert syntax.parse_own_file(backend.plan_mac("brp", None).files[0].after) == {"brk": "02:00:00:00:00:09"}
    with open(edit.path, "w", encoding="utf-8") as handle:
        handle.write(syntax.render_own_file({"brp": MAC}))
    removal = backend.plan_mac("brp", None)
    assert removal.changed and removal.files[0].after is None


def test_bridge_mac_only_for_bridges_an_operator_file_defines(tmp_path):
    backend = _backend(tmp_path, files=[(ADMIN, ADMIN_TEXT), (str(tmp_path / "90-hostnet-dockerhost.yaml"),
                                                              syntax.render_own_file({"brq": MAC}))])
    with pytest.raises(Unsupported):
        backend.plan_mac("brq", MAC)  # only our own file names it: ours alone would create a bridge
    with pytest.raises(Unsupported):
        backend.plan_mac("lan0", MAC)  # an ethernet, not a bridge
    plan = plan_with_owner("brq", "mac", MAC, [backend], FallbackBackend(backend.host, None))
    assert plan.backend == "fallback"


def test_a_later_operator_macaddress_wins_and_is_reported(tmp_path):
    later = "/etc/netplan/99-late.yaml"
    plan = _backend(tmp_path, files=[(ADMIN, ADMIN_TEXT),
                                     (later, 'network:\n  bridges:\n    brp:\n      macaddress: "02:00:00:00:00:07"\n')]
                    ).plan_mac("brp", MAC)
    assert any(later in note and "wins" in note for note in plan.notes)


def test_a_hand_edited_own_file_is_refused(tmp_path):
    backend = _backend(tmp_path)
    with open(backend.own_file, "w", encoding="utf-8") as handle:
        handle.write("network:\n  bridges:\n    brp:\n      stp: true\n")
    with pytest.raises(HostnetError):
        backend.plan_mac("brp", MAC)


def test_read_netplan_files_reads_the_directories_in_netplans_order(tmp_path):
    for directory, name in (("lib", "50-x.yaml"), ("etc", "50-x.yaml"), ("etc", "10-y.yaml"), ("run", "notes.txt")):
        os.makedirs(str(tmp_path / directory), exist_ok=True)
        (tmp_path / directory / name).write_text("network: {}\n# %s\n" % directory)
    files = read_netplan_files(dirs=[str(tmp_path / d) for d in ("lib", "etc", "run", "missing")])
    assert [(os.path.relpath(path, str(tmp_path)), text.split("# ")[1]) for path, text in files] == [
        ("etc/10-y.yaml", "etc\n"), ("etc/50-x.yaml", "etc\n")]
