# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A NetworkManager profile change (``nmcli connection modify``) whose undo puts the keyfile back byte for byte.

Setting the old value back with nmcli is not an undo: NetworkManager 1.42 rewrites the whole keyfile on every
``connection modify``, so the settings come back but the bytes do not (order, defaults written out; measured
in the lab's enforce_nm). So the step keeps the keyfile's bytes, mode and owner before it runs nmcli, and its
undo writes them back and has NetworkManager read that file again (``nmcli connection load FILE``), which
makes the profile NetworkManager holds equal to the file without writing the file.

Only keyfiles under ``/etc/NetworkManager/system-connections`` are kept (a profile NetworkManager holds in
memory, under /run, is saved to /etc by ``modify``; a symbolic link or a file elsewhere is not ours to
rewrite): for those the undo sets the old value back with nmcli, as before.

The running device is not re-activated: ``connection modify`` changes the stored profile, not the settings
applied to the device (``accept-all-mac-addresses`` and ``cloned-mac-address`` take effect at the next
activation), so after the reload the profile and the device are as they were; the kernel's value (the flag, the
MAC) is put back by the netlink step that changed it (``LinkStep``), which the transaction undoes first.
"""

from __future__ import annotations

__metaclass__ = type

import os
import stat

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import (
    atomic_write,
    sha256_text,
    snapshot_file,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import CommandStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import NMCLI

KEYFILE_DIR = "/etc/NetworkManager/system-connections"


def restorable_keyfile(path, keyfile_dir=None):
    """``path`` when it is a regular file (not a link) directly or deeper under the keyfile directory, else None."""
    keyfile_dir = keyfile_dir or KEYFILE_DIR
    if not path:
        return None
    path = os.path.normpath(path)
    if not path.startswith(keyfile_dir.rstrip("/") + "/"):
        return None
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    return path if stat.S_ISREG(mode) else None


class NmProfileStep(CommandStep):
    """``nmcli connection modify`` of one profile; ``keyfile`` is the profile's file as the read model saw it."""

    kind = "nm profile"

    def __init__(self, run, argv, undo_argv, keyfile, label=None):
        super().__init__(run, argv, undo_argv=undo_argv, label=label)
        self.keyfile = keyfile
        self._kept = None  # the keyfile before: {"bytes", "mode", "uid", "gid"}, when it can be put back

    def apply(self):
        path = restorable_keyfile(self.keyfile, KEYFILE_DIR)
        if path is not None:
            try:
                self._kept = dict(snapshot_file(path), path=path)
            except (OSError, TypeError):  # unreadable, or gone since the check: undo by value instead
                self._kept = None
        self._run(self.argv)

    def undo(self):
        kept = self._kept
        if kept is None:
            CommandStep.undo(self)
            return
        atomic_write(kept["path"], kept["bytes"], kept["mode"], (kept["uid"], kept["gid"]))
        self._run([NMCLI, "connection", "load", kept["path"]])

    def now(self):
        path = (self._kept or {}).get("path") or self.keyfile
        if not path:
            return None
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            return "%s: unreadable (%s)" % (path, errno_words(exc.errno))
        if self._kept is not None and data == self._kept["bytes"]:
            return "%s as before (%d bytes)" % (path, len(data))
        return "%s: %d bytes, sha256 %s..." % (path, len(data), sha256_text(data))
