# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding: keep IPv4 (and IPv6) forwarding on the interfaces that carry container traffic.

Seed 004: systemd-networkd set the uplink's ``net.ipv4.conf.X.forwarding`` back to 0 whenever it configured
the link again, so routed container traffic stopped at random moments. The fix is the forwarding key in the
link's .network - but which key depends on the running systemd (``_networkd.forwarding_key_for``).

``plan_forwarding(state, desired, backend)`` is pure apart from reading the current text of the files it
would write: targets, per target a drop-in through ``NetworkdBackend.plan_forwarding`` (or, for links networkd
does not manage, a line in a sysctl.d file), runtime sysctl writes, the networkd.conf reset, in-place
rewrites of deprecated keys, and what it found on the way (conflicts, deprecated keys, notes).
``enforce_networkd_forwarding(module)`` applies a plan and verifies it by reading the host again.

What networkd does, measured in the lab guests (Debian 12 / systemd 252, Debian 13 / systemd 257):

- ``networkctl reload`` reconfigures exactly the links whose .network or one of its drop-ins changed, on both.
- How it reconfigures differs. 257 re-requests a static address without removing it, and its DHCPv4 client
  asks for the same lease again (INIT-REBOOT): no address or route is deleted. 252 removes the link's
  addresses and routes and adds them again about 0.1 s later, and its DHCPv4 client sends RELEASE, drops the
  address and the default route, and starts over with DISCOVER (the address may change). An SSH session over
  a static address survived that on 252; over DHCP it need not. So the management link is not reconfigured
  unless asked: its drop-in is written after the reload.
- networkd.conf is read only when networkd starts (a reload does not apply it): ``[Network]
  IPv4Forwarding=no`` then writes ``net.ipv4.ip_forward=0``, which the kernel copies to every interface (also
  those networkd does not manage); links with their own ``IPv4Forwarding=yes`` are set back to 1. An empty
  ``IPv4Forwarding=`` in a networkd.conf.d drop-in that sorts later resets it; one that sorts earlier does not.
- 252: ``IPForward=`` in a .network also sets ``net.ipv4.ip_forward`` (and with ``yes`` IPv6's
  ``all.forwarding``) to 1 when networkd applies it.
"""

from __future__ import annotations

__metaclass__ = type

import os
import time
from dataclasses import dataclass, field
from typing import List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backend_networkd import (
    DROPIN_PREFIX,
    NetworkdBackend,
    dropin_path,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends import Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._files import (
    FileEdit,
    apply_file_edits,
    check_writable,
    read_text_or_none,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._findings import container_traffic_interfaces
from ansible_collections.hostnet.dockerhost.plugins.module_utils._netstate import NETWORKD_CONF, read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._networkd import (
    FORWARDING_SPLIT_VERSION,
    LEGACY_FORWARDING_KEY,
    effective_entries,
    forwarding_key_for,
    honoured_forwarding_keys,
    ignored_forwarding_keys,
    legacy_forwarding_families,
    parse_boolean,
    parse_unit_text,
    translate_forwarding_setting,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    validate_interface_names,
    validate_known_interfaces,
)

MODULE = "networkd_forwarding"
SYSCTL_FILE = "/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf"
NETWORKD_CONF_DROPIN = "/etc/systemd/networkd.conf.d/90-hostnet-dockerhost-forwarding.conf"
OWN_DROPIN_NAME = DROPIN_PREFIX + "forwarding.conf"
PROC_SYS = "/proc/sys"
RELOAD = ["networkctl", "reload"]
EDITABLE_PREFIX = "/etc/"
FAMILIES = ("ipv4", "ipv6")
# Characters that make a sysctl.d line mean something else: '=' ends the key, globs match other interfaces
# (systemd >= 249 expands them), a leading '-' would make failures silent.
_SYSCTL_D_UNSAFE = frozenset("=*?[]\\#;")
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
    backend: str  # "systemd-networkd" or "sysctl.d"
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


def sysctl_name(family, ifname, setting="forwarding"):
    """The sysctl.d spelling: a '.' in an interface name is written '/' (sysctl.d(5): with '.' as the first
    separator, '.' and '/' are swapped), so ``eth0.100`` -> ``net.ipv4.conf.eth0/100.forwarding``."""
    return "net.%s.conf.%s.%s" % (family, ifname.replace(".", "/"), setting)


def proc_path(family, ifname, proc_sys=PROC_SYS):
    return os.path.join(proc_sys, "net", family, "conf", ifname, "forwarding")


def global_sysctls(ipv6, proc_sys=PROC_SYS):
    """(sysctl name, /proc path) of the global switches: ip_forward, and IPv6's all.forwarding."""
    found = [("net.ipv4.ip_forward", os.path.join(proc_sys, "net", "ipv4", "ip_forward"))]
    if ipv6:
        found.append(("net.ipv6.conf.all.forwarding", proc_path("ipv6", "all", proc_sys)))
    return found


