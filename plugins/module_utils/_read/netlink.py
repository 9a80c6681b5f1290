# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raw netlink side of the read model: pyroute2 import, attribute decoding, the link/address/route dumps."""

from __future__ import annotations

__metaclass__ = type

import socket
import struct

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import ReadError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    ARPHRD_LOOPBACK,
    BOND_MODES,
    BondInfo,
    IFF_PROMISC,
    IFF_UP,
    Link,
    OPERSTATES,
)


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
DUMP_ATTEMPTS = 5

_NLA = struct.Struct("=HH")
_U32 = struct.Struct("=I")


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
