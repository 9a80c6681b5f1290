# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a file the collection writes really is, and whether it may be written: the one rule about links.

Every file the collection writes lies in a *configuration tree*: the directory of its kind
(``/etc/systemd/network``, ``/etc/udev/rules.d``, ``/etc/sysctl.d``, a lynis profile directory, the state
directory ``/var/lib/hostnet-dockerhost``, ... - ``CONFIG_TREES``), or, for a path in none of them, the
directory it is in. ``resolve(path)`` walks the path from the tree down, without following anything blindly:

- the directories above the tree (``/etc``, ``/var/lib``) are the host's own layout and are taken as they are;
- the tree itself must be a directory, not a symbolic link (a ``/etc/udev/rules.d`` that points elsewhere);
- a link below it (a ``<unit>.network.d`` directory, the file itself) is followed only when what it points
  to lies inside the same tree (``a.network -> b.network``, ``x.network.d -> ../y.network.d``); one that
  leaves the tree is refused (``WriteRefused``), naming the link and its target;
- a file the collection owns whole (its name starts with ``90-hostnet-dockerhost`` or ``10-hostnet-``, or it
  lies in the state directory: drop-ins, udev rules, its sysctl.d file, ledgers) is never written through a
  link at all, and never when it has a second name (a hard link): it would change, and on ``state=absent``
  delete, a file that is not the collection's. An operator's file the collection edits a part of (a
  ``.network`` rewritten by ``fix_deprecated``, a lynis profile, ``/etc/network/interfaces``) is written
  through a link inside its tree: the link stays a link, and undo or ``state=absent`` give the target its
  bytes back.

``read_before(path)`` is the reader of a file about to be written (the "before" of a plan and its diff): the
same rule, then only a regular file (a FIFO, socket or device is refused, never opened: opening a FIFO
blocks), opened with ``O_NOFOLLOW | O_NONBLOCK``, at most ``MAX_BYTES``. ``diff_before`` keeps a diff from
printing what the collection did not write: a file of the collection's own name that does not carry its mark
is shown as its size and hash.