def sysctl_d_problem(ifname):
    bad = sorted(set(ifname) & _SYSCTL_D_UNSAFE)
    if bad or ifname.startswith("-"):
        return "its name contains %s, which a sysctl.d line cannot express" % " ".join(bad or ["a leading '-'"])
    return None


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


# --------------------------------------------------------------------------------------------------------
# .network files


def malformed_lines(unit):
    """(path, line, text, why) for every entry of ``unit`` (and its drop-ins) networkd would not understand."""
    found = []
    for section, key, value, path, lineno in unit.entries:
        if key is None:
            found.append((path, lineno, value, "is not 'Key=value', '[Section]', a comment or empty"))
        elif section is None:
            found.append((path, lineno, "%s=%s" % (key, value), "comes before the first [Section]"))
        elif not key or any(c.isspace() for c in key):
            found.append((path, lineno, "%s=%s" % (key, value), "has no valid key before '='"))
    return found


def raise_malformed(problems, ifname):
    raise InvalidInput(
        "cannot add a forwarding drop-in for %s: %s. A systemd unit file line is '[Section]', 'Key=value', a "
        "comment starting with '#' or ';', or empty; fix the file (networkd ignores such lines) and run again. "
        "Nothing was changed." % (ifname, "; ".join("%s line %d %r %s" % p for p in problems)),
        interface=ifname, malformed=[{"file": p[0], "line": p[1], "text": p[2]} for p in problems])


def _entries_with_ours(unit, own_path, settings):
    """``unit``'s entries as systemd would read them with our drop-in (``settings``) in place of its current one."""
    own_name = os.path.basename(own_path)
    ours = [("Network", key, value, own_path, n) for n, (key, value) in enumerate(settings, start=1)]
    base = [e for e in unit.entries if e[3] == unit.path]
    result, inserted = list(base), False
    for path in unit.dropins:
        if path == own_path or os.path.basename(path) == own_name:
            continue
        if not inserted and os.path.basename(path) > own_name:
            result.extend(ours)
            inserted = True
        result.extend(e for e in unit.entries if e[3] == path)
    if not inserted:
        result.extend(ours)
    return result


def _others(unit, own_path):
    return [e for e in unit.entries if e[3] != own_path]


def desired_settings(version, unit, families, own_path):
    """The [Network] lines of our drop-in. Before 256 one IPForward= carries both families, so the families
    the user's own files already enable through it are kept (ours sorts later and replaces theirs)."""
    if version is not None and version >= FORWARDING_SPLIT_VERSION:
        return [(forwarding_key_for(version, family), "yes") for family in families]
    wanted = set(families)
    for entry in effective_entries(_others(unit, own_path), "Network"):
        if entry[1] == LEGACY_FORWARDING_KEY:
            wanted |= legacy_forwarding_families(entry[2])
    value = "yes" if wanted >= set(FAMILIES) else sorted(wanted)[0]
    return [(LEGACY_FORWARDING_KEY, value)]


def _enabled_families(version, entries):
    """Which families the effective [Network] entries turn forwarding on for, on this systemd."""
    enabled = set()
    for _section, key, value, _path, _line in effective_entries(entries, "Network"):
        if key not in honoured_forwarding_keys(version):
            continue
        if key == LEGACY_FORWARDING_KEY:
            enabled |= legacy_forwarding_families(value)
        elif parse_boolean(value) is True:
            enabled.add("ipv4" if key == "IPv4Forwarding" else "ipv6")
    return enabled


