# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one read model of a host's networking state.

``read_host_state()`` does one netlink link, address and route dump through pyroute2, and reads only what
netlink does not carry: sysfs ``addr_assign_type`` and ``flags``, the global forwarding sysctls,
``/etc/docker/daemon.json``, the systemd-networkd configuration and, for teams, ``teamdctl``.
Everything else in the collection reads the host through this file and works on the dataclasses below.

pyroute2 decodes every attribute of every message into Python objects; on a host with 2000 links that is
~0.6 s of a ~1 s budget. The message classes below keep pyroute2's socket, request, multipart and error
handling but leave the attributes as raw TLVs, of which we decode the dozen we need (~10x faster, and the
same code path on pyroute2 0.7.x and 0.9.x).
"""

from __future__ import annotations

__metaclass__ = type

import errno
import json
import os
import shutil
import socket
import struct
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import ReadError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._networkd import parse_unit_text

try:
    from pyroute2 import IPRoute, __version__ as PYROUTE2_VERSION
    from pyroute2.netlink.rtnl import RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    from pyroute2.netlink.rtnl.rtmsg import rtmsg

    try:
        from pyroute2.netlink.exceptions import NetlinkDumpInterrupted
    except ImportError:  # pragma: no cover - very old pyroute2
        NetlinkDumpInterrupted = None
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # the module reports this through missing_required_lib
    IPRoute = PYROUTE2_VERSION = None
    ifinfmsg = rtmsg = ifaddrmsg = object
    RTM_NEWLINK = RTM_NEWROUTE = RTM_NEWADDR = None
    NetlinkDumpInterrupted = None
    PYROUTE2_IMPORT_ERROR = exc

PYROUTE2_DISTRO_PACKAGE = "python3-pyroute2"


def require_pyroute2(module, reason="to read the host's links over netlink"):
    """fail_json naming the distro package when pyroute2 cannot be imported (the playbook installs it then)."""
    if PYROUTE2_IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(
            msg=missing_required_lib("pyroute2", reason=reason)
            + " On Debian and Ubuntu install the package %s." % PYROUTE2_DISTRO_PACKAGE,
            exception=str(PYROUTE2_IMPORT_ERROR),
            missing_package=PYROUTE2_DISTRO_PACKAGE,
        )


# linux/if.h, linux/if_link.h, linux/rtnetlink.h, linux/netdevice.h
IFF_UP = 0x1
IFF_PROMISC = 0x100
ARPHRD_LOOPBACK = 772
NET_ADDR_PERM, NET_ADDR_RANDOM, NET_ADDR_STOLEN, NET_ADDR_SET = 0, 1, 2, 3
ADDR_ASSIGN_TYPES = {0: "permanent", 1: "random", 2: "stolen", 3: "set"}

IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_MASTER = 10
IFLA_OPERSTATE = 16
IFLA_LINKINFO = 18
IFLA_AF_SPEC = 26
IFLA_PROMISCUITY = 30
IFLA_PERM_ADDRESS = 54
IFLA_PARENT_DEV_NAME = 56
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
IFLA_INFO_SLAVE_KIND = 4
IFLA_INFO_SLAVE_DATA = 5
IFLA_BOND_MODE = 1
IFLA_BOND_ACTIVE_SLAVE = 2
IFLA_BOND_SLAVE_STATE = 1
IFLA_BOND_SLAVE_PERM_HWADDR = 4
AF_INET = 2
AF_INET6 = 10
IFLA_INET_CONF = 1
IFLA_INET6_CONF = 2
DEVCONF_FORWARDING_INDEX = 0  # IPV4_DEVCONF_FORWARDING - 1 and DEVCONF_FORWARDING
IFA_ADDRESS = 1
IFA_LOCAL = 2
RTA_OIF = 4
RTA_MULTIPATH = 9
RTA_TABLE = 15
RT_TABLE_MAIN = 254

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
SUBPROCESS_TIMEOUT = 10
DUMP_ATTEMPTS = 5
# ENOENT: the sysfs directory is gone. EINVAL: net-sysfs answers reads of a device that is being
# unregistered with -EINVAL (netdev_show: !dev_isalive), seen with container churn on 6.x kernels.
_VANISHED_ERRNOS = (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EINVAL)

_NLA = struct.Struct("=HH")
_U32 = struct.Struct("=I")


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

    def values(self, section, key):
        return [entry for entry in self.entries if entry[0] == section and entry[1] == key]


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


@dataclass
class HostState:
    links: Dict[str, Link]
    ip_forward: Optional[bool] = None
    ipv6_forwarding: Optional[bool] = None
    default_route_interfaces: List[str] = field(default_factory=list)
    docker: DockerState = field(default_factory=DockerState)
    networkd: NetworkdState = field(default_factory=NetworkdState)
    vanished: List[str] = field(default_factory=list)
    file_problems: List[FileProblem] = field(default_factory=list)
    pyroute2_version: Optional[str] = None

    def lags(self):
        return [link for link in self.links.values() if link.kind in LAG_KINDS]

    def bridges(self):
        return [link for link in self.links.values() if link.kind == "bridge"]

    def to_dict(self):
        return {
            "links": {name: link.to_dict() for name, link in sorted(self.links.items())},
            "ip_forward": self.ip_forward,
            "ipv6_forwarding": self.ipv6_forwarding,
            "default_route_interfaces": list(self.default_route_interfaces),
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
            "file_problems": [asdict(p) for p in self.file_problems],
            "pyroute2_version": self.pyroute2_version,
        }


# --------------------------------------------------------------------------------------------------------
# Netlink: pyroute2 transport, raw attribute decoding


class _RawLinkMessage(ifinfmsg):
    """An ifinfmsg whose attributes pyroute2 leaves undecoded (see the module docstring)."""

    def decode_nlas(self, offset):
        self.raw_span = (offset, self.offset + self.length)


class _RawRouteMessage(rtmsg):
    def decode_nlas(self, offset):
        self.raw_span = (offset, self.offset + self.length)


class _RawAddressMessage(ifaddrmsg):
    def decode_nlas(self, offset):
        self.raw_span = (offset, self.offset + self.length)


def _attrs(data, start, end):
    """Index a chain of netlink attributes: {type: (value_start, value_end)}."""
    found = {}
    while start + 4 <= end:
        length, nla_type = _NLA.unpack_from(data, start)
        if length < 4:
            break
        found[nla_type & 0x3FFF] = (start + 4, min(start + length, end))
        start += (length + 3) & ~3
    return found


def _string(data, span):
    start, end = span
    return bytes(data[start:end]).split(b"\0", 1)[0].decode("utf-8", "replace")


def _u8(data, span):
    return data[span[0]]


def _u32(data, span):
    return _U32.unpack_from(data, span[0])[0]


def _mac(data, span):
    start, end = span
    raw = bytes(data[start:end])
    if len(raw) != 6:
        return None
    return ":".join("%02x" % b for b in raw)


def _devconf_forwarding(data, family_span, conf_type):
    family_attrs = _attrs(data, *family_span)
    conf = family_attrs.get(conf_type)
    if conf is None or conf[1] - conf[0] < 4 * (DEVCONF_FORWARDING_INDEX + 1):
        return None
    return _U32.unpack_from(data, conf[0] + 4 * DEVCONF_FORWARDING_INDEX)[0] != 0


def decode_link(msg):
    """Turn one raw RTM_NEWLINK message into a Link (without sysfs values) and its raw master ifindex."""
    data = msg.data
    attrs = _attrs(data, *msg.raw_span)
    name = _string(data, attrs[IFLA_IFNAME]) if IFLA_IFNAME in attrs else "if%d" % msg["index"]
    flags = msg["flags"]
    link = Link(
        name=name,
        ifindex=msg["index"],
        kind="unknown",
        promisc_flag=bool(flags & IFF_PROMISC),
        admin_up=bool(flags & IFF_UP),
    )
    if IFLA_ADDRESS in attrs:
        link.mac = _mac(data, attrs[IFLA_ADDRESS])
    if IFLA_PERM_ADDRESS in attrs:
        link.perm_mac = _mac(data, attrs[IFLA_PERM_ADDRESS])
    if IFLA_PROMISCUITY in attrs:
        link.promiscuity = _u32(data, attrs[IFLA_PROMISCUITY])
    if IFLA_OPERSTATE in attrs:
        link.operstate = OPERSTATES.get(_u8(data, attrs[IFLA_OPERSTATE]), "unknown")
    if IFLA_MTU in attrs:
        link.mtu = _u32(data, attrs[IFLA_MTU])
    master_index = _u32(data, attrs[IFLA_MASTER]) if IFLA_MASTER in attrs else None

    kind = None
    active_slave_index = None
    if IFLA_LINKINFO in attrs:
        info = _attrs(data, *attrs[IFLA_LINKINFO])
        if IFLA_INFO_KIND in info:
            kind = _string(data, info[IFLA_INFO_KIND])
        if IFLA_INFO_SLAVE_KIND in info:
            link.slave_kind = _string(data, info[IFLA_INFO_SLAVE_KIND])
        if kind == "bond" and IFLA_INFO_DATA in info:
            bond = _attrs(data, *info[IFLA_INFO_DATA])
            mode = _u8(data, bond[IFLA_BOND_MODE]) if IFLA_BOND_MODE in bond else 0
            link.bond = BondInfo(mode=BOND_MODES.get(mode, str(mode)))
            if IFLA_BOND_ACTIVE_SLAVE in bond:
                active_slave_index = _u32(data, bond[IFLA_BOND_ACTIVE_SLAVE])
        elif kind == "bond":
            link.bond = BondInfo(mode="unknown")
        if link.slave_kind == "bond" and IFLA_INFO_SLAVE_DATA in info:
            slave = _attrs(data, *info[IFLA_INFO_SLAVE_DATA])
            if IFLA_BOND_SLAVE_STATE in slave:
                link.slave_state = "active" if _u8(data, slave[IFLA_BOND_SLAVE_STATE]) == 0 else "backup"
            if IFLA_BOND_SLAVE_PERM_HWADDR in slave and link.perm_mac is None:
                link.perm_mac = _mac(data, slave[IFLA_BOND_SLAVE_PERM_HWADDR])
    if kind:
        link.kind = kind
    elif msg["ifi_type"] == ARPHRD_LOOPBACK:
        link.kind = "loopback"
    elif IFLA_PARENT_DEV_NAME in attrs:
        link.kind = "physical"

    if IFLA_AF_SPEC in attrs:
        spec = _attrs(data, *attrs[IFLA_AF_SPEC])
        if AF_INET in spec:
            link.forwarding_ipv4 = _devconf_forwarding(data, spec[AF_INET], IFLA_INET_CONF)
        if AF_INET6 in spec:
            link.forwarding_ipv6 = _devconf_forwarding(data, spec[AF_INET6], IFLA_INET6_CONF)
    return link, master_index, active_slave_index


def decode_address(msg):
    """(ifindex, "address/prefixlen") of one raw RTM_NEWADDR message, or None for another family."""
    family = msg["family"]
    if family not in (AF_INET, AF_INET6):
        return None
    data = msg.data
    attrs = _attrs(data, *msg.raw_span)
    # IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point links.
    span = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
    if span is None:
        return None
    raw = bytes(data[span[0]:span[1]])
    if len(raw) != (4 if family == AF_INET else 16):
        return None
    return msg["index"], "%s/%d" % (socket.inet_ntop(socket.AF_INET if family == AF_INET else socket.AF_INET6, raw),
                                    msg["prefixlen"])


def _route_default_oifs(msg):
    """Output interfaces of a main-table default route message, else []."""
    if msg["dst_len"] != 0:
        return []
    data = msg.data
    attrs = _attrs(data, *msg.raw_span)
    table = _u32(data, attrs[RTA_TABLE]) if RTA_TABLE in attrs else msg["table"]
    if table != RT_TABLE_MAIN:
        return []
    if RTA_OIF in attrs:
        return [_u32(data, attrs[RTA_OIF])]
    oifs = []
    if RTA_MULTIPATH in attrs:
        start, end = attrs[RTA_MULTIPATH]
        while start + 8 <= end:  # struct rtnexthop {u16 len; u8 flags; u8 hops; s32 ifindex}
            length, _flags, _hops, ifindex = struct.unpack_from("=HBBi", data, start)
            if length < 8:
                break
            oifs.append(ifindex)
            start += (length + 3) & ~3
    return oifs


def _dump(ipr, method, *args, **kwargs):
    """Run a netlink dump, retrying when the kernel flags it interrupted by concurrent changes."""
    last = None
    for _attempt in range(DUMP_ATTEMPTS):
        try:
            return list(getattr(ipr, method)(*args, **kwargs))
        except Exception as exc:  # pylint: disable=broad-except
            if NetlinkDumpInterrupted is not None and isinstance(exc, NetlinkDumpInterrupted):
                last = exc
                continue
            raise ReadError("netlink %s dump failed: %s" % (method, exc), error=repr(exc))
    raise ReadError("netlink %s dump was interrupted %d times in a row by concurrent changes" % (method, DUMP_ATTEMPTS),
                    error=repr(last))


def dump_netlink():
    """One link, address and route dump.

    Returns (links by ifindex, master ifindexes, active slaves, default oifs); the links carry their addresses.
    """
    if IPRoute is None:
        raise ReadError(
            "pyroute2 is not importable (%s); install %s" % (PYROUTE2_IMPORT_ERROR, PYROUTE2_DISTRO_PACKAGE),
            missing_library="pyroute2",
        )
    with IPRoute() as ipr:
        ipr.marshal.msg_map[RTM_NEWLINK] = _RawLinkMessage
        ipr.marshal.msg_map[RTM_NEWROUTE] = _RawRouteMessage
        ipr.marshal.msg_map[RTM_NEWADDR] = _RawAddressMessage
        link_msgs = _dump(ipr, "link", "dump")
        addr_msgs = _dump(ipr, "addr", "dump")
        route_msgs = _dump(ipr, "route", "dump", family=AF_INET) + _dump(ipr, "route", "dump", family=AF_INET6)
    by_index, masters, active = {}, {}, {}
    for msg in link_msgs:
        if not hasattr(msg, "raw_span"):
            continue  # NLMSG_DONE or an error reply
        link, master_index, active_slave_index = decode_link(msg)
        by_index[link.ifindex] = link
        if master_index:
            masters[link.ifindex] = master_index
        if active_slave_index:
            active[link.ifindex] = active_slave_index
    for msg in addr_msgs:
        decoded = decode_address(msg) if hasattr(msg, "raw_span") else None
        if decoded and decoded[0] in by_index:
            by_index[decoded[0]].addresses.append(decoded[1])
    default_oifs = []
    for msg in route_msgs:
        if hasattr(msg, "raw_span"):
            for oif in _route_default_oifs(msg):
                if oif not in default_oifs:
                    default_oifs.append(oif)
    return by_index, masters, active, default_oifs


# --------------------------------------------------------------------------------------------------------
# Files


def _read_small(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def _read_sysfs_link(name, sysfs_net=SYSFS_NET):
    """(addr_assign_type, flags) from sysfs; raises OSError with a vanished errno when the link is gone."""
    base = "%s/%s/" % (sysfs_net, name)
    assign = int(_read_small(base + "addr_assign_type").strip() or b"-1")
    flags = int(_read_small(base + "flags").strip() or b"0", 16)
    return assign, flags


def _read_bool_file(path, problems):
    try:
        return _read_small(path).strip() not in (b"0", b"")
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            problems.append(FileProblem(path, exc.strerror or str(exc)))
        return None


def _read_text(path, problems):
    """Text of ``path``; None when absent; a FileProblem when present but unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(FileProblem(path, getattr(exc, "strerror", None) or str(exc)))
        return None


