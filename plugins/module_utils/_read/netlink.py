# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink side of the read model: one link, address and route dump over a plain rtnetlink socket.

The dumps need no library: a request per dump on an AF_NETLINK socket, the multipart answer read until
NLMSG_DONE, and the dozen attributes the collection uses decoded by hand. Importing pyroute2 alone costs about
0.3 s (its package pulls NDB and IPDB) and its full decode ~0.6 s at 2000 links; this walk takes ~0.03 s, so
an audit costs about what ``ansible -m ping`` costs, and it runs on a host without pyroute2. Writes (the
enforcing modules) go through pyroute2 in ``_apply/runtime.py``.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import os
import socket
import struct
import time

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
RTA_GATEWAY = 5
RTA_MULTIPATH = 9
RTA_TABLE = 15
RT_TABLE_MAIN = 254
# A dump the kernel flags interrupted (NLM_F_DUMP_INTR: links changed while it ran) is asked again, after a
# growing pause (5 ms doubling, about 0.6 s in all); the last answer is used even when interrupted: it is the
# host as it was while changing (a link added meanwhile may be missing, as if added after the read; one that
# vanished is dropped when its sysfs files are read), and the state says so (interrupted_dumps).
DUMP_ATTEMPTS = 8
DUMP_PAUSE = 0.005

_NLA = struct.Struct("=HH")
_U32 = struct.Struct("=I")


# --------------------------------------------------------------------------------------------------------
# Netlink: a plain rtnetlink socket, raw attribute decoding

NETLINK_ROUTE = 0
RTM_GETLINK = 18
RTM_GETADDR = 22
RTM_GETROUTE = 26
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x01
NLM_F_DUMP = 0x300
NLM_F_DUMP_INTR = 0x10
NLMSG_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, seq, pid
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
_RTNEXTHOP = struct.Struct("=HBBi")  # rtnexthop: length, flags, hops, ifindex; its attributes follow
_RTGENMSG = struct.Struct("=B3x")
_RECV_BUFFER = 1 << 20


class RawMessage:
    """One netlink message: its header fields by name, the buffer, and the span of its attributes."""

    def __init__(self, data, fields, raw_span):
        self.data = data
        self.fields = fields
        self.raw_span = raw_span

    def __getitem__(self, key):
        return self.fields[key]


def _link_message(data, start, end):
    family, ifi_type, index, flags, _change = IFINFOMSG.unpack_from(data, start)
    return RawMessage(data, {"family": family, "ifi_type": ifi_type, "index": index, "flags": flags},
                      (start + IFINFOMSG.size, end))


def _address_message(data, start, end):
    family, prefixlen, _flags, _scope, index = _IFADDRMSG.unpack_from(data, start)
    return RawMessage(data, {"family": family, "prefixlen": prefixlen, "index": index}, (start + _IFADDRMSG.size, end))


def _route_message(data, start, end):
    family, dst_len, _src, _tos, table, _proto, _scope, _type, _flags = _RTMSG.unpack_from(data, start)
    return RawMessage(data, {"family": family, "dst_len": dst_len, "table": table}, (start + _RTMSG.size, end))


class DumpInterrupted(Exception):
    """The kernel flagged the dump inconsistent (NLM_F_DUMP_INTR): links changed while it ran."""

    def __init__(self, messages):
        super().__init__("dump interrupted")
        self.messages = messages


def _request_dump(sock, seq, msg_type, body, parse):
    """Send one dump request and read its multipart answer; [RawMessage]. Raises OSError, DumpInterrupted."""
    sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body)
    messages, interrupted = [], False
    while True:
        data = sock.recv(_RECV_BUFFER)
        if not data:
            raise OSError(errno.EIO, "netlink socket closed during a dump")
        offset = 0
        while offset + NLMSG_HEADER.size <= len(data):
            length, kind, flags, reply_seq, _pid = NLMSG_HEADER.unpack_from(data, offset)
            if length < NLMSG_HEADER.size or offset + length > len(data):
                raise OSError(errno.EPROTO, "malformed netlink message")
            if reply_seq == seq:
                interrupted = interrupted or bool(flags & NLM_F_DUMP_INTR)
                if kind == NLMSG_DONE:
                    if interrupted:
                        raise DumpInterrupted(messages)
                    return messages
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", data, offset + NLMSG_HEADER.size)[0]
                    if code:
                        raise OSError(code, os.strerror(code))
                else:
                    messages.append(parse(data, offset + NLMSG_HEADER.size, offset + length))
            offset += (length + 3) & ~3


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
    address = _address(data, span, family)
    if address is None:
        return None
    return msg["index"], "%s/%d" % (address, msg["prefixlen"])