def _families_of(key):
    if key == LEGACY_FORWARDING_KEY:
        return set(FAMILIES)
    return {"ipv4" if key == "IPv4Forwarding" else "ipv6"}


def link_conflicts(version, unit, families, own_path, settings):
    """The user's forwarding settings in ``unit`` that keep a wanted family off on its links.

    ``resolvable``: our drop-in (it sorts late) wins over it. A drop-in sorting after ours wins over ours and
    can only be reported. Before 256 ``IPForward=no`` only leaves forwarding alone, so it is no conflict.
    """
    conflicts = []
    own_name = os.path.basename(own_path)
    keys = {forwarding_key_for(version, family) for family in families}
    still_off = set(families) - _enabled_families(version, _entries_with_ours(unit, own_path, settings))
    for _section, key, value, path, lineno in effective_entries(_entries_with_ours(unit, own_path, settings),
                                                                "Network"):
        if key in keys and path != own_path and _families_of(key) & still_off:
            conflicts.append({"file": path, "line": lineno, "key": key, "value": value, "resolvable": False,
                              "why": "%s sorts after %s and overrides it" % (os.path.basename(path), own_name)})
    if version is not None and version >= FORWARDING_SPLIT_VERSION:
        for _section, key, value, path, lineno in effective_entries(_others(unit, own_path), "Network"):
            if key in keys and parse_boolean(value) is False and not any(
                    c["file"] == path and c["line"] == lineno for c in conflicts):
                conflicts.append({"file": path, "line": lineno, "key": key, "value": value, "resolvable": True,
                                  "why": "turns forwarding off on the links this .network matches"})
    return conflicts


# --------------------------------------------------------------------------------------------------------
# Deprecated keys


def _line_parts(raw):
    body = raw.rstrip("\r\n")
    return raw[:len(body) - len(body.lstrip())], body.strip(), raw[len(body):]


def rewrite_deprecated(text, version):
    """Rewrite the forwarding keys this systemd ignores, in place. Returns (new text, [(line, old, new, note)]).

    Only the key lines change; every other byte (comments, order, blank lines, line endings) is kept. A key
    the running systemd honours, set in the same file, stays authoritative: a deprecated line it already
    covers is commented out rather than translated over it. ``new`` is None for a line left alone.
    """
    ignored = ignored_forwarding_keys(version)
    honoured = honoured_forwarding_keys(version)
    network = [(key, value, n) for section, key, value, n in parse_unit_text(text) if section == "Network" and key]
    set_here = {key for key, _value, _n in network if key in honoured}
    lines = text.splitlines(keepends=True)
    changes = []
    legacy_value = None
    if version < FORWARDING_SPLIT_VERSION and not set_here:
        last = {key: value for key, value, _n in network if key in ignored}
        enabled = sorted("ipv4" if key == "IPv4Forwarding" else "ipv6"
                         for key, value in last.items() if parse_boolean(value) is True)
        legacy_value = "yes" if len(enabled) == 2 else (enabled[0] if enabled else "no")
    for key, value, lineno in network:
        if key not in ignored:
            continue
        indent, body, eol = _line_parts(lines[lineno - 1])
        if body.endswith("\\"):
            changes.append((lineno, body, None, "continued over several lines; edit it by hand"))
            continue
        if version >= FORWARDING_SPLIT_VERSION:
            pairs = translate_forwarding_setting(key, value)
            if not pairs:
                changes.append((lineno, body, None, "%s=%s has no equivalent on systemd %d" % (key, value, version)))
                continue
            new = ["%s=%s" % kv for kv in pairs if kv[0] not in set_here]
        elif parse_boolean(value) is None:
            changes.append((lineno, body, None, "%s=%s is not a boolean" % (key, value)))
            continue
        else:
            new = [] if set_here else ["%s=%s" % (LEGACY_FORWARDING_KEY, legacy_value)]
        if not new:
            new = ["# %s  (ignored by systemd %d; %s= set in this file applies - hostnet.dockerhost)"
                   % (body, version, "=, ".join(sorted(set_here)))]
        end = eol or ""
        lines[lineno - 1] = "".join(indent + line + (eol or "\n") for line in new[:-1]) + indent + new[-1] + end
        changes.append((lineno, body, new, None))
    return "".join(lines), changes