def _listdir(path, problems):
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return []
    except OSError as exc:
        problems.append(FileProblem(path, exc.strerror or str(exc)))
        return []


def _run(argv):
    """Run a read-only helper command; (rc, stdout) or (None, '') when it is not installed."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None, ""
    try:
        proc = subprocess.run([exe] + list(argv[1:]), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=SUBPROCESS_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None, ""
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def read_team_runner(team_name):
    """The runner of a team from ``teamdctl <team> state dump``; None when teamdctl is absent or silent."""
    rc, out = _run(["teamdctl", team_name, "state", "dump"])
    if rc != 0 or not out:
        return None
    try:
        return json.loads(out).get("setup", {}).get("runner_name")
    except (ValueError, AttributeError):
        return None


def parse_systemd_version(text):
    """``systemd 252 (252.30-1~deb12u2)`` -> 252."""
    for word in (text or "").split()[:3]:
        if word.isdigit():
            return int(word)
    return None


def read_docker(links, problems, daemon_json=DOCKER_DAEMON_JSON):
    state = DockerState()
    text = _read_text(daemon_json, problems)
    if text is not None:
        state.daemon_json = daemon_json
        try:
            config = json.loads(text) if text.strip() else {}
            if not isinstance(config, dict):
                raise ValueError("top level is not a JSON object")
            bridge = config.get("bridge")
            if isinstance(bridge, str) and bridge and bridge != "none":
                state.configured_bridge = bridge
        except ValueError as exc:
            problems.append(FileProblem(daemon_json, "not valid JSON: %s" % exc))
    state.bridges = sorted(name for name, link in links.items() if link.kind == "bridge" and
                           is_docker_bridge_name(name, state.configured_bridge))
    state.present = bool(state.bridges or state.daemon_json or any(os.path.exists(p) for p in DOCKER_SOCKETS))
    return state


def is_docker_bridge_name(name, configured_bridge=None):
    """docker0, a user-defined network's ``br-<12 hex>``, or daemon.json's ``bridge``."""
    if name == DOCKER_DEFAULT_BRIDGE or (configured_bridge and name == configured_bridge):
        return True
    suffix = name[3:]
    return name.startswith("br-") and len(suffix) == 12 and all(c in "0123456789abcdef" for c in suffix)


def _collect_unit_files(dirs, suffix, problems):
    """systemd's lookup: the first directory that has a file name wins; drop-ins from every directory."""
    chosen = {}
    for directory in dirs:
        for entry in _listdir(directory, problems):
            if entry.endswith(suffix) and entry not in chosen:
                chosen[entry] = os.path.join(directory, entry)
    units = []
    for entry in sorted(chosen):
        path = chosen[entry]
        if os.path.realpath(path) == "/dev/null":
            continue  # masked
        text = _read_text(path, problems)
        if text is None:
            continue
        unit = UnitFile(path=path)
        unit.add_text(path, text)
        _apply_dropins(unit, [os.path.join(d, entry + ".d") for d in dirs], problems)
        units.append(unit)
    return units


