# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The step of a transaction: each one knows how to check, apply and undo one change. The kinds:

- ``file_step.FileStep``: write or remove a file (a ``FileEdit``). Applying keeps the file's bytes, mode and
  owner (or that it did not exist) and the directories it had to create; undoing puts exactly that back.
- ``kernel_steps.SysctlStep``: write one value under ``/proc/sys``; undoing writes the value read just before.
- ``kernel_steps.LinkStep``: a netlink change of one interface (the promiscuous flag, a MAC); undoing sets the
  value the plan read before. A bridge's MAC, once set, stays "set" (sysfs ``addr_assign_type`` 3): the kernel
  has no way back to following its ports, so ``undo_note`` says so.
- ``CommandStep`` (here): a command (a reload, a profile change). Undoing runs ``undo_argv`` when the command
  has one (``nm_profile.NmProfileStep``, an ``nmcli connection modify``, puts the keyfile back instead); a
  reload (``rerun_on_undo``) runs once more after every other step was undone, so the daemon reads the
  restored files.

``persistence.persistence_steps`` turns a backend's plans into these steps. A step's ``now()`` says how the
host looks for it at the moment (for the failure message).
"""

from __future__ import annotations

__metaclass__ = type

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

    def check_target(self):
        """Raise StepError when the collection must not touch the step's target at all (a link that leaves its
        configuration tree, a FIFO where a file goes); reads metadata only, so check mode runs it too."""

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
