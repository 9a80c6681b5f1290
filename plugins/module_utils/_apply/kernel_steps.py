# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runtime steps: ``SysctlStep`` (one value under ``/proc/sys``) and ``LinkStep`` (a netlink change of one
interface: the promiscuous flag or a MAC). Each undoes to the value read before it applied."""

from __future__ import annotations

__metaclass__ = type

import errno
import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import Step, StepError


# ------------------------------------------------------------------------------------------------ /proc/sys


def _read_value(path):
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


class SysctlStep(Step):
    """``edit``: a RuntimeEdit (key, path, before, after)."""

    kind = "sysctl"

    def __init__(self, edit):
        self.edit = edit
        self.target = edit.key
        self._original = None

    @property
    def changed(self):
        return self.edit.changed

    def describe(self):
        return "set %s=%d (%s)" % (self.edit.key, int(self.edit.after), self.edit.path)

    def preflight(self):
        path = self.edit.path
        if not os.path.exists(path):
            raise StepError("cannot %s: %s does not exist (the interface has no %s configuration or vanished): %s"
                            % (self.describe(), path, self.edit.key.split(".")[1], errno_words(errno.ENOENT)),
                            path=path, errno=errno.ENOENT)
        try:
            read_only = bool(os.statvfs(os.path.dirname(path)).f_flag & os.ST_RDONLY)
        except OSError as exc:
            raise StepError("cannot %s: %s" % (self.describe(), errno_words(exc.errno)), path=path, errno=exc.errno)
        if read_only:
            raise StepError("cannot %s: /proc/sys is mounted read-only here (a container?): %s"
                            % (self.describe(), errno_words(errno.EROFS)), path=path, errno=errno.EROFS)

    def _write(self, value):
        with open(self.edit.path, "w", encoding="ascii") as handle:
            handle.write("%s\n" % value)

    def apply(self):
        self._original = _read_value(self.edit.path)
        self._write(int(self.edit.after))

    def undo(self):
        self._write(self._original)

    def done(self):
        return "set %s to %d (was %s)" % (self.edit.key, int(self.edit.after), self._original)

    def now(self):
        try:
            return "%s = %s" % (self.edit.key, _read_value(self.edit.path))
        except OSError as exc:
            return "%s: unreadable (%s)" % (self.edit.key, errno_words(exc.errno))


# ------------------------------------------------------------------------------------------------- netlink


def _sysfs(ifname, attr):
    try:
        with open("/sys/class/net/%s/%s" % (ifname, attr), encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return None


class LinkStep(Step):
    """``attr``: "promisc" (bool) or "mac" (str). ``writer``: a factory of NetlinkWriter context managers
    (``runtime.NetlinkWriter``; a fake in tests); one socket per write."""

    kind = "netlink"

    def __init__(self, writer, ifname, attr, before, after, force=False, before_is_set=True):
        self.writer = writer
        self.target = ifname
        self.attr = attr
        self.before = before
        self.after = after
        self.force = force  # apply even when before == after (pinning a bridge MAC it merely holds)
        self.before_is_set = before_is_set

    @property
    def changed(self):
        return self.force or self.before != self.after

    def _set(self, value):
        with self.writer() as netlink:
            if self.attr == "mac":
                netlink.set_mac(self.target, value)
            else:
                netlink.set_promisc(self.target, value)

    def _words(self, value):
        return ("MAC %s" % value) if self.attr == "mac" else ("promisc %s" % ("on" if value else "off"))

    def describe(self):
        return "set %s %s" % (self.target, self._words(self.after))

    def apply(self):
        self._set(self.after)

    def undo(self):
        if self.before is not None:
            self._set(self.before)

    def undo_note(self):
        if self.attr == "mac" and not self.before_is_set:
            return ("%s's MAC %s is now set explicitly (sysfs addr_assign_type 3; it was inherited from its ports): "
                    "the kernel cannot return a bridge to following its ports, recreating it does"
                    % (self.target, self.before))
        return None

    def done(self):
        return "set %s %s (was %s)" % (self.target, self._words(self.after), self._words(self.before))

    def now(self):
        if self.attr == "mac":
            address, assign = _sysfs(self.target, "address"), _sysfs(self.target, "addr_assign_type")
            if address is None:
                return "%s: not found" % self.target
            return "%s MAC %s (addr_assign_type %s)" % (self.target, address, assign)
        flags = _sysfs(self.target, "flags")
        if flags is None:
            return "%s: not found" % self.target
        return "%s promisc %s" % (self.target, "on" if int(flags, 16) & 0x100 else "off")
