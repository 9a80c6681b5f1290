# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error family of the collection.

Internal code raises these; only a module's ``main()`` turns them into ``fail_json``.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible


class HostnetError(Exception):
    """An error with a message for a person and details for a machine."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details

    def to_fail_kwargs(self):
        kwargs = dict(self.details)
        # Names in the message come from the host; none of their control characters reaches a terminal raw.
        kwargs["msg"] = visible(self.msg, keep_layout=True)
        return kwargs


class InvalidInput(HostnetError):
    """An option value is not acceptable; nothing on the host was touched."""


class MigrationRefused(HostnetError):
    """team_to_bond's plan has problems (untranslatable runner or options, unmanaged team); nothing was changed."""


class Unsupported(HostnetError):
    """The owning backend cannot persist this feature here, or a file cannot be edited safely; the message
    says why."""


class NameNotWritable(Unsupported):
    """The backend cannot write this interface name (the kernel accepts it; the file format or the shell line
    would read it as something else). The enforcing modules skip that one item with this reason and go on."""


class ReadError(HostnetError):
    """The host state could not be read at all (not: one vanished interface)."""