def _address(data, span, family):
    """An AF_INET/AF_INET6 address attribute as text, None when its length does not fit the family."""
    raw = bytes(data[span[0]:span[1]])
    if len(raw) != (4 if family == AF_INET else 16):
        return None
    return socket.inet_ntop(socket.AF_INET if family == AF_INET else socket.AF_INET6, raw)


def _nexthops(data, attrs, family):
    """[(oif, gateway or None)] of one route: RTA_OIF/RTA_GATEWAY, or every nexthop of RTA_MULTIPATH."""
    if RTA_MULTIPATH not in attrs:
        if RTA_OIF not in attrs:
            return []  # blackhole, unreachable, prohibit: no interface
        gateway = _address(data, attrs[RTA_GATEWAY], family) if RTA_GATEWAY in attrs else None
        return [(_u32(data, attrs[RTA_OIF]), gateway)]
    hops = []
    start, end = attrs[RTA_MULTIPATH]
    while start + _RTNEXTHOP.size <= end:
        length, _flags, _hops, ifindex = _RTNEXTHOP.unpack_from(data, start)
        if length < _RTNEXTHOP.size:
            break
        hop_attrs = _attrs(data, start + _RTNEXTHOP.size, min(start + length, end))
        gateway = _address(data, hop_attrs[RTA_GATEWAY], family) if RTA_GATEWAY in hop_attrs else None
        hops.append((ifindex, gateway))
        start += (length + 3) & ~3
    return hops


def decode_route(msg):
    """One raw RTM_NEWROUTE message: {family ("ipv4"/"ipv6"), dst_len, table, nexthops: [(oif, gateway)]}.

    The table is RTA_TABLE when present (tables above 255 exist only there), else the rtmsg header's; the
    gateway is RTA_GATEWAY (None for an on-link route).
    """
    family = msg["family"]
    if family not in (AF_INET, AF_INET6):
        return None
    data = msg.data
    attrs = _attrs(data, *msg.raw_span)
    table = _u32(data, attrs[RTA_TABLE]) if RTA_TABLE in attrs else msg["table"]
    return {"family": "ipv4" if family == AF_INET else "ipv6", "dst_len": msg["dst_len"], "table": table,
            "nexthops": _nexthops(data, attrs, family)}


def default_routes(route_msgs):
    """[(family, oif, gateway)] of the main table's default routes (what ``ip route show default`` lists),
    one per nexthop, in dump order, without repetitions."""
    found = []
    for msg in route_msgs:
        route = decode_route(msg)
        if route is None or route["dst_len"] != 0 or route["table"] != RT_TABLE_MAIN:
            continue
        for oif, gateway in route["nexthops"]:
            entry = (route["family"], oif, gateway)
            if entry not in found:
                found.append(entry)
    return found


def _dump(sock, seq, what, msg_type, body, parse, interrupted=None):
    """A dump, asked again when the kernel flags it interrupted by concurrent changes (container churn); the
    last interrupted answer is used and ``what`` appended to ``interrupted`` (DUMP_ATTEMPTS)."""
    for attempt in range(DUMP_ATTEMPTS):
        try:
            return _request_dump(sock, seq + attempt * 16, msg_type, body, parse)
        except DumpInterrupted as exc:
            last = exc.messages
            if attempt + 1 < DUMP_ATTEMPTS:
                time.sleep(DUMP_PAUSE * 2 ** attempt)
        except OSError as exc:
            raise ReadError("netlink %s dump failed: %s" % (what, exc.strerror or exc), error=repr(exc))
    if interrupted is not None and what not in interrupted:
        interrupted.append(what)
    return last