def _apply_dropins(unit, dropin_dirs, problems):
    chosen = {}
    for directory in dropin_dirs:
        for entry in _listdir(directory, problems):
            if entry.endswith(".conf") and entry not in chosen:
                chosen[entry] = os.path.join(directory, entry)
    for entry in sorted(chosen):
        path = chosen[entry]
        text = _read_text(path, problems)
        if text is None:
            continue
        unit.dropins.append(path)
        unit.add_text(path, text)


def read_networkd(links, problems):
    state = NetworkdState()
    rc, out = _run(["networkctl", "--version"])
    state.installed = rc == 0
    state.version = parse_systemd_version(out) if rc == 0 else None
    if not state.installed:
        return state
    state.network_files = _collect_unit_files(NETWORKD_UNIT_DIRS, ".network", problems)
    state.netdev_files = _collect_unit_files(NETWORKD_UNIT_DIRS, ".netdev", problems)
    text = _read_text(NETWORKD_CONF, problems)
    conf = UnitFile(path=NETWORKD_CONF)
    if text is not None:
        conf.add_text(NETWORKD_CONF, text)
    _apply_dropins(conf, NETWORKD_CONF_DROPIN_DIRS, problems)
    if text is not None or conf.dropins:
        state.networkd_conf = [conf]
    by_index = {link.ifindex: name for name, link in links.items()}
    state_files = _listdir(NETWORKD_LINK_STATE_DIR, problems)
    state.running = bool(state_files)
    for entry in state_files:
        if not entry.isdigit() or int(entry) not in by_index:
            continue
        text = _read_text(os.path.join(NETWORKD_LINK_STATE_DIR, entry), problems) or ""
        for line in text.splitlines():
            if line.startswith("NETWORK_FILE="):
                state.link_network_file[by_index[int(entry)]] = line.split("=", 1)[1].strip()
    return state


