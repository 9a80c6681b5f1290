# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_promisc: keep the ports of bridged bonds and teams promiscuous, now and after a reboot.

``plan_port_promisc`` is pure (host state, options, ledger -> plan); ``enforce_port_promisc`` applies a plan
through netlink and the owning backend and reads the host again to verify.
"""

from __future__ import annotations

__metaclass__ = type

from dataclasses import dataclass, field
from typing import List

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import plan_with_owner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import backend_named
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    BOND_MODES_PROMISC_ACTIVE_ONLY,
    LAG_KINDS,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_known_interfaces


LEDGER = "port_promisc"


def LEDGER_SHAPE(data):  # noqa: N802 - a validator with an ``expected`` text, named like the constant it checks
    """The problem with port_promisc's record, in words, or None."""
    ports = data.get("ports", {})
    if set(data) - {"ports"}:
        return "unexpected keys %s" % ", ".join(sorted(repr(k) for k in set(data) - {"ports"}))
    if not isinstance(ports, dict):
        return "'ports' is a %s, not an object" % type(ports).__name__
    for name, entry in ports.items():
        if not isinstance(entry, dict):
            return "'ports'.%s is a %s, not an object" % (name, type(entry).__name__)
        if not isinstance(entry.get("runtime_set", False), bool):
            return "'ports'.%s.runtime_set is not true or false" % name
        for key in ("master", "backend"):
            if not isinstance(entry.get(key), (str, type(None))):
                return "'ports'.%s.%s is not a string" % (name, key)
    return None


LEDGER_SHAPE.expected = ('{"ports": {"<port>": {"master": "<bond or team>", "runtime_set": true|false, '
                         '"backend": "<backend name>"|null}}}')


@dataclass
class PortPlan:
    name: str
    master: str
    master_kind: str
    bond_mode: object = None
    slave_state: object = None
    flag_before: bool = False
    flag_after: bool = False
    effective_before: bool = False
    note: str = ""
    persistence: object = None

    @property
    def runtime_changed(self):
        return self.flag_before != self.flag_after

    def to_dict(self):
        return {
            "name": self.name, "master": self.master, "master_kind": self.master_kind,
            "bond_mode": self.bond_mode, "slave_state": self.slave_state,
            "promisc_flag_before": self.flag_before, "promisc_flag_after": self.flag_after,
            "effective_promisc_before": self.effective_before,
            "backend": self.persistence.backend if self.persistence else None,
            "owner": self.persistence.owner if self.persistence else None,
            "note": self.note,
        }


@dataclass
class PromiscPlan:
    ports: List[PortPlan] = field(default_factory=list)
    ledger_before: dict = field(default_factory=dict)
    ledger_after: dict = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)

    @property
    def persistence(self):
        return [p.persistence for p in self.ports if p.persistence is not None]

    @property
    def changed(self):
        return any(p.runtime_changed for p in self.ports) or any(p.changed for p in self.persistence)


def chosen_lags(state, masters):
    """The LAGs to act on: the named ones (which must be bonds or teams), else every LAG under a bridge."""
    if masters:
        validate_known_interfaces("masters", masters, state.links)
        wrong = ["%s is a %s" % (m, state.links[m].kind) for m in masters if state.links[m].kind not in LAG_KINDS]
        if wrong:
            raise InvalidInput("masters: %s; give bond or team interfaces (this host has: %s)"
                               % ("; ".join(wrong), ", ".join(sorted(l.name for l in state.lags())) or "none"),
                               option="masters")
        return [state.links[m] for m in masters]
    return [lag for lag in state.lags()
            if lag.master and state.links.get(lag.master) and state.links[lag.master].kind == "bridge"]


def port_note(lag, port):
    if lag.bond is not None and lag.bond.mode in BOND_MODES_PROMISC_ACTIVE_ONLY:
        role = "the active slave" if port.name == lag.bond.active_slave else "a backup slave"
        return ("bond mode %s passes promiscuous mode to the active slave only; %s is %s, and with its own "
                "flag it keeps receiving container frames after a failover" % (lag.bond.mode, port.name, role))
    if lag.bond is not None:
        return "bond mode %s passes promiscuous mode to every slave; the flag keeps it across re-enslaving" \
            % lag.bond.mode
    return "team ports follow the team only while the bridge holds it promiscuous; the flag keeps it after a reboot"


