# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team -> bond transaction, run ON THE HOST, detached from the Ansible connection.

Standard library only: the ``team_to_bond`` module writes this file and its helpers ``t2b_host.py`` (log and
JSON files, snapshot and restore, the bond read back from sysfs) next to the transaction's ``plan.json`` in
``<state_dir>/<txid>/`` (default state_dir ``/var/lib/hostnet-dockerhost/team_to_bond``) and starts it with
``systemd-run`` (a transient unit of its own), so a dying SSH session or controller cannot stop it. Run as a
script it imports ``t2b_host`` from its own directory (Python puts the script's directory first on
``sys.path``); the boot guard's copy in the state directory has its own copy of ``t2b_host.py`` beside it. The state directory is always the parent of the
transaction's directory: the boot guard and the search for unfinished transactions use it, not a constant.

    python3 t2b_txn.py apply DIR      arm the rollback timer, snapshot, apply, check the bond, probe
    python3 t2b_txn.py rollback DIR   restore the snapshot (files byte-identical, mode, owner) and runtime
    python3 t2b_txn.py confirm DIR    stop the timer, remove the team configuration, drop the snapshot
    python3 t2b_txn.py boot-guard [STATE_DIR...]
                                       at boot, before the network: roll back unconfirmed transactions found
                                       under each STATE_DIR (default /var/lib/hostnet-dockerhost/team_to_bond)

States in DIR/state.json: applying -> applied -> confirmed, or -> rolling_back -> rolled_back; failed
when the timer could not be armed (nothing was changed then).
"""

from __future__ import annotations

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import time
import traceback

if __package__:  # imported as the collection's module_utils (the module reads and confirms through it)
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_host, t2b_move
else:  # run on the host as a script: t2b_launch ships t2b_host.py and t2b_move.py beside this file
    # Python puts a script's directory first on sys.path, unless -P / PYTHONSAFEPATH say otherwise.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import t2b_host
    import t2b_move

# The host helpers used here, one name each (tests replace them on this module).
Lock = t2b_host.Lock
bond_mismatches = t2b_host.bond_mismatches
get_state = t2b_host.get_state
link_master = t2b_host.link_master
log = t2b_host.log
read_json = t2b_host.read_json
restore = t2b_host.restore
set_state = t2b_host.set_state
snapshot = t2b_host.snapshot
sysfs = t2b_host.sysfs
write_file = t2b_host.write_file
write_plan_files = t2b_host.write_plan_files

# The module's default state_dir (_constants.T2B_STATE_DIR). A transaction's state directory is the parent of
# its own directory, whatever the module was given; the boot guard looks after every state directory that
# has transactions (they are listed after "boot-guard" in its ExecStart=).
DEFAULT_STATE_DIR = "/var/lib/hostnet-dockerhost/team_to_bond"
TXN_SCRIPT = "t2b_txn.py"
HOST_HELPERS = "t2b_host.py"  # imported by TXN_SCRIPT and GUARD_SCRIPT from their own directory
MOVE_HELPERS = "t2b_move.py"  # likewise: the runtime moves (make-before-break)
GUARD_SCRIPT = "t2b_guard.py"
GUARD_UNIT = "hostnet-t2b-guard.service"
GUARD_PATH = "/etc/systemd/system/" + GUARD_UNIT
GUARD_LINK = "/etc/systemd/system/sysinit.target.wants/" + GUARD_UNIT
PENDING = ("applying", "applied", "rolling_back")
# As _command.COMMAND_ENV (this script imports nothing of the collection: the module ships its source).
COMMAND_ENV = {"LC_ALL": "C"}
PING_INTERVAL = 1.0
# Seconds after apply before a bond that does not exist at all makes the transaction run the plan's
# "recreate" commands (once).
RECREATE_AFTER = 10.0
# Seconds the timer's rollback waits for a rollback already running (the apply's own) before taking over.
ROLLBACK_WAIT = 120.0


def now():
    return time.time()


def run(directory, argv, check=True, timeout=120, stdin=None):
    feed = dict(input=stdin.encode("utf-8")) if stdin is not None else dict(stdin=subprocess.DEVNULL)
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False,
                              env=dict(os.environ, **COMMAND_ENV), **feed)
        rc, out, err = proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired) as exc:
        rc, out, err = -1, "", str(exc)
    log(directory, "run %s -> rc=%s %s" % (json.dumps(argv), rc, (err or out).strip()[:400]))
    if check and rc != 0:
        raise StepFailed("%s failed (rc=%s): %s" % (" ".join(argv), rc, (err or out).strip()[:400]))
    return rc, out


class StepFailed(Exception):
    pass


# ----------------------------------------------------------------------------------------------- checks


def wait_bonds(directory, plan, deadline):
    recreate, recreate_at = list(plan.get("recreate", [])), now() + RECREATE_AFTER
    while True:
        problems = [p for expect in plan["expect"] for p in bond_mismatches(expect)]
        if not problems:
            return
        absent = [e["bond"] for e in plan["expect"] if not os.path.isdir("/sys/class/net/%s/bonding" % e["bond"])]
        if recreate and absent and now() > recreate_at:
            log(directory, "%s not created %ds after apply: running %s" % (
                " ".join(absent), RECREATE_AFTER, "; ".join(" ".join(a) for a in recreate)))
            for argv in recreate:
                run(directory, argv)
            recreate = []
        if now() > deadline:
            raise StepFailed("the bond does not run as planned: " + "; ".join(problems))
        time.sleep(1)


def probe(directory, plan, deadline):
    for target in plan["probe"]["targets"]:
        while True:
            rc, _out = run(directory, ["ping", "-n", "-c", "1", "-W", "1", target], check=False, timeout=10)
            if rc == 0:
                break
            if now() > deadline:
                raise StepFailed("probe target %s is not reachable through the bond" % target)
            time.sleep(PING_INTERVAL)


# ----------------------------------------------------------------------------------------------- guard


GUARD_TEXT = """# hostnet.dockerhost team_to_bond: a host that reboots in the middle of a team -> bond transaction
# comes back with its previous configuration (restored before the network starts).
[Unit]
Description=hostnet.dockerhost team_to_bond: roll back unconfirmed transactions
DefaultDependencies=no
After=local-fs.target
Before=network-pre.target systemd-networkd.service NetworkManager.service
Wants=network-pre.target

