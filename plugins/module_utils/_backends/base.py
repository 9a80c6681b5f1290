# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistence through the network backend that owns an interface.

Backends are peers with one small interface (``Backend``): ``owner(ifname)`` says whether and why the
backend manages an interface, ``plan_promisc`` / ``plan_mac`` return a ``Persistence`` (file edits,
profile edits as commands, reload commands) without touching the host. ``choose_backend`` picks the owner
(NetworkManager's active profile, then systemd-networkd, then ifupdown) or the collection's fallback; a
backend that owns an interface but cannot persist a feature (e.g. NetworkManager older than 1.32 for
promiscuous mode) says why and the fallback is used, with that reason in the result.
The engine turns a Persistence into steps (``_apply/persistence.persistence_steps``): its files, its profile
commands, then each distinct reload command once.
"""

from __future__ import annotations

__metaclass__ = type

from dataclasses import dataclass, field
from typing import List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import LAG_KINDS


@dataclass
class CommandEdit:
    """A change made through a backend's own tool (nmcli), with the value before and after. ``keyfile``: the
    file the tool rewrites (a NetworkManager profile's keyfile), so that the engine can put its bytes back."""

    argv: List[str]
    header: str
    before: str
    after: str
    keyfile: str = ""

    @property
    def changed(self):
        return self.before != self.after

    def diff(self):
        return {"before_header": self.header, "after_header": self.header,
                "before": self.before + "\n", "after": self.after + "\n"}

    def to_dict(self):
        return {"command": list(self.argv), "before": self.before, "after": self.after}


@dataclass
class Persistence:
    interface: str
    backend: str
    owner: Optional[str] = None
    files: List[FileEdit] = field(default_factory=list)
    commands: List[CommandEdit] = field(default_factory=list)
    reload: List[List[str]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def changed(self):
        return any(f.changed for f in self.files) or any(c.changed for c in self.commands)

    def diffs(self):
        return [f.diff() for f in self.files if f.changed] + [c.diff() for c in self.commands if c.changed]

    def to_dict(self):
        return {
            "interface": self.interface,
            "backend": self.backend,
            "owner": self.owner,
            "changed": self.changed,
            "files": [f.to_dict() for f in self.files if f.changed],
            "commands": [c.to_dict() for c in self.commands if c.changed],
            "reload": [list(r) for r in self.reload] if self.changed else [],
            "notes": list(self.notes),
        }


class Backend:
    """One network backend. Subclasses set ``name`` and override what they support."""

    name = "none"

    def __init__(self, host, run):
        self.host = host  # the HostState of _netstate
        self.run = run  # run(argv) -> (rc, stdout, stderr); read-only commands only during planning

    def owner(self, ifname):
        """Evidence (a file path or a profile) that this backend configures ``ifname``, or None."""
        return None

    def plan_promisc(self, ifname, enabled):
        raise Unsupported("%s cannot persist promiscuous mode" % self.name)

    def plan_mac(self, ifname, mac):
        raise Unsupported("%s cannot persist a MAC address" % self.name)

    @classmethod
    def plan_bond_migration(cls, facts, plan, txid):
        """team_to_bond: fill ``plan`` (a BondPlan for the team of ``facts``, a TeamFacts) with the files and
        commands that replace the team by a bond through this backend. Pure: reads nothing."""
        raise Unsupported("%s cannot replace a team by a bond" % cls.name)


def is_lag_port(host, ifname):
    """Whether ``ifname`` is a port of a bond or team on ``host`` (a persisted promiscuous flag says why it is
    there: a LAG port, or an interface named in port_promisc's ``interfaces``)."""
    links = getattr(host, "links", None) or {}
    link = links.get(ifname)
    master = links.get(link.master) if link is not None and link.master else None
    return master is not None and master.kind in LAG_KINDS


def choose_backend(ifname, backends, fallback):
    """(backend, owner evidence, [other claimants]) for ``ifname``; the fallback when nobody owns it."""
    claims = [(backend, backend.owner(ifname)) for backend in backends]
    claims = [(backend, evidence) for backend, evidence in claims if evidence]
    if not claims:
        return fallback, None, []
    chosen, evidence = claims[0]
    return chosen, evidence, ["%s (%s)" % (b.name, e) for b, e in claims[1:]]


def plan_with_owner(ifname, feature, value, backends, fallback):
    """The Persistence for ``feature`` (promisc or mac) through the owning backend, else the fallback."""
    backend, evidence, others = choose_backend(ifname, backends, fallback)
    method = "plan_" + feature
    try:
        plan = getattr(backend, method)(ifname, value)
        plan.owner = plan.owner or evidence
    except Unsupported as exc:
        if backend is fallback:
            raise
        plan = getattr(fallback, method)(ifname, value)
        plan.notes.append("%s owns %s (%s) but %s; persisted through the fallback instead"
                          % (backend.name, ifname, evidence, exc.msg))
    if others:
        plan.notes.append("also configured by: %s; only %s was changed" % (", ".join(others), plan.backend))
    return plan