def deprecated_entries(state, backend):
    """Every forwarding key the running systemd ignores in a .network or drop-in networkd reads (ours excluded).

    Returns {path: [(section, key, value, path, line)]} in file order, and {path: [links using it]}.
    """
    version = state.networkd.version
    ignored = ignored_forwarding_keys(version)
    by_path, users = {}, {}
    for unit in state.networkd.network_files:
        links = [name for name in sorted(state.links) if backend.network_unit(name) is unit]
        for entry in unit.entries:
            if entry[0] != "Network" or entry[1] not in ignored or os.path.basename(entry[3]) == OWN_DROPIN_NAME:
                continue
            if entry not in by_path.setdefault(entry[3], []):
                by_path[entry[3]].append(entry)
            users.setdefault(entry[3], set()).update(links)
    return by_path, {path: sorted(names) for path, names in users.items()}


# --------------------------------------------------------------------------------------------------------
# sysctl.d


def render_sysctl_file(existing_text, settings):
    """Our sysctl.d file: its earlier lines kept (other runs named other interfaces), ours added or set."""
    values = {}
    for line in (existing_text or "").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")) and "=" in stripped:
            key, value = stripped.split("=", 1)
            values[key.strip()] = value.strip()
    for key, value in settings:
        values[key] = value
    if not values:
        return None
    header = ["# Managed by hostnet.dockerhost.%s: forwarding that systemd-networkd does not manage here." % MODULE,
              "# systemd-sysctl applies it at boot, and udev runs it again for every interface that appears later."]
    return "\n".join(header + ["%s = %s" % kv for kv in values.items()]) + "\n"


# --------------------------------------------------------------------------------------------------------
# The plan


def _conf_conflicts(state, families, paths):
    """networkd.conf (and its drop-ins) forcing forwarding off, systemd >= 256."""
    version = state.networkd.version
    own_name = os.path.basename(paths.networkd_conf_dropin)
    keys = {forwarding_key_for(version, family) for family in families}
    found = []
    for conf in state.networkd.networkd_conf:
        ours = [e for e in conf.entries if os.path.basename(e[3]) == own_name and e[3] != NETWORKD_CONF]
        entries = [e for e in conf.entries if e not in ours]
        now = {e[1]: e[2] for e in effective_entries(conf.entries, "Network")}
        for _section, key, value, path, lineno in effective_entries(entries, "Network"):
            if key in keys and parse_boolean(value) is False:
                later = path != NETWORKD_CONF and os.path.basename(path) > own_name
                found.append({"kind": "networkd.conf", "file": path, "line": lineno, "key": key, "value": value,
                              "resolvable": not later,
                              # our reset from an earlier run is in place (networkd applies it when it starts)
                              "reset_in_place": bool(ours) and parse_boolean(now.get(key)) is not False,
                              "why": "%s sorts after %s and overrides it" % (os.path.basename(path), own_name)
                              if later else "networkd sets the global forwarding sysctl to 0 when it starts"})
    return found