# --------------------------------------------------------------------------------------------------------
# Assembly


def assemble_links(by_index, masters, active, sysfs_reader):
    """Resolve ifindexes to names and add the sysfs values; links that vanished meanwhile are dropped."""
    links, vanished = {}, []
    for ifindex, link in by_index.items():
        try:
            assign, flags = sysfs_reader(link.name)
        except OSError as exc:
            if exc.errno in _VANISHED_ERRNOS:
                vanished.append(link.name)
                continue
            raise ReadError("cannot read sysfs for %s: %s" % (link.name, exc), interface=link.name)
        except ValueError:
            assign, flags = None, None
        link.addr_assign_type = assign if assign is not None and assign >= 0 else None
        link.sysfs_promisc = bool(flags & IFF_PROMISC) if flags is not None else None
        if link.kind == "unknown" and os.path.exists("%s/%s/device" % (SYSFS_NET, link.name)):
            link.kind = "physical"
        links[link.name] = link
    names = {ifindex: link.name for ifindex, link in by_index.items() if link.name in links}
    for ifindex, master_index in masters.items():
        child = names.get(ifindex)
        master = names.get(master_index)
        if child and master:
            links[child].master = master
            links[master].ports.append(child)
    for ifindex, slave_index in active.items():
        bond = names.get(ifindex)
        if bond and links[bond].bond is not None:
            links[bond].bond.active_slave = names.get(slave_index)
    for link in links.values():
        link.ports.sort()
    return links, sorted(vanished)


def read_host_state(read_teams=True):
    """Read the whole host once. Raises ReadError only when netlink itself cannot be read."""
    by_index, masters, active, default_oifs = dump_netlink()
    links, vanished = assemble_links(by_index, masters, active, _read_sysfs_link)
    problems = []
    state = HostState(links=links, vanished=vanished, file_problems=problems)
    state.ip_forward = _read_bool_file(PROC_IPV4_FORWARD, problems)
    state.ipv6_forwarding = _read_bool_file(PROC_IPV6_FORWARDING, problems)
    state.default_route_interfaces = sorted({by_index[i].name for i in default_oifs
                                             if i in by_index and by_index[i].name in links})
    if read_teams:
        for link in links.values():
            if link.kind == "team":
                link.team = TeamInfo(runner=read_team_runner(link.name))
    state.docker = read_docker(links, problems)
    for name in state.docker.bridges:
        links[name].docker_bridge = True
    state.networkd = read_networkd(links, problems)
    state.pyroute2_version = PYROUTE2_VERSION
    return state
