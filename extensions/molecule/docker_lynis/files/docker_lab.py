#!/usr/bin/python3
"""The Docker and lynis half of the docker_lynis scenario, run as root in the guest (JSON out).

    docker_lab.py setup SPEC.json        daemon.json fixed-cidr, enable and start Docker, import the image,
                                         the user network, the docker0 network, the containers (restart
                                         always), then `facts`
    docker_lab.py facts SPEC.json        engine version; per Docker bridge (br0 from daemon.json, docker0,
                                         br-<id>): MAC, addr_assign_type, promisc bit, ports; containers
                                         running and the bridge their veth is in; the published port as
                                         the outside peer reaches it
    docker_lab.py lynis [--capture IF]   `lynis audit system --tests NETW-3015`; the interfaces it warns
                                         about (/var/log/lynis-report.dat). --capture: a dummy link IF with
                                         tcpdump running on it during the test

SPEC is lab.yml's `lab_docker` as JSON. Standard library only; every command an argument list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

IMAGE = "lab/busybox:latest"
REPORT = Path("/var/log/lynis-report.dat")


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), text=True, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"docker_lab: {' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def sysfs(name: str, attr: str) -> str:
    return Path(f"/sys/class/net/{name}/{attr}").read_text().strip()


def master(name: str) -> str | None:
    try:
        return os.path.basename(os.readlink(f"/sys/class/net/{name}/master"))
    except OSError:
        return None


def setup(spec: dict) -> dict:
    daemon = Path("/etc/docker/daemon.json")
    config = json.loads(daemon.read_text())
    config["fixed-cidr"] = spec["fixed_cidr"]
    daemon.write_text(json.dumps(config, indent=2) + "\n")
    started = time.monotonic()
    run("systemctl", "enable", "--now", "--quiet", "docker.service")
    run("systemctl", "start", "lab-docker-image.service")
    docker_seconds = round(time.monotonic() - started, 1)
    run("docker", "network", "create", spec["user_network"])
    run("docker", "network", "create", "-o", "com.docker.network.bridge.name=docker0", spec["docker0_network"])
    httpd = [IMAGE, "httpd", "-f", "-p", "80", "-h", "/var/www"]
    run("docker", "run", "-d", "--name", "web", "--restart", "always", "-p", "8080:80", *httpd)
    run("docker", "run", "-d", "--name", "web-user", "--restart", "always", "--network", spec["user_network"], *httpd)
    run("docker", "run", "-d", "--name", "web-d0", "--restart", "always", "--network", spec["docker0_network"], *httpd)
    return {"docker_start_seconds": docker_seconds, "setup_seconds": round(time.monotonic() - started, 1),
            **facts(spec)}


def engine_bridges() -> dict:
    """{network name: Linux bridge} as the engine says (docker network inspect)."""
    names = run("docker", "network", "ls", "--filter", "driver=bridge", "--format", "{{.Name}}").stdout.split()
    out = {}
    for name in names:
        info = json.loads(run("docker", "network", "inspect", name).stdout)[0]
        bridge = info.get("Options", {}).get("com.docker.network.bridge.name") or "br-" + info["Id"][:12]
        out[name] = bridge
    return out


def bridge_facts(name: str) -> dict | None:
    if not Path(f"/sys/class/net/{name}").exists():
        return None
    return {"mac": sysfs(name, "address"), "addr_assign_type": int(sysfs(name, "addr_assign_type")),
            "promisc": bool(int(sysfs(name, "flags"), 16) & 0x100),
            "promiscuity": json.loads(run("ip", "-j", "-d", "link", "show", "dev", name).stdout)[0].get("promiscuity"),
            "ports": sorted(os.listdir(f"/sys/class/net/{name}/brif"))}


def container_bridges() -> dict:
    """{container: the bridge its host veth is in} for the running containers."""
    out = {}
    links = json.loads(run("ip", "-j", "link", "show").stdout)
    master_of = {str(link["ifindex"]): link.get("master") for link in links}
    for name in run("docker", "ps", "--format", "{{.Names}}").stdout.split():
        pid = run("docker", "inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
        # "eth0@if12: ..." inside the container's namespace: 12 is the host end's ifindex.
        line = run("nsenter", "-t", pid, "-n", "ip", "-o", "link", "show", "eth0", check=False).stdout
        iflink = line.split(":", 2)[1].strip().partition("@if")[2] if line.count(":") >= 2 else ""
        out[name] = master_of.get(iflink)
    return out


def reach(spec: dict, attempts: int = 5) -> dict:
    pub = spec["published"]
    for attempt in range(1, attempts + 1):
        # (busybox 1.35's static wget segfaults with -T; timeout bounds it instead)
        proc = run("ip", "netns", "exec", pub["peer_ns"], "timeout", "20", "busybox", "wget", "-q", "-O", "-",
                   pub["url"], check=False)
        if proc.returncode == 0 and pub["body"] in proc.stdout:
            return {"url": pub["url"], "ok": True, "attempts": attempt}
        time.sleep(2)
    return {"url": pub["url"], "ok": False, "attempts": attempts, "error": proc.stderr.strip()[-300:]}


def facts(spec: dict) -> dict:
    networks = engine_bridges()
    bridges = {name: bridge_facts(name) for name in sorted(set(networks.values()) | {"br0", "docker0"})}
    return {"version": run("docker", "version", "--format", "{{.Server.Version}}").stdout.strip(),
            "daemon_json": json.loads(Path("/etc/docker/daemon.json").read_text()),
            "networks": networks, "bridges": bridges, "containers": container_bridges(), "published": reach(spec)}


def lynis(capture: str | None) -> dict:
    tcpdump = None
    if capture:
        if not Path(f"/sys/class/net/{capture}").exists():
            run("ip", "link", "add", capture, "type", "dummy")
        run("ip", "link", "set", capture, "up")
        tcpdump = subprocess.Popen(["tcpdump", "-i", capture, "-w", "/dev/null"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not int(sysfs(capture, "flags"), 16) & 0x100 and time.monotonic() < deadline:
            time.sleep(0.5)
    started = time.monotonic()
    try:
        # Only the networking group's file and no plugins: otherwise lynis registers (and logs skipping) every
        # test of every group, about 20 min under emulation.
        proc = run("lynis", "audit", "system", "--tests", "NETW-3015", "--tests-from-group", "networking",
                   "--no-plugins", "--quick", "--no-colors", check=False)
    finally:
        if tcpdump:
            tcpdump.terminate()
            tcpdump.wait(30)
    warnings = [line.split("=", 1)[1] for line in REPORT.read_text().splitlines() if line.startswith("warning[]=")]
    netw = [w.split("|") for w in warnings if w.startswith("NETW-3015|")]
    log = Path("/var/log/lynis.log").read_text(errors="replace").splitlines()
    return {"rc": proc.returncode, "seconds": round(time.monotonic() - started, 1),
            "reported": sorted(fields[2] for fields in netw if len(fields) > 2), "warnings": warnings,
            "log": [line.split(" ", 2)[-1] for line in log if "romiscuous" in line]}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "lynis":
        capture = argv[3] if argv[2:3] == ["--capture"] else None
        print(json.dumps(lynis(capture)))
        return 0
    spec = json.loads(Path(argv[2]).read_text())
    if argv[1] == "setup":
        print(json.dumps(setup(spec)))
    elif argv[1] == "facts":
        print(json.dumps(facts(spec)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main(sys.argv))