def plan_forwarding(state, desired, backend, paths=None, read_text=read_text_or_none):
    """Everything ``desired`` needs on this host, as data. Raises InvalidInput for what it cannot plan."""
    paths = paths or Paths()
    networkd = state.networkd
    version = networkd.version
    plan = ForwardingPlan(systemd_version=version, networkd_running=networkd.running)
    families = ["ipv4", "ipv6"] if desired.ipv6 else ["ipv4"]
    names = list(dict.fromkeys(desired.interfaces)) or container_traffic_interfaces(state)
    validate_known_interfaces("interfaces", names, state.links)
    plan.management_interfaces = management_interfaces(state, desired.ssh_server_address)
    if not names:
        plan.notes.append("no interface carries container traffic here (no Docker bridge, no bridge with veth "
                          "ports, no default route); name them in 'interfaces'")

    sysctl_settings = []
    # networkd reconfigures every link of a .network whose files changed, so deferral is decided per file.
    management_units = {u.path for u in (backend.network_unit(m) if networkd.running else None
                                         for m in plan.management_interfaces) if u is not None}
    defer_units = set() if desired.reconfigure_management else management_units
    planned = {}  # drop-in path -> FileEdit, one per .network however many targets it matches
    for name in names:
        link = state.links[name]
        target = Target(name=name, backend="sysctl.d", forwarding_before=link.forwarding_ipv4,
                        ipv6_forwarding_before=link.forwarding_ipv6 if desired.ipv6 else None,
                        management=name in plan.management_interfaces)
        plan.targets.append(target)
        unit = backend.network_unit(name) if networkd.running else None
        if unit is not None:
            if not _plan_networkd_target(plan, target, unit, desired, families, backend, planned, defer_units):
                continue
        else:
            problem = sysctl_d_problem(name)
            if problem:
                raise InvalidInput("interfaces: %s is not managed by systemd-networkd and %s; rename it or leave "
                                   "it out. Nothing was changed." % (name, problem), interface=name)
            lines = [(sysctl_name(family, name), "1") for family in families]
            sysctl_settings.extend(lines)
            target.settings = ["%s = %s" % kv for kv in lines]
            target.dropin = paths.sysctl_file
            target.notes.append("not managed by systemd-networkd%s: persisted in %s, which systemd-sysctl applies "
                                "at boot and udev again whenever an interface of that name appears"
                                % ("" if networkd.running else " (networkd is not running)", paths.sysctl_file))
        plan.runtime.append(RuntimeEdit(sysctl_name("ipv4", name), proc_path("ipv4", name, paths.proc_sys),
                                        link.forwarding_ipv4))
        if desired.ipv6:
            plan.runtime.append(RuntimeEdit(sysctl_name("ipv6", name), proc_path("ipv6", name, paths.proc_sys),
                                            link.forwarding_ipv6))

    if desired.global_ip_forward:
        current = {"net.ipv4.ip_forward": state.ip_forward, "net.ipv6.conf.all.forwarding": state.ipv6_forwarding}
        globals_ = [RuntimeEdit(key, path, current[key]) for key, path in global_sysctls(desired.ipv6, paths.proc_sys)]
        sysctl_settings.extend((edit.key, "1") for edit in globals_)
        # First: writing ip_forward sets every interface to the same value.
        plan.runtime[:0] = globals_
    if sysctl_settings:
        existing = read_text(paths.sysctl_file)
        plan.files.append(FileEdit(paths.sysctl_file, existing, render_sysctl_file(existing, sysctl_settings),
                                   reason="forwarding for links networkd does not manage"))

    _plan_conf_conflicts(plan, state, desired, families, paths, read_text)
    _plan_deprecated(plan, state, desired, backend, defer_units, read_text)

    plan.reload = networkd.running and any(f.changed and _is_network_file(f.path) for f in plan.files)
    changed_now = {_unit_of(f.path) for f in plan.files if f.changed and _is_network_file(f.path)}
    changed_later = {_unit_of(f.path) for f in plan.deferred_files if f.changed}
    for target in plan.active_targets():
        target.forwarding_after = True
        target.ipv6_forwarding_after = True if desired.ipv6 else None
        unit_name = os.path.basename(target.network_file or "")
        target.reconfigured = plan.reload and unit_name in changed_now
        target.deferred = unit_name in changed_later
        if target.reconfigured and version is not None and version < FORWARDING_SPLIT_VERSION:
            target.notes.append("systemd %d reconfigures a link by removing its addresses and routes and adding "
                                "them again (about 0.1 s, measured on 252)" % version)
            if _uses_dhcp(backend.network_unit(target.name)):
                plan.warnings.append(
                    "%s: systemd %d releases the DHCPv4 lease of %s when the reload reconfigures it and asks for "
                    "a new one (measured on 252); its address may change" % (target.name, version, target.name))
        if target.deferred:
            carriers = sorted(set(plan.management_interfaces) & set(
                n for n in state.links if (backend.network_unit(n) or _NoUnit).path == target.network_file))
            shared = [n for n in carriers if n != target.name]
            plan.warnings.append(
                "%s: %s was written after 'networkctl reload' because %s carries the management connection, so "
                "networkd has not reconfigured %s now; it applies at networkd's next reload, restart or boot, "
                "which will reconfigure %s. Its runtime forwarding was set directly. reconfigure_management=true "
                "lets networkd reconfigure it in the run."
                % (target.name, target.dropin,
                   "%s (also matched by %s)" % (", ".join(shared), target.network_file) if shared else target.name,
                   target.name, ", ".join(sorted(set(carriers) | {target.name}))))
    return plan


