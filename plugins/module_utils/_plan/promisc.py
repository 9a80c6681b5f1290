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
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.registry import backend_named
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput, NameNotWritable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    BOND_MODES_PROMISC_ACTIVE_ONLY,
    LAG_KINDS,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    unaddressable_name,
    validate_known_interfaces,
)


LEDGER = "port_promisc"
PROFILES_KEY = "lynis_profiles"  # the ledger's record of the lynis profiles it wrote a block into

# The note of an interface named in ``interfaces`` that is not a LAG port (for example docker0).
NAMED_NOTE = (
    "%s is not a LAG port; promiscuous, it accepts frames for every destination MAC. The right fix when frames "
    "for it arrive by design addressed to MACs that are not its own (e.g. container MACs behind it; in a VM the "
    "hypervisor's vSwitch must deliver them too: it passes only frames for MACs it knows unless its port group "
    "allows promiscuous mode or MAC learning). It only hides a MAC problem when the frames carry a MAC the "
    "bridge had before (one reported case: docker0 in a VMware guest passed traffic only while tcpdump ran; neighbours "
    "and containers kept an old gateway MAC): then pin the bridge's MAC with hostnet.dockerhost.bridge_mac "
    "(the audit's bridge_mac_inherited finding) and leave promiscuous mode off.")


def LEDGER_SHAPE(data):  # noqa: N802 - a validator with an ``expected`` text, named like the constant it checks
    """The problem with port_promisc's record, in words, or None."""
    if set(data) - {"ports", PROFILES_KEY}:
        return "unexpected keys %s" % ", ".join(sorted(repr(k) for k in set(data) - {"ports", PROFILES_KEY}))
    for key, fields in (("ports", {"runtime_set": bool, "master": str, "backend": str}),
                        (PROFILES_KEY, {"created": bool, "newline_added": bool})):
        entries = data.get(key, {})
        if not isinstance(entries, dict):
            return "'%s' is a %s, not an object" % (key, type(entries).__name__)
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                return "'%s'.%s is a %s, not an object" % (key, name, type(entry).__name__)
            for field_name, kind in fields.items():
                if entry.get(field_name) is not None and not isinstance(entry[field_name], kind):
                    return "'%s'.%s.%s is not %s" % (key, name, field_name,
                                                     "true or false" if kind is bool else "a string")
    return None


LEDGER_SHAPE.expected = ('{"ports": {"<port>": {"master": "<bond or team>"|null, "runtime_set": true|false, '
                         '"backend": "<backend name>"|null}}, "lynis_profiles": {"<path>": {"created": true|false, '
                         '"newline_added": true|false}}}')


@dataclass
class PortPlan:
    name: str
    master: object  # the bond or team, None for an interface named in ``interfaces`` that is no LAG port
    master_kind: object
    kind: object = None  # the interface's own kind (physical, bridge, bond, ...)
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
            "name": self.name, "kind": self.kind, "master": self.master, "master_kind": self.master_kind,
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
    profiles: list = field(default_factory=list)  # FileEdits of lynis profiles (_plan/lynis.py)
    # [{"interface", "reason"}]: ports left entirely unchanged (runtime and persistence) because their name
    # cannot be addressed or written by the backend that would persist it
    skipped: List[dict] = field(default_factory=list)

    @property
    def persistence(self):
        return [p.persistence for p in self.ports if p.persistence is not None]

    @property
    def changed(self):
        return any(p.runtime_changed for p in self.ports) or any(p.changed for p in self.persistence) \
            or any(edit.changed for edit in self.profiles)


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


def lag_of(state, link):
    """The bond or team ``link`` is a port of, or None."""
    master = state.links.get(link.master) if link.master else None
    return master if master is not None and master.kind in LAG_KINDS else None


def bridged_lags_wanted(masters, interfaces, bridged_lags):
    """Whether every LAG under a bridge is acted on: as asked, else when neither masters nor interfaces are."""
    return (not masters and not interfaces) if bridged_lags is None else bool(bridged_lags)


