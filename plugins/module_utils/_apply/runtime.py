# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runtime changes through netlink: the promiscuous flag and a link's MAC address.

One RTM_NEWLINK request per change on a plain rtnetlink socket, acknowledged by the kernel (NLM_F_ACK): no
library, like the read model (``_read/netlink.py``), so the enforcing modules need nothing but Python 3 on the
host. A refused write (EPERM without CAP_NET_ADMIN, EBUSY, EADDRNOTAVAIL, ...) raises HostnetError with the
errno in words.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import os
import socket
import struct

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import IFF_PROMISC
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import (
    IFINFOMSG,
    IFLA_ADDRESS,
    NETLINK_ROUTE,
    NLM_F_REQUEST,
    NLMSG_ERROR,
    NLMSG_HEADER,
)

RTM_NEWLINK = 16
NLM_F_ACK = 0x04


def _mac_attribute(mac):
    raw = bytes(int(octet, 16) for octet in mac.split(":"))
    return struct.pack("=HH", 4 + len(raw), IFLA_ADDRESS) + raw + b"\0" * (-len(raw) % 4)


class NetlinkWriter:
    """``with NetlinkWriter() as nl: nl.set_promisc("lan0", True)``."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def _index(self, ifname):
        try:
            return socket.if_nametoindex(ifname)
        except OSError:
            raise HostnetError("interface %s vanished before it could be changed" % ifname, interface=ifname)

    def _request(self, index, flags=0, change=0, attributes=b""):
        """Send one RTM_NEWLINK for ``index`` and wait for the kernel's acknowledgement; OSError when refused."""
        self.seq += 1
        body = IFINFOMSG.pack(0, 0, index, flags, change) + attributes
        self.sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
                       + body)
        while True:
            data = self.sock.recv(65536)
            offset = 0
            while offset + NLMSG_HEADER.size <= len(data):
                length, kind, _flags, seq, _pid = NLMSG_HEADER.unpack_from(data, offset)
                if length < NLMSG_HEADER.size:
                    raise OSError(errno.EPROTO, "malformed netlink message")
                if seq == self.seq and kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", data, offset + NLMSG_HEADER.size)[0]
                    if code:
                        raise OSError(code, os.strerror(code))
                    return
                offset += (length + 3) & ~3

    def _set(self, ifname, what, **request):
        index = self._index(ifname)
        try:
            self._request(index, **request)
        except OSError as exc:
            raise HostnetError("cannot set %s on %s: %s" % (what, ifname, errno_words(exc.errno)),
                               interface=ifname, errno=exc.errno)

    def set_promisc(self, ifname, enabled):
        """``ip link set IFNAME promisc on|off``: the administrative IFF_PROMISC flag."""
        self._set(ifname, "promisc", flags=IFF_PROMISC if enabled else 0, change=IFF_PROMISC)

    def set_mac(self, ifname, mac):
        """``ip link set IFNAME address MAC``."""
        self._set(ifname, "MAC address %s" % mac, attributes=_mac_attribute(mac))