def _uses_dhcp(unit):
    entries = effective_entries(unit.entries, "Network") if unit is not None else []
    return any(e[1] == "DHCP" and e[2].strip().lower() in ("yes", "true", "ipv4", "1", "on") for e in entries)


class _NoUnit:
    path = None


def _is_network_file(path):
    return path.endswith(".network") or os.path.basename(os.path.dirname(path)).endswith(".network.d")


def _unit_of(path):
    """The file name of the .network a path is, or is a drop-in of."""
    if path.endswith(".network"):
        return os.path.basename(path)
    return os.path.basename(os.path.dirname(path))[:-2]


def _plan_networkd_target(plan, target, unit, desired, families, backend, planned, defer_units):
    """Drop-in and conflicts for a link networkd manages. False when the target is skipped."""
    version = plan.systemd_version
    target.backend = backend.name
    target.network_file = unit.path
    own = dropin_path(unit.path, "forwarding", backend.etc_dir)
    problems = [p for p in malformed_lines(unit) if p[0] != own]  # ours is rewritten whole anyway
    if problems:
        raise_malformed(problems, target.name)
    settings = desired_settings(version, unit, families, own)
    try:
        persistence = backend.plan_forwarding(target.name, settings)
    except Unsupported as exc:  # network_unit found it a moment ago; keep the error typed
        raise HostnetError("%s: %s" % (target.name, exc.msg), interface=target.name)
    edit = planned.get(persistence.files[0].path) or persistence.files[0]
    conflicts = link_conflicts(version, unit, families, own, settings)
    for conflict in conflicts:
        # Our drop-in already in place with these settings resolved it in an earlier run.
        already = not edit.changed and edit.after is not None
        conflict.update(kind="network", interface=target.name,
                        resolved=conflict["resolvable"] and (desired.fix_conflicts or already))
        plan.conflicts.append(conflict)
    unresolved = [c for c in conflicts if not c["resolved"]]
    if unresolved:
        target.skipped = "; ".join(
            "%s line %d sets %s=%s (%s), %s" % (
                c["file"], c["line"], c["key"], c["value"], c["why"],
                "fix_conflicts=true overrides it with a drop-in" if c["resolvable"] else "remove or rename it")
            for c in unresolved)
        plan.warnings.append("%s: left unchanged: %s" % (target.name, target.skipped))
        return False
    target.dropin = edit.path
    target.settings = ["%s=%s" % kv for kv in settings]
    if edit.path not in planned:
        planned[edit.path] = edit
        (plan.deferred_files if unit.path in defer_units else plan.files).append(edit)
    if version is not None and version < FORWARDING_SPLIT_VERSION:
        target.notes.append("systemd %d: IPForward= also turns on net.ipv4.ip_forward and conf.all.forwarding "
                            "when networkd applies it, and the kernel copies that to every interface (measured "
                            "on 252)" % version)
    return True


