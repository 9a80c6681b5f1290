# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetworkManager as a persistence backend: properties of the device's active profile, changed with nmcli.

Detection is one ``nmcli -t connection show --active`` per backend instance, run on the first question;
NetworkManager missing or stopped means it owns nothing. The owner of an interface is the profile active
on it, unless NetworkManager only mirrors a device something else configured (an ``external`` profile it
generated under /run, e.g. ``docker0``, ``lo``, or a networkd link): editing such a profile would hand the
device to NetworkManager.

Planning runs read-only nmcli commands only. The plans' commands are ``nmcli connection modify``, which
writes the keyfile; nothing is reloaded because the module changes the running link through netlink. Each
command names the profile's keyfile, so that the engine undoes it byte for byte (``_apply/nm_profile.py``).
Measured on NetworkManager 1.42 (lab guest bookworm-nm):

- ``accept-all-mac-addresses`` and ``cloned-mac-address`` take effect when the profile is activated
  (boot, ``nmcli connection up``); ``nmcli device reapply`` refuses a change of accept-all-mac-addresses.
- NetworkManager does not revert a netlink change of the promiscuous flag or the MAC on a running device;
  a later ``nmcli connection up`` applies the profile again (re-activating the device: disruptive on a
  bridge, which is why nothing here runs it).