Pure standard library; no module object.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from typing import Optional

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (
    FILE_PREFIX,
    MANAGED_BY,
    STATE_DIR,
    T2B_UNIT_PREFIX,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError

# lynis reads profiles from these directories (lynis include/functions, tPROFILE_TARGETS, less ".").
LYNIS_PROFILE_DIRS = ("/etc/lynis", "/usr/local/etc/lynis", "/usr/local/lynis")
CONFIG_TREES = (
    "/etc/systemd/network",
    "/etc/systemd/networkd.conf.d",
    "/etc/udev/rules.d",
    "/etc/sysctl.d",
    "/etc/network",
    "/etc/netplan",
    "/etc/NetworkManager/system-connections",
    STATE_DIR,
) + LYNIS_PROFILE_DIRS
# A configuration file larger than this is not one the collection edits (and never read whole into a diff).
MAX_BYTES = 1 << 20
OWN_NAME_PREFIXES = (FILE_PREFIX.rstrip("-"), T2B_UNIT_PREFIX)


class WriteRefused(HostnetError):
    """A path the collection will not write: a link that leaves its tree, a FIFO, a device, a hard link, ..."""


@dataclass
class WriteTarget:
    path: str  # as planned (what results and messages name)
    tree: str  # the configuration tree it belongs to
    real: str  # where the bytes go: links inside the tree resolved
    link: Optional[str] = None  # the text of the link at ``path`` itself, when it is one (inside the tree)


def _inside(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def config_tree(path, trees=None):
    """The configuration tree of ``path``: the deepest of ``trees`` (CONFIG_TREES) holding it, else its directory."""
    path = os.path.normpath(path)
    trees = CONFIG_TREES if trees is None else trees
    found = [tree for tree in trees if _inside(path, tree) and path != tree]
    return max(found, key=len) if found else os.path.dirname(path)


def owned_whole(path, state_dir=None):
    """Whether the collection owns the whole file at ``path`` (by its name, or because it is in the state dir)."""
    in_state_dir = _inside(os.path.normpath(path), state_dir or STATE_DIR)
    return os.path.basename(path).startswith(OWN_NAME_PREFIXES) or in_state_dir


def kind_words(mode):
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def _refuse_link(link, target_text, resolved, tree, why):
    return WriteRefused("%s is a symbolic link to %s (resolves to %s), %s; the collection does not write through "
                        "it. Remove the link (or make it a %s) and run again"
                        % (link, target_text, resolved, why, "directory" if why.startswith("the tree") else
                           "regular file inside %s" % tree),
                        path=link, link_target=target_text, resolved=resolved, tree=tree)


def resolve(path, trees=None, state_dir=None):
    """The WriteTarget of ``path`` (absolute); raises WriteRefused for a link it must not follow. A component
    that is missing, or is not a directory, ends the walk: the pre-flight names that (``_apply/preflight``)."""
    path = os.path.normpath(path)
    if not os.path.isabs(path):
        raise WriteRefused("%s is not an absolute path" % path, path=path)
    tree = config_tree(path, trees)
    whole = owned_whole(path, state_dir)
    root_real = os.path.join(os.path.realpath(os.path.dirname(tree)), os.path.basename(tree))
    try:
        st = os.lstat(root_real)
    except OSError:
        st = None  # missing (created), or unreadable (the pre-flight says so)
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise _refuse_link(tree, os.readlink(root_real), os.path.realpath(root_real), tree,
                           "the tree the collection writes %s into must be a directory of its own" % path)
    parts = os.path.relpath(path, tree).split(os.sep)
    current, shown, link = root_real, tree, None
    for index, name in enumerate(parts):
        last = index == len(parts) - 1
        candidate, shown = os.path.join(current, name), os.path.join(shown, name)
        try:
            st = os.lstat(candidate)
        except OSError:  # missing from here on (created), or a component that is not a directory
            return WriteTarget(path, tree, os.path.join(candidate, *parts[index + 1:]), None)
        if not stat.S_ISLNK(st.st_mode):
            current = candidate
            continue
        target_text = os.readlink(candidate)
        resolved = os.path.realpath(candidate)
        if not _inside(resolved, root_real):
            raise _refuse_link(shown, target_text, resolved, tree, "outside %s" % tree)
        if last and whole:
            raise _refuse_link(shown, target_text, resolved, tree,
                               "and the collection writes this file whole (and removes it with state=absent): "
                               "through the link it would change a file that is not its own")
        current = resolved
        if last:
            link = target_text
    return WriteTarget(path, tree, current, link)


def _regular_problem(shown, st, whole):
    if not stat.S_ISREG(st.st_mode):
        return ("%s is %s, not a regular file; the collection reads and writes only regular files there: remove "
                "it and run again" % (shown, kind_words(st.st_mode)))
    if whole and st.st_nlink > 1:
        return ("%s has %d hard links (names); it is the collection's own file, which has one: rewriting it would "
                "leave the other names with the old bytes. Remove this name and run again" % (shown, st.st_nlink))
    if st.st_size > MAX_BYTES:
        return "%s is %d bytes, more than the %d a configuration file the collection edits may have" \
            % (shown, st.st_size, MAX_BYTES)
    return None


def check(path, trees=None, state_dir=None):
    """resolve(), and what is at the real path must be a regular file (or nothing). Returns the WriteTarget."""
    target = resolve(path, trees, state_dir)
    try:
        st = os.lstat(target.real)
    except OSError:
        return target
    shown = path if target.real == os.path.normpath(path) else "%s (%s)" % (path, target.real)
    problem = _regular_problem(shown, st, owned_whole(path, state_dir))
    if problem:
        raise WriteRefused(problem, path=path)
    return target


def read_open_file(fd, limit):
    """The bytes of the open file ``fd``, or None when it holds more than ``limit`` (it grew since its stat)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks) if size <= limit else None


def read_regular(real, shown=None, whole=False, limit=MAX_BYTES):
    """Bytes of the regular file ``real`` (None when absent): never follows a final link, never blocks on a
    FIFO, never opens a device; raises WriteRefused for what is not a regular file."""
    shown = shown or real
    try:
        st = os.lstat(real)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise HostnetError("cannot look at %s: %s" % (shown, exc.strerror or exc), path=shown)
    problem = _regular_problem(shown, st, whole)
    if problem:
        raise WriteRefused(problem, path=shown)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP:
            raise WriteRefused("%s became a symbolic link while it was read; nothing was changed" % shown, path=shown)
        raise HostnetError("cannot read %s: %s" % (shown, exc.strerror or exc), path=shown)
    try:
        st = os.fstat(fd)
        problem = _regular_problem(shown, st, whole)  # the same file as the lstat above, or a race
        if problem:
            raise WriteRefused(problem, path=shown)
        data = read_open_file(fd, limit)
    finally:
        os.close(fd)
    if data is None:
        raise WriteRefused("%s grew past %d bytes while it was read" % (shown, limit), path=shown)
    return data


def read_before(path, trees=None, state_dir=None):
    """The text of the file the collection is about to write at ``path`` (None: there is none), under the
    rule above. Raises WriteRefused (a HostnetError) for a path it must not write, HostnetError when the file
    cannot be read or is not UTF-8."""
    target = resolve(path, trees, state_dir)
    shown = path if target.real == os.path.normpath(path) else "%s (%s)" % (path, target.real)
    data = read_regular(target.real, shown, owned_whole(path, state_dir))
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HostnetError("%s is not UTF-8 text (byte %d); the collection does not edit it" % (shown, exc.start),
                           path=path)


def diff_before(path, text, state_dir=None):
    """What a diff may show as the "before" of ``path``: the text, unless the file has the collection's own
    name but not its mark (someone else's bytes at our path) - then its size and hash only."""
    if not text or not owned_whole(path, state_dir) or MANAGED_BY in text or _inside(path, state_dir or STATE_DIR):
        return text or ""
    data = text.encode("utf-8", "surrogateescape")
    return ("(%d bytes not written by %s, sha256 %s...: not shown; they will be replaced)\n"
            % (len(data), MANAGED_BY, hashlib.sha256(data).hexdigest()[:12]))
