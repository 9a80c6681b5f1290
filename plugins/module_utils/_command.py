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

Every command has a timeout: a host where ``nmcli`` waits on a stuck NetworkManager or ``networkctl`` on a
stuck networkd must not hold a whole fleet run. Inside a module the command is killed after ``timeout``
seconds (``MODULE_TIMEOUT``) and ``CommandTimeout`` names it; the engine undoes what the transaction changed
before it, and the module edge reports it. Without a module (the read model's read-only helpers) a timeout
is "nothing known" (rc None), with the reason in stderr.
"""

from __future__ import annotations

__metaclass__ = type

import os
import shutil
import signal
import subprocess
import threading

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError

COMMAND_ENV = {"LC_ALL": "C"}
NOT_INSTALLED = 127  # the shell's code for "command not found", for a tool that is optional on a host
DEFAULT_TIMEOUT = 60  # the read model's read-only helpers (networkctl --version, teamdctl state dump)
# A module's commands: reloads (networkctl reload, udevadm control --reload, netplan generate), profile changes
# (nmcli connection modify/load), systemd-run. Each takes well under a second on a healthy host; nmcli's own
# D-Bus wait is 25 s; five minutes leave room for an emulated or overloaded host (the lab saw single
# steps take over a minute under load) and still end a hung command.
MODULE_TIMEOUT = 300


class CommandTimeout(HostnetError):
    """A command did not finish within its timeout and was killed."""


def module_runner(module, optional=False, timeout=MODULE_TIMEOUT):
    """run(argv) -> (rc, stdout, stderr) through ``module.run_command`` with ``LC_ALL=C``; a command still
    running after ``timeout`` seconds is killed (SIGKILL) and CommandTimeout is raised, naming it.

    ``optional``: a tool that may be missing on this host (nmcli beside systemd-networkd) gives rc 127 and
    "<tool> is not installed" instead of failing the module."""

    def run(argv):
        argv = list(argv)
        if optional and module.get_bin_path(argv[0]) is None:
            return NOT_INSTALLED, "", "%s is not installed" % argv[0]
        fired, timers = [], []

        def start_timer(process):
            def kill():
                fired.append(True)
                try:
                    process.send_signal(signal.SIGKILL)
                except OSError:  # it ended just now
                    pass

            timer = threading.Timer(timeout, kill)
            timer.daemon = True
            timers.append(timer)
            timer.start()

        try:
            result = module.run_command(argv, environ_update=dict(COMMAND_ENV), before_communicate_callback=start_timer)
        finally:
            for timer in timers:
                timer.cancel()
        if fired:
            raise CommandTimeout("%s did not finish within %g s and was killed (the command hung: is its daemon "
                                 "responding?)" % (" ".join(argv), timeout), command=argv, timeout=timeout)
        return result

    return run


def run_command(argv, timeout=DEFAULT_TIMEOUT):
    """(rc, stdout, stderr) of a read-only command run without a module; rc None when it is not installed,
    cannot be started or times out (the caller treats that as "nothing known")."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None, "", "%s is not installed" % argv[0]
    try:
        # its own session: on a timeout the whole group is killed, so no child keeps the pipes open
        proc = subprocess.Popen([exe] + list(argv[1:]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(os.environ, **COMMAND_ENV), start_new_session=True)
    except OSError as exc:
        return None, "", str(exc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.communicate()
        return None, "", "%s did not finish within %s s and was killed" % (" ".join(argv), timeout)
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
