# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fallback for interfaces no network backend configures: one udev rule per interface and feature.

``/etc/udev/rules.d/90-hostnet-dockerhost-<promisc|mac>-<ifname>.rules`` holds::

    ACTION=="add", SUBSYSTEM=="net", NAME=="lan0", RUN+="/usr/sbin/ip link set dev lan0 promisc on"
    ACTION=="add", SUBSYSTEM=="net", NAME=="", KERNEL=="lan0", RUN+="/usr/sbin/ip link set dev lan0 promisc on"

(``address <mac>`` instead of ``promisc on`` for a bridge's MAC), so the setting comes back whenever the
device appears: at boot, and when a bond, team or bridge is created again.

Why a udev ``RUN`` and not a systemd ``.link`` file: udev applies only the *first* ``.link`` file (in
lexical order over /etc, /run and /usr/lib) whose [Match] fits a device. Ours would either lose to any
earlier one that matches (a distribution's or the user's ``10-*.link``, silently) or, when it wins, replace
``99-default.link`` for that device and so drop its ``NamePolicy=`` (the predictable name) and
``MACAddressPolicy=``. A ``.link`` file cannot set promiscuous mode at all. ``RUN`` programs run after
every rule of the event has been processed, that is after ``net_setup_link`` (80-net-setup-link.rules) has
named the device and applied the ``.link`` MAC policy, so ours comes last and wins, and it leaves naming
alone.

Why two lines: at an "add" event ``KERNEL`` is the name the kernel gave (``eth0``), not the one udev is
about to give (``eno1``), which ``NAME==`` matches once 80-net-setup-link.rules has set it (hence "90-").
A device udev does not rename (a bond, a team, a bridge) has no ``NAME`` and keeps its kernel name. The two
lines exclude each other, so the command runs once. The interface name is written literally; names with
characters that udev would read as a pattern (``* ? [ ] |``), a substitution (``$ %``) or quoting
(``" ' \\``) are refused.

``ip`` is resolved when planning (``/usr/sbin/ip``, then ``/sbin/ip``, then ``PATH``), because udev needs
an absolute program path. Removal deletes the file. Reload: ``udevadm control --reload``, so that the next
"add" event sees the change; the running device is changed by the module over netlink, not by this rule.

Checking a rule on a real system (the lab does this in a guest; a container has no udev): after the module
wrote it, ``udevadm test --action=add /sys/class/net/<ifname>`` lists the ``RUN`` command among what
would run; re-create the device (``ip link del bond0`` and bring it back, or reboot) and the flag is in
``/sys/class/net/<ifname>/flags`` (0x100) or the MAC in ``ip link show``, with ``addr_assign_type`` 3.
``render_rule`` gives the exact text for a test to compare with.
"""

from __future__ import annotations

__metaclass__ = type

import os
import shutil

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend, Persistence, is_lag_port
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_FALLBACK, FILE_PREFIX
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import NameNotWritable, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import plan_file, plan_removal
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import has_control, visible
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import UNDECODABLE, validate_mac

RULES_DIR = "/etc/udev/rules.d"
RULE_PREFIX = FILE_PREFIX
IP_CANDIDATES = ("/usr/sbin/ip", "/sbin/ip")
RELOAD = ["udevadm", "control", "--reload"]
# systemd-udevd's control socket: absent where udevd does not run (containers, early boot), and then there is
# nothing to reload - udevd reads the rules when it starts.
UDEV_CONTROL = "/run/udev/control"
# udev match patterns: * ? [ ] and | (alternatives); substitutions in RUN: $ and %; quoting: " ' and \.
UDEV_UNSAFE = frozenset("*?[]|$%\"'\\")

FEATURES = {
    # feature: (module that writes it, why, ip arguments after "link set dev <ifname>")
    "promisc": ("port_promisc", "keep {ifname} promiscuous (a port of a bridged LAG)", "promisc on"),
    # an interface named in port_promisc's ``interfaces`` that is not a LAG port (docker0, a bridge, ...)
    "promisc-named": ("port_promisc", "keep {ifname} promiscuous (named in its interfaces option)", "promisc on"),
    "mac": ("bridge_mac", "pin the MAC of bridge {ifname} so ports joining or leaving never change it",
            "address {mac}"),
}


def rule_path(ifname, feature, rules_dir=RULES_DIR):
    return os.path.join(rules_dir, "%s%s-%s.rules" % (RULE_PREFIX, feature, ifname))


def udev_name_problem(ifname):
    """Why ``ifname`` cannot be written into a udev rule literally, or None."""
    if has_control(ifname):
        return "contains a control character, which the collection does not write into a rule file"
    if UNDECODABLE in ifname:
        return "is not UTF-8, so the collection cannot write it into a rule file"
    bad = sorted(set(ifname) & UDEV_UNSAFE)
    if bad:
        return ("contains %s, which udev reads as a pattern, substitution or quote in a rule"
                % " ".join(repr(c) for c in bad))
    return None


def find_ip(candidates=IP_CANDIDATES, which=shutil.which):
    """The absolute path of ``ip``, or None."""
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = which("ip")
    return os.path.abspath(found) if found else None


def render_rule(ifname, feature, ip_path, mac=None, purpose=None):
    """The text of the rule file for ``feature`` ("promisc" or "mac") of ``ifname``; ``purpose``: the key of
    FEATURES whose words the comment uses (default ``feature``)."""
    module, why, arguments = FEATURES[purpose or feature]
    command = "%s link set dev %s %s" % (ip_path, ifname, arguments.format(mac=mac))
    lines = [
        "# Written by hostnet.dockerhost.%s: %s." % (module, why.format(ifname=ifname)),
        "# No network backend on this host (systemd-networkd, NetworkManager, ifupdown) configures %s," % ifname,
        "# so the collection persists the setting here. Remove it with the module's state=absent.",
        "# NAME== is the name udev gives the device; one it does not rename keeps its KERNEL name.",
        'ACTION=="add", SUBSYSTEM=="net", NAME=="%s", RUN+="%s"' % (ifname, command),
        'ACTION=="add", SUBSYSTEM=="net", NAME=="", KERNEL=="%s", RUN+="%s"' % (ifname, command),
    ]
    return "\n".join(lines) + "\n"


class FallbackBackend(Backend):
    """udev rules for interfaces that no backend owns (see the module docstring)."""

    name = BACKEND_FALLBACK

    def __init__(self, host, run, rules_dir=RULES_DIR, ip_path=None):
        super().__init__(host, run)
        self.rules_dir = rules_dir
        self.ip_path = ip_path  # None: resolved on the host when planning

    def owner(self, ifname):
        return None  # the fallback never claims an interface; it takes what nobody claims

    def _ip(self, ifname, feature):
        path = self.ip_path or find_ip()
        if not path:
            raise Unsupported("cannot persist %s of %s with a udev rule: the ip command (iproute2) is not "
                              "installed (looked for %s and in PATH)" % (feature, ifname, ", ".join(IP_CANDIDATES)))
        return path

    def _plan(self, ifname, feature, value):
        problem = udev_name_problem(ifname)
        path = rule_path(ifname, feature, self.rules_dir)
        if value is None:
            edit = plan_removal(path, reason="%s of %s no longer kept" % (feature, ifname))
        else:
            if problem:
                raise NameNotWritable("cannot persist %s of %s with a udev rule: the name %s; use persist=false "
                                      "for a runtime-only change" % (feature, visible(repr(ifname)), problem),
                                      interface=ifname)
            purpose = "promisc-named" if feature == "promisc" and not is_lag_port(self.host, ifname) else None
            text = render_rule(ifname, feature, self._ip(ifname, feature), mac=value if feature == "mac" else None,
                               purpose=purpose)
            edit = plan_file(path, text, mode=0o644, reason="udev rule: %s of %s" % (feature, ifname))
        if os.path.exists(UDEV_CONTROL):
            return Persistence(interface=ifname, backend=self.name, owner=None, files=[edit], reload=[list(RELOAD)])
        return Persistence(interface=ifname, backend=self.name, owner=None, files=[edit],
                           notes=["systemd-udevd is not running here (no %s); the rule takes effect when it starts"
                                  % UDEV_CONTROL])

    def plan_promisc(self, ifname, enabled):
        return self._plan(ifname, "promisc", True if enabled else None)

    def plan_mac(self, ifname, mac):
        return self._plan(ifname, "mac", validate_mac("mac", mac) if mac is not None else None)
