# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planned file edits: rendered in memory, compared, written atomically only when different.

A plan is a list of ``FileEdit`` (path, text before, text after). Nothing here decides *what* to write;
backends do. ``check_writable`` runs over the whole plan before the first write, so a read-only ``/etc``
fails the run with nothing on the host changed.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import os
import tempfile
from dataclasses import dataclass
from typing import Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError


@dataclass
class FileEdit:
    path: str
    before: Optional[str]  # None: the file does not exist
    after: Optional[str]  # None: the file is to be removed
    mode: int = 0o644
    reason: str = ""

    @property
    def changed(self):
        return self.before != self.after

    @property
    def action(self):
        if not self.changed:
            return "none"
        if self.after is None:
            return "remove"
        return "create" if self.before is None else "update"

    def diff(self):
        return {
            "before_header": self.path + (" (absent)" if self.before is None else ""),
            "after_header": self.path + (" (removed)" if self.after is None else ""),
            "before": self.before or "",
            "after": self.after or "",
        }

    def to_dict(self):
        return {"path": self.path, "action": self.action, "reason": self.reason}


def read_text_or_none(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise HostnetError("cannot read %s: %s" % (path, exc.strerror or exc), path=path)


def plan_file(path, after, mode=0o644, reason=""):
    return FileEdit(path=path, before=read_text_or_none(path), after=after, mode=mode, reason=reason)


def plan_removal(path, reason=""):
    return FileEdit(path=path, before=read_text_or_none(path), after=None, reason=reason)


def _existing_ancestor(path):
    directory = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


def check_writable(edits):
    """Raise before any write when a file of the plan cannot be written (read-only fs, permissions)."""
    for edit in edits:
        if not edit.changed:
            continue
        directory = _existing_ancestor(edit.path)
        try:
            read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        if read_only or not os.access(directory, os.W_OK | os.X_OK):
            raise HostnetError(
                "cannot write %s: %s is %s; nothing was changed on the host. Make it writable "
                "(remount read-write), or ask the module for a runtime-only change where it offers one."
                % (edit.path, directory, "on a read-only filesystem" if read_only else "not writable"),
                path=edit.path,
            )


def apply_file_edits(module, edits, backup=False):
    """Write every changed edit atomically (temp file in the same directory + atomic_move).

    Returns the backup files made. atomic_move keeps an existing file's owner, mode and SELinux context.
    """
    backups = []
    for edit in edits:
        if not edit.changed:
            continue
        if backup and edit.before is not None:
            backups.append(module.backup_local(edit.path))
        if edit.after is None:
            try:
                os.unlink(edit.path)
            except FileNotFoundError:
                pass
            continue
        directory = os.path.dirname(edit.path)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=directory, prefix=".hostnet-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(edit.after)
                out.flush()
                os.fsync(out.fileno())
            if edit.before is None:
                os.chmod(tmp, edit.mode)
            module.atomic_move(tmp, edit.path)
            if edit.before is None:
                os.chmod(edit.path, edit.mode)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return backups
