# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding: constants, the plan's data classes, and the names and paths of the sysctls."""

from __future__ import annotations

__metaclass__ = type

import os
from dataclasses import dataclass, field
from typing import List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import FILE_PREFIX, SYSCTL_FILE
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit


MODULE = "networkd_forwarding"
NETWORKD_CONF_DROPIN = "/etc/systemd/networkd.conf.d/" + FILE_PREFIX + "forwarding.conf"
OWN_DROPIN_NAME = FILE_PREFIX + "forwarding.conf"
PROC_SYS = "/proc/sys"
EDITABLE_PREFIX = "/etc/"
FAMILIES = ("ipv4", "ipv6")
VERIFY_ATTEMPTS = 20
VERIFY_DELAY = 0.5


@dataclass
class Desired:
    interfaces: List[str] = field(default_factory=list)  # empty: the container traffic interfaces
    ipv6: bool = False
    fix_conflicts: bool = False
    fix_deprecated: bool = False
    global_ip_forward: bool = False
    reconfigure_management: bool = False
    ssh_server_address: Optional[str] = None


@dataclass
class Paths:
    sysctl_file: str = SYSCTL_FILE
    networkd_conf_dropin: str = NETWORKD_CONF_DROPIN
    proc_sys: str = PROC_SYS


@dataclass
class RuntimeEdit:
    """One sysctl written through /proc/sys. ``before`` None: the read model had no value for it."""

    key: str
    path: str
    before: Optional[bool]
    after: bool = True

    @property
    def changed(self):
        return self.before is not self.after

    def diff(self):
        header = "runtime: %s (%s)" % (self.key, self.path)
        return {"before_header": header, "after_header": header,
                "before": "%s\n" % ("(unknown)" if self.before is None else int(self.before)),
                "after": "%d\n" % int(self.after)}

    def to_dict(self):
        return {"key": self.key, "path": self.path, "before": self.before, "after": self.after}


@dataclass
class Target:
    name: str
    backend: str  # BACKEND_NETWORKD or BACKEND_SYSCTL_D
    settings: List[str] = field(default_factory=list)  # the lines written: "IPv4Forwarding=yes", "net... = 1"
    network_file: Optional[str] = None
    dropin: Optional[str] = None
    forwarding_before: Optional[bool] = None
    forwarding_after: Optional[bool] = None
    ipv6_forwarding_before: Optional[bool] = None
    ipv6_forwarding_after: Optional[bool] = None
    management: bool = False
    reconfigured: bool = False  # networkd reconfigures it in this run (its .network or a drop-in changed)
    deferred: bool = False  # its networkd files change after the reload: applied at the next reload or boot
    skipped: Optional[str] = None  # why nothing was done for it
    notes: List[str] = field(default_factory=list)

    def to_dict(self):
        return {
            "name": self.name,
            "backend": self.backend,
            "key": list(self.settings),
            "network_file": self.network_file,
            "dropin": self.dropin,
            "forwarding_before": self.forwarding_before,
            "forwarding_after": self.forwarding_after,
            "ipv6_forwarding_before": self.ipv6_forwarding_before,
            "ipv6_forwarding_after": self.ipv6_forwarding_after,
            "management": self.management,
            "reconfigured": self.reconfigured,
            "deferred": self.deferred,
            "skipped": self.skipped,
            "notes": list(self.notes),
        }


@dataclass
class ForwardingPlan:
    systemd_version: Optional[int]
    networkd_running: bool
    targets: List[Target] = field(default_factory=list)
    runtime: List[RuntimeEdit] = field(default_factory=list)
    files: List[FileEdit] = field(default_factory=list)  # written before the reload
    deferred_files: List[FileEdit] = field(default_factory=list)  # written after it (management links)
    reload: bool = False
    conflicts: List[dict] = field(default_factory=list)
    deprecated: List[dict] = field(default_factory=list)
    management_interfaces: List[str] = field(default_factory=list)
    networkd_restart_needed: bool = False
    warnings: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def changed(self):
        return any(r.changed for r in self.runtime) or any(f.changed for f in self.all_files())

    def all_files(self):
        return self.files + self.deferred_files

    def diffs(self):
        return [r.diff() for r in self.runtime if r.changed] + [f.diff() for f in self.all_files() if f.changed]

    def active_targets(self):
        return [t for t in self.targets if t.skipped is None]

    def to_result(self):
        return {
            "changed": self.changed,
            "systemd_version": self.systemd_version,
            "networkd_running": self.networkd_running,
            "interfaces": [t.to_dict() for t in self.targets],
            "runtime": [r.to_dict() for r in self.runtime if r.changed],
            "files": [dict(f.to_dict(), deferred=any(f is d for d in self.deferred_files))
                      for f in self.all_files() if f.changed],
            "reloaded": self.reload,
            "conflicts": list(self.conflicts),
            "deprecated": list(self.deprecated),
            "management_interfaces": list(self.management_interfaces),
            "networkd_restart_needed": self.networkd_restart_needed,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------------
# Names and paths


def proc_path(family, ifname, proc_sys=PROC_SYS):
    return os.path.join(proc_sys, "net", family, "conf", ifname, "forwarding")


def global_sysctls(ipv6, proc_sys=PROC_SYS):
    """(sysctl name, /proc path) of the global switches: ip_forward, and IPv6's all.forwarding."""
    found = [("net.ipv4.ip_forward", os.path.join(proc_sys, "net", "ipv4", "ip_forward"))]
    if ipv6:
        found.append(("net.ipv6.conf.all.forwarding", proc_path("ipv6", "all", proc_sys)))
    return found


def normalise_address(address):
    """``::ffff:10.0.2.15`` (a v4 client on a dual-stack sshd) -> ``10.0.2.15``; drops a ``%scope``."""
    address = (address or "").strip().split("%", 1)[0]
    if address.lower().startswith("::ffff:") and "." in address:
        address = address[7:]
    return address or None


def ssh_server_address(ssh_connection):
    """The server address of ``SSH_CONNECTION`` ("client port server port"), or None."""
    words = (ssh_connection or "").split()
    return normalise_address(words[2]) if len(words) == 4 else None


def management_interfaces(state, ssh_address=None):
    """The links that carry the management connection: those of the default routes and the one holding the
    SSH server address, plus every port below them (a bridge's or bond's ports carry its traffic)."""
    names = set(state.default_route_interfaces)
    if ssh_address:
        for link in state.links.values():
            if any(a.split("/", 1)[0] == ssh_address for a in link.addresses):
                names.add(link.name)
    stack = [n for n in names if n in state.links]
    seen = set(stack)
    while stack:
        for port in state.links[stack.pop()].ports:
            if port not in seen and port in state.links:
                seen.add(port)
                stack.append(port)
    return sorted(seen)
