# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge benchmark: the merge_reports playbook over S slices of H hosts (default 100 x 100 = 10,000 host files).

Writes S slice report directories as harden_docker_hosts writes them (report.json, junit.xml, report.md,
summary.txt, hosts/<host>.json) through the collection's own pipeline, from made-up host results of the shape
netstate_info returns: a third of the hosts compliant, the rest with one to three findings (a bridge MAC, a
promiscuous port, forwarding) and their topology, a few failed. Then runs
`ansible-playbook hostnet.dockerhost.merge_reports` on them --repeat times and prints the median wall time and
the peak RSS of the largest process (wait4), as a Markdown table row.

    python bench/merge_bench.py --slices 100 --hosts 100 --repeat 3
    python bench/merge_bench.py --generate /tmp/slices     # only write the slices (to time the command yourself)
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
sys.path.insert(0, str(COLLECTIONS))

# pylint: disable=wrong-import-position
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet, report_pipeline  # noqa: E402

BIN = Path(sys.executable).parent


def host_result(index):
    """A lean netstate_info result: compliant, or one to three findings with the host's topology."""
    audited = {"links": 131, "bridges": 3, "bonds": 1, "teams": 0, "nothing_to_audit": False,
               "docker": {"present": True, "running": True, "version": "20.10.24", "bridges": 2},
               "networkd": {"running": True, "version": 252},
               "description": "read 131 links: 3 bridges, 1 bond, Docker 20.10.24 with 2 bridges, systemd-networkd 252 running"}
    checks = ["promisc", "bridge_mac", "forwarding", "networkd", "capture"]
    result = {"checks": checks, "audited": audited, "unknown_interfaces": {}, "audit_warnings": [], "findings": []}
    if index % 3 == 0:
        result.update(compliant=True, summary={"error": 0, "warning": 0, "info": 0})
        return result
    findings = [{"id": "bridge_mac_inherited", "check": "bridge_mac", "severity": "error", "interface": "br0",
                 "current": {"mac": "02:42:ac:11:00:%02x" % (index % 256), "addr_assign_type": 1, "lowest_port": "veth1",
                             "lowest_port_kind": "veth", "lowest_port_mac": "02:42:ac:11:00:02",
                             "mac_if_lowest_port_leaves": "02:42:ac:11:00:03"},
                 "expected": {"addr_assign_type": 3},
                 "remediation": "ip link set dev br0 address 02:42:ac:11:00:02  # keeps the current MAC",
                 "why": "br0 has no MAC of its own, so it takes the lowest MAC of its ports."}]
    if index % 3 == 2:
        findings.append({"id": "lag_port_not_promisc", "check": "promisc", "severity": "error", "interface": "eno1",
                         "current": {"effective_promisc": False, "promisc_flag": False, "promiscuity": 0, "lag": "bond0"},
                         "expected": {"effective_promisc": True},
                         "remediation": "ip link set dev eno1 promisc on", "why": "eno1 is a port of bond0 under br0."})
    if index % 7 == 0:
        findings.append({"id": "interface_forwarding_off", "check": "forwarding", "severity": "warning",
                         "interface": "docker0", "current": {"forwarding": False}, "expected": {"forwarding": True},
                         "remediation": "sysctl -w net.ipv4.conf.docker0.forwarding=1", "why": "docker0 carries traffic."})
    result.update(compliant=False, summary={"error": 1, "warning": 0, "info": 0}, findings=findings, topology={
        "bridges": [{"name": "br0", "veths": 40, "ports": [{"name": "bond0", "kind": "bond", "ports": ["eno0", "eno1"]}]},
                    {"name": "docker0", "veths": 20, "ports": []}]})
    return result


def write_slices(root, slices, hosts):
    directories = []
    for number in range(slices):
        directory = root / ("slice-%03d" % number)
        (directory / fleet.HOSTS_DIR).mkdir(parents=True)
        run_id = fleet.new_run_id()
        results = {}
        for offset in range(hosts):
            index = number * hosts + offset
            host = "host%05d.example.net" % index
            results[host] = {"failed": True, "msg": "unreachable"} if index % 97 == 0 else host_result(index)
            document = fleet.host_document(host, run_id, results[host])
            (directory / fleet.HOSTS_DIR / fleet.host_file_name(host)).write_text(fleet.to_json(document))
        value = report_pipeline.from_host_files(str(directory), list(results), run_id)
        for name, text in report_pipeline.render_files(value, str(directory)).items():
            (directory / name).write_text(text)
        directories.append(directory)
    return directories


def timed(argv, env):
    """(seconds, peak RSS in MB of the largest process of the run), failing on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("%s failed: %s" % (" ".join(argv[:3]), proc.stderr.read().decode()[-2000:]))
    return elapsed, usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=100, help="hosts per slice")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generate", metavar="DIR", help="only write the slices into DIR")
    opts = parser.parse_args()
    root = Path(opts.generate or tempfile.mkdtemp(prefix="hostnet-merge-bench-"))
    started = time.perf_counter()
    write_slices(root, opts.slices, opts.hosts)
    print("%d slices of %d hosts written in %.0f s" % (opts.slices, opts.hosts, time.perf_counter() - started),
          file=sys.stderr)
    if opts.generate:
        return
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    argv = [str(BIN / "ansible-playbook"), "hostnet.dockerhost.merge_reports",
            "-e", '{"hostnet_merge_from": ["%s/slice-*"]}' % root, "-e", "hostnet_report_dir=%s/merged" % root]
    try:
        runs = []
        for _round in range(opts.repeat):
            shutil.rmtree(root / "merged", ignore_errors=True)
            runs.append(timed(argv, env))
        print("| slices x hosts | host files | merge playbook, median s | peak RSS | date | cores |")
        print("|---|---|---|---|---|---|")
        print("| %d x %d | %d | %.1f | %.0f MB | %s | %d |" % (
            opts.slices, opts.hosts, opts.slices * opts.hosts, statistics.median(seconds for seconds, _peak in runs),
            max(peak for _seconds, peak in runs), time.strftime("%Y-%m-%d"), os.cpu_count()))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
