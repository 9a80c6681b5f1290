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

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import interface_name_problem

DEFAULT_MIIMON = 100
TEAM_DEFAULT_TX_HASH = ["eth", "ipv4", "ipv6"]
BOND_MODES = ("balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb")
RUNNER_TO_MODE = {
    "lacp": "802.3ad",
    "activebackup": "active-backup",
    "roundrobin": "balance-rr",
    "broadcast": "broadcast",
    # loadbalance: balance-xor or balance-tlb, decided by tx_balancer (see _translate_runner)
}
HWADDR_POLICY_TO_FAIL_OVER_MAC = {"same_all": "none", "by_active": "active", "only_active": "follow"}
AGG_SELECT_TO_AD_SELECT = {"bandwidth": "bandwidth", "count": "count"}
# bonding.rst: ARP monitoring "is not supported in 802.3ad, balance-tlb and balance-alb" (kernel refuses).
ARP_UNSUPPORTED_MODES = frozenset(("802.3ad", "balance-tlb", "balance-alb"))
TX_HASH_L2 = frozenset(("eth", "vlan"))
TX_HASH_L3 = frozenset(("ipv4", "ipv6", "ip", "l3"))
TX_HASH_L4 = frozenset(("tcp", "udp", "sctp", "l4"))
KNOWN_TOP_KEYS = frozenset(("device", "runner", "link_watch", "ports", "hwaddr", "debug_level", "notify_peers",
                            "mcast_rejoin"))
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


class MigrationRefused(HostnetError):
    """The plan has problems (untranslatable runner or options, unmanaged team); nothing was changed."""


# --------------------------------------------------------------------------------------------------------
# Translation (pure)


@dataclass
class Translation:
    mode: Optional[str]
    options: Dict[str, str] = field(default_factory=dict)  # kernel sysfs names, string values, mode first
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def tx_hash_to_policy(tx_hash):
    """teamd ``tx_hash`` fields -> bonding ``xmit_hash_policy`` (and a note when it is approximate)."""
    fields = set(tx_hash)
    unknown = sorted(fields - TX_HASH_L2 - TX_HASH_L3 - TX_HASH_L4)
    if unknown:
        return None, "tx_hash fields %s have no bonding hash policy" % ", ".join(unknown)
    if fields & TX_HASH_L4:
        policy = "layer3+4"
        exact = not fields & TX_HASH_L2
    elif fields & TX_HASH_L3:
        policy = "layer2+3"
        exact = bool(fields & TX_HASH_L2)
    else:
        policy = "layer2"
        exact = True
    note = None if exact else "tx_hash %s hashed as %s (nearest bonding policy)" % (sorted(fields), policy)
    return policy, note


def _int(value, what, problems):
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append("%s must be an integer, got %r" % (what, value))
        return None
    return value


