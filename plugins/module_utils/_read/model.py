# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one read model of a host's networking state.

``read_host_state()`` (``host.py``) does one netlink link, address and route dump (default routes: their
interfaces and gateways) on a plain rtnetlink socket
(``netlink.py``, the dozen attributes we need decoded by hand), and reads only what netlink does not carry:
sysfs ``addr_assign_type`` and ``flags``, the global forwarding sysctls, ``/etc/docker/daemon.json`` and the
Docker engine's networks (``docker.py``), the systemd-networkd configuration, ``/etc/machine-id`` and, for
teams, ``teamdctl``. Everything else in the collection reads the host through these files and works on the
dataclasses below.
"""

from __future__ import annotations

__metaclass__ = type

from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import parse_unit_text


# linux/if.h, linux/if_link.h, linux/rtnetlink.h, linux/netdevice.h
IFF_UP = 0x1
IFF_PROMISC = 0x100
ARPHRD_LOOPBACK = 772
NET_ADDR_PERM, NET_ADDR_RANDOM, NET_ADDR_STOLEN, NET_ADDR_SET = 0, 1, 2, 3
ADDR_ASSIGN_TYPES = {0: "permanent", 1: "random", 2: "stolen", 3: "set"}

OPERSTATES = {0: "unknown", 1: "notpresent", 2: "down", 3: "lowerlayerdown", 4: "testing", 5: "dormant", 6: "up"}
BOND_MODES = {
    0: "balance-rr",
    1: "active-backup",
    2: "balance-xor",
    3: "broadcast",
    4: "802.3ad",
    5: "balance-tlb",
    6: "balance-alb",
}
# bonding.rst: "For the active-backup, balance-tlb and balance-alb modes, the promiscuous mode setting is
# propagated only to the active slave."
BOND_MODES_PROMISC_ACTIVE_ONLY = frozenset(("active-backup", "balance-tlb", "balance-alb"))
LAG_KINDS = frozenset(("bond", "team"))

SYSFS_NET = "/sys/class/net"
PROC_IPV4_FORWARD = "/proc/sys/net/ipv4/ip_forward"
PROC_IPV6_FORWARDING = "/proc/sys/net/ipv6/conf/all/forwarding"
DOCKER_DAEMON_JSON = "/etc/docker/daemon.json"
DOCKER_SOCKETS = ("/run/docker.sock", "/var/run/docker.sock")
DOCKER_DEFAULT_BRIDGE = "docker0"
MACHINE_ID = "/etc/machine-id"
NETWORKD_UNIT_DIRS = (
    "/etc/systemd/network",
    "/run/systemd/network",
    "/usr/local/lib/systemd/network",
    "/usr/lib/systemd/network",
    "/lib/systemd/network",
)
NETWORKD_CONF = "/etc/systemd/networkd.conf"
NETWORKD_CONF_DROPIN_DIRS = (
    "/etc/systemd/networkd.conf.d",
    "/run/systemd/networkd.conf.d",
    "/usr/local/lib/systemd/networkd.conf.d",
    "/usr/lib/systemd/networkd.conf.d",
    "/lib/systemd/networkd.conf.d",
)
NETWORKD_LINK_STATE_DIR = "/run/systemd/netif/links"


# --------------------------------------------------------------------------------------------------------
# The model


@dataclass
class BondInfo:
    mode: str
    active_slave: Optional[str] = None


@dataclass
class TeamInfo:
    runner: Optional[str] = None


@dataclass
class Link:
    name: str
    ifindex: int
    kind: str
    master: Optional[str] = None
    mac: Optional[str] = None
    perm_mac: Optional[str] = None
    addr_assign_type: Optional[int] = None
    promisc_flag: bool = False
    promiscuity: int = 0
    sysfs_promisc: Optional[bool] = None
    operstate: str = "unknown"
    admin_up: bool = False
    mtu: Optional[int] = None
    ports: List[str] = field(default_factory=list)
    forwarding_ipv4: Optional[bool] = None
    forwarding_ipv6: Optional[bool] = None
    bond: Optional[BondInfo] = None
    team: Optional[TeamInfo] = None
    slave_kind: Optional[str] = None
    slave_state: Optional[str] = None  # bond slaves: "active" or "backup"
    docker_bridge: bool = False
    addresses: List[str] = field(default_factory=list)  # "192.0.2.10/24", "2001:db8::1/64"

    @property
    def effective_promisc(self):
        """What the NIC really does: sysfs flags & IFF_PROMISC, else the kernel's promiscuity counter.

        The IFF_PROMISC bit that netlink and ``ip link`` show is only the administrative request
        (``ip link set X promisc on``); a bridge or bond raising promiscuity does not set it.
        """
        if self.sysfs_promisc is not None:
            return self.sysfs_promisc
        return self.promiscuity > 0

    @property
    def mac_is_set(self):
        return self.addr_assign_type == NET_ADDR_SET

    def to_dict(self):
        data = asdict(self)
        data["effective_promisc"] = self.effective_promisc
        data["addr_assign_type_name"] = ADDR_ASSIGN_TYPES.get(self.addr_assign_type)
        return data


@dataclass
class FileProblem:
    path: str
    error: str
    # True: the file was read all the same (bytes that are not UTF-8 replaced by U+FFFD, NUL bytes) and its
    # settings audited; the problem is an audit warning, not a finding
    audited: bool = False


@dataclass
class UnitFile:
    """A systemd unit file with its drop-ins applied.

    ``entries`` are ``(section, key, value, path, lineno)`` in the order systemd reads them, so a later
    entry overrides an earlier one and every value can be traced to the file and line it came from.
    """

    path: str
    entries: list = field(default_factory=list)
    dropins: List[str] = field(default_factory=list)

    def add_text(self, path, text):
        self.entries.extend((sec, key, value, path, lineno) for sec, key, value, lineno in parse_unit_text(text))


@dataclass
class NetworkdState:
    installed: bool = False
    running: bool = False
    version: Optional[int] = None
    network_files: List[UnitFile] = field(default_factory=list)
    netdev_files: List[UnitFile] = field(default_factory=list)
    networkd_conf: List[UnitFile] = field(default_factory=list)
    link_network_file: Dict[str, str] = field(default_factory=dict)


@dataclass
class DockerState:
    present: bool = False
    daemon_json: Optional[str] = None
    configured_bridge: Optional[str] = None
    bridges: List[str] = field(default_factory=list)
    # What the running engine said over its API socket (None: no socket, or it did not answer).
    engine_socket: Optional[str] = None
    engine_version: Optional[str] = None
    engine_error: Optional[str] = None
    networks: Optional[Dict[str, str]] = None  # {network name: Linux bridge name}, bridge driver only


@dataclass
class DefaultRoute:
    """One nexthop of a main-table default route (``ip route show default``); gateway None: on-link."""

    family: str  # "ipv4" | "ipv6"
    interface: str
    gateway: Optional[str] = None


@dataclass
class HostState:
    links: Dict[str, Link]
    ip_forward: Optional[bool] = None
    ipv6_forwarding: Optional[bool] = None
    default_route_interfaces: List[str] = field(default_factory=list)
    default_routes: List[DefaultRoute] = field(default_factory=list)
    docker: DockerState = field(default_factory=DockerState)
    networkd: NetworkdState = field(default_factory=NetworkdState)
    vanished: List[str] = field(default_factory=list)
    file_problems: List[FileProblem] = field(default_factory=list)
    machine_id: Optional[str] = None
    # netlink dumps ("link", "addr", "route") still flagged interrupted by concurrent changes after every retry
    interrupted_dumps: List[str] = field(default_factory=list)

    def lags(self):
        return [link for link in self.links.values() if link.kind in LAG_KINDS]

    def bridges(self):
        return [link for link in self.links.values() if link.kind == "bridge"]

    def default_gateways(self, interfaces, family="ipv4"):
        """The gateways of the default routes through any of ``interfaces``, sorted, without repetitions."""
        return sorted({r.gateway for r in self.default_routes
                       if r.family == family and r.gateway and r.interface in interfaces})

    def to_dict(self):
        return {
            "links": {name: link.to_dict() for name, link in sorted(self.links.items())},
            "ip_forward": self.ip_forward,
            "ipv6_forwarding": self.ipv6_forwarding,
            "default_route_interfaces": list(self.default_route_interfaces),
            "default_routes": [asdict(r) for r in self.default_routes],
            "docker": asdict(self.docker),
            "networkd": {
                "installed": self.networkd.installed,
                "running": self.networkd.running,
                "version": self.networkd.version,
                "network_files": [u.path for u in self.networkd.network_files],
                "netdev_files": [u.path for u in self.networkd.netdev_files],
                "networkd_conf": [u.path for u in self.networkd.networkd_conf],
                "link_network_file": dict(self.networkd.link_network_file),
            },
            "vanished": list(self.vanished),
            "interrupted_dumps": list(self.interrupted_dumps),
            "file_problems": [asdict(p) for p in self.file_problems],
        }
