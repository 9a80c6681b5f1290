# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enforcement engine: every change of an enforcing module is one transaction.

    txn = Transaction("bridge_mac", steps, verify=check, attempts=1, hint="...")
    result = finish(module, txn, result, diffs)     # check mode, apply, verify, undo, diff: all here

1. The module plans: a list of steps (``steps.py``, ``file_step.py``, ``kernel_steps.py``: FileStep, SysctlStep, LinkStep, CommandStep) in the order
   the feature needs (persistence first or runtime first), plus a ``verify()`` that reads the host again and
   returns what is not as planned ([] when all is).
2. ``finish`` in check mode refuses what the real run would refuse outright (``Step.check_target``: a link that
   leaves its configuration tree, a FIFO where a file goes - ``_read/write_target``), else returns the plan's
   ``changed`` and, in diff mode only, the plan's diff.
3. Otherwise ``Transaction.run``: pre-flight every changed step (files: ``preflight.path_problem``; sysctls:
   the file exists on a read-write /proc/sys) before the first change; apply them in order, each recording its
   undo; verify, ``attempts`` times ``delay`` seconds apart (the one retry loop of the collection), and with
   ``settle`` once more that many seconds later (the change must stay, not just land).
4. On any failure - an OSError (ENOSPC, EROFS, ENOTDIR, ...), a netlink write the kernel refuses, a command's
   exit code, a verify mismatch - the steps done are undone in reverse order, reloads run once more, and
   ``TransactionFailed`` names the step, its path or interface, the errno in words, what was undone and how
   the host looks now. Its ``changed`` is true only when something could not be put back, and the message
   then says what.
