# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl.d: forwarding for the links systemd-networkd does not manage (Docker's own bridges, links nobody
configures) - one file of the collection, ``/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf``, which
systemd-sysctl applies at boot and udev again whenever an interface of that name appears.

A peer of the other backends for networkd_forwarding: ``plan_forwarding(ifname, families)`` gives the lines
for one link (Unsupported when its name cannot be written in a sysctl.d line), ``plan_file(settings)`` the
one FileEdit for every line of the run (earlier runs' lines kept)."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_SYSCTL_D, SYSCTL_FILE
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import NameNotWritable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit, read_text_or_none
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.sysctl_d import (
    render_sysctl_file,
    sysctl_d_problem,
    sysctl_name,
)


class SysctlDBackend(Backend):
    name = BACKEND_SYSCTL_D

    def __init__(self, host, run=None, path=SYSCTL_FILE, read_text=read_text_or_none):
        super().__init__(host, run)
        self.path = path
        self._read_text = read_text

    def plan_forwarding(self, ifname, families):
        """The (sysctl, value) lines that turn forwarding on for ``ifname`` in each of ``families``."""
        problem = sysctl_d_problem(ifname)
        if problem:
            raise NameNotWritable(problem, interface=ifname)
        return [(sysctl_name(family, ifname), "1") for family in families]

    def plan_file(self, settings):
        """The FileEdit of the collection's sysctl.d file with ``settings`` added or set."""
        existing = self._read_text(self.path)
        return FileEdit(self.path, existing, render_sysctl_file(existing, settings),
                        reason="forwarding for links networkd does not manage")
