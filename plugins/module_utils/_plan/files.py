# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planned file edits: rendered in memory, compared, written atomically only when different.

A plan is a list of ``FileEdit`` (path, text before, text after), a plain value of the plan layer. Nothing
here decides *what* to write; backends and plans do. Writing is a step of the engine (``_apply/file_step.py``,
``_apply/transaction.py``): pre-flight over the whole plan, atomic writes, undo.
"""

from __future__ import annotations

__metaclass__ = type

from dataclasses import dataclass
from typing import Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.write_target import diff_before, read_before


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
            "before": diff_before(self.path, self.before),
            "after": self.after or "",
        }

    def to_dict(self):
        return {"path": self.path, "action": self.action, "reason": self.reason}


def plan_file(path, after, mode=0o644, reason=""):
    """The edit that makes ``path`` hold ``after``; its "before" read under the write rule (read_before)."""
    return FileEdit(path=path, before=read_before(path), after=after, mode=mode, reason=reason)


def plan_removal(path, reason=""):
    return FileEdit(path=path, before=read_before(path), after=None, reason=reason)