"""

from __future__ import annotations

__metaclass__ = type

import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.preflight import errno_words
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import StepError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError


class TransactionFailed(HostnetError):
    """A transaction failed and was undone (``changed`` in the details says whether all of it)."""


def _why(exc):
    if isinstance(exc, OSError):
        where = " (%s)" % exc.filename if exc.filename else ""
        return errno_words(exc.errno) + where, exc.errno
    if isinstance(exc, HostnetError):
        return exc.msg, exc.details.get("errno")
    return "%s: %s" % (type(exc).__name__, exc), None


def wait_until_verified(check, attempts=1, delay=0.5, sleep=time.sleep):
    """Call ``check()`` until it returns no mismatch, at most ``attempts`` times; return the last mismatches."""
    mismatches = []
    for attempt in range(max(1, attempts)):
        mismatches = list(check() or [])
        if not mismatches:
            return []
        if attempt + 1 < attempts:
            sleep(delay)
    return mismatches


# The step kinds that change the running kernel (put back again when a reload overtakes the undo).
RUNTIME_KINDS = ("netlink", "sysctl")


class Transaction:
    def __init__(self, module_name, steps, verify=None, attempts=1, delay=0.5, hint="", sleep=time.sleep,
                 settle=0.0, verify_undone=None, undo_settle=0.0):
        self.module_name = module_name
        self.steps = list(steps)
        self.verify = verify
        self.attempts = attempts
        self.delay = delay
        # > 0: once verified, read again after that many seconds - a daemon that owns the link (NetworkManager,
        # networkd) may set its own value back right after ours; the change must stay, not just land.
        self.settle = settle
        self.hint = hint  # what the user can do about a pre-flight problem, in this module's own options
        self.sleep = sleep
        # After an undo that ran a reload again: what of the runtime is not back as before ([] when all is),
        # watched for ``undo_settle`` seconds - a reload returns before the daemon (networkd) applies the
        # configuration it read before the undo, and may set a value again after the undo put it back.
        self.verify_undone = verify_undone
        self.undo_settle = undo_settle
        self.done = []  # the steps applied, in order

    @property
    def changed(self):
        return any(step.changed for step in self.steps)

    def pending(self):
        return [step for step in self.steps if step.changed]

    def preflight(self, check_mode=False):
        """Every changed step's pre-flight (``check_mode``: only ``check_target``, which reads metadata: a
        write the real run would refuse is refused in check mode too, and its diff is never shown)."""
        for step in self.pending():
            try:
                if check_mode:
                    step.check_target()
                else:
                    step.preflight()
            except StepError as exc:
                details = dict(exc.details, changed=False, step=step.describe())
                raise TransactionFailed("%s: %s; nothing was changed on the host.%s"
                                        % (self.module_name, exc.msg, " " + self.hint if self.hint else ""),
                                        **details)

    def run(self):
        """Pre-flight, apply, verify; on failure undo and raise TransactionFailed. Returns what changed."""
        steps = self.pending()
        self.preflight()
        for index, step in enumerate(steps, 1):
            try:
                step.apply()
            except Exception as exc:  # every failure, typed or not, is undone and reported
                words, code = _why(exc)
                self._fail("step %d of %d (%s) failed: %s" % (index, len(steps), step.describe(), words),
                           step=step.describe(), target=step.target, errno=code)
            self.done.append(step)
        if self.verify is not None and steps:
            try:
                mismatches = wait_until_verified(self.verify, self.attempts, self.delay, self.sleep)
            except Exception as exc:
                words, code = _why(exc)
                mismatches = ["reading the host again failed: %s" % words]
            if mismatches:
                self._fail("verification after the change failed (%d read%s of the host): %s"
                           % (self.attempts, "s" if self.attempts > 1 else "", "; ".join(mismatches)),
                           step="verify", mismatches=mismatches)
            if self.settle > 0:
                self.sleep(self.settle)
                try:
                    mismatches = list(self.verify() or [])
                except Exception as exc:
                    mismatches = ["reading the host again failed: %s" % _why(exc)[0]]
                if mismatches:
                    self._fail("verification after the change failed: it did not stay (read again after %.1f s): "
                               "%s" % (self.settle, "; ".join(mismatches)), step="verify", mismatches=mismatches)
        return [step.done() for step in self.done]

    def _undo(self):
        """Undo the steps done in reverse order, then run reloads again; return (undone, failures, notes)."""
        undone, failures, notes = [], [], []
        for step in reversed(self.done):
            try:
                step.undo()
                undone.append(step.describe())
            except Exception as exc:
                failures.append("%s: %s" % (step.describe(), _why(exc)[0]))
                continue
            note = step.undo_note()
            if note:
                notes.append(note)
        reruns = []
        for step in self.done:
            if step.rerun_on_undo and step.argv not in [r.argv for r in reruns]:
                reruns.append(step)
        for step in reruns:
            try:
                step.rerun()
            except Exception as exc:
                failures.append("%s again: %s" % (step.describe(), _why(exc)[0]))
        if reruns and self.verify_undone is not None:
            failures += self._hold_undone()
        return undone, failures, notes

    def _hold_undone(self):
        """Watch the runtime for ``undo_settle`` seconds after the reloads; whenever the daemon set a value again,
        undo the runtime steps once more. Returns what still differs at the end (as failures)."""
        runtime = [step for step in reversed(self.done) if step.kind in RUNTIME_KINDS]
        waited = 0.0
        while True:
            try:
                mismatches = list(self.verify_undone() or [])
            except Exception as exc:
                return ["reading the host after the undo failed: %s" % _why(exc)[0]]
            if mismatches:
                for step in runtime:
                    try:
                        step.undo()
                    except Exception:  # reported below by the last read, which still sees the value
                        pass
            if waited >= self.undo_settle:
                break
            self.sleep(self.delay)
            waited += self.delay
        try:
            mismatches = list(self.verify_undone() or [])
        except Exception as exc:
            return ["reading the host after the undo failed: %s" % _why(exc)[0]]
        return ["%s after the undo (the network manager's reload set it again)" % m for m in mismatches]

    def _fail(self, what, **details):
        undone, failures, notes = self._undo() if self.done else ([], [], [])
        now = [n for n in (step.now() for step in self.steps if step.changed) if n]
        parts = ["%s: %s." % (self.module_name, what)]
        if undone:
            parts.append("Undone in reverse order: %s." % "; ".join(undone))
        still = failures + notes
        if still:
            parts.append("STILL CHANGED: %s." % "; ".join(still))
        else:
            parts.append("Nothing stayed changed." if self.done else "Nothing was changed.")
        if now:
            parts.append("The host now: %s." % "; ".join(now))
        raise TransactionFailed(" ".join(parts), changed=bool(still), undone=undone, still_changed=still,
                                host_now=now, **details)


def finish(module, txn, result, diffs):
    """The end of every enforcing module: check mode and diff from the plan, else run the transaction.

    ``result`` gets ``changed`` (and ``msg`` saying what changed); ``diff`` only in diff mode."""
    result["changed"] = txn.changed
    if txn.changed and module.check_mode:
        txn.preflight(check_mode=True)
    if txn.changed and not module.check_mode:
        done = txn.run()
        result["msg"] = "changed: %s" % "; ".join(done)
    if getattr(module, "_diff", False):
        result["diff"] = diffs
    else:
        result.pop("diff", None)
    return result
