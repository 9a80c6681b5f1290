# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``FileStep``: write or remove one file (a ``FileEdit``) as a transaction step, and the file helpers it and
``nm_profile.NmProfileStep`` share (``snapshot_file``, ``atomic_write``, ``sha256_text``).

Where a file may be written is ``_read/write_target``'s rule (links that leave the configuration tree, a file
the collection owns whole behind a link, FIFOs and devices are refused); the step asks it in its pre-flight
(and in check mode) and again right before it writes. The write itself never follows a link: the directory is
opened component by component with ``O_NOFOLLOW`` (a link that appeared since the check fails the step), and
the file is written as a new temporary file in that directory (``O_EXCL``) renamed over the name - so a link
inside the tree (an operator's ``a.network -> b.network``) stays a link, and its target gets the bytes.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import hashlib
import os
import stat
import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words, path_problem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import Step, StepError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import write_target
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.write_target import WriteRefused

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC


def open_directory(directory, create=False, dir_mode=0o755, created=None):
    """An fd of ``directory`` (absolute; opened from ``/`` one component at a time, never through a link),
    making the missing directories when ``create`` (0o755, the deepest one ``dir_mode``; their paths are
    appended to ``created``). Raises FileNotFoundError (not ``create``) or StepError (a link or a file where a
    directory must be)."""
    parts = [part for part in directory.split(os.sep) if part]
    fd = os.open("/", _DIR_FLAGS)
    path = "/"
    try:
        for index, name in enumerate(parts):
            path = os.path.join(path, name)
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(name, 0o755, dir_fd=fd)
                if created is not None:
                    created.append(path)
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                if index == len(parts) - 1:
                    os.fchmod(child, dir_mode)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise StepError("%s is not a directory any more (a symbolic link or a file took its place "
                                    "after the check): %s" % (path, errno_words(exc.errno)), path=path,
                                    errno=exc.errno)
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def snapshot_at(dir_fd, name, shown):
    """None, or the regular file ``name`` in ``dir_fd``: its bytes, mode and owner (never through a link)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StepError("%s is a symbolic link now (it was not at the check); nothing written" % shown,
                            path=shown, errno=exc.errno)
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise StepError("%s is %s, not a regular file" % (shown, write_target.kind_words(st.st_mode)),
                            path=shown)
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        return {"bytes": b"".join(chunks), "mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid}
    finally:
        os.close(fd)


def write_at(dir_fd, name, data, mode, owner=None):
    """Write ``data`` as a new temporary file in ``dir_fd`` and rename it over ``name`` (a link at ``name``
    would be replaced, never written through; callers resolve links first)."""
    tmp = ".hostnet-%s.tmp" % os.urandom(6).hex()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            st = os.fstat(out.fileno())
            if owner is not None and (st.st_uid, st.st_gid) != tuple(owner):
                os.fchown(out.fileno(), owner[0], owner[1])
            os.fchmod(out.fileno(), mode)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def snapshot_file(path):
    """What is at ``path``: None, or its bytes, mode and owner. ``path``'s last component is not followed
    when it is a link (a StepError); the directories above it are the host's."""
    directory, name = os.path.split(os.path.abspath(path))
    try:
        dir_fd = open_directory(os.path.realpath(directory))
    except FileNotFoundError:
        return None
    try:
        return snapshot_at(dir_fd, name, path)
    finally:
        os.close(dir_fd)


def atomic_write(path, data, mode, owner=None):
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``."""
    directory, name = os.path.split(os.path.abspath(path))
    dir_fd = open_directory(os.path.realpath(directory))
    try:
        write_at(dir_fd, name, data, mode, owner)
    finally:
        os.close(dir_fd)


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
        self._real = None  # where the bytes went (the path, or the target of a link inside its tree)

    @property
    def changed(self):
        return self.edit.changed

    def describe(self):
        return "%s %s" % ({"remove": "remove", "create": "create"}.get(self.edit.action, "update"), self.edit.path)

    def check_target(self):
        """The WriteTarget of the edit's path; StepError when the collection must not write there (a link
        that leaves the tree, a FIFO, ...). Reads metadata only: also run in check mode."""
        try:
            return write_target.check(self.edit.path)
        except WriteRefused as exc:
            raise StepError("cannot %s: %s" % (self.describe(), exc.msg), **dict(exc.details, path=self.edit.path))

    def preflight(self):
        target = self.check_target()
        needed = len(self.edit.after.encode("utf-8")) if self.edit.after is not None else 0
        problem = path_problem(target.real, needed)
        if problem:
            code, at, words = problem
            raise StepError("cannot %s: %s: %s" % (self.describe(), words, errno_words(code)),
                            path=self.edit.path, at=at, errno=code)

    def _make_backup(self, dir_fd, name):
        # The name AnsibleModule.backup_local gives: FILE.PID.YYYY-MM-DD@HH:MM:SS~ (beside the file written)
        backup_name = "%s.%s.%s" % (name, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))
        original = self._original
        write_at(dir_fd, backup_name, original["bytes"], original["mode"], (original["uid"], original["gid"]))
        self.backup_file = os.path.join(os.path.dirname(self._real), backup_name)

    def apply(self):
        self._real = self.check_target().real  # again: the host may have changed since the pre-flight
        directory, name = os.path.split(self._real)
        if self.edit.after is None:
            try:
                dir_fd = open_directory(directory)
            except FileNotFoundError:
                return  # nothing to remove
        else:
            dir_fd = open_directory(directory, create=True, dir_mode=self.dir_mode, created=self._created)
        try:
            self._original = snapshot_at(dir_fd, name, self.edit.path)
            if self.backup and self._original is not None:
                self._make_backup(dir_fd, name)
            if self.edit.after is None:
                if self._original is not None:
                    os.unlink(name, dir_fd=dir_fd)
            elif self._original is None:
                write_at(dir_fd, name, self.edit.after.encode("utf-8"), self.edit.mode)
            else:
                original = self._original
                write_at(dir_fd, name, self.edit.after.encode("utf-8"), original["mode"],
                         (original["uid"], original["gid"]))
        except BaseException:
            os.close(dir_fd)
            self._drop_created()
            raise
        os.close(dir_fd)

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
        directory, name = os.path.split(self._real or self.edit.path)
        original = self._original
        try:
            dir_fd = open_directory(directory)
        except FileNotFoundError:
            dir_fd = None
        if dir_fd is not None:
            try:
                if original is None:
                    try:
                        os.unlink(name, dir_fd=dir_fd)
                    except FileNotFoundError:
                        pass
                else:
                    write_at(dir_fd, name, original["bytes"], original["mode"], (original["uid"], original["gid"]))
            finally:
                os.close(dir_fd)
        self._drop_created()

    def _through(self):
        real = self._real
        return "" if not real or real == os.path.normpath(self.edit.path) else " (through its link, at %s)" % real

    def done(self):
        return ({"remove": "removed %s", "create": "created %s"}.get(self.edit.action, "updated %s")
                % self.edit.path) + self._through()

    def now(self):
        path = self._real or self.edit.path
        try:
            current = snapshot_file(path)
        except (OSError, StepError) as exc:
            return "%s: unreadable (%s)" % (self.edit.path, errno_words(exc.errno) if isinstance(exc, OSError)
                                            else exc.msg)
        if current is None:
            return "%s absent" % self.edit.path
        if self._original is not None and current["bytes"] == self._original["bytes"]:
            return "%s as before (%d bytes)" % (self.edit.path, len(current["bytes"]))
        return "%s: %d bytes, sha256 %s..." % (self.edit.path, len(current["bytes"]), sha256_text(current["bytes"]))
