# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd-networkd persistence: drop-ins next to the user's files, never a rewrite of them.

A setting for a link goes into ``/etc/systemd/network/<its .network>.d/90-hostnet-dockerhost-<what>.conf``
(systemd reads drop-ins for a unit from every unit directory, so this also works for a .network shipped in
/usr/lib). A bridge's MAC goes into the drop-in of the ``.netdev`` that creates it (``[NetDev] MACAddress=``)
or, for a bridge networkd only configures, into its .network (``[Link] MACAddress=``).
The name sorts late ("90-") so that ours wins over earlier drop-ins; a later one that overrides ours is
reported rather than fought with.
"""

from __future__ import annotations

__metaclass__ = type

import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend, Persistence, is_lag_port
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    BACKEND_NETWORKD,
    FILE_PREFIX,
    NETWORKCTL_RELOAD,
    T2B_UNIT_PREFIX,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import MigrationRefused, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import plan_file, plan_removal
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.bond import (
    MANAGED_HEADER,
    networkd_unsupported,
    render_networkd_bond_network,
    render_networkd_netdev,
    render_networkd_port_network,
    retarget_network_text,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.netplan import generated_id
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import (
    effective_entries,
    network_file_matches_name,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible

ETC_NETWORK = "/etc/systemd/network"


def dropin_path(unit_path, what, etc_dir=ETC_NETWORK):
    return os.path.join(etc_dir, os.path.basename(unit_path) + ".d", FILE_PREFIX + what + ".conf")


def render_dropin(module_name, why, section, settings):
    lines = ["# Managed by hostnet.dockerhost.%s: %s" % (module_name, visible(why)),
             "# To undo: delete this file and run 'networkctl reload'.",
             "[%s]" % section]
    lines += ["%s=%s" % (key, value) for key, value in settings]
    return "\n".join(lines) + "\n"


def overriding_entries(unit, path, section, keys):
    """Entries for ``keys`` that come after drop-in ``path`` in systemd's order, i.e. would win over it."""
    name = os.path.basename(path)
    later = [e for e in unit.entries if e[3] != path and e[3] != unit.path
             and os.path.basename(e[3]) > name and e[0] == section and e[1] in keys]
    return later


def netdev_name(unit):
    for entry in effective_entries(unit.entries, "NetDev"):
        if entry[1] == "Name":
            return entry[2]
    return None


