# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outage of a team -> bond migration and of its rollback, measured from outside, per bridge.

Boots a lab guest (tests/lab/labctl), builds the t2b topology (extensions/molecule/t2b_<backend>/prepare.yml:
team0 lacp fast -> br0, team1 activebackup -> br1, a container behind each bridge, an outside peer pinging it
50 times a second), then runs ROUNDS rounds of bench/t2b_outage_bench.yml: migrate without confirming (the
move's gap), let the host roll back by itself (the way back's gap). Prints a Markdown table: per backend,
bridge and direction the median and worst longest gap and the pings lost, plus the machine's load.

    HOSTNET_LAB_CACHE=... python bench/t2b_outage_bench.py [--flavour bookworm-networkd] [--rounds 3]
        [--lacp-wait 0] [--keep]

Needs the lab (tests/lab/README.md) and ANSIBLE_COLLECTIONS_PATH pointing at this collection (make collection).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABCTL = [sys.executable, os.path.join(REPO, "tests", "lab", "labctl")]
ROWS = (("team0/br0", "lacp (fast) -> 802.3ad"), ("team1/br1", "activebackup -> active-backup"))


def sh(argv, **kw):
    return subprocess.run(argv, check=True, text=True, **kw)


def inventory(guest, path):
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"all": {"hosts": {guest["name"]: {
            "ansible_host": guest["address"], "ansible_port": guest["port"], "ansible_user": guest["user"],
            "ansible_ssh_private_key_file": guest["ssh_key"], "ansible_python_interpreter": "/usr/bin/python3",
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}}}}, out)


def playbook(inv, play, scenario, extra=()):
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false",
               MOLECULE_SCENARIO_DIRECTORY=os.path.join(REPO, "extensions", "molecule", scenario))
    sh(["ansible-playbook", "-i", inv, play] + list(extra), env=env, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flavour", default="bookworm-networkd")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lacp-wait", type=float, default=0.0)
    parser.add_argument("--keep", action="store_true", help="leave the guest running")
    args = parser.parse_args()
    backend = "nm" if args.flavour.endswith("-nm") else "networkd"
    scenario = "t2b_" + backend
    name = "bench-t2b-" + args.flavour
    load = [os.getloadavg()[0]]
    guest = json.loads(sh(LABCTL + ["up", args.flavour, "--name", name], stdout=subprocess.PIPE).stdout.splitlines()[-1])
    inv = "/tmp/%s.inventory.json" % name
    inventory(guest, inv)
    results = []
    try:
        playbook(inv, os.path.join(REPO, "extensions", "molecule", "t2b_networkd", "prepare.yml"), scenario)
        for n in range(args.rounds):
            playbook(inv, os.path.join(REPO, "bench", "t2b_outage_bench.yml"), scenario,
                     ["-e", "t2b_bench_round=%d" % n, "-e", "t2b_bench_lacp_wait=%s" % args.lacp_wait])
            out = sh(LABCTL + ["ssh", name, "cat", "/root/t2b-bench-%d.json" % n], stdout=subprocess.PIPE).stdout
            results.append(json.loads(out))
            load.append(os.getloadavg()[0])
    finally:
        if not args.keep:
            subprocess.run(LABCTL + ["down", name], check=False)
    print("t2b outage bench, %s, %s (%s rounds, lacp_wait %g s), machine load average %.1f-%.1f on %d cores" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), args.flavour, args.rounds, args.lacp_wait,
        min(load), max(load), os.cpu_count()))
    print()
    print("| backend | bridge (team -> bond) | direction | longest gap median | worst | lost pings (50/s) median | worst |")
    print("|---|---|---|---|---|---|---|")
    for label, what in ROWS:
        for direction in ("forward", "back"):
            gaps = [r[direction][label]["longest_gap"] for r in results]
            lost = [r[direction][label]["lost"] or 0 for r in results]
            print("| %s | %s %s | %s | %.2f s | %.2f s | %d | %d |" % (
                backend, label.split("/")[1], what, "migration" if direction == "forward" else "rollback",
                statistics.median(gaps), max(gaps), statistics.median(lost), max(lost)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
