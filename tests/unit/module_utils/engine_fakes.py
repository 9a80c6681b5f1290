# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes and helpers the engine's tests share: a netlink writer over hand-built links; file edits written
through the real engine."""

from __future__ import annotations

import errno

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import Transaction
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError


class FakeNetlink:
    """A NetlinkWriter factory over a dict of links; ``refuse``: names whose writes get EPERM. Each write is
    in ``calls`` and, when a ``log`` list is given, in it as words (to see netlink and commands in one order)."""

    def __init__(self, links, refuse=(), log=None):
        self.links = links
        self.refuse = set(refuse)
        self.calls = []
        self.log = log

    def __call__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _check(self, ifname):
        if ifname in self.refuse:
            raise HostnetError("cannot set on %s: %s" % (ifname, errno_words(errno.EPERM)), interface=ifname,
                               errno=errno.EPERM)

    def _record(self, ifname, attr, value):
        self.calls.append((ifname, attr, value))
        if self.log is not None:
            words = ("on" if value else "off") if attr == "promisc" else value
            self.log.append("netlink %s %s %s" % (ifname, attr, words))

    def set_promisc(self, ifname, enabled):
        self._check(ifname)
        self._record(ifname, "promisc", enabled)
        self.links[ifname].promisc_flag = enabled

    def set_mac(self, ifname, mac):
        self._check(ifname)
        self._record(ifname, "mac", mac)
        self.links[ifname].mac = mac


def apply_file_edits(module, edits, backup=False):
    """Write every changed edit as one transaction of ``FileStep`` s, as a module's apply flow does
    (pre-flight, atomic writes, undo of the earlier ones when a later one fails). Returns the backup files
    made. ``module`` is not used (the callers pass one)."""
    steps = [FileStep(edit, backup=backup) for edit in edits if edit.changed]
    Transaction("files", steps).run()
    return [step.backup_file for step in steps if step.backup_file]