[Service]
Type=oneshot
ExecStart=%s %s boot-guard %s

[Install]
WantedBy=sysinit.target
"""


def state_root(directory):
    """The state directory a transaction directory lives in (the module's state_dir)."""
    return os.path.dirname(os.path.abspath(directory))


def guard_roots():
    """The state directories the installed boot guard looks after; [] when no guard is installed. A guard
    written before state directories were listed covers the default one."""
    try:
        with open(GUARD_PATH, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return []
    for line in text.splitlines():
        words = line.split()
        if line.startswith("ExecStart=") and "boot-guard" in words:
            return words[words.index("boot-guard") + 1:] or [DEFAULT_STATE_DIR]
    return []


def install_guard(directory):
    root = state_root(directory)
    script = os.path.join(root, GUARD_SCRIPT)
    # The helpers first: a guard script is never there without the helpers it imports.
    for helper in (HOST_HELPERS, MOVE_HELPERS):
        shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), helper), os.path.join(root, helper))
    shutil.copyfile(os.path.abspath(__file__), script)
    roots = [other for other in guard_roots() if other != root and os.path.isdir(other)] + [root]
    write_file(GUARD_PATH, GUARD_TEXT % (sys.executable, script, " ".join(roots)), 0o644)
    os.makedirs(os.path.dirname(GUARD_LINK), exist_ok=True)
    if not os.path.lexists(GUARD_LINK):
        os.symlink(GUARD_PATH, GUARD_LINK)
    log(directory, "boot guard installed for %s" % " ".join(roots))


def pending_transactions(roots, besides=None):
    """Directories of transactions under ``roots`` that are not finished (but ``besides``)."""
    found = []
    for root in roots:
        for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
            other = os.path.join(root, name)
            if other != besides and os.path.isdir(other) and get_state(other) in PENDING:
                found.append(other)
    return found


def remove_guard_unless_pending(directory):
    directory = os.path.abspath(directory)
    roots = guard_roots()
    if state_root(directory) not in roots:
        roots.append(state_root(directory))
    if pending_transactions(roots, besides=directory):
        return
    for path in (GUARD_LINK, GUARD_PATH):
        if os.path.lexists(path):
            os.unlink(path)
    log(directory, "boot guard removed")


