# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a host's file: absent is None; only regular files, never blocking, bounded in size (read_bytes,
the one low-level read every reader of host files uses); for the read model, unreadable is a FileProblem."""

from __future__ import annotations

__metaclass__ = type

import errno
import os
import stat

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import FileProblem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.write_target import kind_words, read_open_file

# The most read from one host file: configuration files are a few KiB; a bigger one is reported, not read.
MAX_READ_BYTES = 1 << 20
_DEV_NULL = (1, 3)  # a unit masked by a link to /dev/null reads as empty, as systemd treats it
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def _not_readable(st, limit):
    """Why a file with this stat is not read (None: it is read)."""
    if stat.S_ISCHR(st.st_mode) and (os.major(st.st_rdev), os.minor(st.st_rdev)) == _DEV_NULL:
        return None
    if not stat.S_ISREG(st.st_mode):
        return "is %s, not a regular file; not read" % kind_words(st.st_mode)
    if st.st_size > limit:
        return "is %d bytes, more than the %d read from a configuration file; not read" % (st.st_size, limit)
    return None


def read_bytes(path, limit=MAX_READ_BYTES):
    """The bytes of the file at ``path`` (links followed, as any reader of the host's configuration does), or
    None when there is none. Never blocks and never opens what is not a regular file: a FIFO, socket, device
    or directory (checked before the open and again on the open file) raises OSError whose strerror says
    what it is; /dev/null reads as empty; more than ``limit`` bytes is an OSError too."""
    try:
        problem = _not_readable(os.stat(path), limit)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if problem:
        raise OSError(errno.EINVAL, problem)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        st = os.fstat(fd)
        problem = _not_readable(st, limit)  # the file opened is the one looked at, or the race is caught here
        if problem:
            raise OSError(errno.EINVAL, problem)
        if not stat.S_ISREG(st.st_mode):
            return b""
        data = read_open_file(fd, limit)
    finally:
        os.close(fd)
    if data is None:
        raise OSError(errno.EFBIG, "grew past %d bytes while it was read; not read" % limit)
    return data


def read_text_or_none(path):
    """The UTF-8 text of ``path`` for a module that acts on it: None when there is none; a HostnetError naming the
    file and why for one that cannot be read (a FIFO, a device, too big, not UTF-8) - never silence."""
    try:
        data = read_bytes(path)
        return data.decode("utf-8") if data is not None else None
    except OSError as exc:
        raise HostnetError("cannot read %s: %s" % (path, exc.strerror or exc), path=path)
    except UnicodeDecodeError as exc:
        raise HostnetError("cannot read %s: not UTF-8 at byte offset %d" % (path, exc.start), path=path)


def read_text(path, problems):
    """Text of ``path``; None when absent; a FileProblem when present but unreadable.

    A file that is not UTF-8 throughout (a latin-1 comment) is read with U+FFFD in place of the bad bytes and
    audited, with a problem naming the first bad byte's offset (``audited``: a warning, not a finding); NUL
    bytes are reported the same way."""
    try:
        data = read_bytes(path)
        if data is None:
            return None
    except OSError as exc:
        problems.append(FileProblem(path, getattr(exc, "strerror", None) or str(exc)))
        return None
    return decode_text(path, data, problems)


def decode_text(path, data, problems):
    """``data`` as text (see read_text); problems appended for bytes that are not UTF-8 and for NUL bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        count = sum(1 for char in text if char == "\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")
        problems.append(FileProblem(path, "is not UTF-8 at byte offset %d (0x%02x%s); read with U+FFFD in place of "
                                          "the bytes that are not, and audited" % (
                                              exc.start, data[exc.start],
                                              ", %d such places in all" % count if count > 1 else ""), audited=True))
    if "\0" in text:
        problems.append(FileProblem(path, "holds %d NUL byte(s), the first at byte offset %d; systemd reads a NUL as "
                                          "the end of a line; audited as it is" % (data.count(b"\0"), data.index(b"\0")),
                                    audited=True))
    return text
