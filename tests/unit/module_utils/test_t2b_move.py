# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""t2b_move.Mover against a small fake kernel (masters of links, teamd's ports): the order of the runtime
moves, make-before-break both ways, and the refused second port. The real kernel runs it in the lab
(extensions/molecule/t2b_networkd)."""

from __future__ import annotations

__metaclass__ = type

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_host as _t2b_host
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_move as _t2b_move


class FakeKernel:
    """Masters of links; ``events`` lists what carried the bridge's traffic after each change."""

    def __init__(self, team, ports, bridge, active):
        self.master = {team: bridge}
        self.master.update({p: team for p in ports})
        self.team, self.bridge, self.active = team, bridge, active
        self.links = {team, bridge} | set(ports)
        self.commands = []
        self.carriers = []  # after each command: the bridge's LAG port and its ports

    def run(self, argv, check=True, stdin=None):
        self.commands.append(list(argv) + ([stdin] if stdin else []))
        if argv[:3] == ["ip", "link", "add"]:
            self.links.add(argv[3])
        elif argv[:3] == ["ip", "link", "delete"]:
            self.links.discard(argv[3])
            self.master = {k: v for k, v in self.master.items() if v != argv[3] and k != argv[3]}
        elif argv[:2] == ["ip", "-batch"]:
            for line in stdin.strip().splitlines():
                words = line.split()
                dev = words[3]
                if words[4:5] == ["nomaster"]:
                    self.master.pop(dev, None)
                elif words[4:5] == ["master"]:
                    self.master[dev] = words[5]
        elif argv[0] == "teamdctl" and argv[2:4] == ["port", "remove"]:
            self.master.pop(argv[4], None)
        elif argv[0] == "teamdctl" and argv[2:4] == ["port", "add"]:
            self.master[argv[4]] = argv[1]
        elif argv[0] == "teamdctl" and argv[2:] == ["state", "item", "get", "runner.active_port"]:
            return 0, self.active + "\n"
        lag = [k for k, v in self.master.items() if v == self.bridge]
        self.carriers.append({name: sorted(p for p, m in self.master.items() if m == name) for name in lag})
        return 0, ""


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    fake = FakeKernel("team1", ["eno2", "eno3"], "br1", active="eno2")
    monkeypatch.setattr(_t2b_move, "PORT_SETTLE", 0.1)

    def master_of(name):
        return fake.master.get(name)

    monkeypatch.setattr(_t2b_move, "master_of", master_of)
    monkeypatch.setattr(_t2b_move, "brport_attrs", lambda port: ["cost", "7", "hairpin", "on"])
    monkeypatch.setattr(_t2b_move, "net", lambda name, attr, default=None: {
        "carrier": "1", "addr_assign_type": "3", "bridge/vlan_filtering": "0"}.get(attr, default))
    monkeypatch.setattr(_t2b_move.os.path, "isdir", lambda path: path.split("/")[4] in fake.links)
    monkeypatch.setattr(_t2b_host, "announce", lambda *a, **kw: 2)
    monkeypatch.setattr(_t2b_move.Mover, "create_bond", lambda self: (fake.run(["ip", "link", "add", "bond1"]),
                                                                      self.save(stage="created")))
    fake.directory = str(tmp_path)
    return fake


SPEC = {"team": "team1", "bond": "bond1", "bridge": "br1", "mode": "active-backup", "ports": ["eno2", "eno3"],
        "options": [["mode", "active-backup"]], "mac": None, "mtu": None, "lacp_wait": 0}


def test_active_backup_moves_inactive_port_first_and_never_leaves_the_bridge_without_a_carrier(kernel):
    timing = _t2b_move.Mover(kernel.directory, dict(SPEC), kernel.run, lambda d, m: None).forward()
    assert timing["ports_order"] == ["eno3", "eno2"]  # eno2 is the team's active port: it moves last
    assert kernel.master == {"bond1": "br1", "eno2": "bond1", "eno3": "bond1"}
    # at every step the bridge had one LAG port with a port of its own
    assert all(len(state) == 1 and all(ports for ports in state.values()) for state in kernel.carriers)
    swap = next(c for c in kernel.commands if c[:2] == ["ip", "-batch"] and "nomaster" in c[-1] and "br1" in c[-1])
    assert swap[-1].splitlines() == ["link set dev team1 nomaster", "link set dev bond1 master br1",
                                     "link set dev bond1 type bridge_slave cost 7 hairpin on"]
    assert timing["bridge"] == "br1" and timing["swap_seconds"] >= 0 and timing["announced"] == 2
    # the bond forwarded on its first port at the swap: the host's gap is the swap batch alone
    assert timing["bridge_without_lag_seconds"] == timing["swap_seconds"]