def _plan_conf_conflicts(plan, state, desired, families, paths, read_text):
    version = state.networkd.version
    if version is None or version < FORWARDING_SPLIT_VERSION or not state.networkd.installed:
        return
    conflicts = _conf_conflicts(state, families, paths)
    reset_keys = []
    for conflict in conflicts:
        in_place = conflict.pop("reset_in_place")
        conflict["resolved"] = conflict["resolvable"] and (desired.fix_conflicts or in_place)
        plan.conflicts.append(conflict)
        if conflict["resolvable"] and desired.fix_conflicts:
            reset_keys.append(conflict["key"])
        elif not conflict["resolved"]:
            unmanaged = [t.name for t in plan.active_targets() if t.backend == "sysctl.d"]
            plan.warnings.append(
                "%s line %d sets [Network] %s=%s: every start of systemd-networkd sets the global forwarding "
                "sysctl to 0, which the kernel copies to every interface; links with their own %s=yes (the "
                "targets' drop-ins) are set back to 1, links networkd does not manage%s stay at 0 until reboot. "
                "%s" % (conflict["file"], conflict["line"], conflict["key"], conflict["value"], conflict["key"],
                        " (here: %s)" % ", ".join(unmanaged) if unmanaged else "",
                        "Run with fix_conflicts=true to reset it." if conflict["resolvable"] else
                        "It sorts after %s: remove it." % os.path.basename(paths.networkd_conf_dropin)))
    if reset_keys:
        text = "\n".join(["# Managed by hostnet.dockerhost.%s: an empty assignment resets the setting that forced "
                          "forwarding off" % MODULE, "# (networkd reads this only when it starts).", "[Network]"]
                         + ["%s=" % key for key in sorted(set(reset_keys))]) + "\n"
        edit = FileEdit(paths.networkd_conf_dropin, read_text(paths.networkd_conf_dropin), text,
                        reason="reset networkd.conf forwarding=no")
        plan.files.append(edit)
        if edit.changed:
            plan.networkd_restart_needed = True
            plan.warnings.append(
                "%s resets %s; systemd-networkd reads networkd.conf only when it starts, so this takes effect at its "
                "next restart or boot. Not restarted here (a restart reconfigures every link networkd manages, the "
                "management link included); the runtime values were set directly."
                % (paths.networkd_conf_dropin, ", ".join("%s=no" % k for k in sorted(set(reset_keys)))))


def _plan_deprecated(plan, state, desired, backend, defer_units, read_text):
    version = state.networkd.version
    if version is None or not state.networkd.installed:
        return
    by_path, users = deprecated_entries(state, backend)
    for path, entries in by_path.items():
        editable = path.startswith(EDITABLE_PREFIX)
        rewritten = {}
        if desired.fix_deprecated and editable:
            before = read_text(path)
            if before is not None:
                after, changes = rewrite_deprecated(before, version)
                rewritten = {line: (new, note) for line, _old, new, note in changes}
                if after != before:
                    edit = FileEdit(path, before, after, reason="deprecated forwarding key")
                    units = {u.path for u in state.networkd.network_files if u.path == path or path in u.dropins}
                    if units & defer_units:
                        plan.deferred_files.append(edit)
                        plan.warnings.append("%s belongs to the .network of a link that carries the management "
                                             "connection: rewritten after the reload, so networkd applies it at "
                                             "the next reload or boot" % path)
                    else:
                        plan.files.append(edit)
        for _section, key, value, _path, lineno in entries:
            replacement = ["%s=%s" % kv for kv in translate_forwarding_setting(key, value)]
            new, note = rewritten.get(lineno, (None, None))
            if new is not None:
                action = "rewritten"
            elif not editable:
                action, note = "reported", "not under /etc: override it with a drop-in in /etc/systemd/network"
            elif desired.fix_deprecated:
                action = "kept"
            else:
                action, note = "reported", "fix_deprecated=true rewrites it"
            plan.deprecated.append({"file": path, "line": lineno, "key": key, "value": value,
                                    "systemd_version": version, "replacement": new or replacement,
                                    "applies_to": users.get(path, []), "action": action, "note": note})


# --------------------------------------------------------------------------------------------------------
# Apply and verify (the only part that touches the host)


def _check_runtime_writable(edits):
    for edit in edits:
        if not edit.changed:
            continue
        if not os.path.exists(edit.path):
            raise HostnetError("cannot set %s: %s does not exist (the interface has no %s configuration or "
                               "vanished); nothing was changed" % (edit.key, edit.path, edit.key.split(".")[1]),
                               path=edit.path)
        directory = os.path.dirname(edit.path)
        try:
            read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
        except OSError as exc:
            raise HostnetError("cannot write %s: %s; nothing was changed" % (edit.path, exc.strerror or exc),
                               path=edit.path)
        if read_only:
            raise HostnetError("cannot write %s: /proc/sys is read-only here (a container?); nothing was changed"
                               % edit.path, path=edit.path)


def write_runtime(edit):
    try:
        with open(edit.path, "w", encoding="ascii") as handle:
            handle.write("%d\n" % int(edit.after))
    except OSError as exc:
        raise HostnetError("cannot set %s=%d through %s: %s"
                           % (edit.key, int(edit.after), edit.path, exc.strerror or exc), path=edit.path)