def plan_port_promisc(state, masters, enabled, ledger, owners, fallback, persist=True):
    """Pure given the backends' planning (which only reads). ``ledger``: {"ports": {name: {...}}}."""
    recorded = dict(ledger.get("ports", {}))
    plan = PromiscPlan(ledger_before=ledger)
    lags = chosen_lags(state, masters)
    if enabled:
        for lag in lags:
            for name in lag.ports:
                port = state.links[name]
                item = PortPlan(name=name, master=lag.name, master_kind=lag.kind,
                                bond_mode=lag.bond.mode if lag.bond else None, slave_state=port.slave_state,
                                flag_before=port.promisc_flag, flag_after=True,
                                effective_before=port.effective_promisc, note=port_note(lag, port))
                if persist:
                    item.persistence = plan_with_owner(name, "promisc", True, owners, fallback)
                plan.ports.append(item)
                if item.runtime_changed or (item.persistence and item.persistence.changed):
                    previous = recorded.get(name, {})
                    recorded[name] = {
                        "master": lag.name,
                        "runtime_set": bool(previous.get("runtime_set")) or item.runtime_changed,
                        "backend": item.persistence.backend if item.persistence else previous.get("backend"),
                    }
    else:
        wanted = {p for lag in lags for p in lag.ports} if masters else set(recorded)
        for name in sorted(set(recorded) & wanted):
            entry = recorded.pop(name)
            port = state.links.get(name)
            flag = port.promisc_flag if port else False
            item = PortPlan(name=name, master=entry.get("master"), master_kind=None, flag_before=flag,
                            flag_after=flag and not entry.get("runtime_set"),
                            effective_before=port.effective_promisc if port else False,
                            note="reverting what hostnet.dockerhost.port_promisc set")
            if entry.get("backend"):
                backend = backend_named(entry["backend"], owners, fallback)
                item.persistence = backend.plan_promisc(name, False)
            plan.ports.append(item)
    _drop_stale(plan, state, recorded, {p.name for p in plan.ports}, owners, fallback)
    plan.ledger_after = {"ports": recorded} if recorded else {}
    return plan


def _ours_remains(state, name, entry, owners, fallback):
    """Whether anything port_promisc set for ``name`` is still in place (when unsure: yes)."""
    port = state.links.get(name)
    if port is not None and port.promisc_flag and entry.get("runtime_set"):
        return True
    if not entry.get("backend"):
        return False
    try:
        return backend_named(entry["backend"], owners, fallback).plan_promisc(name, False).changed
    except Exception:  # a backend that cannot even plan the removal: keep the record, state=absent says why
        return True


def _drop_stale(plan, state, recorded, acted_on, owners, fallback):
    """Forget records of ports whose interface is gone or whose flag and persistence are no longer ours."""
    for name in sorted(set(recorded) - acted_on):
        if not _ours_remains(state, name, recorded[name], owners, fallback):
            del recorded[name]
            plan.notes.append("forgot the record of %s: %s, and nothing port_promisc set for it remains"
                              % (name, "the interface no longer exists" if name not in state.links
                                 else "its promiscuous flag and persistence are no longer set by port_promisc"))


def runtime_diff(plan):
    before = "".join("%s promisc %s\n" % (p.name, "on" if p.flag_before else "off") for p in plan.ports)
    after = "".join("%s promisc %s\n" % (p.name, "on" if p.flag_after else "off") for p in plan.ports)
    return {"before_header": "runtime: IFF_PROMISC flags", "after_header": "runtime: IFF_PROMISC flags",
            "before": before, "after": after}


def lynis_lines(plan):
    """Lines for a lynis profile so that its NETW-3015 test does not report intended promiscuous ports."""
    return ["if_promisc:%s:" % p.name for p in sorted(plan.ports, key=lambda p: p.name) if p.flag_after]
