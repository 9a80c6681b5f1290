# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-flight: can a file of a plan be written? The one writable check of the collection.

``path_problem(path)`` walks the path from ``/``: every existing component before the file must really be a
directory (a component that is a file is named: ``/etc/udev/rules.d is a file, not a directory``); the
directory the file goes into - or, when it does not exist yet, the nearest existing one, where the missing
ones will be created - must be writable and on a file system mounted read-write, with room for the file's
bytes. The engine (``transaction.py``) runs this over the whole plan before the first change.

What it cannot foresee (an inode table that runs out, a disk that fills between the check and the write, a
race with another writer) fails at apply time and is undone by the engine.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import os
import stat


def _kind(mode):
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device node"
    return "not a directory"


def _directory_problem(directory, needed):
    try:
        fs = os.statvfs(directory)
    except OSError as exc:
        return exc.errno, directory, "cannot inspect %s" % directory
    if fs.f_flag & os.ST_RDONLY:
        return errno.EROFS, directory, "%s is on a read-only file system" % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return errno.EACCES, directory, "%s is not writable for this user" % directory
    if needed and fs.f_bavail * fs.f_frsize < needed:
        return errno.ENOSPC, directory, ("the file system of %s has %d bytes free, %d needed"
                                         % (directory, fs.f_bavail * fs.f_frsize, needed))
    return None


def path_problem(path, needed=0):
    """None when ``path`` can be written (``needed`` bytes) or removed, else (errno, the path at fault, words)."""
    path = os.path.abspath(path)
    current = "/"
    for name in path.split(os.sep)[1:-1]:
        parent, current = current, os.path.join(current, name)
        try:
            mode = os.stat(current).st_mode  # follows symbolic links: a link to a directory is a directory
        except FileNotFoundError:
            return _directory_problem(parent, needed)  # the missing directories are created from parent
        except OSError as exc:
            return exc.errno, current, "cannot look at %s" % current
        if not stat.S_ISDIR(mode):
            return errno.ENOTDIR, current, "%s is %s, not a directory" % (current, _kind(mode))
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        return exc.errno, path, "cannot look at %s" % path
    if mode is not None and stat.S_ISDIR(mode):
        return errno.EISDIR, path, "%s is a directory, not a file" % path
    return _directory_problem(os.path.dirname(path), needed)


def errno_words(code):
    """``No space left on device (ENOSPC)``: the errno in words and its name."""
    if code is None:
        return "error"
    return "%s (%s)" % (os.strerror(code), errno.errorcode.get(code, "errno %d" % code))