class NetworkdBackend(Backend):
    name = BACKEND_NETWORKD
    # team_to_bond: networkd keeps a bond it finds running, with ports already enslaved to it, when its
    # .netdev/.network appear at `networkctl reload` (systemd 252 in the lab; 257 not measured yet), so the
    # bond is built at runtime first and the files follow (make-before-break, _apply/t2b_move.py).
    adopts_running_bond = True

    def __init__(self, host, run, etc_dir=ETC_NETWORK):
        super().__init__(host, run)
        self.networkd = host.networkd
        self.etc_dir = etc_dir

    # ------------------------------------------------------------------ which files

    def network_unit(self, ifname):
        """The .network networkd applies to ``ifname``: its own record first, else [Match] Name=."""
        if not self.networkd.running:
            return None
        recorded = self.networkd.link_network_file.get(ifname)
        for unit in self.networkd.network_files:
            if recorded and unit.path == recorded:
                return unit
        if recorded:
            return None  # e.g. a file under /run we did not read; do not guess
        for unit in self.networkd.network_files:
            if network_file_matches_name(unit.entries, ifname):
                return unit
        return None

    def netdev_unit(self, ifname):
        if not self.networkd.running:
            return None
        for unit in self.networkd.netdev_files:
            if netdev_name(unit) == ifname:
                return unit
        return None

    def owner(self, ifname):
        unit = self.network_unit(ifname) or self.netdev_unit(ifname)
        if unit is None or generated_id(unit.path):
            return None  # a unit netplan generated: the netplan backend owns it (_backends/netplan.py)
        return unit.path

    # ------------------------------------------------------------------ plans

    def _plan_dropin(self, ifname, unit, what, content, section, keys, notes=()):
        path = dropin_path(unit.path, what, self.etc_dir)
        edit = plan_file(path, content, reason="%s for %s" % (what, ifname)) if content else plan_removal(path)
        plan = Persistence(interface=ifname, backend=self.name, owner=unit.path, files=[edit],
                           reload=[list(NETWORKCTL_RELOAD)], notes=list(notes))
        if content:
            for entry in overriding_entries(unit, path, section, keys):
                plan.notes.append("%s:%d sets %s=%s after our drop-in and wins over it; remove it"
                                  % (entry[3], entry[4], entry[1], entry[2]))
        return plan

    def plan_promisc(self, ifname, enabled):
        unit = self.network_unit(ifname)
        if unit is None:
            raise Unsupported("no .network of systemd-networkd applies to %s" % ifname)
        lag_port = is_lag_port(self.host, ifname)
        if enabled and not lag_port:
            # a named interface (docker0, a bridge): a drop-in for a .network that also applies to other links
            # would make them promiscuous too
            others = sorted(name for name in self.host.links if name != ifname and self.network_unit(name) is unit)
            if others:
                raise Unsupported("%s also applies to %s, which a drop-in would make promiscuous too"
                                  % (unit.path, ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")))
        why = "port of a bridged LAG" if lag_port else "named in its interfaces option"
        content = render_dropin("port_promisc", "keep %s promiscuous (%s)" % (ifname, why),
                                "Link", [("Promiscuous", "yes")]) if enabled else None
        return self._plan_dropin(ifname, unit, "promisc", content, "Link", ("Promiscuous",))

    def plan_mac(self, ifname, mac):
        unit = self.netdev_unit(ifname)
        section, key = "NetDev", "MACAddress"
        if unit is None:
            unit = self.network_unit(ifname)
            section, key = "Link", "MACAddress"
        if unit is None:
            raise Unsupported("no .netdev or .network of systemd-networkd applies to %s" % ifname)
        content = render_dropin("bridge_mac", "pin the MAC of bridge %s so ports joining or leaving never "
                                "change it" % ifname, section, [(key, mac)]) if mac else None
        return self._plan_dropin(ifname, unit, "mac", content, section, (key,))

    def plan_forwarding(self, ifname, settings):
        """``settings``: [(key, value)] such as [("IPv4Forwarding", "yes")]; empty removes our drop-in."""
        unit = self.network_unit(ifname)
        if unit is None:
            raise Unsupported("no .network of systemd-networkd applies to %s; networkd does not manage it"
                              % ifname)
        content = render_dropin("networkd_forwarding", "forward on %s, which carries container traffic"
                                % ifname, "Network", settings) if settings else None
        return self._plan_dropin(ifname, unit, "forwarding", content, "Network", tuple(k for k, _v in settings))

    # ------------------------------------------------------------------ team -> bond (team_to_bond)

    @classmethod
    def plan_bond_migration(cls, facts, plan, txid):
        """team_to_bond: the .netdev/.network units of the bond (the team's own .network retargeted), the port
        .network files moved aside, teamd@ stopped, and how to reload, recreate, commit and roll back."""
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
            retargeted = retarget_network_text(facts.network_text, plan.bond)
            if retargeted is None:
                raise MigrationRefused("%s: its .network does not match by Name=; cannot retarget it to %s"
                                       % (facts.name, plan.bond))
            body = header + retargeted
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
        # Runtime first (t2b_move.py): the bond runs with the ports when the files are written; the reload
        # lets networkd adopt it. teamd, left without ports, stops at the confirmation: until then a rollback
        # can hand the ports back to a running team.
        plan.apply += [["networkctl", "reload"]]
        hold = "/run/systemd/network/00-hostnet-t2b-hold-%s.network" % facts.name
        plan.hold_files = [{"path": hold, "mode": 0o644, "content": header + "# networkd leaves %s alone while its "
                            "ports move to %s (removed at the confirmation or rollback)\n[Match]\nName=%s\n\n"
                            "[Link]\nUnmanaged=yes\n" % (facts.name, plan.bond, facts.name)}]
        plan.hold_apply = [["networkctl", "reload"]]
        plan.commit = [{"run": ["systemctl", "disable", "--now", facts.teamd_unit]}] if facts.teamd_unit else []
        plan.commit.append({"remove": hold})
        plan.commit += [{"remove": p} for p in (facts.network_file, facts.teamd_config_path) if p]
        plan.rollback_files = [["networkctl", "reload"]]
        plan.rollback_pre = [["ip", "link", "delete", plan.bond]]
        plan.rollback_post = [["networkctl", "reload"]]
        if facts.teamd_unit:
            if facts.teamd_unit_enabled:
                plan.rollback_post.append(["systemctl", "enable", facts.teamd_unit])
            plan.rollback_post.append(["systemctl", "restart", facts.teamd_unit])
        plan.rollback_post.append(["networkctl", "reconfigure", facts.name] + list(plan.ports))
