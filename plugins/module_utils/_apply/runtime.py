# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runtime changes through netlink (pyroute2): the promiscuous flag and a link's MAC address.

Reading stays in _netstate; this file only writes, one request per change, on one socket.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import IFF_PROMISC
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import IPRoute


class NetlinkWriter:
    """``with NetlinkWriter() as nl: nl.set_promisc("lan0", True)``."""

    def __enter__(self):
        self.ipr = IPRoute()
        return self

    def __exit__(self, *exc):
        self.ipr.close()

    def _index(self, ifname):
        found = self.ipr.link_lookup(ifname=ifname)
        if not found:
            raise HostnetError("interface %s vanished before it could be changed" % ifname, interface=ifname)
        return found[0]

    def _set(self, ifname, what, **attrs):
        try:
            self.ipr.link("set", index=self._index(ifname), **attrs)
        except HostnetError:
            raise
        except Exception as exc:  # pyroute2's NetlinkError differs between 0.7 and 0.9
            code = getattr(exc, "code", None) if not isinstance(exc, OSError) else exc.errno
            raise HostnetError("cannot set %s on %s: %s" % (what, ifname, errno_words(code) if code else exc),
                               interface=ifname, errno=code)

    def set_promisc(self, ifname, enabled):
        """``ip link set IFNAME promisc on|off``: the administrative IFF_PROMISC flag."""
        self._set(ifname, "promisc", flags=IFF_PROMISC if enabled else 0, change=IFF_PROMISC)

    def set_mac(self, ifname, mac):
        self._set(ifname, "MAC address %s" % mac, address=mac)
