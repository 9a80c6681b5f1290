# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``FileStep``: write or remove one file (a ``FileEdit``) as a transaction step, and the file helpers it and
``nm_profile.NmProfileStep`` share (``snapshot_file``, ``atomic_write``, ``sha256_text``)."""

from __future__ import annotations

__metaclass__ = type

import hashlib
import os
import shutil
import tempfile
import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words, path_problem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import Step, StepError


def snapshot_file(path):
    """What is at ``path``: None, or its bytes, mode and owner (of the file a symbolic link points to, which is
    what a rewrite keeps, as AnsibleModule.atomic_move does) and, for a link, its target."""
    try:
        link = os.readlink(path) if os.path.islink(path) else None
        st = os.stat(path)
    except FileNotFoundError:
        return None
    with open(path, "rb") as handle:
        return {"bytes": handle.read(), "mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid,
                "link": link}


def atomic_write(path, data, mode, owner=None):
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``."""
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".hostnet-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if owner is not None and (os.stat(tmp).st_uid, os.stat(tmp).st_gid) != owner:
            os.chown(tmp, owner[0], owner[1])
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def sha256_text(data):
    return hashlib.sha256(data).hexdigest()[:12]


class FileStep(Step):
    kind = "file"

    def __init__(self, edit, backup=False, dir_mode=0o755):
        self.edit = edit
        self.target = edit.path
        self.backup = backup
        self.dir_mode = dir_mode  # of the deepest directory it creates (those above it: 0o755)
        self.backup_file = None
        self._original = None
        self._created = []

    @property
    def changed(self):
        return self.edit.changed

    def describe(self):
        return "%s %s" % ({"remove": "remove", "create": "create"}.get(self.edit.action, "update"), self.edit.path)

    def preflight(self):
        needed = len(self.edit.after.encode("utf-8")) if self.edit.after is not None else 0
        problem = path_problem(self.edit.path, needed)
        if problem:
            code, at, words = problem
            raise StepError("cannot %s: %s: %s" % (self.describe(), words, errno_words(code)),
                            path=self.edit.path, at=at, errno=code)

    def _make_backup(self):
        # The name AnsibleModule.backup_local gives: FILE.PID.YYYY-MM-DD@HH:MM:SS~
        dest = "%s.%s.%s" % (self.edit.path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))
        shutil.copy2(self.edit.path, dest)
        self.backup_file = dest

    def apply(self):
        path = self.edit.path
        self._original = snapshot_file(path)
        if self.backup and self._original is not None:
            self._make_backup()
        try:
            if self.edit.after is None:
                if self._original is not None:
                    os.unlink(path)
                return
            missing = []
            directory = os.path.dirname(path)
            while not os.path.isdir(directory):
                missing.append(directory)
                directory = os.path.dirname(directory)
            for directory in reversed(missing):
                os.mkdir(directory, 0o755)
                self._created.append(directory)
                if directory == missing[0]:
                    os.chmod(directory, self.dir_mode)
            if self._original is None:
                atomic_write(path, self.edit.after.encode("utf-8"), self.edit.mode)
            else:
                original = self._original
                atomic_write(path, self.edit.after.encode("utf-8"), original["mode"],
                             (original["uid"], original["gid"]))
        except BaseException:
            self._drop_created()
            raise

    def _drop_created(self):
        for directory in reversed(self._created):
            try:
                os.rmdir(directory)
            except OSError:
                pass
        self._created = []
        if self.backup_file:
            try:
                os.unlink(self.backup_file)
            except OSError:
                pass
            self.backup_file = None

    def undo(self):
        path = self.edit.path
        original = self._original
        if original is None:
            if os.path.lexists(path):
                os.unlink(path)
        elif original["link"] is not None:  # it was a symbolic link (the rewrite replaced it by a file)
            tmp = os.path.join(os.path.dirname(path), ".hostnet-link.tmp")
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(original["link"], tmp)
            os.rename(tmp, path)
        else:
            atomic_write(path, original["bytes"], original["mode"], (original["uid"], original["gid"]))
        self._drop_created()

    def done(self):
        return {"remove": "removed %s", "create": "created %s"}.get(self.edit.action, "updated %s") % self.edit.path

    def now(self):
        try:
            current = snapshot_file(self.edit.path)
        except OSError as exc:
            return "%s: unreadable (%s)" % (self.edit.path, errno_words(exc.errno))
        if current is None:
            return "%s absent" % self.edit.path
        if self._original is not None and current["bytes"] == self._original["bytes"]:
            return "%s as before (%d bytes)" % (self.edit.path, len(current["bytes"]))
        return "%s: %d bytes, sha256 %s..." % (self.edit.path, len(current["bytes"]), sha256_text(current["bytes"]))
