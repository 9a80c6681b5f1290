# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl.d(5) syntax (pure): a per-interface key, whether a name can be written in a line, our file."""

from __future__ import annotations

__metaclass__ = type

# Characters that make a sysctl.d line mean something else: '=' ends the key, globs match other interfaces
# (systemd >= 249 expands them), a leading '-' would make failures silent.
_SYSCTL_D_UNSAFE = frozenset("=*?[]\\#;")


def sysctl_name(family, ifname, setting="forwarding"):
    """The sysctl.d spelling: a '.' in an interface name is written '/' (sysctl.d(5): with '.' as the first
    separator, '.' and '/' are swapped), so ``eth0.100`` -> ``net.ipv4.conf.eth0/100.forwarding``."""
    return "net.%s.conf.%s.%s" % (family, ifname.replace(".", "/"), setting)


def sysctl_d_problem(ifname):
    bad = sorted(set(ifname) & _SYSCTL_D_UNSAFE)
    if bad or ifname.startswith("-"):
        return "its name contains %s, which a sysctl.d line cannot express" % " ".join(bad or ["a leading '-'"])
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in ifname) or "\ufffd" in ifname:
        return "its name contains a control character or bytes that are not UTF-8, which the collection does not " \
            "write into a sysctl.d file"
    return None


def render_sysctl_file(existing_text, settings, module="networkd_forwarding"):
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
    header = ["# Managed by hostnet.dockerhost.%s: forwarding that systemd-networkd does not manage here." % module,
              "# systemd-sysctl applies it at boot, and udev runs it again for every interface that appears later."]
    return "\n".join(header + ["%s = %s" % kv for kv in values.items()]) + "\n"
