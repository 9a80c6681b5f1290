# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team->bond rollout of harden_docker_hosts over five namespace hosts, the real playbook and the real role.

The local kernel has no team driver, so a host has nothing to migrate - except that one host is given
``team_to_bond_teams: [team9]``, a team it does not have: the real team_to_bond module fails there, as it does
on a host whose team is gone. Each host's Python is a wrapper that logs, with the host's clock, when each module
started and ended on it: that log - not the playbook's own words - shows which hosts the migration ran on, in
which order, and that batches never overlapped.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import COLLECTIONS, _ensure_collection_path, private_host, tree_state
from fleet import Fleet, ansible_env

HOSTS = ["host000", "host001", "host002", "host003", "host004"]
FAILING_TEAM = "team9"


@pytest.fixture(scope="module")
def fleet():
    _ensure_collection_path()
    hosts = Fleet(len(HOSTS))
    try:
        for host, ns in hosts.hosts.items():
            log = hosts.dir / ("modules-%s.log" % host)
            # the module's file name is its only argument (pipelining is off below)
            (hosts.dir / ("python-%s" % host)).write_text(
                '#!/bin/sh\necho "start $(date +%%s.%%N) $(basename "$1")" >> %s\n'
                'ip netns exec %s %s "$@"\nrc=$?\necho "end $(date +%%s.%%N) $(basename "$1")" >> %s\nexit $rc\n'
                % (log, ns, hosts.python, log))
        yield hosts
    finally:
        hosts.delete()


def run_rollout(fleet, tmp_path, failing, *extra, check=False):
    """The harden playbook with hostnet_team_to_bond=true over the fleet, in a private /etc and /var/lib; each
    host with its own team_to_bond state directory; ``failing``: the host given a team it does not have."""
    for log in fleet.dir.glob("modules-*.log"):
        log.unlink()
    inventory = Path(fleet.inventory(tmp_path / "inventory.ini"))
    state = tmp_path / "state"
    lines = []
    for line in inventory.read_text().splitlines():
        host = line.split()[0]
        if host in fleet.hosts:
            line += " team_to_bond_state_dir=%s" % (state / host)
            if host == failing:
                line += " team_to_bond_teams='[\"%s\"]'" % FAILING_TEAM
        lines.append(line)
    inventory.write_text("\n".join(lines) + "\n")
    _etc, _varlib, wrap = private_host(tmp_path)
    report_dir = tmp_path / "report"
    env = dict(ansible_env(COLLECTIONS), ANSIBLE_PIPELINING="False")
    argv = wrap + [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                   "hostnet.dockerhost.harden_docker_hosts", "-e", "hostnet_report_dir=%s" % report_dir,
                   "-e", "hostnet_team_to_bond=true", "-e", "hostnet_persist=false"] + list(extra)
    if check:
        argv.append("--check")
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return proc, report_dir, state


def module_runs(fleet, host, module):
    """[(start, end)] of each run of ``module`` on ``host``, from the host's own log."""
    path = fleet.dir / ("modules-%s.log" % host)
    runs, started = [], {}
    for line in path.read_text().splitlines() if path.exists() else []:
        event, stamp, name = line.split(" ", 2)
        if name != "AnsiballZ_%s.py" % module:
            continue
        if event == "start":
            started[name] = float(stamp)
        else:
            runs.append((started.pop(name), float(stamp)))
    return runs


