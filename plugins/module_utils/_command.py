# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection runs a command on the managed host.

An argument list, never a shell string; ``LC_ALL=C`` always, so the text the parsers read (nmcli, teamdctl,
networkctl, ip, systemctl) is the untranslated one whatever the host's locale; the result is
``(rc, stdout, stderr)``. Two entry points: ``module_runner(module)`` inside a module (Ansible's
``run_command``, which logs and handles encodings) and ``run_command(argv)`` where no module object is at hand
(the read model). team_to_bond's host-side transaction script (``_apply/t2b_txn.py``) must stay
self-contained and sets the same ``COMMAND_ENV`` itself (a unit test keeps the two equal).
"""

from __future__ import annotations

__metaclass__ = type

import os
import shutil
import subprocess

COMMAND_ENV = {"LC_ALL": "C"}
NOT_INSTALLED = 127  # the shell's code for "command not found", for a tool that is optional on a host
DEFAULT_TIMEOUT = 10


def module_runner(module, optional=False):
    """run(argv) -> (rc, stdout, stderr) through ``module.run_command`` with ``LC_ALL=C``.

    ``optional``: a tool that may be missing on this host (nmcli beside systemd-networkd) gives rc 127 and
    "<tool> is not installed" instead of failing the module."""

    def run(argv):
        argv = list(argv)
        if optional and module.get_bin_path(argv[0]) is None:
            return NOT_INSTALLED, "", "%s is not installed" % argv[0]
        return module.run_command(argv, environ_update=dict(COMMAND_ENV))

    return run


def run_command(argv, timeout=DEFAULT_TIMEOUT):
    """(rc, stdout, stderr) of a read-only command run without a module; rc None when it is not installed,
    cannot be started or times out (the caller treats that as "nothing known")."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None, "", "%s is not installed" % argv[0]
    try:
        proc = subprocess.run([exe] + list(argv[1:]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, check=False,
                              env=dict(os.environ, **COMMAND_ENV))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, "", str(exc)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
