# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Team -> bond migration: translation table, plan, backend rendering (pure), and team discovery.

The pipeline of the ``team_to_bond`` module:

    discover_teams()            read: the read model (_netstate) + teamdctl / nmcli / systemctl, read-only
    translate_team_config()     pure: teamd JSON -> (bond mode, bond options, problems, notes)
    plan_migration()            pure: TeamFacts -> BondPlan (which team becomes which bond, files, commands)
    transaction_document()      pure: the JSON the guest-side transaction script (_t2b_txn.py) executes

Bond options are named as in ``/sys/class/net/<bond>/bonding/`` (the kernel's names) so that the
transaction can compare the running bond with the plan option by option; each backend renders them in its
own syntax (``render_networkd_*``, ``nm_bond_options``).

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

import re
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_NETWORKD, BACKEND_NM, T2B_UNIT_PREFIX
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_translate import (
    MigrationRefused,
    apply_override,
    translate_team_config,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import match_name_patterns, parse_unit_text
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import interface_name_problem


# Per bond option: (networkd [Bond] key, value renderer). None: networkd cannot express it.
NETWORKD_BOND_KEYS = {
    "mode": ("Mode", str),
    "xmit_hash_policy": ("TransmitHashPolicy", str),
    "lacp_rate": ("LACPTransmitRate", str),
    "miimon": ("MIIMonitorSec", lambda v: "%sms" % v),
    "updelay": ("UpDelaySec", lambda v: "%sms" % v),
    "downdelay": ("DownDelaySec", lambda v: "%sms" % v),
    "ad_select": ("AdSelect", str),
    "ad_actor_sys_prio": ("AdActorSystemPriority", str),
    "min_links": ("MinLinks", str),
    "fail_over_mac": ("FailOverMACPolicy", str),
    "arp_interval": ("ARPIntervalSec", lambda v: "%sms" % v),
    "arp_ip_target": ("ARPIPTargets", lambda v: " ".join(v.split(","))),
    "arp_validate": ("ARPValidate", str),
    "arp_missed_max": ("ARPMissedMax", str),
    "primary_reselect": ("PrimaryReselectPolicy", str),
    "resend_igmp": ("ResendIGMP", str),
    "num_grat_arp": ("GratuitousARP", str),
    "tlb_dynamic_lb": ("DynamicTransmitLoadBalancing", lambda v: "yes" if str(v) == "1" else "no"),
    "peer_notif_delay": (None, None),
    "num_unsol_na": (None, None),  # networkd's GratuitousARP= sets both num_grat_arp and num_unsol_na
    "lacp_active": (None, None),
    "primary": (None, None),  # networkd: PrimarySlave=yes in the port's .network
}
MANAGED_HEADER = "# hostnet.dockerhost team_to_bond: replaces team %s (transaction %s)\n"


# --------------------------------------------------------------------------------------------------------
# Rendering (pure)


def bond_name_for(team, bond_names):
    if team in (bond_names or {}):
        return bond_names[team]
    if "team" in team:
        return team.replace("team", "bond", 1)
    return None


def render_networkd_netdev(bond, options, mac, mtu, header):
    lines = [header.rstrip("\n"), "[NetDev]", "Name=%s" % bond, "Kind=bond"]
    if mac:
        lines.append("MACAddress=%s" % mac)
    if mtu and mtu != 1500:
        lines.append("MTUBytes=%d" % mtu)
    lines += ["", "[Bond]"]
    for key, value in options.items():
        nd_key, render = NETWORKD_BOND_KEYS.get(key, (None, None))
        if nd_key:
            lines.append("%s=%s" % (nd_key, render(value)))
    return "\n".join(lines) + "\n"


def networkd_unsupported(options):
    """Bond options networkd 252 cannot write (``primary`` is per port, handled separately)."""
    return sorted(k for k in options if k != "primary" and NETWORKD_BOND_KEYS.get(k, (None,))[0] is None
                  and not (k == "num_unsol_na" and options.get("num_grat_arp") == options[k]))


def retarget_network_text(text, team, bond):
    """The team's own .network, matched to the bond instead (addresses, routes, Bridge=, VLAN= kept)."""
    out, section = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif section == "Match" and re.match(r"^(Name|OriginalName)\s*=", stripped):
            out.append("Name=%s" % bond)
            continue
        out.append(line)
    if not match_name_patterns(parse_unit_text("\n".join(out))):
        raise MigrationRefused("%s: its .network does not match by Name=; cannot retarget it to %s" % (team, bond))
    return "\n".join(out) + "\n"


def render_networkd_bond_network(bond, master, header):
    lines = [header.rstrip("\n"), "[Match]", "Name=%s" % bond, "", "[Network]", "LinkLocalAddressing=no",
             "IPv6AcceptRA=no", "ConfigureWithoutCarrier=yes"]
    if master:
        lines.append("Bridge=%s" % master)
    return "\n".join(lines) + "\n"


def render_networkd_port_network(port, bond, primary, header):
    lines = [header.rstrip("\n"), "[Match]", "Name=%s" % port, "", "[Network]", "Bond=%s" % bond]
    if primary:
        lines.append("PrimarySlave=yes")
    return "\n".join(lines) + "\n"


def nm_bond_options(options):
    """bond.options for nmcli: comma separated key=value, arp_ip_target's list space-separated."""
    parts = []
    for key, value in options.items():
        parts.append("%s=%s" % (key, value.replace(",", " ") if key == "arp_ip_target" else value))
    return ",".join(parts)


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

    def to_dict(self):
        return asdict(self)

    def summary(self):
        opts = ", ".join("%s=%s" % kv for kv in self.options.items() if kv[0] != "mode")
        return "%s -> %s (%s, %s; %s) via %s" % (self.team, self.bond, self.mode, opts, " ".join(self.ports),
                                                 self.backend)


def _plan_networkd(facts, plan, txid):
    header = MANAGED_HEADER % (facts.name, txid)
    unsupported = networkd_unsupported(plan.options)
    if unsupported:
        plan.problems.append("systemd-networkd cannot set bond option(s) %s" % ", ".join(unsupported))
    if not facts.teamd_unit:
        plan.problems.append("no teamd@ unit runs %s: nothing would bring it back on boot, so it cannot be "
                             "migrated safely" % facts.name)
    prefix = "/etc/systemd/network/%s%s" % (T2B_UNIT_PREFIX, plan.bond)
    plan.files.append({"path": prefix + ".netdev", "mode": 0o644,
                       "content": render_networkd_netdev(plan.bond, plan.options, plan.mac, plan.mtu, header)})
    if facts.network_text is not None:
        body = header + retarget_network_text(facts.network_text, facts.name, plan.bond)
    else:
        body = render_networkd_bond_network(plan.bond, plan.master, header)
    plan.files.append({"path": prefix + ".network", "mode": 0o644, "content": body})
    for port in plan.ports:
        plan.files.append({"path": "%s-%s.network" % (prefix, port), "mode": 0o644,
                           "content": render_networkd_port_network(port, plan.bond,
                                                                   plan.options.get("primary") == port, header)})
    plan.moved_aside = sorted(set(facts.port_network_files.values()))
    plan.snapshot_dirs = ["/etc/systemd/network"]
    if facts.teamd_config_path:
        plan.snapshot_dirs.append(facts.teamd_config_path.rsplit("/", 1)[0])
    if facts.teamd_unit:
        plan.stop_team.append(["systemctl", "disable", "--now", facts.teamd_unit])
    plan.apply += [["networkctl", "reload"], ["networkctl", "reconfigure"] + list(plan.ports)]
    plan.recreate = [["systemctl", "restart", "systemd-networkd.service"]]
    plan.commit = [{"remove": p} for p in (facts.network_file, facts.teamd_config_path) if p]
    plan.rollback_pre = [["ip", "link", "delete", plan.bond]]
    plan.rollback_post = [["networkctl", "reload"]]
    if facts.teamd_unit:
        if facts.teamd_unit_enabled:
            plan.rollback_post.append(["systemctl", "enable", facts.teamd_unit])
        plan.rollback_post.append(["systemctl", "restart", facts.teamd_unit])
    plan.rollback_post.append(["networkctl", "reconfigure", facts.name] + list(plan.ports))


def _plan_nm(facts, plan):
    bond, profiles = plan.bond, [facts.nm_profile] + list(facts.nm_port_profiles)
    for profile in profiles:
        plan.stop_team.append(["nmcli", "connection", "modify", profile, "connection.autoconnect", "no"])
    plan.stop_team.append(["nmcli", "connection", "down", facts.nm_profile])
    add = ["nmcli", "connection", "add", "type", "bond", "con-name", bond, "ifname", bond,
           "connection.autoconnect", "yes", "bond.options", nm_bond_options(plan.options)]
    if plan.mac:
        add += ["ethernet.cloned-mac-address", plan.mac]
    if plan.mtu and plan.mtu != 1500:
        add += ["ethernet.mtu", str(plan.mtu)]
    for key, value in sorted(facts.nm_settings.items()):
        add += [key, value]
    plan.apply.append(add)
    port_profiles = ["%s-%s" % (bond, port) for port in plan.ports]
    for port, profile in zip(plan.ports, port_profiles):
        plan.apply.append(["nmcli", "connection", "add", "type", "ethernet", "con-name", profile, "ifname", port,
                           "connection.master", bond, "connection.slave-type", "bond",
                           "connection.autoconnect", "yes"])
    for profile in [bond] + port_profiles:
        plan.apply.append(["nmcli", "connection", "up", profile])
    for vlan in facts.nm_vlan_profiles:
        plan.apply.append(["nmcli", "connection", "modify", vlan, "vlan.parent", bond])
        plan.apply.append(["nmcli", "connection", "up", vlan])
    plan.commit = [{"run": ["nmcli", "connection", "delete"] + profiles}]
    plan.rollback_pre = [["nmcli", "connection", "delete"] + [bond] + port_profiles, ["ip", "link", "delete", bond]]
    plan.rollback_post = [["nmcli", "connection", "reload"]] + [
        ["nmcli", "connection", "up", p] for p in profiles + list(facts.nm_vlan_profiles)]
    plan.snapshot_dirs = ["/etc/NetworkManager/system-connections"]


def plan_migration(teams, bond_names=None, overrides=None, txid="TXID", existing_links=()):
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
            problem = interface_name_problem(bond)
            if problem:
                plan.problems.append("bond name %r %s" % (bond, problem))
            elif bond in existing_links:
                plan.problems.append("an interface named %s already exists" % bond)
        if not facts.ports:
            plan.problems.append("%s has no ports" % facts.name)
        if "primary" in plan.options and plan.options["primary"] not in facts.ports:
            plan.problems.append("primary %s is not a port of %s" % (plan.options["primary"], facts.name))
        if plan.problems and facts.backend is None:
            pass
        if facts.backend == BACKEND_NETWORKD and bond:
            _plan_networkd(facts, plan, txid)
        elif facts.backend == BACKEND_NM and bond:
            _plan_nm(facts, plan)
        elif facts.backend is None:
            plan.problems.append("%s is managed neither by a NetworkManager team profile nor by a teamd@ unit "
                                 "beside systemd-networkd" % facts.name)
        plans.append(plan)
    return plans


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
    }