def dump_netlink():
    """One link, address and route dump.

    Returns (links by ifindex, master ifindexes, active slaves, default routes as [(family, oif, gateway)],
    the dumps that stayed interrupted by concurrent changes); the links carry their addresses.
    """
    interrupted = []
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    except OSError as exc:
        raise ReadError("cannot open a netlink socket: %s" % (exc.strerror or exc), error=repr(exc))
    try:
        sock.bind((0, 0))
        link_msgs = _dump(sock, 1, "link", RTM_GETLINK, IFINFOMSG.pack(0, 0, 0, 0, 0), _link_message, interrupted)
        addr_msgs = _dump(sock, 2, "addr", RTM_GETADDR, _RTGENMSG.pack(0), _address_message, interrupted)
        route_msgs = (_dump(sock, 3, "route", RTM_GETROUTE, _RTMSG.pack(AF_INET, 0, 0, 0, 0, 0, 0, 0, 0), _route_message,
                            interrupted)
                      + _dump(sock, 4, "route", RTM_GETROUTE, _RTMSG.pack(AF_INET6, 0, 0, 0, 0, 0, 0, 0, 0),
                              _route_message, interrupted))
    except OSError as exc:
        raise ReadError("netlink dump failed: %s" % (exc.strerror or exc), error=repr(exc))
    finally:
        sock.close()
    by_index, masters, active = {}, {}, {}
    for msg in link_msgs:
        link, master_index, active_slave_index = decode_link(msg)
        by_index[link.ifindex] = link
        if master_index:
            masters[link.ifindex] = master_index
        if active_slave_index:
            active[link.ifindex] = active_slave_index
    for msg in addr_msgs:
        decoded = decode_address(msg)
        if decoded and decoded[0] in by_index:
            by_index[decoded[0]].addresses.append(decoded[1])
    return by_index, masters, active, default_routes(route_msgs), interrupted


# --------------------------------------------------------------------------------------------------------
# Who else is on a bridge's L2: its forwarding database and the neighbour (ARP/NDP) table. Read only when a
# module needs it (bridge_mac with an explicit MAC), not by the audit.

RTM_GETNEIGH = 30
AF_BRIDGE = 7
NDA_LLADDR = 2
NDA_MASTER = 9
NUD_PERMANENT = 0x80
_NDMSG = struct.Struct("=BBHiHBB")  # family, pad, pad, ifindex, state, flags, type


def _neigh_message(data, start, end):
    family, _pad1, _pad2, index, state, _flags, _type = _NDMSG.unpack_from(data, start)
    return RawMessage(data, {"family": family, "index": index, "state": state}, (start + _NDMSG.size, end))


def decode_neighbour(msg):
    """(family, ifindex, master ifindex or None, mac, permanent) of one RTM_NEWNEIGH message, or None without a
    six-byte link-layer address."""
    data = msg.data
    attrs = _attrs(data, *msg.raw_span)
    mac = _mac(data, attrs[NDA_LLADDR]) if NDA_LLADDR in attrs else None
    if mac is None:
        return None
    master = _u32(data, attrs[NDA_MASTER]) if NDA_MASTER in attrs else None
    return msg["family"], msg["index"], master, mac, bool(msg["state"] & NUD_PERMANENT)


def dump_neighbours():
    """Every bridge FDB entry and IPv4/IPv6 neighbour of the host: [(family, ifindex, master, mac, permanent)]."""
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    except OSError as exc:
        raise ReadError("cannot open a netlink socket: %s" % (exc.strerror or exc), error=repr(exc))
    try:
        sock.bind((0, 0))
        msgs = []
        for seq, family in ((1, AF_BRIDGE), (2, AF_INET), (3, AF_INET6)):
            msgs += _dump(sock, seq * 16, "neighbour", RTM_GETNEIGH, _NDMSG.pack(family, 0, 0, 0, 0, 0, 0),
                          _neigh_message)
    finally:
        sock.close()
    return [entry for entry in (decode_neighbour(msg) for msg in msgs) if entry is not None]