def chosen_targets(state, masters, interfaces, bridged_lags=None):
    """[(link, its LAG or None)]: the ports of the named LAGs and (``bridged_lags``) of every LAG under a
    bridge, then the named interfaces not among them. Unknown names fail here, before any change."""
    lags = chosen_lags(state, masters) if masters else []
    if bridged_lags_wanted(masters, interfaces, bridged_lags):
        lags += [lag for lag in chosen_lags(state, []) if lag.name not in set(masters)]
    validate_known_interfaces("interfaces", interfaces, state.links)
    targets = [(state.links[name], lag) for lag in lags for name in lag.ports]
    seen = {link.name for link, _lag in targets}
    for name in interfaces:
        if name not in seen:
            seen.add(name)
            targets.append((state.links[name], lag_of(state, state.links[name])))
    return targets


def plan_port_promisc(state, masters, enabled, ledger, owners, fallback, persist=True, interfaces=(),
                      bridged_lags=None):
    """Pure given the backends' planning (which only reads). ``ledger``: {"ports": {name: {...}}, ...}.

    ``interfaces``: names made promiscuous themselves (docker0, a bridge); given without ``masters``, only
    they are acted on, unless ``bridged_lags`` (None: true when neither is given) adds every LAG under a
    bridge. With ``enabled`` false the options limit the revert; none: all that is recorded."""
    recorded = dict(ledger.get("ports", {}))
    plan = PromiscPlan(ledger_before=ledger)
    interfaces = list(dict.fromkeys(interfaces))
    if enabled:
        for port, lag in chosen_targets(state, masters, interfaces, bridged_lags):
            item = PortPlan(name=port.name, master=lag.name if lag else None, master_kind=lag.kind if lag else None,
                            kind=port.kind, bond_mode=lag.bond.mode if lag and lag.bond else None,
                            slave_state=port.slave_state, flag_before=port.promisc_flag, flag_after=True,
                            effective_before=port.effective_promisc,
                            note=port_note(lag, port) if lag else NAMED_NOTE % port.name)
            reason = unaddressable_name(port.name)
            if persist and reason is None:
                try:
                    item.persistence = plan_with_owner(port.name, "promisc", True, owners, fallback)
                except NameNotWritable as exc:
                    reason = exc.msg
            if reason:
                # never half-done: a flag that could not be persisted is not set either
                plan.skipped.append({"interface": port.name, "reason": reason})
                continue
            plan.ports.append(item)
            if item.runtime_changed or (item.persistence and item.persistence.changed):
                previous = recorded.get(port.name, {})
                recorded[port.name] = {
                    "master": item.master,
                    "runtime_set": bool(previous.get("runtime_set")) or item.runtime_changed,
                    "backend": item.persistence.backend if item.persistence else previous.get("backend"),
                }
    else:
        # a name recorded earlier may be gone now: its persistence can still be reverted
        validate_known_interfaces("interfaces", [n for n in interfaces if n not in recorded], state.links)
        lags = (chosen_lags(state, masters) if masters else []) + (chosen_lags(state, []) if bridged_lags else [])
        wanted = set(interfaces) | {p for lag in lags for p in lag.ports}
        for name in sorted(set(recorded) & (wanted if masters or interfaces or bridged_lags else set(recorded))):
            entry = recorded.pop(name)
            port = state.links.get(name)
            flag = port.promisc_flag if port else False
            item = PortPlan(name=name, master=entry.get("master"), master_kind=None,
                            kind=port.kind if port else None, flag_before=flag,
                            flag_after=flag and not entry.get("runtime_set"),
                            effective_before=port.effective_promisc if port else False,
                            note="reverting what hostnet.dockerhost.port_promisc set")
            if entry.get("backend"):
                backend = backend_named(entry["backend"], owners, fallback)
                item.persistence = backend.plan_promisc(name, False)
            plan.ports.append(item)
    _drop_stale(plan, state, recorded, {p.name for p in plan.ports}, owners, fallback)
    plan.ledger_after = {"ports": recorded} if recorded else {}
    if ledger.get(PROFILES_KEY):
        plan.ledger_after[PROFILES_KEY] = dict(ledger[PROFILES_KEY])  # _plan/lynis.py updates it
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