def _translate_runner(runner, ports, tr):
    name = runner.get("name", "roundrobin")  # teamd's default runner
    known = {"name"}
    if name == "loadbalance":
        tr.mode = "balance-tlb" if "tx_balancer" in runner else "balance-xor"
    else:
        tr.mode = RUNNER_TO_MODE.get(name)
    if tr.mode is None:
        tr.problems.append("runner %r has no bonding mode (known runners: activebackup, broadcast, lacp, "
                           "loadbalance, roundrobin); give an override mode for this team" % name)
        return
    tr.options["mode"] = tr.mode

    if name in ("lacp", "loadbalance"):
        known.add("tx_hash")
        policy, note = tx_hash_to_policy(runner.get("tx_hash", TEAM_DEFAULT_TX_HASH))
        if policy is None:
            tr.problems.append("runner.%s" % note)
        else:
            tr.options["xmit_hash_policy"] = policy
            if note:
                tr.notes.append(note)
    if name == "loadbalance" and "tx_balancer" in runner:
        known.add("tx_balancer")
        balancer = runner["tx_balancer"] or {}
        if set(balancer) - {"name"} or balancer.get("name", "basic") != "basic":
            tr.problems.append("runner.tx_balancer %s: only the basic balancer without options maps to "
                               "balance-tlb" % json.dumps(balancer, sort_keys=True))
        tr.options["tlb_dynamic_lb"] = "1"
    if name == "lacp":
        known.update(("active", "fast_rate", "sys_prio", "min_ports", "agg_select_policy"))
        if runner.get("active", True) is False:
            tr.options["lacp_active"] = "off"
        tr.options["lacp_rate"] = "fast" if runner.get("fast_rate", False) else "slow"
        if "sys_prio" in runner:
            prio = _int(runner["sys_prio"], "runner.sys_prio", tr.problems)
            if prio is not None:
                tr.options["ad_actor_sys_prio"] = str(prio)
        if "min_ports" in runner:
            min_ports = _int(runner["min_ports"], "runner.min_ports", tr.problems)
            if min_ports is not None and min_ports != 1:
                tr.options["min_links"] = str(min_ports)
        policy = runner.get("agg_select_policy", "lacp_prio")
        if policy in AGG_SELECT_TO_AD_SELECT:
            tr.options["ad_select"] = AGG_SELECT_TO_AD_SELECT[policy]
        elif policy == "lacp_prio" and "agg_select_policy" not in runner:
            tr.notes.append("aggregator selection: teamd's default lacp_prio becomes bonding's default "
                            "ad_select stable (same result with one partner switch)")
        else:
            tr.problems.append("runner.agg_select_policy %r has no bonding ad_select equivalent "
                               "(bandwidth and count have)" % policy)
    if name == "activebackup":
        known.add("hwaddr_policy")
        if "hwaddr_policy" in runner:
            value = HWADDR_POLICY_TO_FAIL_OVER_MAC.get(runner["hwaddr_policy"])
            if value is None:
                tr.problems.append("runner.hwaddr_policy %r is unknown" % runner["hwaddr_policy"])
            elif value != "none":
                tr.options["fail_over_mac"] = value
        _translate_activebackup_ports(ports, tr)
    for key in sorted(set(runner) - known):
        tr.problems.append("runner.%s (runner %s) has no bonding equivalent" % (key, name))


def _translate_activebackup_ports(ports, tr):
    prios = {}
    for port, conf in sorted(ports.items()):
        prio = conf.get("prio", 0)
        prios[port] = prio if isinstance(prio, int) and not isinstance(prio, bool) else 0
    if not prios:
        return
    top = max(prios.values())
    leaders = [p for p, v in prios.items() if v == top]
    if len(leaders) == 1 and len(set(prios.values())) > 1:
        primary = leaders[0]
        tr.options["primary"] = primary
        sticky_others = [p for p, c in ports.items() if c.get("sticky") and p != primary]
        # team: a sticky active port keeps the role when a higher-prio port returns. bonding has one
        # bond-wide switch for that: primary_reselect failure (stay on the active slave until it fails).
        if sticky_others:
            tr.options["primary_reselect"] = "failure"
            if len(ports) - 1 > len(sticky_others):
                tr.notes.append("sticky on %s only: bonding applies primary_reselect failure to every "
                                "non-primary port" % ", ".join(sorted(sticky_others)))
    elif len(set(prios.values())) > 1:
        tr.notes.append("ports %s share the highest prio %d: no primary (bonding picks the first slave up)"
                        % (", ".join(leaders), top))


