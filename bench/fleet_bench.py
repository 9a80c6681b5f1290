# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet benchmark: the harden playbook --check over N simulated Docker hosts against ping and setup network.

Each host is a network namespace with a Docker-like topology of about 130 links (tests/integration/fleet.py,
shared with the slice test), reached with ansible_connection=local and an `ip netns exec` interpreter wrapper.
For each N (default 10 50 100) it runs `ansible -m ping`, `ansible -m setup -a gather_subset=network`, the
playbook with --check and default variables, and the same with hostnet_return_state=true; default forks. All
fleets are built first and each round runs every (N, command) pair once, so sizes are interleaved as well as
commands. It prints medians, the controller's peak RSS (the largest process
of the run's tree, from wait4) and the ratios the issue sets targets for, as a Markdown table.

`--single-links 2000` instead times the ad hoc `ansible HOST -m hostnet.dockerhost.netstate_info` on one host
with that many links against ping and setup network (bench/netstate_bench.py, interleaved).
Run as root: `python3 bench/fleet_bench.py --sizes 10 50 100 --repeat 3`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".build" / "collections"
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "bench"))

from fleet import Fleet, ansible_env  # noqa: E402  pylint: disable=wrong-import-position

BIN = Path(sys.executable).parent
COLUMNS = ("ping", "setup network", "playbook --check", "playbook --check, return_state=true")


def commands(inventory, report_dir):
    playbook = [str(BIN / "ansible-playbook"), "-i", inventory, "hostnet.dockerhost.harden_docker_hosts", "--check",
                "-e", "hostnet_report_dir=%s" % report_dir]
    return {
        "ping": [str(BIN / "ansible"), "-i", inventory, "fleet", "-m", "ansible.builtin.ping"],
        "setup network": [str(BIN / "ansible"), "-i", inventory, "fleet", "-m", "ansible.builtin.setup",
                          "-a", "gather_subset=network"],
        "playbook --check": playbook,
        "playbook --check, return_state=true": playbook + ["-e", "hostnet_return_state=true"],
    }


def timed(argv, env, log):
    """(seconds, peak RSS in MB of the largest process of the run) of one command; fails on a non-zero exit."""
    with open(log, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("%s exited %d; see %s" % (" ".join(argv[:5]), proc.returncode, log))
    return elapsed, usage.ru_maxrss / 1024.0


def bench_fleets(sizes, repeat, workdir, env, ports=None, columns=COLUMNS):
    """Medians, peak RSS and links per host for each size; every (size, command) pair runs once per round.

    All fleets are built first and the rounds interleave sizes as well as commands, so a noisy neighbour on the
    machine weighs on every column and every size alike: T(100)/T(50) is a ratio of interleaved runs too.
    """
    fleets = {}
    try:
        for size in sizes:
            started = time.perf_counter()
            fleets[size] = Fleet(size, prefix="hnfb%d-%s" % (size, os.urandom(2).hex()), **({"ports": ports} if ports else {}))
            print("N=%d: %d namespace hosts of %d links built in %.0f s"
                  % (size, size, fleets[size].links("host000"), time.perf_counter() - started), file=sys.stderr)
        argvs = {size: commands(fleets[size].inventory(workdir / ("inventory-%d.ini" % size)),
                                str(workdir / ("report-%d" % size))) for size in sizes}
        times = {(size, label): [] for size in sizes for label in columns}
        rss = {(size, label): [] for size in sizes for label in columns}
        for round_number in range(repeat):
            for size in sizes:
                for label in columns:
                    shutil.rmtree(workdir / ("report-%d" % size), ignore_errors=True)
                    seconds, peak = timed(argvs[size][label], env, workdir / ("last-%d-%s.log" % (size, label.split()[0])))
                    times[size, label].append(seconds)
                    rss[size, label].append(peak)
                    print("  round %d N=%-3d %-36s %6.1f s %6.0f MB" % (round_number + 1, size, label, seconds, peak),
                          file=sys.stderr)
        rows = []
        for size in sizes:
            medians = {label: statistics.median(times[size, label]) for label in columns}
            peaks = {label: max(rss[size, label]) for label in columns}
            rows.append((size, (medians, peaks, fleets[size].links("host000"))))
        return rows
    finally:
        for fleet in fleets.values():
            fleet.delete()


def short_table(rows, repeat):
    """ping against the playbook only (--only-ping-and-playbook): the large fleets' table."""
    print("\nmedian of %d runs (interleaved), seconds; peak RSS: the largest controller process; %s; %d cores; load %s\n"
          % (repeat, time.strftime("%Y-%m-%d"), os.cpu_count(), " ".join("%.1f" % x for x in os.getloadavg())))
    print("| hosts | links/host | ping | playbook --check | playbook / ping | peak RSS (ping) | peak RSS (playbook) |")
    print("|---|---|---|---|---|---|---|")
    for size, (medians, rss, links) in rows:
        print("| %d | %d | %.1f | %.1f | %.2f | %.0f MB | %.0f MB |" % (
            size, links, medians["ping"], medians["playbook --check"], medians["playbook --check"] / medians["ping"],
            rss["ping"], rss["playbook --check"]))


def fleet_table(rows, repeat):
    print("\nmedian of %d interleaved runs, seconds; peak RSS: the largest controller process, MB; %s; %d cores\n"
          % (repeat, time.strftime("%Y-%m-%d"), os.cpu_count()))
    header = ["hosts", "links/host"] + list(COLUMNS)
    header += ["peak RSS (playbook)", "peak RSS (return_state)", "playbook / ping", "playbook / setup"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for size, (medians, rss, links) in rows:
        cells = [str(size), str(links)] + ["%.1f" % medians[label] for label in COLUMNS]
        cells += ["%.0f MB" % rss["playbook --check"], "%.0f MB" % rss["playbook --check, return_state=true"]]
        cells += ["%.2f" % (medians["playbook --check"] / medians["ping"]),
                  "%.2f" % (medians["playbook --check"] / medians["setup network"])]
        print("| " + " | ".join(cells) + " |")
    by_size = {size: medians for size, (medians, _rss, _links) in rows}
    for small, large in ((50, 100), (10, 50)):
        if small in by_size and large in by_size:
            print("\nT(%d) / T(%d): %s" % (large, small, ", ".join(
                "%s %.2f" % (label, by_size[large][label] / by_size[small][label]) for label in COLUMNS)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ports", type=int, nargs=2, metavar=("DOCKER0", "USER_BRIDGE"),
                        help="container veths per host on docker0 and on the user bridge (default 40 20)")
    parser.add_argument("--only-ping-and-playbook", action="store_true",
                        help="time ping and the playbook --check only (large fleets)")
    parser.add_argument("--single-links", type=int, metavar="LINKS",
                        help="time the ad hoc netstate_info on one host with about this many links instead")
    opts = parser.parse_args()
    import netstate_bench  # pylint: disable=import-outside-toplevel

    netstate_bench.prepare()
    if opts.single_links:
        netstate_bench.main(["--sizes", str(opts.single_links), "--repeat", str(opts.repeat)])
        return
    env = ansible_env(COLLECTIONS)
    env["PATH"] = "%s:%s" % (BIN, env.get("PATH", ""))
    workdir = Path(tempfile.mkdtemp(prefix="hostnet-fleet-bench-"))
    try:
        if opts.only_ping_and_playbook:
            short_table(bench_fleets(opts.sizes, opts.repeat, workdir, env, opts.ports, ("ping", "playbook --check")),
                        opts.repeat)
        else:
            fleet_table(bench_fleets(opts.sizes, opts.repeat, workdir, env, opts.ports), opts.repeat)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
