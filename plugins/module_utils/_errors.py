# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error family of the collection.

Internal code raises these; only a module's ``main()`` turns them into ``fail_json``.
"""

from __future__ import annotations

__metaclass__ = type


class HostnetError(Exception):
    """An error with a message for a person and details for a machine."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details

    def to_fail_kwargs(self):
        kwargs = dict(self.details)
        kwargs["msg"] = self.msg
        return kwargs


class InvalidInput(HostnetError):
    """An option value is not acceptable; nothing on the host was touched."""


class MigrationRefused(HostnetError):
    """team_to_bond's plan has problems (untranslatable runner or options, unmanaged team); nothing was changed."""


class Unsupported(HostnetError):
    """The owning backend cannot persist this feature here, or a file cannot be edited safely; the message
    says why."""


class ReadError(HostnetError):
    """The host state could not be read at all (not: one vanished interface)."""