def _translate_link_watch(config, tr):
    watch = config.get("link_watch", {"name": "ethtool"})
    if isinstance(watch, list):
        if len(watch) != 1:
            tr.problems.append("link_watch: %d watchers; bonding runs one monitor (MII or ARP)" % len(watch))
            return
        watch = watch[0]
    if not isinstance(watch, dict):
        tr.problems.append("link_watch must be an object, got %r" % (watch,))
        return
    name = watch.get("name", "ethtool")
    if name == "ethtool":
        tr.options["miimon"] = str(DEFAULT_MIIMON)
        for team_key, bond_key in (("delay_up", "updelay"), ("delay_down", "downdelay")):
            if team_key in watch:
                value = _int(watch[team_key], "link_watch.%s" % team_key, tr.problems)
                if value is None:
                    continue
                rounded = (value // DEFAULT_MIIMON) * DEFAULT_MIIMON
                if rounded != value:
                    tr.notes.append("link_watch.%s %d ms rounded down to %d ms (a multiple of miimon %d)"
                                    % (team_key, value, rounded, DEFAULT_MIIMON))
                if rounded:
                    tr.options[bond_key] = str(rounded)
        unknown = set(watch) - {"name", "delay_up", "delay_down"}
    elif name == "arp_ping":
        if tr.mode in ARP_UNSUPPORTED_MODES:
            tr.problems.append("link_watch arp_ping: bonding has no ARP monitor in mode %s" % tr.mode)
            return
        target = watch.get("target_host")
        if not isinstance(target, str) or not re.match(r"^\d{1,3}(\.\d{1,3}){3}$", target):
            tr.problems.append("link_watch.target_host %r: bonding's arp_ip_target takes IPv4 addresses only"
                               % (target,))
            return
        tr.options["arp_interval"] = str(watch.get("interval", 1000))
        tr.options["arp_ip_target"] = target
        if "missed_max" in watch:
            tr.options["arp_missed_max"] = str(watch["missed_max"])
        active, inactive = watch.get("validate_active", False), watch.get("validate_inactive", False)
        if active or inactive:
            tr.options["arp_validate"] = {(True, True): "all", (True, False): "active",
                                          (False, True): "backup"}[(bool(active), bool(inactive))]
        if watch.get("send_always"):
            tr.problems.append("link_watch.send_always: bonding sends ARP probes from the active slave only "
                               "(arp_validate cannot make inactive slaves send)")
        if "source_host" in watch:
            tr.notes.append("link_watch.source_host %s: bonding uses the bond's own address as ARP source"
                            % watch["source_host"])
        unknown = set(watch) - {"name", "interval", "target_host", "missed_max", "validate_active",
                                "validate_inactive", "send_always", "source_host", "init_wait"}
    else:
        tr.problems.append("link_watch %r has no bonding equivalent (ethtool -> miimon, arp_ping -> "
                           "arp_interval)" % name)
        return
    for key in sorted(unknown):
        tr.problems.append("link_watch.%s (%s) has no bonding equivalent" % (key, name))


def _translate_ports(ports, runner_name, tr):
    allowed = {"prio", "sticky"} if runner_name == "activebackup" else set()
    for port, conf in sorted(ports.items()):
        if not isinstance(conf, dict):
            tr.problems.append("ports.%s must be an object" % port)
            continue
        if "link_watch" in conf:
            tr.problems.append("ports.%s.link_watch: bonding has no per-slave link monitor" % port)
        for key in sorted(set(conf) - allowed - {"link_watch"}):
            if key in ("prio", "sticky") and not conf[key]:
                continue  # default values mean nothing to translate
            tr.problems.append("ports.%s.%s has no bonding equivalent for runner %s" % (port, key, runner_name))


def translate_team_config(config):
    """teamd JSON config (a dict, as from ``teamdctl <team> config dump``) -> Translation.

    Pure. ``problems`` non-empty means the bond would behave differently in a way that matters; the
    migration of that team stops unless an override is given.
    """
    tr = Translation(mode=None)
    if not isinstance(config, dict):
        tr.problems.append("team config is not a JSON object")
        return tr
    runner = config.get("runner", {}) or {}
    ports = config.get("ports", {}) or {}
    if not isinstance(runner, dict) or not isinstance(ports, dict):
        tr.problems.append("runner and ports must be JSON objects")
        return tr
    _translate_runner(runner, ports, tr)
    _translate_link_watch(config, tr)
    _translate_ports(ports, runner.get("name", "roundrobin"), tr)
    notify = config.get("notify_peers") or {}
    if "count" in notify:
        tr.options["num_grat_arp"] = tr.options["num_unsol_na"] = str(notify["count"])
    if notify.get("interval"):
        tr.options["peer_notif_delay"] = str(notify["interval"])
    rejoin = config.get("mcast_rejoin") or {}
    if "count" in rejoin:
        tr.options["resend_igmp"] = str(rejoin["count"])
    if rejoin.get("interval"):
        tr.problems.append("mcast_rejoin.interval has no bonding equivalent (resend_igmp has no interval)")
    for key in sorted(set(config) - KNOWN_TOP_KEYS):
        tr.problems.append("%s has no bonding equivalent" % key)
    return tr


def apply_override(tr, override):
    """An override (mode, options, ignore_problems) from the user wins over the translation."""
    if not override:
        return tr
    result = Translation(mode=tr.mode, options=dict(tr.options), problems=list(tr.problems),
                         notes=list(tr.notes))
    if override.get("mode"):
        if override["mode"] not in BOND_MODES:
            raise InvalidInput("overrides: mode %r is not a bonding mode (%s)"
                               % (override["mode"], ", ".join(BOND_MODES)), option="overrides")
        result.mode = override["mode"]
        result.options["mode"] = result.mode
        result.problems = [p for p in result.problems if not p.startswith("runner ")]
        result.notes.append("mode %s from the override" % result.mode)
    for key, value in (override.get("options") or {}).items():
        if value is None:
            result.options.pop(key, None)
        else:
            result.options[key] = str(value)
        result.notes.append("option %s=%s from the override" % (key, value))
    if override.get("ignore_problems") and result.problems:
        result.notes.extend("ignored (override): " + p for p in result.problems)
        result.problems = []
    return result


# --------------------------------------------------------------------------------------------------------
# Facts about one team (read by discover_teams, or built by hand in tests)


@dataclass
class TeamFacts:
    name: str
    config: dict
    ports: List[str]
    mac: Optional[str] = None
    mtu: Optional[int] = None
    master: Optional[str] = None
    backend: Optional[str] = None  # "nm" | "networkd" | None (nobody persists it)
    # NetworkManager
    nm_profile: Optional[str] = None
    nm_port_profiles: List[str] = field(default_factory=list)
    nm_settings: Dict[str, str] = field(default_factory=dict)  # the team profile's master/ip settings
    nm_vlan_profiles: List[str] = field(default_factory=list)
    # teamd beside systemd-networkd
    teamd_unit: Optional[str] = None
    teamd_unit_enabled: bool = False
    teamd_config_path: Optional[str] = None
    network_file: Optional[str] = None  # the team's own .network
    network_text: Optional[str] = None
    port_network_files: Dict[str, str] = field(default_factory=dict)  # .network files matching only ports


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
    if not any(re.match(r"^Name\s*=", line.strip()) for line in out):
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
    prefix = "/etc/systemd/network/10-hostnet-%s" % plan.bond
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
        if facts.backend == "networkd" and bond:
            _plan_networkd(facts, plan, txid)
        elif facts.backend == "nm" and bond:
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


# --------------------------------------------------------------------------------------------------------
# Discovery (reads the host; run(argv) -> (rc, out, err) is the module's run_command)


def nm_terse_split(line):
    """Split one ``nmcli -t`` line on unescaped ':' and unescape ``\\:`` and ``\\\\``."""
    fields, cur, i = [], [], 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            cur.append(line[i + 1])
            i += 2
            continue
        if char == ":":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(char)
        i += 1
    fields.append("".join(cur))
    return fields


NM_COPIED_SETTINGS = ("connection.master", "connection.slave-type", "ipv4.method", "ipv4.addresses",
                      "ipv4.gateway", "ipv4.routes", "ipv4.dns", "ipv4.never-default", "ipv6.method",
                      "ipv6.addresses", "ipv6.gateway", "ipv6.routes", "ipv6.dns")


def parse_nm_fields(text):
    """``nmcli -t -f A,B connection show X`` ('A:value' lines) -> {A: value}."""
    values = {}
    for line in text.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            values[key] = value.replace("\\:", ":").replace("\\\\", "\\")
    return values


def nm_settings_to_copy(values):
    """The team profile's settings the bond profile takes over; unset ones ('--', '') are left out."""
    copied = {}
    for key in NM_COPIED_SETTINGS:
        value = values.get(key, "")
        if value in ("", "--"):
            continue
        if key.startswith("ipv") and values.get("connection.master", "") not in ("", "--"):
            continue  # a bridge port has no IP configuration of its own
        copied[key] = value
    return copied


def _nm_profiles(run):
    rc, out, _err = run(["nmcli", "-t", "-f", "NAME,UUID,TYPE,DEVICE,FILENAME", "connection", "show"])
    if rc != 0:
        return None
    profiles = []
    for line in out.splitlines():
        parts = nm_terse_split(line)
        if len(parts) >= 5:
            profiles.append({"name": parts[0], "uuid": parts[1], "type": parts[2], "device": parts[3],
                             "filename": parts[4]})
    return profiles


def _nm_fields(run, profile, fields):
    rc, out, err = run(["nmcli", "-t", "-f", ",".join(fields), "connection", "show", profile])
    if rc != 0:
        raise HostnetError("nmcli could not show profile %s: %s" % (profile, err.strip()), profile=profile)
    return parse_nm_fields(out)


def _discover_nm(run, facts, profiles):
    team_profiles = [p for p in profiles if p["type"] == "team" and p["device"] == facts.name]
    if not team_profiles:
        return False
    team = team_profiles[0]
    facts.backend = "nm"
    facts.nm_profile = team["name"]
    facts.nm_settings = nm_settings_to_copy(_nm_fields(run, team["name"], NM_COPIED_SETTINGS))
    for profile in profiles:
        if profile["type"] in ("802-3-ethernet", "ethernet", "vlan"):
            values = _nm_fields(run, profile["uuid"], ["connection.master", "connection.slave-type", "vlan.parent"]
                                if profile["type"] == "vlan" else ["connection.master", "connection.slave-type"])
            if values.get("connection.slave-type") == "team" and values.get("connection.master") in (
                    team["name"], team["uuid"], facts.name):
                facts.nm_port_profiles.append(profile["name"])
            if profile["type"] == "vlan" and values.get("vlan.parent") in (team["name"], team["uuid"], facts.name):
                facts.nm_vlan_profiles.append(profile["name"])
    return True


def _match_names(text):
    names = []
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]")
        elif section == "Match" and stripped.startswith("Name="):
            names += stripped.split("=", 1)[1].split()
    return names


