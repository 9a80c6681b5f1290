#!/usr/bin/python3
"""Build a Docker-host network topology inside a lab guest from veths and namespaces.

    labnet.py build SPEC.json      create everything the spec describes (idempotent: fails if it exists)
    labnet.py ping NS ADDR         one reachability probe from a namespace (exit status = result)
    labnet.py churn SPEC.json      containers join and leave bridges; record the bridges' MACs (JSON out)
    labnet.py truth SPEC.json      the ground truth verify compares the audit with (JSON out)

Runs as root in the guest, standard library only; every command is an argument list, never a shell
string. Names come from the spec; nothing here assumes eno*/team0/br0.

Spec (JSON; the molecule scenarios keep it as YAML in `lab_topology`):

  modules: [bonding, team]
  kernel_macs: [brx, "va*"]         # these keep kernel-random MACs (udev MACAddressPolicy=none)
  docker: true                      # write /etc/docker/daemon.json: the audit treats the host as Docker host
  sysctl: {"net.ipv4.ip_forward": "1"}
  switches: [{ns, address, lacp: bool}]          # the "outside": a bridge `sw` in NS with the peer address;
                                                 # lacp: the LAG partner ends form a 802.3ad bond first
  bridges: [{name, mac?, address?, manager: ip|nm|networkd, network: {Key: value}?}]
  lags: [{name, kind: bond|team, mode, ports: [..], switch, bridge, mac?, primary?, manager: ip|nm}]
  containers: [{ns, bridge, host_if, address}]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SWITCH_BRIDGE = "sw"
PARTNER_BOND = "partner"


def run(*argv: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), text=True, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"labnet: {' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["ip", "netns", "exec", ns] if ns else []
    return run(*prefix, "ip", *args, check=check)


def peer_name(port: str) -> str:
    # The switch-side end of a LAG port's cable; lives in the switch namespace.
    return ("p-" + port)[:15]


def link_json(name: str, ns: str | None = None) -> dict:
    prefix = ["ip", "netns", "exec", ns] if ns else []
    out = run(*prefix, "ip", "-j", "-d", "link", "show", "dev", name).stdout
    return json.loads(out)[0]


def sysfs(name: str, attr: str) -> str:
    return Path(f"/sys/class/net/{name}/{attr}").read_text().strip()


# ----------------------------------------------------------------------------------------- build


def build_switch(sw: dict, lags: list[dict]) -> None:
    ns = sw["ns"]
    run("ip", "netns", "add", ns)
    ip("link", "set", "lo", "up", ns=ns)
    ip("link", "add", SWITCH_BRIDGE, "type", "bridge", ns=ns)
    ip("link", "set", SWITCH_BRIDGE, "up", ns=ns)
    ip("addr", "add", sw["address"], "dev", SWITCH_BRIDGE, ns=ns)
    if sw.get("lacp"):
        # The LACP partner: a 802.3ad bond over the switch-side ends, fast rate so it converges quickly.
        ip("link", "add", PARTNER_BOND, "type", "bond", "mode", "802.3ad", "lacp_rate", "fast",
           "miimon", "100", ns=ns)
        ip("link", "set", PARTNER_BOND, "master", SWITCH_BRIDGE, ns=ns)
    for lag in lags:
        if lag["switch"] != ns:
            continue
        for port in lag["ports"]:
            ip("link", "add", port, "type", "veth", "peer", "name", peer_name(port), "netns", ns)
            upper = PARTNER_BOND if sw.get("lacp") else SWITCH_BRIDGE
            ip("link", "set", peer_name(port), "master", upper, ns=ns)
            ip("link", "set", peer_name(port), "up", ns=ns)
    if sw.get("lacp"):
        ip("link", "set", PARTNER_BOND, "up", ns=ns)


def build_bridge(br: dict) -> None:
    manager = br.get("manager", "ip")
    if manager == "nm":
        args = ["nmcli", "connection", "add", "type", "bridge", "con-name", br["name"], "ifname", br["name"],
                "bridge.stp", "no", "ipv4.method", "disabled", "ipv6.method", "disabled"]
        if br.get("mac"):
            args += ["bridge.mac-address", br["mac"]]
        run(*args)
        run("nmcli", "connection", "up", br["name"])
        return
    ip("link", "add", br["name"], "type", "bridge", "stp_state", "0", "forward_delay", "0")
    settle_udev()
    if br.get("mac"):
        ip("link", "set", br["name"], "address", br["mac"])
    if manager == "networkd":
        lines = ["# written by the hostnet lab (labnet.py)", "[Match]", f"Name={br['name']}", "", "[Network]",
                 "LinkLocalAddressing=no", "IPv6AcceptRA=no", "ConfigureWithoutCarrier=yes"]
        lines += [f"{key}={value}" for key, value in br.get("network", {}).items()]
        if br.get("address"):
            lines.append(f"Address={br['address']}")
        path = Path(f"/etc/systemd/network/50-lab-{br['name']}.network")
        path.write_text("\n".join(lines) + "\n")
    else:
        if br.get("address"):
            ip("addr", "add", br["address"], "dev", br["name"])
        ip("link", "set", br["name"], "up")


def build_lag(lag: dict) -> None:
    name, kind, mode, ports = lag["name"], lag["kind"], lag["mode"], lag["ports"]
    manager = lag.get("manager", "ip")
    if manager == "nm":
        build_lag_nm(lag)
        return
    if kind == "bond":
        args = ["link", "add", name, "type", "bond", "mode", mode, "miimon", "100"]
        if mode == "802.3ad":
            args += ["lacp_rate", "fast"]
        ip(*args)
        settle_udev()
        if lag.get("mac"):
            ip("link", "set", name, "address", lag["mac"])
        for port in ports:
            ip("link", "set", port, "master", name)
        if lag.get("primary"):
            ip("link", "set", name, "type", "bond", "primary", lag["primary"])
    elif kind == "team":
        config = {"device": name, "runner": {"name": mode}, "link_watch": {"name": "ethtool"}}
        if mode == "lacp":
            config["runner"].update({"active": True, "fast_rate": True})
        run("teamd", "-d", "-r", "-t", name, "-c", json.dumps(config))
        wait_for(lambda: Path(f"/sys/class/net/{name}").exists(), f"team {name}")
        settle_udev()
        for port in ports:
            run("teamdctl", name, "port", "add", port)
        if lag.get("mac"):
            # After the ports: teamd gives the team its first port's MAC when that port joins.
            ip("link", "set", name, "address", lag["mac"])
    else:
        raise SystemExit(f"labnet: unknown LAG kind {kind!r}")
    ip("link", "set", name, "master", lag["bridge"])
    for port in ports:
        ip("link", "set", port, "up")
    ip("link", "set", name, "up")


def build_lag_nm(lag: dict) -> None:
    name, kind, mode, ports = lag["name"], lag["kind"], lag["mode"], lag["ports"]
    args = ["nmcli", "connection", "add", "type", kind, "con-name", name, "ifname", name,
            "connection.master", lag["bridge"], "connection.slave-type", "bridge"]
    if kind == "team":
        config = {"runner": {"name": mode}, "link_watch": {"name": "ethtool"}}
        if mode == "lacp":
            config["runner"].update({"active": True, "fast_rate": True})
        args += ["team.config", json.dumps(config)]
    else:
        args += ["bond.options", f"mode={mode},miimon=100" + (",lacp_rate=fast" if mode == "802.3ad" else "")]
    if lag.get("mac"):
        args += ["ethernet.cloned-mac-address", lag["mac"]]
    run(*args)
    for port in ports:
        # NetworkManager leaves veths it did not create unmanaged; these play the host's NICs.
        run("nmcli", "device", "set", port, "managed", "yes")
        run("nmcli", "connection", "add", "type", "ethernet", "con-name", f"{name}-{port}", "ifname", port,
            "connection.master", name, "connection.slave-type", kind)
    run("nmcli", "connection", "up", name)
    for port in ports:
        run("nmcli", "connection", "up", f"{name}-{port}")


def attach_container(ctr: dict) -> None:
    ns, host_if = ctr["ns"], ctr["host_if"]
    if not Path(f"/run/netns/{ns}").exists():
        run("ip", "netns", "add", ns)
        ip("link", "set", "lo", "up", ns=ns)
    # Like Docker: a veth pair with kernel-random MACs, one end renamed eth0 inside the container.
    ip("link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", ns)
    settle_udev()
    ip("link", "set", host_if, "master", ctr["bridge"])
    ip("link", "set", host_if, "up")
    ip("addr", "add", ctr["address"], "dev", "eth0", ns=ns)
    ip("link", "set", "eth0", "up", ns=ns)
    if ctr.get("gateway"):
        ip("route", "add", "default", "via", ctr["gateway"], ns=ns)


def detach_container(ctr: dict) -> None:
    ip("link", "del", ctr["host_if"], check=False)
    run("ip", "netns", "del", ctr["ns"], check=False)


def wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"labnet: timed out waiting for {what}")
        time.sleep(0.5)


def settle_udev() -> None:
    # systemd-udevd gives new virtual links a MAC of its own (MACAddressPolicy=persistent, addr_assign_type
    # 3) shortly after they appear; let it finish before a MAC is set here, or it overwrites ours.
    run("udevadm", "settle", "--timeout=30", check=False)


def keep_kernel_macs(patterns: list[str]) -> None:
    """Links matching these names keep the kernel's random MAC (addr_assign_type 1), as on hosts whose
    udev MACAddressPolicy is none, or where links appear before udev runs: the bridges that drift."""
    text = ("# written by the hostnet lab (labnet.py)\n[Match]\nOriginalName=" + " ".join(patterns) +
            "\n\n[Link]\nMACAddressPolicy=none\n")
    Path("/etc/systemd/network/00-lab-kernel-mac.link").write_text(text)
    run("udevadm", "control", "--reload")


def build(spec: dict) -> None:
    if spec.get("kernel_macs"):
        keep_kernel_macs(spec["kernel_macs"])
    for module in spec.get("modules", []):
        run("modprobe", module)
    for key, value in spec.get("sysctl", {}).items():
        run("sysctl", "-q", "-w", f"{key}={value}")
    if spec.get("docker"):
        Path("/etc/docker").mkdir(exist_ok=True)
        Path("/etc/docker/daemon.json").write_text("{}\n")
    for br in spec.get("bridges", []):
        build_bridge(br)
    if any(br.get("manager") == "networkd" for br in spec.get("bridges", [])):
        run("networkctl", "reload")
    for sw in spec.get("switches", []):
        build_switch(sw, spec.get("lags", []))
    for lag in spec.get("lags", []):
        build_lag(lag)
    for ctr in spec.get("containers", []):
        attach_container(ctr)
    settle(spec)


def settle(spec: dict) -> None:
    """Wait until LAGs carry traffic: LACP partners agree, every LAG is up."""
    for lag in spec.get("lags", []):
        wait_for(lambda lag=lag: sysfs(lag["name"], "operstate") == "up", f"{lag['name']} up", 120)
    for sw in spec.get("switches", []):
        if sw.get("lacp"):
            wait_for(lambda sw=sw: lacp_partner_agrees(sw["ns"]), f"LACP in {sw['ns']}", 120)
    for br in spec.get("bridges", []):
        if br.get("manager") == "networkd":
            wait_for(lambda br=br: networkd_configured(br["name"]), f"networkd on {br['name']}", 120)


def lacp_partner_agrees(ns: str) -> bool:
    text = run("ip", "netns", "exec", ns, "cat", f"/proc/net/bonding/{PARTNER_BOND}").stdout
    # Both partner ports in the same aggregator and the aggregator has a partner MAC.
    lines = [line.strip() for line in text.splitlines()]
    ids = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Aggregator ID:")]
    partner = [line for line in lines if line.startswith("Partner Mac Address:")]
    return len(ids) >= 3 and len(set(ids)) == 1 and partner and "00:00:00:00:00:00" not in partner[0]


def networkd_configured(name: str) -> bool:
    out = run("networkctl", "status", "--no-pager", name, check=False).stdout
    return "State: routable" in out or "(configured)" in out or "configured" in out.split("State:", 1)[-1][:40]


# ----------------------------------------------------------------------------------------- probes


def ping(ns: str, addr: str) -> int:
    proc = run("ip", "netns", "exec", ns, "ping", "-c", "2", "-i", "0.5", "-W", "3", addr, check=False)
    return proc.returncode


def churn(spec: dict) -> dict:
    """Containers join and leave each bridge in `churn.bridges`; record each bridge's MAC after every event.

    A joining container gets the lowest MAC a locally administered unicast address can have, as a
    container with a low random MAC would: a bridge without a MAC of its own must take it, and must give
    it up again when the container leaves (seed 003).
    """
    plan = spec["churn"]
    result = {}
    for bridge in plan["bridges"]:
        name = bridge["name"]
        watcher = bridge["watcher"]  # a container on this bridge that talks to the bridge's address
        events = [{"event": "start", "mac": sysfs(name, "address")}]
        gateway = bridge["gateway"]
        ok_before = ping(watcher, gateway) == 0
        for round_no in range(plan.get("rounds", 2)):
            ctr = {"ns": f"churn{round_no}", "bridge": name, "host_if": f"vc{round_no}{name}"[:15],
                   "address": bridge["churn_address"]}
            attach_container(ctr)
            ip("link", "set", ctr["host_if"], "address", "02:00:00:00:00:01")
            events.append({"event": f"join {ctr['host_if']}", "mac": sysfs(name, "address")})
            # The watcher learns the bridge's MAC of this moment, as a container does on its next ARP.
            run("ip", "netns", "exec", watcher, "ip", "neigh", "flush", "all")
            events.append({"event": "watcher reaches gateway", "ok": ping(watcher, gateway) == 0})
            detach_container(ctr)
            events.append({"event": f"leave {ctr['host_if']}", "mac": sysfs(name, "address")})
            # Right after the leave, the watcher's ARP entry still names the MAC that is gone.
            events.append({"event": "watcher reaches gateway after leave", "ok": ping(watcher, gateway) == 0})
        result[name] = {"events": events, "reachable_before": ok_before,
                        "macs": sorted({e["mac"] for e in events if "mac" in e})}
    return result


def truth(spec: dict) -> dict:
    """What the kernel says, read without pyroute2 and without the collection (ip -j and sysfs)."""
    out = {"links": {}, "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()}
    names = set()
    for lag in spec.get("lags", []):
        names.add(lag["name"])
        names.update(lag["ports"])
    names.update(br["name"] for br in spec.get("bridges", []))
    names.update(c["host_if"] for c in spec.get("containers", []) if Path(f"/sys/class/net/{c['host_if']}").exists())
    for name in sorted(names):
        data = link_json(name)
        flags = int(sysfs(name, "flags"), 16)
        info = data.get("linkinfo", {})
        out["links"][name] = {
            "mac": data.get("address"),
            "master": data.get("master"),
            "promiscuity": data.get("promiscuity"),
            "promisc_flag_shown": "PROMISC" in data.get("flags", []),
            "sysfs_promisc": bool(flags & 0x100),
            "addr_assign_type": int(sysfs(name, "addr_assign_type")),
            "kind": info.get("info_kind", "veth"),
            "forwarding": Path(f"/proc/sys/net/ipv4/conf/{name}/forwarding").read_text().strip(),
        }
    for lag in spec.get("lags", []):
        if lag["kind"] == "bond":
            out["links"][lag["name"]]["active_slave"] = sysfs_optional(lag["name"], "bonding/active_slave")
    return out


def sysfs_optional(name: str, attr: str) -> str | None:
    try:
        return sysfs(name, attr) or None
    except OSError:
        return None


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "ping":
        return ping(argv[2], argv[3])
    spec = json.loads(Path(argv[2]).read_text())
    if cmd == "build":
        build(spec)
    elif cmd == "churn":
        print(json.dumps(churn(spec)))
    elif cmd == "truth":
        print(json.dumps(truth(spec)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main(sys.argv))