- With accept-all-mac-addresses ``-1`` (default) NetworkManager leaves the flag as it finds it.
"""

from __future__ import annotations

__metaclass__ = type

import shutil

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend, CommandEdit, Persistence
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_NM, NMCLI
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_text_or_none
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.bond import nm_bond_options
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.nmcli import (
    ACTIVE_FIELDS,
    _dotted,
    keyfile_is_external,
    parse_active,
    parse_settings,
    parse_version,
    unescape_get_value,
)


ACCEPT_ALL = "802-3-ethernet.accept-all-mac-addresses"
ACCEPT_ALL_SINCE = (1, 32)
CLONED_MAC = "802-3-ethernet.cloned-mac-address"
BRIDGE_MAC = "bridge.mac-address"  # deprecated in favour of ethernet.cloned-mac-address
# (argument to nmcli connection modify, value as nmcli -g prints it): the ternary prints as -1/0/1.
ACCEPT_ALL_ON = ("true", "1")
ACCEPT_ALL_DEFAULT = ("default", "-1")
# Profile types that may carry an 802-3-ethernet setting: nmcli 1.42 accepted
# "connection modify <p> 802-3-ethernet.accept-all-mac-addresses true" for these and refused it for
# loopback, infiniband, vrf, wireguard and 802-11-wireless ("'802-3-ethernet' not among [...]").
WIRED_PROFILE_TYPES = frozenset((
    "802-3-ethernet", "bond", "bridge", "team", "vlan", "macvlan", "vxlan", "veth", "dummy", "ip-tunnel",
    "tun", "macsec",
))


# --------------------------------------------------------------------------------------------------------
# The backend


class NetworkManagerBackend(Backend):
    name = BACKEND_NM

    def __init__(self, host, run, which=shutil.which, read_text=read_text_or_none):
        super().__init__(host, run)
        self._which = which
        self._read_text = read_text
        self._profiles = None
        self._version = False  # not asked yet; then a tuple or None
        self.unavailable = None  # why NetworkManager owns nothing here, for diagnostics
        self.external = {}  # device -> the generated profile NetworkManager only mirrors

    # ---- detection

    def active_profiles(self):
        """{device: ActiveProfile}, read once."""
        if self._profiles is None:
            self._profiles = self._read_active()
        return self._profiles

    def _read_active(self):
        if self._which(NMCLI) is None:
            self.unavailable = "nmcli is not installed"
            return {}
        rc, out, err = self.run([NMCLI, "-t", "-f", ",".join(ACTIVE_FIELDS), "connection", "show", "--active"])
        if rc != 0:
            self.unavailable = (err or out or "").strip() or "nmcli exited with %d" % rc
            return {}
        profiles = {}
        for profile in parse_active(out):
            # A VPN shares the device of the profile it runs over; that profile is the device's owner.
            if not profile.device or profile.type == "vpn" or profile.device in profiles:
                continue
            if self._is_external(profile):
                self.external[profile.device] = profile
                continue
            profiles[profile.device] = profile
        return profiles

    def _is_external(self, profile):
        if not profile.in_memory:
            return False
        try:
            text = self._read_text(profile.filename)
        except HostnetError:
            return True  # cannot tell; claiming it could turn a mirrored device into a managed one
        return keyfile_is_external(text)

    def owner(self, ifname):
        profile = self.active_profiles().get(ifname)
        return profile.evidence() if profile else None

    def version(self):
        """The running NetworkManager's version as a tuple, read once; None when nmcli does not say."""
        if self._version is False:
            rc, out, _err = self.run([NMCLI, "-t", "-f", "RUNNING,VERSION", "general"])
            self._version = parse_version(out) if rc == 0 else None
        return self._version

    # ---- planning

    def plan_promisc(self, ifname, enabled):
        profile = self._editable_profile(ifname)
        version = self.version()
        if version is not None and version < ACCEPT_ALL_SINCE:
            raise Unsupported("NetworkManager %s has no %s (added in %s)"
                              % (_dotted(version[:2]), ACCEPT_ALL, _dotted(ACCEPT_ALL_SINCE)))
        self._require_wired(profile, ACCEPT_ALL)
        argument, after = ACCEPT_ALL_ON if enabled else ACCEPT_ALL_DEFAULT
        command = CommandEdit(
            argv=[NMCLI, "connection", "modify", profile.uuid, ACCEPT_ALL, argument],
            header=profile.header(ACCEPT_ALL),
            before=self._get(profile, ACCEPT_ALL) or ACCEPT_ALL_DEFAULT[1],  # no 802-3-ethernet setting yet
            after=after,
            keyfile=profile.filename,
        )
        return self._persistence(ifname, profile, command)

    def plan_mac(self, ifname, mac):
        profile = self._editable_profile(ifname)
        self._require_wired(profile, CLONED_MAC)
        values = self._show(profile, (CLONED_MAC, BRIDGE_MAC))
        before = values.get(CLONED_MAC, "")
        if mac is None:
            after = ""
        elif before.lower() == mac.lower():
            after = before
        else:
            after = mac.upper()  # as nmcli prints it, so the next run compares equal
        command = CommandEdit(
            argv=[NMCLI, "connection", "modify", profile.uuid, CLONED_MAC, after],
            header=profile.header(CLONED_MAC),
            before=before,
            after=after,
            keyfile=profile.filename,
        )
        plan = self._persistence(ifname, profile, command)
        bridge_mac = values.get(BRIDGE_MAC, "")
        if bridge_mac and bridge_mac.lower() != (mac or "").lower():
            plan.notes.append(
                "%s is %s in %s: NetworkManager creates %s with that MAC when %s is empty, and refuses to "
                "activate the profile on an existing %s whose MAC differs from it ('Failed to find a compatible "
                "device', measured on 1.42); clear it: nmcli connection modify %s %s ''"
                % (BRIDGE_MAC, bridge_mac, profile.evidence(), ifname, CLONED_MAC, ifname, profile.uuid, BRIDGE_MAC))
        return plan

    # ---- helpers

    def _editable_profile(self, ifname):
        profile = self.active_profiles().get(ifname)
        if profile is None:
            raise Unsupported("no active NetworkManager profile on %s" % ifname)
        if profile.from_netplan:
            raise Unsupported("%s is generated by netplan at boot; whether an nmcli change reaches /etc/netplan "
                              "depends on the distribution's NetworkManager" % profile.evidence())
        return profile

    def _require_wired(self, profile, prop):
        if profile.type not in WIRED_PROFILE_TYPES:
            raise Unsupported("%s is of type %s, which has no 802-3-ethernet setting (%s)"
                              % (profile.evidence(), profile.type, prop))

    def _persistence(self, ifname, profile, command):
        plan = Persistence(interface=ifname, backend=self.name, owner=profile.evidence(), commands=[command])
        if profile.in_memory and command.changed:
            plan.notes.append("%s is stored in memory only; nmcli connection modify saves it to "
                              "/etc/NetworkManager/system-connections" % profile.evidence())
        return plan

    def _read(self, profile, argv, prop):
        rc, out, err = self.run(argv)
        if rc == 0:
            return out
        message = (err or out or "").strip()
        if "invalid field" in message:  # an nmcli older than the running daemon
            raise Unsupported("this nmcli cannot read %s: %s" % (prop, message))
        raise HostnetError("cannot read %s of NetworkManager %s: %s" % (prop, profile.evidence(), message),
                           command=list(argv), rc=rc)

    def _get(self, profile, prop):
        """The value as ``nmcli -g`` prints it; '' when the profile lacks the setting."""
        return unescape_get_value(self._read(profile, [NMCLI, "-g", prop, "connection", "show", profile.uuid], prop))

    def _show(self, profile, props):
        argv = [NMCLI, "-t", "-f", ",".join(props), "connection", "show", profile.uuid]
        return parse_settings(self._read(profile, argv, ",".join(props)))

    # ---- team -> bond (team_to_bond)

    @classmethod
    def plan_bond_migration(cls, facts, plan, txid):  # pylint: disable=unused-argument
        """team_to_bond: nmcli commands that take the team's profiles down and add bond and port profiles with
        the team's MAC, MTU, master and IP settings (VLAN profiles re-parented), and how to commit and roll back."""
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
