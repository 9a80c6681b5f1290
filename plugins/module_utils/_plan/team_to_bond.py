# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Team -> bond migration: the plan (pure); the backends render it (plan_bond_migration).

The pipeline of the ``team_to_bond`` module:

    discover_teams()            read: the read model (_netstate) + teamdctl / nmcli / systemctl, read-only
    translate_team_config()     pure: teamd JSON -> (bond mode, bond options, problems, notes)
    plan_migration()            pure: TeamFacts -> BondPlan (which team becomes which bond, files, commands)
    transaction_document()      pure: the JSON the guest-side transaction script (_t2b_txn.py) executes

Bond options are named as in ``/sys/class/net/<bond>/bonding/`` (the kernel's names) so that the
transaction can compare the running bond with the plan option by option; each backend renders them in its
own syntax (_syntax/bond.py) in its ``plan_bond_migration`` (_backends/networkd.py, _backends/nm.py).

The translation table (teamd.conf(5) -> bonding.rst), also in roles/team_to_bond/README.md:

    runner lacp          -> 802.3ad   fast_rate -> lacp_rate, tx_hash -> xmit_hash_policy, active -> lacp_active,
                                      sys_prio -> ad_actor_sys_prio, min_ports -> min_links,
                                      agg_select_policy bandwidth|count -> ad_select
    runner activebackup  -> active-backup  port prio (highest, unique) -> primary, a sticky non-primary port
                                      -> primary_reselect failure, hwaddr_policy -> fail_over_mac
    runner roundrobin    -> balance-rr
    runner loadbalance   -> balance-xor (no tx_balancer) / balance-tlb (tx_balancer: active TX balancing)
    runner broadcast     -> broadcast
    link_watch ethtool   -> miimon 100, delay_up/delay_down -> updelay/downdelay
    link_watch arp_ping  -> arp_interval, target_host -> arp_ip_target, missed_max -> arp_missed_max,
                            validate_active/validate_inactive -> arp_validate
    notify_peers.count   -> num_grat_arp / num_unsol_na; interval -> peer_notif_delay
    mcast_rejoin.count   -> resend_igmp

Anything else (runner random, nsna_ping/tipc watchers, several or per-port watchers, lacp port prio/key,
queue_id, tx_balancer interval, ...) is a *problem*: the plan stops for that host unless an override is
given for that team.
"""

from __future__ import annotations

__metaclass__ = type

from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.nm import NetworkManagerBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_translate import (
    apply_override,
    translate_team_config,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import name_hazards, new_interface_name_problem


def bond_name_for(team, bond_names):
    if team in (bond_names or {}):
        return bond_names[team]
    if "team" in team:
        return team.replace("team", "bond", 1)
    return None


# The backends that can replace a team by a bond, by the name TeamFacts.backend gives (the one vocabulary).
BOND_MIGRATION_BACKENDS = {cls.name: cls for cls in (NetworkdBackend, NetworkManagerBackend)}


# --------------------------------------------------------------------------------------------------------
# The plan (pure)


@dataclass
class BondPlan:
    team: str
    bond: Optional[str]
    backend: Optional[str]
    mode: Optional[str]
    options: Dict[str, str]
    ports: List[str]
    mac: Optional[str]
    mtu: Optional[int]
    master: Optional[str]
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    files: List[dict] = field(default_factory=list)  # {path, content, mode}: written by apply
    moved_aside: List[str] = field(default_factory=list)  # removed by apply, restored by rollback
    # Every team of the transaction stops before any file is written: networkd applies a changed port
    # .network at its reload, and would pull a port out of a team still running.
    stop_team: List[list] = field(default_factory=list)
    apply: List[list] = field(default_factory=list)  # argv, in order, after the files
    # Run once when the bond does not exist a few seconds after apply: systemd-networkd 252 keeps a .netdev
    # whose creation failed earlier in this boot (e.g. an option the kernel refused) and ignores a new
    # .netdev of that name at `networkctl reload` until it restarts.
    recreate: List[list] = field(default_factory=list)
    commit: List[dict] = field(default_factory=list)  # after confirmation: {"remove": path} | {"run": argv}
    rollback_pre: List[list] = field(default_factory=list)  # before the files are restored
    rollback_post: List[list] = field(default_factory=list)  # after the files are restored
    snapshot_dirs: List[str] = field(default_factory=list)
    # Make-before-break at runtime (t2b_move.py), when the backend can adopt a running bond: the bond is built
    # and takes the team's ports and bridge port before any file is written; None: the break-before-make path
    # above (stop_team, files, apply).
    runtime: Optional[dict] = None
    rollback_files: List[list] = field(default_factory=list)  # after a runtime rollback restored written files
    hold_files: List[dict] = field(default_factory=list)  # runtime: written first, keep the backend off the team
    hold_apply: List[list] = field(default_factory=list)  # after hold_files (and after their removal)
    outage: dict = field(default_factory=dict)  # what the move costs the bridge's traffic (outage_plan)

    def to_dict(self):
        return asdict(self)

    def summary(self):
        opts = ", ".join("%s=%s" % kv for kv in self.options.items() if kv[0] != "mode")
        return "%s -> %s (%s, %s; %s) via %s" % (self.team, self.bond, self.mode, opts, " ".join(self.ports),
                                                 self.backend)


def plan_migration(teams, bond_names=None, overrides=None, txid="TXID", existing_links=(), lacp_wait=None):
    """TeamFacts list -> [BondPlan]. Pure. Each plan's ``problems`` say why that team cannot move."""
    plans = []
    for facts in teams:
        tr = apply_override(translate_team_config(facts.config), (overrides or {}).get(facts.name))
        bond = bond_name_for(facts.name, bond_names)
        plan = BondPlan(team=facts.name, bond=bond, backend=facts.backend, mode=tr.mode, options=tr.options,
                        ports=list(facts.ports), mac=facts.mac, mtu=facts.mtu, master=facts.master,
                        problems=list(tr.problems), notes=list(tr.notes))
        if bond is None:
            plan.problems.append("no bond name for %s: give one in bond_names (names containing 'team' get "
                                 "'bond' in its place)" % facts.name)
        else:
            problem = new_interface_name_problem(bond)
            if problem:
                plan.problems.append("bond name %r %s" % (bond, problem))
            elif bond in existing_links:
                plan.problems.append("an interface named %s already exists" % bond)
        if not facts.ports:
            plan.problems.append("%s has no ports" % facts.name)
        for port in facts.ports:
            # a port's name goes into a .network Name= match (a glob list there) and nmcli arguments
            hazards = name_hazards(port)
            if hazards:
                plan.problems.append("port %s has %s in its name, which the bond's files cannot hold safely; "
                                     "rename it first" % (visible(repr(port)), " and ".join(hazards)))
        if "primary" in plan.options and plan.options["primary"] not in facts.ports:
            plan.problems.append("primary %s is not a port of %s" % (plan.options["primary"], facts.name))
        backend = BOND_MIGRATION_BACKENDS.get(facts.backend)
        if backend is None:
            plan.problems.append("%s is managed neither by a NetworkManager team profile nor by a teamd@ unit "
                                 "beside systemd-networkd" % facts.name)
        elif bond:
            backend.plan_bond_migration(facts, plan, txid)
            if getattr(backend, "adopts_running_bond", False):
                plan.runtime = runtime_spec(plan, facts, LACP_WAIT if lacp_wait is None else lacp_wait)
        plan.outage = outage_plan(facts, plan)
        plans.append(plan)
    kinds = sorted({p.runtime is not None for p in plans})
    if len(kinds) > 1:
        names = ", ".join("%s (%s)" % (p.team, p.backend) for p in plans)
        for plan in plans:
            plan.problems.append("the teams %s are kept by different backends; migrate them in separate runs "
                                 "(option teams)" % names)
    return plans


LACP_WAIT = 3.0  # seconds the bond's first ports may take to aggregate while the team's last port still carries


def runtime_spec(plan, facts, lacp_wait=LACP_WAIT):
    """The runtime move of one team (t2b_move.Mover): the bond's options in the kernel's names, mode first."""
    options = [["mode", plan.options["mode"]]] if "mode" in plan.options else []
    options += [[k, v] for k, v in plan.options.items() if k != "mode"]
    return {"team": plan.team, "bond": plan.bond, "bridge": plan.master if facts.bridge_stp is not None else None,
            "mode": plan.mode, "options": options, "mac": plan.mac, "mtu": plan.mtu, "ports": list(plan.ports),
            "lacp_wait": lacp_wait}


def outage_plan(facts, plan):
    """What moving this team costs the traffic through its bridge, and what would shorten it (pure; shown in
    check mode and returned with the result)."""
    bridge = facts.master
    out = {"team": plan.team, "bond": plan.bond, "bridge": bridge, "sequence": [], "shorten": []}
    if plan.runtime is None:
        out.update(gap_class="break-before-make", expected="the whole apply: the team stops before the bond exists "
                   "(%s)" % (plan.backend or "no backend"), sequence=[
                       "stop %s" % plan.team, "write the bond's configuration", "activate %s with %s"
                       % (plan.bond, " ".join(plan.ports))])
        return out
    ports = list(plan.ports)
    swap = "swap %s's port %s -> %s in one netlink batch (cost, priority, hairpin, learning, flood, isolated, " \
           "VLANs kept)" % (bridge, plan.team, plan.bond) if bridge else None
    seq = ["create %s (%s) with %s's MAC %s and MTU %s" % (plan.bond, plan.mode, plan.team, plan.mac, plan.mtu)]
    if bridge:
        seq.append("pin %s's MAC for the move if it has none of its own" % bridge)
    if plan.mode == "active-backup":
        seq.append("move %s's inactive port(s) to %s (the active port keeps carrying)" % (plan.team, plan.bond))
        seq += [swap] if swap else []
        seq.append("move the last (active) port; the bond's port already forwards")
        out.update(gap_class="active-backup", expected="about 0 s: one port carries traffic at every moment; "
                   "the neighbours learn the new path from the announcements")
    elif plan.mode == "802.3ad":
        wait = plan.runtime.get("lacp_wait", LACP_WAIT)
        seq.append("move %s to %s; wait up to %g s (lacp_wait) for its aggregator while %s still carries traffic"
                   % (" ".join(ports[:-1]), plan.bond, wait, ports[-1]))
        seq += [swap] if swap else []
        seq.append("move %s" % ports[-1])
        out.update(gap_class="802.3ad", expected="LACP renegotiation, about 1-3 s: the bond presents a new LACP key, "
                   "the partner builds a new aggregator; the bond's 2 s aggregate wait runs while the team's last "
                   "port carries (unless the partner needs every port, e.g. min_links)")
        if plan.options.get("lacp_rate") != "fast":
            out["shorten"].append("lacp_rate fast (team runner fast_rate true): LACPDUs every 1 s instead of 30 s "
                                  "- with slow rate the partner may take 30-90 s")
        out["shorten"].append("a partner that keeps a port-channel up with one port (no min-links 2)")
    else:
        seq.append("move %s to %s one at a time" % (" ".join(ports), plan.bond))
        seq += [swap] if swap else []
        out.update(gap_class=plan.mode, expected="about as long as the partner takes to accept the new bond")
    seq.append("announce %s's addresses and the MACs behind it (gratuitous ARP, unsolicited NA, RARP)"
               % (bridge or plan.bond))
    seq += ["probe", "write the backend's files; it adopts the running bond",
            "at the confirmation: stop %s's teamd (until then a rollback hands the ports back to it)" % plan.team]
    out["sequence"] = seq
    if facts.bridge_stp:
        delay = facts.bridge_forward_delay or 0.0
        out.update(gap_class="stp", expected="%.0f s (2 x forward_delay %.0f s): %s runs STP, so the new port "
                   "listens and learns before it forwards - not a short outage" % (2 * delay, delay, bridge))
        out["shorten"].insert(0, "STP off on %s, or a lower forward_delay (the kernel's minimum is 2 s)" % bridge)
    return out


def expected_bond(plan):
    """What the transaction checks on the running bond before it probes (sysfs names)."""
    return {"bond": plan.bond, "mode": plan.mode, "options": dict(plan.options), "ports": list(plan.ports),
            "mac": plan.mac, "master": plan.master, "mtu": plan.mtu}


def team_runtime(facts):
    """What rollback restores at runtime after the team's own configuration has brought it back."""
    return {"team": facts.name, "ports": list(facts.ports), "mac": facts.mac, "master": facts.master,
            "mtu": facts.mtu}


def _once(steps, argv):
    """``steps`` with every repetition of ``argv`` after the first dropped (one networkctl reload)."""
    out, seen = [], False
    for step in steps:
        if step == argv:
            if seen:
                continue
            seen = True
        out.append(step)
    return out


def transaction_document(txid, plans, teams, probe_targets, timeout, settle_timeout, state_dir):
    """The JSON the guest-side transaction script executes (pure)."""
    by_name = {t.name: t for t in teams}
    snapshot_dirs = []
    for plan in plans:
        for directory in plan.snapshot_dirs:
            if directory not in snapshot_dirs:
                snapshot_dirs.append(directory)
    return {
        "txid": txid,
        "state_dir": state_dir,
        "timeout": timeout,
        "settle_timeout": settle_timeout,
        "snapshot_dirs": snapshot_dirs,
        "files": [f for p in plans for f in p.files],
        "moved_aside": [m for p in plans for m in p.moved_aside],
        "stop_team": [a for p in plans for a in p.stop_team],
        "apply": _once([a for p in plans for a in p.apply], ["networkctl", "reload"]),
        "recreate": _once([r for p in plans for r in p.recreate],
                          ["systemctl", "restart", "systemd-networkd.service"]),
        "expect": [expected_bond(p) for p in plans],
        "probe": {"targets": list(probe_targets)},
        "commit": [c for p in plans for c in p.commit],
        "rollback_pre": [r for p in plans for r in p.rollback_pre],
        "rollback_post": _once([r for p in plans for r in p.rollback_post], ["networkctl", "reload"]),
        "restore_runtime": [team_runtime(by_name[p.team]) for p in plans],
        # Teams one after another, each gap its own; only when every team can move at runtime (plan_migration
        # refuses a mix).
        "runtime": [p.runtime for p in plans] if plans and all(p.runtime for p in plans) else [],
        "hold_files": [f for p in plans for f in p.hold_files],
        "hold_apply": _once([a for p in plans for a in p.hold_apply], ["networkctl", "reload"]),
        "rollback_files": _once([r for p in plans for r in p.rollback_files], ["networkctl", "reload"]),
    }
