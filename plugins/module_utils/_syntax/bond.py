# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bond in each backend's syntax (pure): systemd-networkd .netdev/.network units and NetworkManager's
``bond.options``. Bond options come named as in ``/sys/class/net/<bond>/bonding/`` (the kernel's names);
team_to_bond's backends (_backends/networkd.py, _backends/nm.py) render them with these."""

from __future__ import annotations

__metaclass__ = type

import re

from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import match_name_patterns, parse_unit_text


# Per bond option: (networkd [Bond] key, value renderer). None: networkd cannot express it.
NETWORKD_BOND_KEYS = {
    "mode": ("Mode", str),
    "xmit_hash_policy": ("TransmitHashPolicy", str),
    "lacp_rate": ("LACPTransmitRate", str),
    "miimon": ("MIIMonitorSec", lambda v: "%sms" % v),
    "updelay": ("UpDelaySec", lambda v: "%sms" % v),
    "downdelay": ("DownDelaySec", lambda v: "%sms" % v),
    "ad_select": ("AdSelect", str),
    "ad_actor_sys_prio": ("AdActorSystemPriority", str),
    "min_links": ("MinLinks", str),
    "fail_over_mac": ("FailOverMACPolicy", str),
    "arp_interval": ("ARPIntervalSec", lambda v: "%sms" % v),
    "arp_ip_target": ("ARPIPTargets", lambda v: " ".join(v.split(","))),
    "arp_validate": ("ARPValidate", str),
    "arp_missed_max": ("ARPMissedMax", str),
    "primary_reselect": ("PrimaryReselectPolicy", str),
    "resend_igmp": ("ResendIGMP", str),
    "num_grat_arp": ("GratuitousARP", str),
    "tlb_dynamic_lb": ("DynamicTransmitLoadBalancing", lambda v: "yes" if str(v) == "1" else "no"),
    "peer_notif_delay": (None, None),
    "num_unsol_na": (None, None),  # networkd's GratuitousARP= sets both num_grat_arp and num_unsol_na
    "lacp_active": (None, None),
    "primary": (None, None),  # networkd: PrimarySlave=yes in the port's .network
}
MANAGED_HEADER = "# hostnet.dockerhost team_to_bond: replaces team %s (transaction %s)\n"


# --------------------------------------------------------------------------------------------------------
# Rendering (pure)


def render_networkd_netdev(bond, options, mac, mtu, header):
    lines = [header.rstrip("\n"), "[NetDev]", "Name=%s" % bond, "Kind=bond"]
    if mac:
        lines.append("MACAddress=%s" % mac)
    if mtu and mtu != 1500:
        lines.append("MTUBytes=%d" % mtu)
    lines += ["", "[Bond]"]
    for key, value in options.items():
        nd_key, render = NETWORKD_BOND_KEYS.get(key, (None, None))
        if nd_key:
            lines.append("%s=%s" % (nd_key, render(value)))
    return "\n".join(lines) + "\n"


def networkd_unsupported(options):
    """Bond options networkd 252 cannot write (``primary`` is per port, handled separately)."""
    return sorted(k for k in options if k != "primary" and NETWORKD_BOND_KEYS.get(k, (None,))[0] is None
                  and not (k == "num_unsol_na" and options.get("num_grat_arp") == options[k]))


def retarget_network_text(text, bond):
    """The team's own .network, matched to the bond instead (addresses, routes, Bridge=, VLAN= kept); None
    when it does not match by ``Name=``."""
    out, section = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif section == "Match" and re.match(r"^(Name|OriginalName)\s*=", stripped):
            out.append("Name=%s" % bond)
            continue
        out.append(line)
    if not match_name_patterns(parse_unit_text("\n".join(out))):
        return None  # it does not select the team by name, so it cannot be made to select the bond
    return "\n".join(out) + "\n"


def render_networkd_bond_network(bond, master, header):
    lines = [header.rstrip("\n"), "[Match]", "Name=%s" % bond, "", "[Network]", "LinkLocalAddressing=no",
             "IPv6AcceptRA=no", "ConfigureWithoutCarrier=yes"]
    if master:
        lines.append("Bridge=%s" % master)
    return "\n".join(lines) + "\n"


def render_networkd_port_network(port, bond, primary, header):
    lines = [header.rstrip("\n"), "[Match]", "Name=%s" % port, "", "[Network]", "Bond=%s" % bond]
    if primary:
        lines.append("PrimarySlave=yes")
    return "\n".join(lines) + "\n"


def nm_bond_options(options):
    """bond.options for nmcli: comma separated key=value, arp_ip_target's list space-separated."""
    parts = []
    for key, value in options.items():
        parts.append("%s=%s" % (key, value.replace(",", " ") if key == "arp_ip_target" else value))
    return ",".join(parts)
