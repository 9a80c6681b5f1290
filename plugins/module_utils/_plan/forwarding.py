# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_forwarding: keep IPv4 (and IPv6) forwarding on the interfaces that carry container traffic.

systemd-networkd set the uplink's ``net.ipv4.conf.X.forwarding`` back to 0 whenever it configured
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

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import container_traffic_interfaces
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import dropin_path
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.sysctl_d import SysctlDBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, NameNotWritable, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_model import (
    EDITABLE_PREFIX,
    ForwardingPlan,
    MODULE,
    Paths,
    RuntimeEdit,
    Target,
    global_sysctls,
    management_interfaces,
    proc_path,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.forwarding_units import (
    deprecated_entries,
    desired_settings,
    link_conflicts,
    malformed_lines,
    raise_malformed,
    rewrite_deprecated,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import NETWORKD_CONF
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.write_target import read_before
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import (
    FORWARDING_SPLIT_VERSION,
    effective_entries,
    forwarding_key_for,
    parse_boolean,
    translate_forwarding_setting,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.sysctl_d import sysctl_name
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_known_interfaces


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


def plan_forwarding(state, desired, backend, paths=None, read_text=read_before):
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
    sysctl_d = SysctlDBackend(state, path=paths.sysctl_file, read_text=read_text)  # for links networkd does not manage
    # networkd reconfigures every link of a .network whose files changed, so deferral is decided per file.
    management_units = {u.path for u in (backend.network_unit(m) if networkd.running else None
                                         for m in plan.management_interfaces) if u is not None}
    defer_units = set() if desired.reconfigure_management else management_units
    planned = {}  # drop-in path -> FileEdit, one per .network however many targets it matches
    for name in names:
        link = state.links[name]
        target = Target(name=name, backend=sysctl_d.name, forwarding_before=link.forwarding_ipv4,
                        ipv6_forwarding_before=link.forwarding_ipv6 if desired.ipv6 else None,
                        management=name in plan.management_interfaces)
        plan.targets.append(target)
        unit = backend.network_unit(name) if networkd.running else None
        if unit is not None:
            if not _plan_networkd_target(plan, target, unit, desired, families, backend, planned, defer_units):
                continue
        else:
            try:
                lines = sysctl_d.plan_forwarding(name, families)
            except NameNotWritable as exc:
                # never half-done: neither the file nor the runtime value for this link; the others go on
                target.skipped = "not managed by systemd-networkd and %s; rename it or set its forwarding by hand" \
                    % exc.msg
                plan.warnings.append(visible("%s: left unchanged: %s" % (name, target.skipped)))
                continue
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
        plan.files.append(sysctl_d.plan_file(sysctl_settings))

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
    target.backend = persistence.backend  # netplan for the units it generates
    if persistence.backend != backend.name or persistence.owner != unit.path:
        target.notes.append("owner: %s (%s)" % (persistence.backend, persistence.owner))
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
            unmanaged = [t.name for t in plan.active_targets() if t.backend == SysctlDBackend.name]
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
