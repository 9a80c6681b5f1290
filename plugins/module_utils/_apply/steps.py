# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps of a transaction: each one knows how to check, apply and undo one change.

- ``FileStep``: write or remove a file (a ``FileEdit``). Applying keeps the file's bytes, mode and owner (or
  that it did not exist) and the directories it had to create; undoing puts exactly that back.
- ``SysctlStep``: write one value under ``/proc/sys``; undoing writes the value read just before.
- ``LinkStep``: a netlink change of one interface (the promiscuous flag, a MAC); undoing sets the value the
  plan read before. A bridge's MAC, once set, stays "set" (sysfs ``addr_assign_type`` 3): the kernel has no
  way back to following its ports, so ``undo_note`` says so.
- ``CommandStep``: a command (a reload, a profile change). Undoing runs ``undo_argv`` when the command has
  one (``nm_profile.NmProfileStep``, an ``nmcli connection modify``, puts the keyfile back instead); a reload
  (``rerun_on_undo``) runs once more after every other step was undone, so the daemon reads the restored files.

A step's ``now()`` says how the host looks for it at the moment (for the failure message).
"""

from __future__ import annotations

__metaclass__ = type

import errno
import hashlib
import os
import shutil
import tempfile
import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words, path_problem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError


class StepError(HostnetError):
    """A step could not be checked or applied; ``errno`` (when known), ``target`` (path or interface)."""


class Step:
    kind = "step"
    target = ""
    rerun_on_undo = False

    @property
    def changed(self):
        return True

    def describe(self):
        return self.kind

    def preflight(self):
        """Raise StepError when the step cannot be applied; touches nothing."""

    def apply(self):
        raise NotImplementedError

    def undo(self):
        """Put back what ``apply`` changed (called only after ``apply`` returned)."""

    def undo_note(self):
        """What ``undo`` cannot put back, or None."""
        return None

    def done(self):
        """What the step changed, in words (after it applied)."""
        return self.describe()

    def now(self):
        return None


# ------------------------------------------------------------------------------------------------- files


def _snapshot(path):
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


def _atomic_write(path, data, mode, owner=None):
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
        self._original = _snapshot(path)
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
                _atomic_write(path, self.edit.after.encode("utf-8"), self.edit.mode)
            else:
                original = self._original
                _atomic_write(path, self.edit.after.encode("utf-8"), original["mode"],
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
            _atomic_write(path, original["bytes"], original["mode"], (original["uid"], original["gid"]))
        self._drop_created()

    def done(self):
        return {"remove": "removed %s", "create": "created %s"}.get(self.edit.action, "updated %s") % self.edit.path

    def now(self):
        try:
            current = _snapshot(self.edit.path)
        except OSError as exc:
            return "%s: unreadable (%s)" % (self.edit.path, errno_words(exc.errno))
        if current is None:
            return "%s absent" % self.edit.path
        if self._original is not None and current["bytes"] == self._original["bytes"]:
            return "%s as before (%d bytes)" % (self.edit.path, len(current["bytes"]))
        return "%s: %d bytes, sha256 %s..." % (self.edit.path, len(current["bytes"]), sha256_text(current["bytes"]))


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


# ------------------------------------------------------------------------------------------------ commands


class CommandStep(Step):
    kind = "command"

    def __init__(self, run, argv, undo_argv=None, rerun_on_undo=False, label=None):
        self.run = run
        self.argv = list(argv)
        self.undo_argv = list(undo_argv) if undo_argv else None
        self.rerun_on_undo = rerun_on_undo
        self.target = label or " ".join(self.argv)

    def describe(self):
        return "run %s" % " ".join(self.argv)

    def _run(self, argv):
        rc, out, err = self.run(argv)
        if rc != 0:
            raise StepError("%s: exit code %d: %s" % (" ".join(argv), rc, (err or out).strip() or "no output"),
                            command=list(argv), rc=rc)

    def apply(self):
        self._run(self.argv)

    def undo(self):
        if self.undo_argv:
            self._run(self.undo_argv)

    def rerun(self):
        self._run(self.argv)

    def done(self):
        return "ran %s" % " ".join(self.argv)


def persistence_steps(plans, run, backup=False):
    """The steps of backend ``Persistence`` plans: files, profile commands (a NetworkManager profile with a
    keyfile: ``nm_profile.NmProfileStep``, undone byte for byte; else undone by setting the value read before:
    a CommandEdit's last argument is the value), then each distinct reload once."""
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.nm_profile import NmProfileStep

    steps, reloads = [], []
    for plan in plans:
        if not plan.changed:
            continue
        steps.extend(FileStep(edit, backup=backup) for edit in plan.files if edit.changed)
    for plan in plans:
        if not plan.changed:
            continue
        for command in plan.commands:
            if not command.changed:
                continue
            undo_argv = list(command.argv[:-1]) + [command.before]
            if command.keyfile:
                steps.append(NmProfileStep(run, command.argv, undo_argv, command.keyfile, label=command.header))
            else:
                steps.append(CommandStep(run, command.argv, undo_argv=undo_argv, label=command.header))
    for plan in plans:
        if not plan.changed:
            continue
        for argv in plan.reload:
            if list(argv) not in reloads:
                reloads.append(list(argv))
                steps.append(CommandStep(run, argv, rerun_on_undo=True))
    return steps