def links(fleet, host):
    out = subprocess.run(["ip", "-n", fleet.hosts[host], "-d", "-j", "link", "show"], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    # not the flags: a bridge's carrier follows its ports' on the kernel's own time
    return {link["ifname"]: (link.get("address"), link.get("master"), link.get("promiscuity"),
                             link.get("linkinfo", {}).get("info_kind")) for link in json.loads(out)}


def read_report(report_dir):
    report = json.loads((report_dir / "report.json").read_text())
    return report, {host: report["hosts"][host].get("migration") for host in HOSTS}


def assert_ran_after_the_report(proc, failing):
    """The run exits non-zero, and the failing host fails only in the last play, after the report was built (its
    failing migration step was rescued and recorded)."""
    assert proc.returncode != 0, proc.stdout
    last_play = proc.stdout.index("PLAY [Write the fleet report")
    assert proc.stdout.index("fatal: [%s]" % failing, last_play) > proc.stdout.index("TASK [Build the fleet report"), \
        proc.stdout
    assert re.search(r"(?m)^%s +: .* failed=1 .* rescued=1 " % failing, proc.stdout), proc.stdout
    for host in set(HOSTS) - {failing}:
        assert re.search(r"(?m)^%s +: .* unreachable=0 +failed=0 " % host, proc.stdout), proc.stdout


def test_one_host_at_a_time_stops_at_the_failing_host_and_leaves_the_rest_untouched(fleet, tmp_path):
    before = {host: links(fleet, host) for host in HOSTS}
    proc, report_dir, state = run_rollout(fleet, tmp_path, "host002", "-e", '{"hostnet_checks": ["promisc"]}',
                                          "-e", "hostnet_serial=1")
    assert_ran_after_the_report(proc, "host002")
    report, migration = read_report(report_dir)

    # host000 and host001 ran the migration step, one batch each, in inventory order
    for number, host in enumerate(["host000", "host001"], start=1):
        assert migration[host]["status"] == "nothing_to_migrate", migration[host]
        assert (migration[host]["batch"], migration[host]["batch_hosts"]) == (number, [host])
    # the failing host: failed, with the module's own reason; the host is a failed host of the report
    assert migration["host002"]["status"] == "failed"
    assert "no such team on this host: %s" % FAILING_TEAM in migration["host002"]["reason"]
    assert (migration["host002"]["batch"], migration["host002"]["batch_hosts"]) == (3, ["host002"])
    assert report["hosts"]["host002"]["status"] == "audit_failed"
    assert report["summary"]["failed_hosts"] == ["host002"]
    assert "the rollout stopped here" in report["hosts"]["host002"]["msg"]
    # every later host: not attempted, and why
    for host in ("host003", "host004"):
        assert migration[host] == {"status": "not_attempted", "reason": "rollout stopped after host002 failed"}

    # the hosts' own logs: team_to_bond ran on host000, host001, host002 - in that order, never overlapping -
    # and never on host003 or host004
    runs = {host: module_runs(fleet, host, "team_to_bond") for host in HOSTS}
    assert [len(runs[host]) for host in HOSTS] == [1, 1, 1, 0, 0], runs
    assert runs["host000"][0][1] < runs["host001"][0][0] and runs["host001"][0][1] < runs["host002"][0][0]
    # ... and each batch's step (controller clock) ended before the next one started
    steps = [migration[host] for host in ("host000", "host001", "host002")]
    for earlier, later in zip(steps, steps[1:]):
        assert earlier["started"] < earlier["ended"] <= later["started"] < later["ended"]
    # nothing was written under any host's state directory, and no link of any host changed
    assert not state.exists()
    assert {host: links(fleet, host) for host in HOSTS} == before

    # the audit covered every host, and the hosts after the stop were still audited (twice: before and after
    # the fixes, which stay parallel) and reported
    for host in HOSTS:
        assert len(module_runs(fleet, host, "netstate_info")) == (1 if host == "host002" else 2), host
    for host in ("host000", "host001", "host003", "host004"):
        assert report["hosts"][host]["status"] == "compliant", report["hosts"][host]
        assert report["hosts"][host]["enforced"]["team_to_bond"] == []

    markdown = (report_dir / "report.md").read_text()
    summary = (report_dir / "summary.txt").read_text()
    for text in (markdown, summary):
        assert "rollout stopped after host002 failed" in text
        assert "no such team on this host: %s" % FAILING_TEAM in text


def test_a_canary_then_percentage_batches_stop_after_the_batch_that_failed(fleet, tmp_path):
    """hostnet_canary=1, hostnet_serial=50%: batches [host000], [host001, host002], [host003, host004]. host002
    fails in the second batch: host001, in the same batch, is still attempted; the third batch is not."""
    tree_before = tree_state(fleet.dir)
    proc, report_dir, state = run_rollout(fleet, tmp_path, "host002", "-e", '{"hostnet_checks": ["promisc"]}',
                                          "-e", "hostnet_canary=1", "-e", "hostnet_serial=50%")
    assert_ran_after_the_report(proc, "host002")
    _report, migration = read_report(report_dir)
    assert (migration["host000"]["batch"], migration["host000"]["batch_hosts"]) == (1, ["host000"])
    for host in ("host001", "host002"):
        assert (migration[host]["batch"], migration[host]["batch_hosts"]) == (2, ["host001", "host002"])
    assert migration["host001"]["status"] == "nothing_to_migrate"
    assert migration["host002"]["status"] == "failed"
    for host in ("host003", "host004"):
        assert migration[host] == {"status": "not_attempted", "reason": "rollout stopped after host002 failed"}
    runs = {host: module_runs(fleet, host, "team_to_bond") for host in HOSTS}
    assert [len(runs[host]) for host in HOSTS] == [1, 1, 1, 0, 0], runs
    # the canary finished before the second batch started
    assert runs["host000"][0][1] < min(runs["host001"][0][0], runs["host002"][0][0])
    assert not state.exists()
    assert set(tree_state(fleet.dir)) - set(tree_before) <= {str(fleet.dir / ("modules-%s.log" % h)) for h in HOSTS}


def test_check_mode_plans_every_host_at_once_and_changes_nothing(fleet, tmp_path):
    before = {host: links(fleet, host) for host in HOSTS}
    proc, report_dir, state = run_rollout(fleet, tmp_path, "host003", "-e", "hostnet_serial=2", check=True)
    assert_ran_after_the_report(proc, "host003")
    _report, migration = read_report(report_dir)
    # one batch planned every host; each record names the batch a run would use
    expected_batches = {"host000": 1, "host001": 1, "host002": 2, "host003": 2, "host004": 3}
    for host in HOSTS:
        assert migration[host]["batch"] == expected_batches[host], migration[host]
        assert migration[host]["status"] == ("failed" if host == "host003" else "nothing_to_migrate"), migration[host]
    assert "a run would stop the rollout here" in _report["hosts"]["host003"]["msg"]
    runs = {host: module_runs(fleet, host, "team_to_bond") for host in HOSTS}
    assert all(len(runs[host]) == 1 for host in HOSTS), runs
    starts, ends = [runs[h][0][0] for h in HOSTS], [runs[h][0][1] for h in HOSTS]
    assert max(starts) < min(ends)  # all at once (forks=5 by default)
    assert not state.exists()
    assert {host: links(fleet, host) for host in HOSTS} == before


@pytest.mark.parametrize("variable, value, message", [
    ("hostnet_serial", "0", "hostnet_serial: '0' would put no host in a batch"),
    ("hostnet_serial", "12.5%", "hostnet_serial: '12.5%' is not a batch size"),
    ("hostnet_canary", "-1", "hostnet_canary: '-1' is not a number of hosts"),
])
def test_rollout_variables_are_checked_before_any_host_is_touched(fleet, tmp_path, variable, value, message):
    proc, report_dir, _state = run_rollout(fleet, tmp_path, None, "-e", "%s=%s" % (variable, value))
    assert proc.returncode != 0 and message in proc.stdout, proc.stdout
    assert "PLAY [Audit Docker host networking]" not in proc.stdout
    assert not report_dir.exists()
    assert not list(fleet.dir.glob("modules-*.log"))  # no module ran on any host