def test_back_returns_the_ports_to_the_running_team_make_before_break(kernel):
    mover = _t2b_move.Mover(kernel.directory, dict(SPEC), kernel.run, lambda d, m: None)
    mover.forward()
    kernel.carriers.clear()
    back = _t2b_move.Mover(kernel.directory, dict(SPEC), kernel.run, lambda d, m: None).back()
    assert kernel.master == {"team1": "br1", "eno2": "team1", "eno3": "team1"}
    assert "bond1" not in kernel.links
    assert all(len(state) == 1 and all(ports for ports in state.values()) for state in kernel.carriers[:-1])
    assert back["team"] == "team1" and "swap_at" in back


def test_refused_second_port_rolls_back_with_both_ports_in_the_team(kernel):
    mover = _t2b_move.Mover(kernel.directory, dict(SPEC), kernel.run, lambda d, m: None, {"refuse_port": "eno2"})
    with pytest.raises(_t2b_move.MoveFailed, match="refused its second port eno2"):
        mover.forward()
    assert kernel.master.get("eno2") is None and kernel.master["bond1"] == "br1"  # caught between the two
    _t2b_move.Mover(kernel.directory, dict(SPEC), kernel.run, lambda d, m: None).back()
    assert kernel.master == {"team1": "br1", "eno2": "team1", "eno3": "team1"}


def test_nothing_done_nothing_to_undo(kernel):
    assert _t2b_move.Mover(kernel.directory, dict(SPEC), kernel.run, lambda d, m: None).back() is None
    assert kernel.commands == []


@pytest.mark.parametrize("sysfs, bits", [("N/A\n", 0), ("61\n", 61), (None, 0), ("", 0)])
def test_lacp_state_of_a_port_without_an_aggregator_is_zero(monkeypatch, sysfs, bits):
    # the kernel prints "N/A" for a bond port that has no aggregator yet (bond_sysfs_slave.c); the lab's
    # controller_killed run failed on int('N/A') while the partner was still negotiating
    monkeypatch.setattr(_t2b_move, "net", lambda name, attr, default=None: sysfs if sysfs is not None else default)
    assert _t2b_move.lacp_state("eno1") == bits
    spec = dict(SPEC, mode="802.3ad", ports=["eno1"])
    mover = _t2b_move.Mover.__new__(_t2b_move.Mover)
    mover.spec = spec
    monkeypatch.setattr(_t2b_move, "net", lambda name, attr, default=None: "1" if attr == "carrier" else sysfs)
    assert mover.ready("bond1", ["eno1"]) is (bits & _t2b_move.LACP_DISTRIBUTING == _t2b_move.LACP_DISTRIBUTING)


def test_a_port_teamd_pulls_out_after_its_move_is_enslaved_again(kernel):
    # teamd, when it had not let go of a port itself, releases it again from whatever master it has by then
    # (the lab's controller_killed run: bond1 lost its last port after the move and the apply timed out)
    pulled = {"done": False}
    run = kernel.run

    def teamd_pulls(argv, check=True, stdin=None):
        result = run(argv, check, stdin)
        if argv[:2] == ["ip", "-batch"] and "eno2 master bond1" in (stdin or "") and not pulled["done"]:
            pulled["done"] = True
            kernel.master.pop("eno2", None)
        return result

    mover = _t2b_move.Mover(kernel.directory, SPEC, teamd_pulls, lambda *a: None)
    mover.forward()
    assert pulled["done"] and kernel.master["eno2"] == "bond1" and kernel.master["eno3"] == "bond1"
