# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team -> bond transaction's runtime moves (make-before-break), shipped beside ``t2b_txn.py``.

Standard library only, no collection imports. Per team (``Mover.forward``): create the bond with the plan's
options (sysfs names), the team's MAC and MTU; pin the bridge's MAC when it has none of its own; move the
team's ports one at a time (active-backup: the team's inactive port first; 802.3ad: all but one, then wait
up to ``lacp_wait`` s for the bond's carrier while the team's last port still carries traffic); swap the
bridge port in one ``ip -batch`` (team out, bond in with the team's port attributes; its VLANs when the
bridge filters VLANs); move the last port; announce the bridge's addresses and the MACs behind it through
the bond (gratuitous ARP, unsolicited NA, RARP learning frames as a hypervisor does after a move).
``Mover.back`` undoes it the same way (ports back one at a time, the team into the bridge), from what
``runtime.json`` says was done. Every step is recorded in ``runtime.json`` before the next one starts.
"""

from __future__ import annotations

__metaclass__ = type

import json
import os
import sys
import time

if __package__:
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_host
else:  # on the host, beside t2b_txn.py and t2b_host.py (t2b_txn put their directory on sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import t2b_host

# brport sysfs file -> ``ip link set dev X type bridge_slave`` keyword (iproute2 >= 5.x)
BRPORT_ATTRS = (("path_cost", "cost"), ("priority", "priority"), ("hairpin_mode", "hairpin"),
                ("learning", "learning"), ("unicast_flood", "flood"), ("multicast_flood", "mcast_flood"),
                ("broadcast_flood", "bcast_flood"), ("isolated", "isolated"), ("bpdu_guard", "guard"),
                ("root_block", "root_block"), ("proxyarp", "proxy_arp"), ("neigh_suppress", "neigh_suppress"))
BOOL_KEYWORDS = {"hairpin", "learning", "flood", "mcast_flood", "bcast_flood", "isolated", "guard", "root_block",
                 "proxy_arp", "neigh_suppress"}
NET_ADDR_SET = 3
LACP_DISTRIBUTING = 0x20  # ad_actor_oper_port_state: collecting 0x10, distributing 0x20
POLL = 0.02
# Seconds a port moved into the bond is watched: teamd, when it had not let go of the port itself (its
# `teamdctl port remove` failed or came late on a loaded host), releases it again from whatever master it has
# by then - the lab saw bond1 lose its last port that way. A port pulled out is put back (3 times at most).
PORT_SETTLE = 2.0


class MoveFailed(Exception):
    pass


net = t2b_host.net
master_of = t2b_host.link_master


def lacp_state(port):
    """The bond port's LACP actor state bits; 0 while the port has no aggregator yet (sysfs says "N/A")."""
    value = (net(port, "bonding_slave/ad_actor_oper_port_state", "") or "").strip()
    return int(value) if value.isdigit() else 0


def brport_attrs(port):
    attrs = []
    for sysname, keyword in BRPORT_ATTRS:
        value = net(port, "brport/" + sysname)
        if value is None:
            continue
        if keyword in BOOL_KEYWORDS:
            value = "on" if value.strip() not in ("0", "") else "off"
        attrs += [keyword, value]
    return attrs


