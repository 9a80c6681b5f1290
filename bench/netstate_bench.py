# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: netstate_info against `ansible -m ping` and `setup gather_subset=network`.

For each N it builds a throwaway namespace holding N veth bridge ports (at most 1000 per bridge, the
kernel's BR_MAX_PORTS is 1024) with their peers in a second namespace, then times the ad-hoc commands side
by side, interleaved (each round runs every command once), --repeat rounds, and prints medians and ratios as
a Markdown table. netstate_info runs with its default options (the compact result) and with
return_state=true. Run as root: `make bench` (or `python3 bench/netstate_bench.py --sizes 10 100 --repeat 3`).
The fleet benchmark (N hosts of about 130 links each) is bench/fleet_bench.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".build" / "collections"
PORTS_PER_BRIDGE = 1000


def sh(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def build(ns, peer, ports):
    sh(["ip", "netns", "add", ns])
    sh(["ip", "netns", "add", peer])
    lines = []
    for b in range((ports + PORTS_PER_BRIDGE - 1) // PORTS_PER_BRIDGE):
        lines.append("link add brb%d type bridge" % b)
    for i in range(ports):
        lines.append("link add vb%d type veth peer name pb%d netns %s" % (i, i, peer))
        lines.append("link set vb%d master brb%d" % (i, i // PORTS_PER_BRIDGE))
    sh(["ip", "-n", ns, "-batch", "-"], input="\n".join(lines) + "\n")
    return len(sh(["ip", "-n", ns, "-o", "link", "show"]).stdout.splitlines())


def timed(ns, module, args=None):
    argv = ["ip", "netns", "exec", ns, str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, "-m", module]
    if args:
        argv += ["-a", args]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("%s failed: %s" % (module, proc.stderr))
    return elapsed


COLUMNS = [
    ("ping", "ping", None),
    ("netstate_info", "hostnet.dockerhost.netstate_info", None),
    ("netstate_info (with state)", "hostnet.dockerhost.netstate_info", "return_state=true"),
    ("setup network", "ansible.builtin.setup", "gather_subset=network"),
]


def prepare():
    """Root (the benchmarks create network namespaces) and the checkout linked as the collection."""
    if os.geteuid() != 0:
        raise SystemExit("run as root: the benchmark creates network namespaces")
    link = COLLECTIONS / "ansible_collections" / "hostnet" / "dockerhost"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args(argv)
    prepare()

    rows = []
    for ports in opts.sizes:
        ns = "hnb-%s" % uuid.uuid4().hex[:6]
        peer = ns + "-p"
        try:
            links = build(ns, peer, ports)
            runs = {label: [] for label, _module, _args in COLUMNS}
            for _round in range(opts.repeat):
                # interleaved: a noisy neighbour slows every column of a round, not one column
                for label, module, args in COLUMNS:
                    runs[label].append(timed(ns, module, args))
            medians = {label: statistics.median(values) for label, values in runs.items()}
            rows.append((ports, links, medians))
            print("N=%d done" % ports, file=sys.stderr)
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)
            subprocess.run(["ip", "netns", "del", peer], check=False)

    import ansible  # noqa: E402  (only for the header)

    print("\nmedian of %d interleaved runs, seconds; ansible-core %s, python %s\n" % (
        opts.repeat, ansible.__version__, sys.version.split()[0]))
    header = ["ports N", "links"] + [label for label, _module, _args in COLUMNS]
    header += ["netstate_info / ping", "setup / netstate_info"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for ports, links, m in rows:
        cells = [str(ports), str(links)] + ["%.2f" % m[label] for label, _module, _args in COLUMNS]
        cells += ["%.2f" % (m["netstate_info"] / m["ping"]), "%.1f" % (m["setup network"] / m["netstate_info"])]
        print("| " + " | ".join(cells) + " |")
    if len(rows) >= 2:
        (n0, _links0, a), (n1, _links1, b) = rows[-2], rows[-1]
        extra = (b["netstate_info"] - a["netstate_info"]) / (n1 - n0) * 1000
        print("\nnetstate_info marginal cost between N=%d and N=%d: %.2f ms per port" % (n0, n1, extra))


if __name__ == "__main__":
    main()