def _discover_networkd(run, facts, host_state, read_text, list_network_files):
    unit = "teamd@%s.service" % facts.name
    rc, out, _err = run(["systemctl", "show", "-p", "LoadState,ActiveState,UnitFileState,ExecStart", unit])
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line) if rc == 0 else {}
    if values.get("LoadState") != "loaded" or values.get("ActiveState") != "active":
        return False
    facts.backend = "networkd"
    facts.teamd_unit = unit
    facts.teamd_unit_enabled = values.get("UnitFileState") == "enabled"
    match = re.search(r"(?:-f|--config-file)[ =](\S+)", values.get("ExecStart", ""))
    facts.teamd_config_path = match.group(1) if match else None
    if facts.teamd_config_path and facts.teamd_config_path.startswith("/run/"):
        facts.teamd_config_path = None  # generated at runtime, nothing to remove
    facts.network_file = host_state.networkd.link_network_file.get(facts.name)
    if facts.network_file:
        facts.network_text = read_text(facts.network_file)
    for path in list_network_files():
        text = read_text(path) or ""
        names = _match_names(text)
        if names and set(names) <= set(facts.ports):
            for name in names:
                facts.port_network_files[name] = path
    return True


def discover_teams(host_state, run, read_text, list_network_files, only=None):
    """TeamFacts for every team link (or those named in ``only``). Reads, never changes."""
    teams = []
    profiles = None
    for link in sorted(host_state.links.values(), key=lambda l: l.name):
        if link.kind != "team" or (only and link.name not in only):
            continue
        rc, out, err = run(["teamdctl", link.name, "config", "dump"])
        if rc != 0:
            raise HostnetError("teamdctl %s config dump failed: %s" % (link.name, (err or out).strip()),
                               team=link.name)
        try:
            config = json.loads(out)
        except ValueError as exc:
            raise HostnetError("teamdctl %s config dump is not JSON: %s" % (link.name, exc), team=link.name)
        facts = TeamFacts(name=link.name, config=config, ports=list(link.ports), mac=link.mac, mtu=link.mtu,
                          master=link.master)
        if profiles is None:
            profiles = _nm_profiles(run) or []
        if not _discover_nm(run, facts, profiles):
            _discover_networkd(run, facts, host_state, read_text, list_network_files)
        teams.append(facts)
    return teams