# ----------------------------------------------------------------------------------------------- commands


def timer_unit(plan):
    return "hostnet-t2b-rollback-%s" % plan["txid"]


def host_run(directory):
    return lambda argv, check=True, stdin=None: run(directory, argv, check, stdin=stdin)


def apply(directory):
    plan = read_json(os.path.join(directory, "plan.json"))
    started = now()
    set_state(directory, "applying", pid=os.getpid(), started=started)
    rc, _out = run(directory, ["systemd-run", "--quiet", "--collect", "--unit", timer_unit(plan),
                               "--on-active=%ds" % plan["timeout"], "--timer-property=AccuracySec=1s",
                               sys.executable, os.path.abspath(__file__), "rollback", directory], check=False)
    if rc != 0:
        set_state(directory, "failed", error="could not arm the rollback timer; nothing was changed")
        return 1
    moves = []
    try:
        install_guard(directory)
        snapshot(directory, plan["snapshot_dirs"])
        if plan.get("runtime"):
            def check():
                deadline = now() + plan["settle_timeout"]
                wait_bonds(directory, plan, deadline)
                probe(directory, plan, deadline)
            moves = t2b_move.apply_runtime(directory, plan, host_run(directory), check, state_root(directory))
        else:
            for argv in plan["stop_team"]:
                run(directory, argv)
            write_plan_files(directory, plan)
            for argv in plan["apply"]:
                if get_state(directory) != "applying":
                    return 1  # the timer's rollback took over
                run(directory, argv)
        deadline = now() + plan["settle_timeout"]
        wait_bonds(directory, plan, deadline)
        bonds_up = now()
        probe(directory, plan, deadline)
    except Exception as exc:  # pylint: disable=broad-except  # any failure, a bug too: roll back, fail closed
        expected = isinstance(exc, (StepFailed, OSError, t2b_move.MoveFailed))
        log(directory, "apply failed: %s" % (exc if expected else traceback.format_exc()))
        if get_state(directory) == "applying":
            rollback(directory, reason="apply failed: %s" % exc, from_timer=False)
        return 1
    with Lock(directory):
        if get_state(directory) == "applying":
            set_state(directory, "applied", applied=now(), apply_seconds=round(now() - started, 2),
                      bond_seconds=round(bonds_up - started, 2), moves=moves)
    return 0


def restore_runtime(directory, plan, deadline):
    for team in plan["restore_runtime"]:
        name = team["team"]
        while not os.path.isdir("/sys/class/net/%s" % name) and now() < deadline:
            time.sleep(0.5)
        if not os.path.isdir("/sys/class/net/%s" % name):
            log(directory, "runtime: %s did not come back" % name)
            continue
        if team.get("mtu") and int(sysfs(name, "mtu")) != team["mtu"]:
            run(directory, ["ip", "link", "set", name, "mtu", str(team["mtu"])], check=False)
        if team.get("mac") and sysfs(name, "address") != team["mac"]:
            run(directory, ["ip", "link", "set", name, "address", team["mac"]], check=False)
        if team.get("master") and link_master(name) != team["master"]:
            run(directory, ["ip", "link", "set", name, "master", team["master"]], check=False)
        run(directory, ["ip", "link", "set", name, "up"], check=False)


def _let_running_rollback_finish(directory, plan):
    """The timer fired while the apply's own rollback runs (a slow host: the lab saw it under load). Stopping
    the apply's unit would cut that restore off half-way; wait for it, and take over only when its unit is
    gone or it hangs (ROLLBACK_WAIT)."""
    unit = "hostnet-t2b-%s.service" % plan["txid"]
    deadline = now() + ROLLBACK_WAIT
    while get_state(directory) == "rolling_back" and now() < deadline:
        active = subprocess.run(["systemctl", "is-active", "--quiet", unit], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                                env=dict(os.environ, **COMMAND_ENV))
        if active.returncode != 0:
            log(directory, "rollback: %s is gone before its rollback finished; taking over" % unit)
            return
        time.sleep(1)


