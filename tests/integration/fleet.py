# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of simulated Docker hosts, one network namespace each, for the slice test and bench/fleet_bench.py.

Each host is reached with ``ansible_connection=local`` and an ``ansible_python_interpreter`` wrapper script
``exec ip netns exec <ns> <python> "$@"``, so every module runs in that host's namespace. Each namespace holds
a Docker-like topology of about 130 links: an uplink veth with the default route, a host bridge ``br0`` with
one port, ``docker0`` with 40 container veth pairs, a user bridge ``br-<12 hex>`` with 20, forwarding on.
Every third host has its bridges' MACs pinned, so the fleet has compliant and non-compliant hosts.

Needs root. ``Fleet.delete()`` removes every namespace and the wrapper scripts (use it in ``finally``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

DOCKER0_PORTS = 40
USER_BRIDGE_PORTS = 20


def _ip_batch(ns, lines):
    subprocess.run(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n", text=True, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def docker_like_topology(index, pinned, docker0_ports=DOCKER0_PORTS, user_bridge_ports=USER_BRIDGE_PORTS):
    """`ip -batch` lines of one host (about 130 links with the default ports)."""
    user_bridge = "br-%012x" % (0xA0B0C0D0E000 + index)
    lines = [
        "link set lo up",
        "link add eth0 address 02:10:00:%02x:%02x:01 type veth peer name eth0p" % (index // 256, index % 256),
        "link set eth0 up",
        "link set eth0p up",
        "addr add 192.0.2.10/24 dev eth0",
        "route add default via 192.0.2.1 dev eth0",
        "link add br0 type bridge",
        "link add vm0 type veth peer name vm0p",
        "link set vm0 master br0",
        "link add docker0 type bridge",
        "link add %s type bridge" % user_bridge,
    ]
    for port in range(docker0_ports):
        lines.append("link add vethd%03d type veth peer name ceth%03d" % (port, port))
        lines.append("link set vethd%03d master docker0" % port)
    for port in range(user_bridge_ports):
        lines.append("link add vethu%03d type veth peer name ueth%03d" % (port, port))
        lines.append("link set vethu%03d master %s" % (port, user_bridge))
    if pinned:
        for number, bridge in enumerate(("br0", "docker0", user_bridge)):
            lines.append("link set %s address 02:42:00:%02x:%02x:%02x" % (bridge, index // 256, index % 256, number))
    for bridge in ("br0", "docker0", user_bridge):
        lines.append("link set %s up" % bridge)
    return lines


class Fleet:
    """N namespace hosts host000..hostNNN; ``inventory()`` writes an inventory of all or some of them."""

    def __init__(self, size, python=None, prefix=None, ports=(DOCKER0_PORTS, USER_BRIDGE_PORTS)):
        self.python = python or sys.executable
        self.ports = ports  # container veths on docker0 and on the user bridge
        self.tag = prefix or "hnf-%s" % uuid.uuid4().hex[:6]
        self.dir = Path(tempfile.mkdtemp(prefix="hostnet-fleet-"))
        self.hosts = {}
        try:
            for index in range(size):
                self.add(index)
        except BaseException:
            self.delete()
            raise

    def add(self, index):
        host = "host%03d" % index
        ns = "%s-%03d" % (self.tag, index)
        subprocess.run(["ip", "netns", "add", ns], check=True)
        self.hosts[host] = ns
        _ip_batch(ns, docker_like_topology(index, index % 3 == 2, *self.ports))
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], check=True)
        wrapper = self.dir / ("python-%s" % host)
        wrapper.write_text('#!/bin/sh\nexec ip netns exec %s %s "$@"\n' % (ns, self.python))
        wrapper.chmod(0o755)
        return host

    def links(self, host):
        out = subprocess.run(["ip", "-n", self.hosts[host], "-o", "link", "show"], check=True, text=True,
                             stdout=subprocess.PIPE).stdout
        return len(out.splitlines())

    def inventory(self, path, hosts=None, group="fleet"):
        """An INI inventory of these hosts (all by default) in one group; returns its path."""
        lines = ["[%s]" % group]
        for host in hosts if hosts is not None else sorted(self.hosts):
            lines.append("%s ansible_connection=local ansible_python_interpreter=%s" % (host, self.dir / ("python-%s" % host)))
        Path(path).write_text("\n".join(lines) + "\n")
        return str(path)

    def delete(self):
        for ns in self.hosts.values():
            subprocess.run(["ip", "netns", "del", ns], check=False, stderr=subprocess.DEVNULL)
        self.hosts = {}
        shutil.rmtree(self.dir, ignore_errors=True)


def ansible_env(collections):
    """The environment the fleet's ansible commands run with."""
    return dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_HOST_KEY_CHECKING="false",
    )
