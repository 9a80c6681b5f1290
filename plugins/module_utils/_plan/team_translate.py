# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond: translate a teamd JSON config into bond options (pure)."""

from __future__ import annotations

__metaclass__ = type

import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import BOND_MODES


DEFAULT_MIIMON = 100
TEAM_DEFAULT_TX_HASH = ["eth", "ipv4", "ipv6"]
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
        if override["mode"] not in BOND_MODES.values():
            raise InvalidInput("overrides: mode %r is not a bonding mode (%s)"
                               % (override["mode"], ", ".join(BOND_MODES.values())), option="overrides")
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