def rollback(directory, reason="timer: no confirmation in time", from_timer=True, at_boot=False):
    plan = read_json(os.path.join(directory, "plan.json"))
    if from_timer and not at_boot and get_state(directory) == "rolling_back":
        _let_running_rollback_finish(directory, plan)
    started = now()
    with Lock(directory):
        state = get_state(directory)
        if state not in PENDING:
            log(directory, "rollback: nothing to do in state %s" % state)
            return 0
        # A rollback that takes over (after a reboot, or from one that died) keeps the first one's reason.
        first = (read_json(os.path.join(directory, "state.json"), {}) or {}).get("reason")
        set_state(directory, "rolling_back", reason=first if state == "rolling_back" and first else reason,
                  rollback_started=started)
    if from_timer and not at_boot:
        # An apply still running must not keep changing the host under the restore.
        run(directory, ["systemctl", "stop", "hostnet-t2b-%s.service" % plan["txid"]], check=False)
    manifest = read_json(os.path.join(directory, "snapshot.json"))
    files_written = (read_json(os.path.join(directory, "state.json"), {}) or {}).get("files_written")
    if not at_boot and plan.get("runtime") and manifest:
        restore(directory, manifest)  # first, so the backend lets go of the bond before its ports move
        for argv in plan.get("rollback_files", []) if files_written else []:
            run(directory, argv, check=False)
    back = None if at_boot else t2b_move.rollback_moves(directory, plan, host_run(directory),
                                                        Exception)  # any failure: the hard way
    if back is not None:
        if not from_timer:
            run(directory, ["systemctl", "stop", timer_unit(plan) + ".timer"], check=False)
        return _rolled_back(directory, started, moves_back=back)
    if not at_boot:
        for argv in plan["rollback_pre"]:
            run(directory, argv, check=False)
    if manifest:
        restore(directory, manifest)
    for argv in plan["rollback_post"]:
        if at_boot:
            # The network services start after the guard and read the restored files; units the
            # transaction disabled are enabled again and queued.
            if argv[:2] == ["systemctl", "enable"]:
                run(directory, argv, check=False)
            elif argv[:2] == ["systemctl", "restart"]:
                run(directory, ["systemctl", "start", "--no-block"] + argv[2:], check=False)
            continue
        run(directory, argv, check=False)
    if not at_boot:
        restore_runtime(directory, plan, now() + 60)
    if not from_timer:
        run(directory, ["systemctl", "stop", timer_unit(plan) + ".timer"], check=False)
    return _rolled_back(directory, started)


def _rolled_back(directory, started, **extra):
    with Lock(directory):
        set_state(directory, "rolled_back", rolled_back=now(), rollback_seconds=round(now() - started, 2), **extra)
    remove_guard_unless_pending(directory)
    return 0


def confirm(directory):
    """Stop the timer, make the team's removal final, drop the snapshot. Returns (ok, message)."""
    plan = read_json(os.path.join(directory, "plan.json"))
    with Lock(directory):
        state = get_state(directory)
        if state != "applied":
            return False, "transaction %s is %s, not applied; nothing confirmed" % (plan["txid"], state)
        run(directory, ["systemctl", "stop", timer_unit(plan) + ".timer"], check=False)
        set_state(directory, "confirmed", confirmed=now())
    errors = []
    for step in plan["commit"]:
        if "remove" in step:
            if os.path.lexists(step["remove"]):
                os.unlink(step["remove"])
                log(directory, "commit: removed %s" % step["remove"])
        else:
            rc, out = run(directory, step["run"], check=False)
            if rc != 0:
                errors.append("%s: rc=%s %s" % (" ".join(step["run"]), rc, out.strip()))
    shutil.rmtree(os.path.join(directory, "snapshot"), ignore_errors=True)
    remove_guard_unless_pending(directory)
    if errors:
        return False, "confirmed, but removing the team configuration failed: " + "; ".join(errors)
    return True, "confirmed"


def boot_guard(roots=(DEFAULT_STATE_DIR,)):
    for directory in pending_transactions(roots):
        rollback(directory, reason="the host restarted before the transaction was confirmed",
                 from_timer=True, at_boot=True)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "boot-guard":
        return boot_guard([os.path.abspath(root) for root in argv[2:]] or [DEFAULT_STATE_DIR])
    if len(argv) != 3 or argv[1] not in ("apply", "rollback", "confirm"):
        sys.stderr.write(__doc__)
        return 2
    directory = os.path.abspath(argv[2])
    if argv[1] == "apply":
        return apply(directory)
    if argv[1] == "rollback":
        return rollback(directory)
    ok, message = confirm(directory)
    sys.stdout.write(message + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
