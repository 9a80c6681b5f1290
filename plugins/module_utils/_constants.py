# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's names and numbers in one place: the finding schema (checks, severities, finding ids)
shared by the modules and the controller-side filters (plugins/plugin_utils/fleet_filters.py imports this file),
the backend vocabulary, the prefixes of the files the collection writes and the state directory.

Pure data, standard library only, so that a filter on the controller can import it. team_to_bond's
host-side script (_apply/t2b_txn.py) is self-contained and repeats T2B_STATE_DIR; a unit test keeps them
equal. The playbook and the modules' DOCUMENTATION repeat the check names as YAML literals (they cannot
import Python); a unit test compares them with CHECKS.
"""

from __future__ import annotations

__metaclass__ = type

# ---------------------------------------------------------------------------------------------- findings
CHECKS = ("promisc", "bridge_mac", "forwarding", "networkd", "capture")
SEVERITIES = ("error", "warning", "info")  # worst first
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
# finding id -> the check that reports it (None: attributed to the check that needed the file)
FINDING_IDS = {
    "lag_port_not_promisc": "promisc",
    "bridge_mac_inherited": "bridge_mac",
    "interface_forwarding_off": "forwarding",
    "global_forwarding_off": "forwarding",
    "networkd_forwarding_key_ignored": "networkd",
    "networkd_forwarding_forced_off": "networkd",
    "capture_any_duplicates": "capture",
    "host_file_unreadable": None,
}
# The synthetic finding of a host whose audit could not run (made by the fleet filters, not by a module).
AUDIT_CHECK = "audit"
AUDIT_FAILED_ID = "audit_failed"

# ---------------------------------------------------------------------------------------------- backends
# The names every module returns as "backend" (port_promisc, bridge_mac, networkd_forwarding, team_to_bond).
BACKEND_NETWORKD = "systemd-networkd"
BACKEND_NM = "NetworkManager"
BACKEND_IFUPDOWN = "ifupdown"
BACKEND_NETPLAN = "netplan"  # netplan rendering to systemd-networkd
BACKEND_SYSCTL_D = "sysctl.d"
BACKEND_FALLBACK = "fallback"  # the collection's own udev rules, for interfaces no backend configures
BACKENDS = (BACKEND_NM, BACKEND_NETPLAN, BACKEND_NETWORKD, BACKEND_IFUPDOWN, BACKEND_SYSCTL_D, BACKEND_FALLBACK)

# ---------------------------------------------------------------------------------------------- files
# Drop-ins, udev rules and sysctl.d files: "90-" sorts late, so ours win over earlier ones of the same kind.
FILE_PREFIX = "90-hostnet-dockerhost-"
# team_to_bond's whole .netdev/.network units for a bond: "10-" sorts early, because systemd-networkd
# applies the first .network (in lexical order) that matches a link, and ours must win over a catch-all.
T2B_UNIT_PREFIX = "10-hostnet-"
MANAGED_BY = "hostnet.dockerhost"
SYSCTL_FILE = "/etc/sysctl.d/" + FILE_PREFIX + "forwarding.conf"  # networkd_forwarding's global keys

# ---------------------------------------------------------------------------------------------- commands
NMCLI = "nmcli"
NETWORKCTL_RELOAD = ("networkctl", "reload")  # systemd-networkd rereads its units (argv; list() it to use)

# ---------------------------------------------------------------------------------------------- state
STATE_DIR = "/var/lib/hostnet-dockerhost"  # ledgers (<module>.json)
T2B_STATE_DIR = STATE_DIR + "/team_to_bond"  # team_to_bond's transactions (<txid>/)