class Mover:
    """One team's move; ``run(argv, check=True, stdin=None) -> (rc, out)`` logs and raises on failure."""

    def __init__(self, directory, spec, run, log, inject=None):
        self.directory, self.spec, self.run, self.log = directory, spec, run, log
        self.inject = inject or {}
        self.path = os.path.join(directory, "runtime-%s.json" % spec["team"])
        self.rec = self.load() or {"team": spec["team"], "bond": spec["bond"], "stage": "planned", "in_bond": []}

    def load(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def save(self, **changes):
        self.rec.update(changes)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(self.rec, out, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    # ------------------------------------------------------------------ forward

    def port_order(self):
        """Active-backup: the team's inactive ports first, its active port last; else as planned."""
        ports = list(self.spec["ports"])
        if self.spec["mode"] == "active-backup":
            rc, out = self.run(["teamdctl", self.spec["team"], "state", "item", "get", "runner.active_port"],
                               check=False)
            active = out.strip() if rc == 0 else ""
            if active in ports:
                ports.remove(active)
                ports.append(active)
        return ports

    def create_bond(self):
        spec, bond = self.spec, self.spec["bond"]
        argv = ["ip", "link", "add", bond]
        if spec.get("mac"):
            argv += ["address", spec["mac"]]
        if spec.get("mtu"):
            argv += ["mtu", str(spec["mtu"])]
        self.run(argv + ["type", "bond"])
        self.save(stage="created", created=time.time())
        # The kernel's own names (sysfs), in the plan's order (mode first: it can change only while down).
        for key, value in spec["options"]:
            values = ["+" + v for v in str(value).replace(",", " ").split()] if key == "arp_ip_target" else [str(value)]
            for one in values:
                try:
                    with open("/sys/class/net/%s/bonding/%s" % (bond, key), "w", encoding="utf-8") as out:
                        out.write(one)
                except OSError as exc:
                    raise MoveFailed("the kernel refused %s option %s=%s: %s" % (bond, key, value, exc.strerror or exc))
        self.log(self.directory, "%s: options %s" % (bond, " ".join("%s=%s" % tuple(kv) for kv in spec["options"])))
        # No IPv6 link-local on the bond: it is a bridge port; the team's ports still carry the team's MAC.
        self.run(["ip", "link", "set", bond, "addrgenmode", "none"], check=False)
        self.run(["ip", "link", "set", bond, "up"])

    def pin_bridge_mac(self):
        bridge = self.spec.get("bridge")
        if bridge and net(bridge, "addr_assign_type") not in (None, str(NET_ADDR_SET)):
            mac = net(bridge, "address")
            self.run(["ip", "link", "set", bridge, "address", mac])
            self.save(pinned_bridge_mac=mac)

    def batch(self, lines):
        """Netlink changes in one ``ip -batch`` (one process, milliseconds between the lines)."""
        before = time.time()
        self.run(["ip", "-batch", "-"], stdin="\n".join(lines) + "\n")
        return before, time.time()

    def record(self, **changes):
        bond = self.spec["bond"]
        self.save(in_bond=[p for p in self.spec["ports"] if master_of(p) == bond], **changes)

    def out_of_lag(self, port, lag):
        """Lines that take ``port`` out of ``lag`` (the kernel closes it) and keep it down."""
        return (["link set dev %s nomaster" % port] if master_of(port) == lag else []) + ["link set dev %s down" % port]

    def into_team(self, port):
        """teamd adds the port (and opens it); its runner then knows it as its own."""
        rc, _out = self.run(["teamdctl", self.spec["team"], "port", "add", port], check=False)
        if rc != 0 and master_of(port) != self.spec["team"]:
            self.run(["ip", "link", "set", "dev", port, "master", self.spec["team"]])
        self.run(["ip", "link", "set", "dev", port, "up"], check=False)

    def let_go(self, port):
        """teamd removes ``port`` itself, and the move waits until it has (at most 5 s)."""
        team = self.spec["team"]
        rc, out = self.run(["teamdctl", team, "port", "remove", port], check=False)
        if rc != 0:
            self.log(self.directory, "teamdctl %s port remove %s: rc %d %s" % (team, port, rc, out.strip()[:200]))
        deadline = time.time() + 5
        while master_of(port) == team and time.time() < deadline:
            time.sleep(POLL)

    def keep_in_bond(self, ports):
        """Watch ``ports`` for PORT_SETTLE s after their move; one pulled out of the bond is enslaved again."""
        bond = self.spec["bond"]
        deadline, again = time.time() + PORT_SETTLE, 0
        while ports and time.time() < deadline:
            lost = [p for p in ports if master_of(p) != bond]
            if lost and again < 3:
                again += 1
                self.log(self.directory, "%s left %s after its move (master now %s); enslaving it again" % (
                    " ".join(lost), bond, ", ".join(str(master_of(p)) for p in lost)))
                self.batch([line for p in lost for line in self.out_of_lag(p, master_of(p))] +
                           ["link set dev %s master %s" % (p, bond) for p in lost])
            time.sleep(POLL * 5)

    def swap_lines(self, old, new, attrs):
        """The bridge port swap: ``old`` out of the bridge, ``new`` in with the port attributes ``attrs``."""
        lines = ["link set dev %s nomaster" % old, "link set dev %s master %s" % (new, self.spec["bridge"])]
        if attrs:
            lines.append("link set dev %s type bridge_slave %s" % (new, " ".join(attrs)))
        return lines

    def set_vlans(self, port, vlans):
        if vlans is None:
            return
        cmds = ["vlan del dev %s vid 1" % port] if not any(v["vlan"] == 1 for v in vlans) else []
        for v in vlans:
            flags = [word for word, flag in (("pvid", "PVID"), ("untagged", "Egress Untagged"))
                     if flag in v.get("flags", [])]
            cmds.append("vlan add dev %s vid %d %s" % (port, v["vlan"], " ".join(flags)))
        self.run(["bridge", "-batch", "-"], stdin="\n".join(cmds) + "\n")

    def vlans_of(self, port):
        if net(self.spec["bridge"], "bridge/vlan_filtering") != "1":
            return None
        rc, out = self.run(["bridge", "-j", "vlan", "show", "dev", port])
        try:
            entries = json.loads(out or "[]") if rc == 0 else []
        except ValueError:
            raise MoveFailed("bridge -j vlan show dev %s: not JSON" % port)
        vlans = []
        for entry in entries:
            if entry.get("ifname") == port:
                for v in entry.get("vlans", []):
                    for vid in range(v["vlan"], v.get("vlanEnd", v["vlan"]) + 1):
                        vlans.append({"vlan": vid, "flags": v.get("flags", [])})
        return vlans

    def ready(self, lag, ports):
        """The LAG forwards: carrier, and for 802.3ad a port of ``ports`` collecting and distributing."""
        if net(lag, "carrier") != "1":
            return False
        if self.spec["mode"] != "802.3ad" or lag != self.spec["bond"]:
            return True
        return any(lacp_state(p) & LACP_DISTRIBUTING == LACP_DISTRIBUTING for p in ports)

    def wait_ready(self, lag, ports, seconds):
        began = time.time()
        while not self.ready(lag, ports) and time.time() - began < seconds:
            time.sleep(POLL)
        ok = self.ready(lag, ports)
        self.log(self.directory, "%s %s after %.2fs with %s" % (lag, "forwards" if ok else "does not forward yet",
                                                                time.time() - began, " ".join(ports)))
        return ok

    def forward(self):
        spec = self.spec
        team, bond, bridge = spec["team"], spec["bond"], spec.get("bridge")
        started = time.time()
        self.save(stage="starting", started=started, team_attrs=brport_attrs(team) if bridge else [],
                  team_vlans=self.vlans_of(team) if bridge else None)
        self.pin_bridge_mac()
        self.create_bond()
        ports = self.port_order()
        first, last = ports[:-1], ports[-1]
        first_moved = time.time()
        for port in first:  # the team keeps carrying on its last port meanwhile
            self.let_go(port)
            self.batch(self.out_of_lag(port, team) + ["link set dev %s master %s" % (port, bond)])
            self.record(stage="first_ports")
        self.keep_in_bond(first)
        if first and spec["mode"] == "802.3ad":
            self.wait_ready(bond, first, spec.get("lacp_wait", 3.0))
        # The bridge port swap in one batch; then the team's last port: teamd lets go of it itself (a port
        # taken from under teamd is released again by teamd, from whatever master it has by then).
        swap_from = swap_to = time.time()
        forwarding_at_swap = False
        if bridge:
            swap_from, swap_to = self.batch(self.swap_lines(team, bond, self.rec["team_attrs"]))
            forwarding_at_swap = self.ready(bond, first)  # active-backup: the bond's first port carries at once
            self.record(stage="swapped", swap_from=swap_from, swap_to=swap_to)
            self.set_vlans(bond, self.rec["team_vlans"])
        self.let_go(last)
        if self.inject.get("refuse_port") == last:
            self.batch(self.out_of_lag(last, team))
            self.record(stage="refused")
            self.log(self.directory, "fault injection: %s refused %s, as the kernel would" % (bond, last))
            raise MoveFailed("%s refused its second port %s (injected fault)" % (bond, last))
        self.batch(self.out_of_lag(last, team) + ["link set dev %s master %s" % (last, bond)])
        last_moved = time.time()
        self.keep_in_bond([last])
        self.record(stage="moved")
        up = self.wait_ready(bond, ports, spec.get("carrier_wait", 10.0))
        forwarding = time.time()
        announced = t2b_host.announce(bond, bridge, self.log, self.directory)
        timing = {"team": team, "bond": bond, "bridge": bridge, "ports_order": ports, "bond_forwards": up,
                  "first_port_moved": round(first_moved, 3), "last_port_moved": round(last_moved, 3),
                  "ports_seconds": round(last_moved - first_moved, 3), "swap_at": round(swap_from, 3),
                  "swap_seconds": round(swap_to - swap_from, 3), "announced": announced,
                  # the host's view of the gap: from the bridge port swap until the bond forwards (the swap
                  # batch alone when the bond forwarded on its first ports already)
                  "bridge_without_lag_seconds": round((swap_to if forwarding_at_swap else forwarding) - swap_from, 3),
                  "seconds": round(time.time() - started, 3)}
        self.save(stage="bond_running", timing=timing)
        return timing

    # ------------------------------------------------------------------ back

    def back(self):
        """Make-before-break the other way, from the kernel's state; returns the timing of the way back."""
        team, bond, bridge = self.spec["team"], self.spec["bond"], self.spec.get("bridge")
        started = time.time()
        if self.rec.get("stage") == "planned":
            return None
        if not os.path.isdir("/sys/class/net/%s" % team):
            raise MoveFailed("%s is gone; it cannot take its ports back" % team)
        in_bond = [p for p in self.spec["ports"] if master_of(p) == bond]
        swapped = bool(bridge) and master_of(bond) == bridge
        timing = {"team": team, "bond": bond, "bridge": bridge}
        keep = in_bond[-1:] if swapped else []  # the bond carries on it until the swap back
        for port in [p for p in in_bond if p not in keep]:
            self.batch(self.out_of_lag(port, bond))
            self.into_team(port)
        for port in [p for p in self.spec["ports"] if master_of(p) is None]:  # caught between the two
            self.into_team(port)
        if swapped:
            self.wait_ready(team, [], self.spec.get("lacp_wait", 3.0))
            lines = self.swap_lines(bond, team, self.rec.get("team_attrs") or [])
            swap_from, swap_to = self.batch(lines + [line for p in keep for line in self.out_of_lag(p, bond)])
            self.set_vlans(team, self.rec.get("team_vlans"))
            timing.update(swap_at=round(swap_from, 3), swap_seconds=round(swap_to - swap_from, 3))
            for port in keep:
                self.into_team(port)
        if os.path.isdir("/sys/class/net/%s" % bond):
            self.run(["ip", "link", "delete", bond], check=False)
        # teamd may give a team that was left without ports the MAC of the port that comes back first (the lab's
        # refused_port fault, 2026-12-07): the team keeps the MAC it had
        mac = self.spec.get("mac")
        if mac and net(team, "address") not in (None, mac):
            self.run(["ip", "link", "set", "dev", team, "address", mac], check=False)
        self.wait_ready(team, [], self.spec.get("carrier_wait", 10.0))
        if "swap_at" in timing:
            timing["bridge_without_lag_seconds"] = round(time.time() - timing["swap_at"], 3)
        timing["announced"] = t2b_host.announce(team, bridge, self.log, self.directory)
        timing["seconds"] = round(time.time() - started, 3)
        self.save(stage="rolled_back", back=timing)
        return timing


# ---------------------------------------------------------------------------------------- the transaction's part


def take_inject(directory, state_root):
    path = os.path.join(state_root, "t2b-inject.json")
    data = t2b_host.read_json(path)
    if os.path.lexists(path):
        os.unlink(path)
        t2b_host.log(directory, "fault injection from %s: %s" % (path, json.dumps(data)))
    return data if isinstance(data, dict) else {}


def apply_runtime(directory, plan, run, check, state_root):
    """Make-before-break: each team's bond built and carrying at runtime (one team after another, so each gap
    is its own), checked and probed (``check()``); then the files, the backend's reload (it adopts the running
    bonds), a second check. Returns the per-team timings."""
    inject, moves = take_inject(directory, state_root), []
    hold(directory, plan, run)
    for spec in plan["runtime"]:
        if t2b_host.get_state(directory) != "applying":
            raise MoveFailed("the timer's rollback took over")
        moves.append(Mover(directory, spec, run, t2b_host.log, inject).forward())
        t2b_host.set_state(directory, "applying", moves=moves)
    check()
    t2b_host.write_plan_files(directory, plan)
    for argv in plan["apply"]:
        run(argv)
    check()
    return moves  # teamd stops at the confirmation (the plan's commit), once the ports are for good in the bond


def hold(directory, plan, run):
    """Keep the backend's hands off the teams while their ports move (networkd would put a team that left its
    bridge back into it, and re-run its configuration when its carrier comes back)."""
    for item in plan.get("hold_files", []):
        t2b_host.write_file(item["path"], item["content"], item["mode"])
        t2b_host.log(directory, "hold: wrote %s" % item["path"])
    for argv in plan.get("hold_apply", []) if plan.get("hold_files") else []:
        run(argv)


def release(directory, plan, run):
    """Undo ``hold`` (a rollback: the backend takes the teams back as they run)."""
    found = [item["path"] for item in plan.get("hold_files", []) if os.path.lexists(item["path"])]
    for path in found:
        os.unlink(path)
        t2b_host.log(directory, "hold: removed %s" % path)
    for argv in plan.get("hold_apply", []) if found else []:
        run(argv, check=False)


def rollback_moves(directory, plan, run, errors):
    """Make-before-break back, newest team first. None when it cannot: a teamd was stopped already, or moving
    back failed (``errors``: what to catch) - then the caller restores the hard way."""
    state = t2b_host.read_json(os.path.join(directory, "state.json"), {}) or {}
    if not plan.get("runtime") or state.get("teams_stopped"):
        return None
    back = []
    try:
        for spec in reversed(plan["runtime"]):
            timing = Mover(directory, spec, run, t2b_host.log).back()
            if timing:
                back.append(timing)
    except errors as exc:
        t2b_host.log(directory, "rollback: moving back at runtime failed (%s); restoring the hard way" % exc)
        release(directory, plan, run)
        return None
    release(directory, plan, run)
    return back