def apply_plan(module, plan, run, backup=False):
    check_writable(plan.all_files())
    _check_runtime_writable(plan.runtime)
    for edit in plan.runtime:
        if edit.changed:
            write_runtime(edit)
    backups = apply_file_edits(module, plan.files, backup=backup)
    if plan.reload:
        rc, out, err = run(RELOAD)
        if rc != 0:
            raise HostnetError("'%s' failed (rc=%d): %s; the files were written, the runtime values set"
                               % (" ".join(RELOAD), rc, (err or out).strip()), command=RELOAD, rc=rc)
    backups += apply_file_edits(module, plan.deferred_files, backup=backup)
    return backups


def verification_failures(plan, state, desired):
    failures = {}
    for target in plan.active_targets():
        link = state.links.get(target.name)
        if link is None:
            failures[target.name] = "vanished"
            continue
        target.forwarding_after = link.forwarding_ipv4
        if desired.ipv6:
            target.ipv6_forwarding_after = link.forwarding_ipv6
        if link.forwarding_ipv4 is not True or (desired.ipv6 and link.forwarding_ipv6 is not True):
            failures[target.name] = {"ipv4": link.forwarding_ipv4, "ipv6": link.forwarding_ipv6}
    if desired.global_ip_forward:
        if state.ip_forward is not True:
            failures["net.ipv4.ip_forward"] = state.ip_forward
        if desired.ipv6 and state.ipv6_forwarding is not True:
            failures["net.ipv6.conf.all.forwarding"] = state.ipv6_forwarding
    return failures


def verify(plan, desired, reader=read_host_state, sleep=time.sleep):
    """Read the host again until every target forwards; networkd reconfigures links after the reload returns."""
    attempts = VERIFY_ATTEMPTS if plan.reload else 1
    for attempt in range(attempts):
        failures = verification_failures(plan, reader(read_teams=False), desired)
        if not failures:
            return
        if attempt + 1 < attempts:
            sleep(VERIFY_DELAY)
    raise HostnetError("verification failed: forwarding is not on after the change: %s"
                       % ", ".join("%s: %s" % kv for kv in sorted(failures.items(), key=str)),
                       failures=failures, result=plan.to_result())


def find_ssh_server_address(environ, proc="/proc"):
    """SSH_CONNECTION of this process or, when become/sudo dropped it, of the nearest ancestor that has it."""
    found = ssh_server_address(environ.get("SSH_CONNECTION"))
    if found:
        return found
    pid = os.getppid()
    for _level in range(12):
        if pid <= 1:
            break
        try:
            with open(os.path.join(proc, str(pid), "environ"), "rb") as handle:
                for item in handle.read().split(b"\0"):
                    if item.startswith(b"SSH_CONNECTION="):
                        return ssh_server_address(item.split(b"=", 1)[1].decode("ascii", "replace"))
            with open(os.path.join(proc, str(pid), "stat"), "rb") as handle:
                pid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return None


def desired_from_params(params, environ):
    return Desired(
        interfaces=validate_interface_names("interfaces", params["interfaces"]),
        ipv6=params["ipv6"],
        fix_conflicts=params["fix_conflicts"],
        fix_deprecated=params["fix_deprecated"],
        global_ip_forward=params["global_ip_forward"],
        reconfigure_management=params["reconfigure_management"],
        ssh_server_address=find_ssh_server_address(environ),
    )


def enforce_networkd_forwarding(module, environ=None, paths=None):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import module_runner

    desired = desired_from_params(module.params, os.environ if environ is None else environ)
    run = module_runner(module)
    state = read_host_state(read_teams=False)
    backend = NetworkdBackend(state, run)
    plan = plan_forwarding(state, desired, backend, paths=paths)
    for warning in plan.warnings:
        module.warn(warning)
    result = plan.to_result()
    if plan.changed and not module.check_mode:
        result["backup_files"] = apply_plan(module, plan, run, backup=module.params["backup"])
        verify(plan, desired)
        result["interfaces"] = [t.to_dict() for t in plan.targets]
    result["diff"] = plan.diffs()
    return result
