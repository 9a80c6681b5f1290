#!/usr/bin/python3
"""Build a Docker-host network topology inside a lab guest from veths and namespaces.

    labnet.py build SPEC.json      create everything the spec describes at runtime (lost on reboot)
    labnet.py ping NS ADDR         one reachability probe from a namespace (exit status = result)
    labnet.py churn SPEC.json      containers join and leave bridges; record the bridges' MACs (JSON out)
    labnet.py truth SPEC.json      the ground truth verify compares the audit with (JSON out)

  The persistent topology (a host that reboots; spec has `persistent: true`):

    labnet.py install SPEC.json    write the persistent configuration: the boot unit hostnet-lab-underlay
                                   (enabled), the .link keeping kernel MACs, networkd .netdev/.network
                                   files, NetworkManager's conf.d that manages the LAG ports
    labnet.py underlay SPEC.json   what the boot unit runs before network-pre.target: the host's
                                   "hardware" (switch namespaces, LACP partners, the veth cables whose
                                   host ends are the LAG ports) and the `manager: script` LAGs/bridges
    labnet.py activate SPEC.json   first time only: networkd reload / NetworkManager profiles (nmcli,
                                   stored in system-connections), then wait as `wait` does
    labnet.py wait SPEC.json       wait until the LAGs are up, LACP partners agree, managers configured
    labnet.py containers SPEC.json attach the containers that are not attached (after a reboot: all)
    labnet.py setup [NS:ADDR...] < SPEC.json
                                   store the spec in /etc/hostnet-lab, install, start the boot unit,
                                   activate, containers, then check: prepare in one step
    labnet.py after-boot SPEC.json [NS:ADDR...]
                                   wait, containers, check (after a reboot or a reconfigure)
    labnet.py check SPEC.json [NS:ADDR...]   faults and pings, one JSON
    labnet.py pings NS:ADDR...     ping probes, each retried; exit status 1 unless all answer
    labnet.py faults SPEC.json     per bridge: MAC, addr_assign_type, whether a low-MAC port joining
                                   moves its MAC; per LAG port: sysfs promisc; forwarding (JSON out)
    labnet.py pinned-churn BRIDGE N   N container veths with MACs lower than the bridge's join and leave
                                   it; every MAC the bridge showed (JSON out)
    labnet.py snapshot             sha256, mode and owner of every configuration file a module could write and the
                                   runtime state (links, promisc, forwarding, addresses) (JSON out)
    labnet.py compare A B          where two snapshots differ (JSON list; exit 1 when they do)
    labnet.py ifupdown-kept        the ifupdown files against the operator's text install wrote: lines
                                   added (JSON out); exit 1 when an operator line is gone or moved

Runs as root in the guest, standard library only; every command is an argument list, never a shell
string. Names come from the spec; nothing here assumes eno*/team0/br0.

Spec (JSON; the molecule scenarios keep it as YAML in `lab_topology`):

  modules: [bonding, team]
  kernel_macs: [brx, "va*"]         # these keep kernel-random MACs (udev MACAddressPolicy=none)
  docker: true                      # write /etc/docker/daemon.json: the audit treats the host as Docker host
  sysctl: {"net.ipv4.ip_forward": "1"}
  persistent: true                  # install/underlay/activate instead of build
  switches: [{ns, address, lacp: bool}]          # the "outside": a bridge `sw` in NS with the peer address;
                                                 # lacp: the LAG partner ends form a 802.3ad bond first
  bridges: [{name, mac?, address?, manager: ip|script|nm|networkd|ifupdown|netplan, network: {Key: value}?,
             ports: [..]? (ifupdown: bridge_ports; default the LAGs naming it, else none),
             file: interfaces|interfaces.d/NAME? (ifupdown: where the stanza goes), comment: str?}]
  lags: [{name, kind: bond|team, mode, ports: [..], switch, bridge, mac?, primary?,
          manager: ip|script|nm|networkd|ifupdown|netplan, file?, comment?}]
  containers: [{ns, bridge, host_if, address}]

`ip` and `script` are the same builder (ip/teamd, nothing persistent): `build` runs it once at prepare,
`underlay` at every boot. A networkd bridge whose name matches `kernel_macs` gets `MACAddress=none` in
its .netdev (systemd 252 and 257 accept it): without it networkd gives every bridge it creates a MAC
derived from the machine id (addr_assign_type 3) and the bridge cannot drift.
"""

from __future__ import annotations

import fnmatch
import hashlib
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


def cable_nic(index: int, end: str) -> str | None:
    """The NIC labctl gave this guest as end "a" (host side) or "b" (switch side) of cable ``index``
    (`labctl up --cables N`, MACs 52:54:00:ca:<index>:0a/0b as labctl's ``cable_mac`` gives them), or None:
    then the cable is a veth pair."""
    mac = f"52:54:00:ca:{index:02x}:{'0a' if end == 'a' else '0b'}"
    for path in Path("/sys/class/net").iterdir():
        if (path / "address").exists() and (path / "address").read_text().strip() == mac:
            return path.name
    return None


def lay_cable(index: int, port: str, ns: str) -> None:
    """The LAG port ``port`` and its switch-side end ``peer_name(port)`` in ``ns``: a pair of real NICs
    when the guest has cable ``index`` (renamed; lynis, like any tool reading `ip -o link`, sees a NIC as
    `lan0`, a veth as `lan0@if7`), else a veth pair."""
    host_end, switch_end = cable_nic(index, "a"), cable_nic(index, "b")
    if host_end is None or switch_end is None:
        ip("link", "add", port, "type", "veth", "peer", "name", peer_name(port), "netns", ns)
        return
    if host_end != port:
        ip("link", "set", "dev", host_end, "down")
        ip("link", "set", "dev", host_end, "name", port)
    ip("link", "set", "dev", switch_end, "down")
    ip("link", "set", "dev", switch_end, "netns", ns)
    ip("link", "set", "dev", switch_end, "name", peer_name(port), ns=ns)


def build_switch(sw: dict, lags: list[dict]) -> None:
    ns = sw["ns"]
    if Path(f"/run/netns/{ns}").exists():
        return  # underlay run again in the same boot (a restarted unit): the switch is there
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
    cables = {port: index for index, port in enumerate(p for lag in lags for p in lag["ports"])}
    if cable_nic(0, "a"):
        # udev may still be naming the cable NICs (coldplug at boot): rename them only after it is done.
        run("udevadm", "settle", "--timeout=60", check=False)
    for lag in lags:
        if lag["switch"] != ns:
            continue
        for port in lag["ports"]:
            lay_cable(cables[port], port, ns)
            upper = PARTNER_BOND if sw.get("lacp") else SWITCH_BRIDGE
            ip("link", "set", peer_name(port), "master", upper, ns=ns)
            ip("link", "set", peer_name(port), "up", ns=ns)
    if sw.get("lacp"):
        ip("link", "set", PARTNER_BOND, "up", ns=ns)


def build_bridge(br: dict, quick: bool = False) -> None:
    """quick (at boot, where udev is still busy with coldplug and `udevadm settle` would wait for all of it,
    ~10 s under emulation): settle only before setting a MAC of our own, the one case where udev's late
    MACAddressPolicy would overwrite ours."""
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
    if br.get("mac") or not quick:
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


def build_lag(lag: dict, quick: bool = False) -> None:
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
        if lag.get("mac") or not quick:
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


def build_lag_nm(lag: dict, set_managed: bool = True) -> None:
    name, kind, mode, ports = lag["name"], lag["kind"], lag["mode"], lag["ports"]
    args = ["nmcli", "connection", "add", "type", kind, "con-name", name, "ifname", name,
            "connection.master", lag["bridge"], "connection.slave-type", "bridge"]
    if kind == "team":
        config = {"runner": {"name": mode}, "link_watch": {"name": "ethtool"}}
        if mode == "lacp":
            config["runner"].update({"active": True, "fast_rate": True})
        args += ["team.config", json.dumps(config)]
    else:
        options = f"mode={mode},miimon=100" + (",lacp_rate=fast" if mode == "802.3ad" else "")
        if lag.get("primary"):
            options += f",primary={lag['primary']}"
        args += ["bond.options", options]
    if lag.get("mac"):
        args += ["ethernet.cloned-mac-address", lag["mac"]]
    run(*args)
    for port in ports:
        if set_managed:
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


def keep_kernel_macs(patterns: list[str], name: str = "00-lab-kernel-mac.link") -> None:
    """Links matching these names keep the kernel's random MAC (addr_assign_type 1), as on hosts whose
    udev MACAddressPolicy is none, or where links appear before udev runs: the bridges that drift."""
    text = ("# written by the hostnet lab (labnet.py)\n[Match]\nOriginalName=" + " ".join(patterns) +
            "\n\n[Link]\nMACAddressPolicy=none\n")
    Path("/etc/systemd/network").mkdir(parents=True, exist_ok=True)
    Path(f"/etc/systemd/network/{name}").write_text(text)
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
    wait_lags_ready(spec)


def wait_lags_ready(spec: dict) -> None:
    """Wait until LAGs carry traffic: LACP partners agree, every LAG is up (a runtime-built topology; after a
    boot or a reconfigure `wait` and `settle` do more)."""
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


# ------------------------------------------------------------------------ persistent topology

STATE_DIR = Path("/etc/hostnet-lab")
UNIT_NAME = "hostnet-lab-underlay.service"
NETWORKD_DIR = Path("/etc/systemd/network")
NM_CONF = Path("/etc/NetworkManager/conf.d/50-lab-ports.conf")
HEADER = "# written by the hostnet lab (labnet.py)\n"
SCRIPT_MANAGERS = ("ip", "script")

UNIT_TEXT = HEADER + """[Unit]
Description=hostnet lab: the host's hardware (switch namespaces, cables, script-built LAGs and bridges)
# Like a NIC driver: the LAG ports exist before systemd-networkd or NetworkManager look for them.
DefaultDependencies=no
Wants=network-pre.target systemd-udevd.service
After=local-fs.target systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service systemd-sysctl.service
Before=network-pre.target systemd-networkd.service NetworkManager.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/labnet underlay {spec}

[Install]
WantedBy=multi-user.target
"""


def matches_any(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def unit_file(kind: str, name: str, sections: list[tuple[str, list[str]]]) -> tuple[Path, str]:
    body = "\n".join(f"[{section}]\n" + "".join(line + "\n" for line in lines) for section, lines in sections)
    return NETWORKD_DIR / f"50-lab-{name}.{kind}", HEADER + body


def networkd_files(spec: dict) -> list[tuple[Path, str]]:
    """.netdev/.network files for the `manager: networkd` bridges and LAGs, as an administrator writes them."""
    files = []
    quiet = ["LinkLocalAddressing=no", "IPv6AcceptRA=no"]
    for br in spec.get("bridges", []):
        if br.get("manager") != "networkd":
            continue
        netdev = [f"Name={br['name']}", "Kind=bridge"]
        if br.get("mac"):
            netdev.append(f"MACAddress={br['mac']}")
        elif matches_any(br["name"], spec.get("kernel_macs", [])):
            netdev.append("MACAddress=none")
        files.append(unit_file("netdev", br["name"], [("NetDev", netdev),
                                                      ("Bridge", ["STP=no", "ForwardDelaySec=0"])]))
        network = quiet + ["ConfigureWithoutCarrier=yes"]
        if br.get("address"):
            network.append(f"Address={br['address']}")
        network += [f"{key}={value}" for key, value in br.get("network", {}).items()]
        files.append(unit_file("network", br["name"], [("Match", [f"Name={br['name']}"]), ("Network", network)]))
    for lag in spec.get("lags", []):
        if lag.get("manager") != "networkd":
            continue
        if lag["kind"] != "bond":
            raise SystemExit(f"labnet: {lag['name']}: networkd LAGs are bonds (teams run teamd: manager script)")
        netdev = [f"Name={lag['name']}", "Kind=bond"]
        if lag.get("mac"):
            netdev.append(f"MACAddress={lag['mac']}")
        bond = [f"Mode={lag['mode']}", "MIIMonitorSec=100ms"]
        if lag["mode"] == "802.3ad":
            bond.append("LACPTransmitRate=fast")
        files.append(unit_file("netdev", lag["name"], [("NetDev", netdev), ("Bond", bond)]))
        files.append(unit_file("network", lag["name"], [
            ("Match", [f"Name={lag['name']}"]),
            ("Network", [f"Bridge={lag['bridge']}"] + quiet + ["ConfigureWithoutCarrier=yes"])]))
        for port in lag["ports"]:
            network = [f"Bond={lag['name']}"] + quiet
            if lag.get("primary") == port:
                network.append("PrimarySlave=yes")
            files.append(unit_file("network", port, [("Match", [f"Name={port}"]), ("Network", network)]))
    return files


# ----------------------------------------------------------------------------------------- netplan

NETPLAN_FILE = Path("/etc/netplan/50-lab.yaml")
NETPLAN_MANAGER = "netplan"


def netplan_yaml(spec: dict) -> str | None:
    """/etc/netplan/50-lab.yaml for the `manager: netplan` bridges and bonds, as an administrator writes it
    (block style, renderer networkd); None when the spec has none. Bond ports are `ethernets` by name."""
    bridges = [br for br in spec.get("bridges", []) if br.get("manager") == NETPLAN_MANAGER]
    lags = [lag for lag in spec.get("lags", []) if lag.get("manager") == NETPLAN_MANAGER]
    if not bridges and not lags:
        return None
    lines = [HEADER.rstrip("\n"), "network:", "  version: 2", "  renderer: networkd"]
    quiet = ["      link-local: []", "      accept-ra: false"]
    if lags:
        lines.append("  ethernets:")
        for lag in lags:
            for port in lag["ports"]:
                lines += [f"    {port}:"] + quiet
        lines.append("  bonds:")
        for lag in lags:
            if lag["kind"] != "bond":
                raise SystemExit(f"labnet: {lag['name']}: netplan LAGs here are bonds")
            lines += [f"    {lag['name']}:", f"      interfaces: [{', '.join(lag['ports'])}]"] + quiet
            if lag.get("mac"):
                lines.append(f'      macaddress: "{lag["mac"]}"')
            lines += ["      parameters:", f"        mode: {lag['mode']}", "        mii-monitor-interval: 100"]
            if lag["mode"] == "802.3ad":
                lines.append("        lacp-rate: fast")
            if lag.get("primary"):
                lines.append(f"        primary: {lag['primary']}")
    lines.append("  bridges:")
    for br in bridges:
        lines.append(f"    {br['name']}:")
        members = [lag["name"] for lag in lags if lag.get("bridge") == br["name"]]
        if members:
            lines.append(f"      interfaces: [{', '.join(members)}]")
        if br.get("address"):
            lines.append(f"      addresses: [{br['address']}]")
        if br.get("mac"):
            lines.append(f'      macaddress: "{br["mac"]}"')
        lines += quiet + ["      parameters:", "        stp: false", "        forward-delay: 0"]
    return "\n".join(lines) + "\n"


def netplan_install(spec: dict) -> None:
    """The netplan YAML (mode 0600, as netplan wants it); for a bridge in `kernel_macs` a drop-in
    `MACAddress=none` for the .netdev netplan generates (netplan has no key for it; without it networkd gives
    the bridge a MAC of its own, measured: addr_assign_type 3), which with the .link lets it drift."""
    text = netplan_yaml(spec)
    if text is None:
        return
    NETPLAN_FILE.parent.mkdir(parents=True, exist_ok=True)
    NETPLAN_FILE.touch(mode=0o600)
    NETPLAN_FILE.chmod(0o600)
    NETPLAN_FILE.write_text(text)
    for br in spec.get("bridges", []):
        if br.get("manager") == NETPLAN_MANAGER and not br.get("mac") \
                and matches_any(br["name"], spec.get("kernel_macs", [])):
            dropin = NETWORKD_DIR / f"10-netplan-{br['name']}.netdev.d" / "50-lab-kernel-mac.conf"
            dropin.parent.mkdir(parents=True, exist_ok=True)
            dropin.write_text(HEADER + "[NetDev]\nMACAddress=none\n")


def netplan_activate(spec: dict) -> None:
    """First activation: what `netplan apply` does for new devices, without its cost (about 40 s under
    emulation): render the units, networkd reads them."""
    if netplan_yaml(spec) is not None:
        run("netplan", "generate")
        run("networkctl", "reload")


def nm_ports(spec: dict) -> list[str]:
    return [port for lag in spec.get("lags", []) if lag.get("manager") == "nm" for port in lag["ports"]]


def install(spec: dict, spec_path: str) -> None:
    """Write everything that makes the topology come back after a reboot; start nothing."""
    STATE_DIR.mkdir(exist_ok=True)
    if spec.get("kernel_macs"):
        # 90-: before udev's 99-default.link (MACAddressPolicy=persistent), after any .link a module
        # writes with a lower number, so a module's own .link still wins.
        keep_kernel_macs(spec["kernel_macs"], "90-lab-kernel-mac.link")
    if spec.get("modules"):
        Path("/etc/modules-load.d/hostnet-lab.conf").write_text(HEADER + "\n".join(spec["modules"]) + "\n")
    if spec.get("sysctl"):
        Path("/etc/sysctl.d/50-hostnet-lab.conf").write_text(
            HEADER + "".join(f"{key} = {value}\n" for key, value in spec["sysctl"].items()))
    if spec.get("docker"):
        Path("/etc/docker").mkdir(exist_ok=True)
        Path("/etc/docker/daemon.json").write_text("{}\n")
    for path, text in networkd_files(spec):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    ifupdown_install(spec)
    netplan_install(spec)
    ports = nm_ports(spec)
    if ports:
        # NetworkManager leaves veths it did not create unmanaged (85-nm-unmanaged.rules); these play the
        # host's NICs, so NetworkManager manages them, at every boot.
        NM_CONF.write_text(HEADER + "[device-hostnet-lab-ports]\nmatch-device=" +
                           ";".join(f"interface-name:{port}" for port in ports) + "\nmanaged=1\n")
    Path(f"/etc/systemd/system/{UNIT_NAME}").write_text(UNIT_TEXT.format(spec=spec_path))
    run("systemctl", "daemon-reload")
    run("systemctl", "enable", "--quiet", UNIT_NAME)


def underlay(spec: dict) -> None:
    """At every boot, before any network manager: the host's hardware and the script-built LAGs."""
    for module in spec.get("modules", []):
        run("modprobe", module)
    for key, value in spec.get("sysctl", {}).items():
        run("sysctl", "-q", "-w", f"{key}={value}")
    for sw in spec.get("switches", []):
        build_switch(sw, spec.get("lags", []))
    for br in spec.get("bridges", []):
        if br.get("manager", "ip") in SCRIPT_MANAGERS and not Path(f"/sys/class/net/{br['name']}").exists():
            build_bridge(br, quick=True)
    for lag in spec.get("lags", []):
        if lag.get("manager", "ip") in SCRIPT_MANAGERS and not Path(f"/sys/class/net/{lag['name']}").exists():
            build_lag(lag, quick=True)


def activate(spec: dict) -> None:
    """First activation after install + the underlay unit: networkd reads its files, NetworkManager gets
    its profiles (nmcli stores them in /etc/NetworkManager/system-connections, autoconnect on)."""
    if any(x.get("manager") == "networkd" for x in spec.get("bridges", []) + spec.get("lags", [])):
        run("networkctl", "reload")
    netplan_activate(spec)
    if nm_ports(spec) or any(br.get("manager") == "nm" for br in spec.get("bridges", [])):
        # `nmcli general reload conf` does not re-evaluate [device] managed= for existing devices; a
        # restart does, as the start at boot does.
        run("systemctl", "restart", "NetworkManager")
        wait_for(lambda: all(nm_device_managed(port) for port in nm_ports(spec)), "NetworkManager manages the ports", 60)
        for br in spec.get("bridges", []):
            if br.get("manager") == "nm":
                build_bridge(br)
        for lag in spec.get("lags", []):
            if lag.get("manager") == "nm":
                build_lag_nm(lag, set_managed=False)
    ifupdown_activate(spec)
    wait(spec)


def check(spec: dict, pairs: list[str]) -> dict:
    """The kernel's view (`faults`) and reachability (`pings`) in one step."""
    return {"faults": faults(spec), "pings": pings(pairs)}


def setup(spec_text: str, pairs: list[str]) -> dict:
    """Prepare in one step (each Ansible task costs seconds under emulation): store the spec, install,
    start the boot unit as boot will, activate, attach the containers, then `check`."""
    STATE_DIR.mkdir(exist_ok=True)
    spec_path = STATE_DIR / "topology.json"
    spec_path.write_text(spec_text)
    spec = json.loads(spec_text)
    install(spec, str(spec_path))
    run("systemctl", "start", UNIT_NAME)
    activate(spec)
    return {"attached": containers(spec), **check(spec, pairs)}


def after_boot(spec: dict, pairs: list[str]) -> dict:
    """After a reboot or a reconfigure: wait for the LAGs and managers and for the links to hold still,
    (re-)attach the containers, `check`."""
    started = time.monotonic()
    wait(spec)
    settle(spec)
    waited = round(time.monotonic() - started, 1)
    return {"waited_seconds": waited, "attached": containers(spec), **check(spec, pairs)}


def pings(pairs: list[str], attempts: int = 5) -> dict:
    """`NS:ADDR` probes, each retried a few times (switches relearn after a reboot); all must answer."""
    results = {}
    for pair in pairs:
        ns, addr = pair.split(":", 1)
        for attempt in range(1, attempts + 1):
            if ping(ns, addr) == 0:
                results[pair] = attempt
                break
            time.sleep(2)
        else:
            results[pair] = None
    return results


def nm_device_managed(name: str) -> bool:
    out = run("nmcli", "-g", "GENERAL.STATE", "device", "show", name, check=False).stdout
    return bool(out.strip()) and "unmanaged" not in out


def wait(spec: dict) -> None:
    """Until the LAGs carry traffic and every manager has configured its links."""
    for lag in spec.get("lags", []):
        wait_for(lambda lag=lag: Path(f"/sys/class/net/{lag['name']}").exists()
                 and sysfs(lag["name"], "operstate") == "up", f"{lag['name']} up", 180)
        wait_for(lambda lag=lag: all(link_master(port) == lag["name"] for port in lag["ports"]),
                 f"ports of {lag['name']} enslaved", 120)
        if lag.get("bridge"):
            wait_for(lambda lag=lag: link_master(lag["name"]) == lag["bridge"],
                     f"{lag['name']} in {lag['bridge']}", 120)
    for sw in spec.get("switches", []):
        if sw.get("lacp"):
            wait_for(lambda sw=sw: lacp_partner_agrees(sw["ns"]), f"LACP in {sw['ns']}", 180)
    for br in spec.get("bridges", []):
        if br.get("manager") in ("networkd", NETPLAN_MANAGER):
            wait_for(lambda br=br: networkd_configured(br["name"]), f"networkd on {br['name']}", 120)
    for lag in spec.get("lags", []):
        if lag.get("manager") in ("networkd", NETPLAN_MANAGER):
            for name in [lag["name"], *lag["ports"]]:
                wait_for(lambda name=name: networkd_configured(name), f"networkd on {name}", 120)
    ifupdown_wait(spec)


def link_signature(spec: dict) -> list:
    """What a manager still applying its configuration would move: each bridge's and LAG port's flags, MAC,
    master, forwarding, and networkd's setup state of each link (`networkctl list`)."""
    names = [br["name"] for br in spec.get("bridges", [])]
    for lag in spec.get("lags", []):
        names += [lag["name"], *lag["ports"]]
    out = []
    for name in names:
        forwarding = Path(f"/proc/sys/net/ipv4/conf/{name}/forwarding")
        out.append([name, sysfs_optional(name, "flags"), sysfs_optional(name, "address"), link_master(name),
                    forwarding.read_text().strip() if forwarding.exists() else None])
    if any(item.get("manager") in ("networkd", NETPLAN_MANAGER)
           for item in spec.get("bridges", []) + spec.get("lags", [])):
        listed = run("networkctl", "list", "--no-legend", "--no-pager", check=False).stdout
        rows = [line.split() for line in listed.splitlines()]
        out.append(sorted(row[1:] for row in rows if len(row) > 1 and row[1] in names))
    return out


def settle(spec: dict, reads: int = 3, interval: float = 1.0, timeout: float = 60.0) -> None:
    """Until `reads` readings `interval` s apart are the same: a reconfigure (networkctl reconfigure, netplan
    apply) is applied by the daemon after the command returned, and links that were already up and
    configured would otherwise be read in the middle of it."""
    deadline, same, last = time.monotonic() + timeout, 0, None
    while same < reads:
        if time.monotonic() > deadline:
            raise SystemExit(f"labnet: the links did not hold still for {reads * interval} s in {timeout} s: {last}")
        now = link_signature(spec)
        same = same + 1 if now == last else 1
        last = now
        if same < reads:
            time.sleep(interval)


def link_master(name: str) -> str | None:
    try:
        return os.path.basename(os.readlink(f"/sys/class/net/{name}/master"))
    except OSError:
        return None


def containers(spec: dict) -> list[str]:
    """Attach every container whose host end is missing (after a reboot: all of them, as docker does)."""
    attached = []
    for ctr in spec.get("containers", []):
        if not Path(f"/sys/class/net/{ctr['host_if']}").exists():
            attach_container(ctr)
            attached.append(ctr["host_if"])
        elif link_master(ctr["host_if"]) != ctr["bridge"]:
            # The bridge was deleted and created again (a manager re-activating it): docker re-attaches.
            ip("link", "set", ctr["host_if"], "master", ctr["bridge"], "up")
            attached.append(ctr["host_if"])
    return attached


PROBE_MAC = "00:00:5e:00:53:01"  # RFC 7042 documentation range: lower than any MAC a port here has


def join_leave(bridge: str, mac: str, index: int = 0) -> tuple[str, str, str]:
    """A container veth with `mac` joins `bridge` and leaves; the bridge's MAC before, joined, after."""
    host_if, ns = f"vprobe{index % 10}", "labprobe"
    if not Path(f"/run/netns/{ns}").exists():
        run("ip", "netns", "add", ns)
    before = sysfs(bridge, "address")
    # One netlink request: created with its MAC (addr_assign_type 3, so udev leaves it alone), enslaved, up.
    ip("link", "add", host_if, "address", mac, "master", bridge, "up",
       "type", "veth", "peer", "name", f"eth{index % 10}", "netns", ns)
    joined = sysfs(bridge, "address")
    ip("link", "del", host_if)
    return before, joined, sysfs(bridge, "address")


def faults(spec: dict) -> dict:
    """The deliberate faults, read from the kernel: does each bridge drift (a port with a lower MAC joins
    and leaves: did the MAC move?), which LAG ports lack the promisc bit, what forwards."""
    out = {"bridges": {}, "ports": {}, "forwarding": {},
           "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()}
    for br in spec.get("bridges", []):
        name = br["name"]
        before, joined, after = join_leave(name, PROBE_MAC)
        out["bridges"][name] = {"mac": before, "addr_assign_type": int(sysfs(name, "addr_assign_type")),
                                "mac_with_probe": joined, "mac_after_probe": after,
                                "drifts": joined != before}
        out["forwarding"][name] = Path(f"/proc/sys/net/ipv4/conf/{name}/forwarding").read_text().strip()
    for lag in spec.get("lags", []):
        out["forwarding"][lag["name"]] = Path(f"/proc/sys/net/ipv4/conf/{lag['name']}/forwarding").read_text().strip()
        for port in lag["ports"]:
            out["ports"][port] = {"lag": lag["name"], "promisc": bool(int(sysfs(port, "flags"), 16) & 0x100),
                                  "master": link_master(port)}
        if lag["kind"] == "bond":
            out.setdefault("active_slave", {})[lag["name"]] = sysfs_optional(lag["name"], "bonding/active_slave")
    return out


def pinned_churn(bridge: str, cycles: int) -> dict:
    """`cycles` container veths, each with a MAC lower than the bridge's, join and leave the bridge;
    every MAC the bridge showed before, in between and after."""
    seen = [sysfs(bridge, "address")]
    started = time.monotonic()
    for i in range(cycles):
        mac = f"00:00:5e:00:{(i // 256) % 256:02x}:{i % 256:02x}" if i else PROBE_MAC
        before, joined, after = join_leave(bridge, mac, i)
        seen += [before, joined, after]
    return {"bridge": bridge, "cycles": cycles, "macs": sorted(set(seen)), "samples": len(seen),
            "seconds": round(time.monotonic() - started, 1)}


# ------------------------------------------------------------------------ ifupdown (manager: ifupdown)

IFUPDOWN_MAIN = Path("/etc/network/interfaces")
IFUPDOWN_ORIG = STATE_DIR / "ifupdown-orig"  # the operator's text as install wrote it (not in snapshots)
IFUPDOWN_BEGIN = "# --- the Docker host's network (bond, bridges) ---\n"


def ifupdown_items(spec: dict) -> list[dict]:
    """The ifupdown LAGs, then bridges: the order ifup must raise them (a bridge's port first)."""
    return ([lag for lag in spec.get("lags", []) if lag.get("manager") == "ifupdown"] +
            [br for br in spec.get("bridges", []) if br.get("manager") == "ifupdown"])


def ifupdown_stanza(item: dict, spec: dict) -> str:
    """One stanza as an operator writes it: a comment above, `auto`, options indented by a tab."""
    name = item["name"]
    lines = [f"# {line}" for line in item.get("comment", "").splitlines()]
    method = "static" if item.get("address") else "manual"
    lines += [f"auto {name}", f"iface {name} inet {method}"]
    options = []
    if item.get("address"):
        options.append(f"address {item['address']}")
    if "kind" in item:  # a LAG
        if item["kind"] != "bond":
            raise SystemExit(f"labnet: {name}: ifupdown LAGs are bonds (ifenslave)")
        # The ports have no stanza of their own: ifenslave's pre-up enslaves them.
        options += [f"bond-slaves {' '.join(item['ports'])}", f"bond-mode {item['mode']}"]
        if item.get("primary"):
            options.append(f"bond-primary {item['primary']}")
        options.append("bond-miimon 100")
        if item["mode"] == "802.3ad":
            options.append("bond-lacp-rate fast")
    else:
        ports = item.get("ports") or [lag["name"] for lag in spec.get("lags", []) if lag.get("bridge") == name]
        options += ["# no STP and no forwarding delay, as Docker runs its own bridges",
                    f"bridge_ports {' '.join(ports) or 'none'}", "bridge_stp off", "bridge_fd 0"]
        if item.get("mac"):
            options.append(f"hwaddress {item['mac']}")
    return "\n".join(lines + [f"\t{option}" for option in options]) + "\n"


def ifupdown_texts(spec: dict) -> dict[Path, str]:
    """What install adds: stanzas for /etc/network/interfaces (appended to the image's text, after the
    management NIC) and whole files under interfaces.d (named without dots: source-directory skips
    names outside ^[a-zA-Z0-9_-]+$)."""
    texts: dict[Path, list[str]] = {}
    for item in ifupdown_items(spec):
        where = item.get("file", "interfaces")
        path = IFUPDOWN_MAIN if where == "interfaces" else Path("/etc/network") / where
        texts.setdefault(path, []).append(ifupdown_stanza(item, spec))
    return {path: "\n".join(stanzas) for path, stanzas in texts.items()}


def ifupdown_install(spec: dict) -> None:
    texts = ifupdown_texts(spec)
    for path, text in texts.items():
        if path == IFUPDOWN_MAIN:
            current = path.read_text()
            if IFUPDOWN_BEGIN in current:
                continue  # install ran before
            text = current + "\n" + IFUPDOWN_BEGIN + "\n" + text
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if texts:
        for path in [IFUPDOWN_MAIN, *sorted(Path("/etc/network/interfaces.d").glob("*"))]:
            copy = IFUPDOWN_ORIG / path.relative_to("/")
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())


def ifupdown_activate(spec: dict) -> None:
    """First time only (at boot networking.service runs `ifup -a`): LAGs first, then their bridges."""
    for item in ifupdown_items(spec):
        run("ifup", item["name"])


def ifupdown_wait(spec: dict) -> None:
    for item in ifupdown_items(spec):
        wait_for(lambda item=item: run("ifquery", "--state", item["name"], check=False).returncode == 0,
                 f"ifupdown raised {item['name']}", 120)


def ifupdown_kept() -> dict:
    """Each ifupdown file install wrote, against its text then: the operator's lines must all be there, in
    their order (comments included); what was added is listed per file."""
    out = {"files": {}, "ok": True}
    for copy in sorted(p for p in IFUPDOWN_ORIG.rglob("*") if p.is_file()):
        path = Path("/") / copy.relative_to(IFUPDOWN_ORIG)
        before = copy.read_text().splitlines()
        after = path.read_text().splitlines() if path.exists() else []
        added, position = [], 0
        for line in after:
            if position < len(before) and line == before[position]:
                position += 1
            else:
                added.append(line)
        kept = position == len(before)
        out["ok"] = out["ok"] and kept
        out["files"][str(path)] = {"kept": kept, "added": added, "missing_from": None if kept else position + 1}
    return out


SNAPSHOT_PATHS = [
    "/etc/systemd/network", "/etc/systemd/networkd.conf", "/etc/systemd/networkd.conf.d",
    "/run/systemd/network", "/etc/NetworkManager", "/etc/network", "/etc/udev/rules.d",
    "/etc/systemd/system", "/etc/sysctl.d", "/etc/sysctl.conf", "/etc/modules-load.d",
    "/var/lib/hostnet-dockerhost", "/etc/docker", "/etc/netplan",
]


def file_hashes(paths: list[str]) -> dict:
    out = {}
    for top in paths:
        top_path = Path(top)
        if top_path.is_symlink() or top_path.is_file():
            candidates = [top_path]
        elif top_path.is_dir():
            candidates = sorted(top_path.rglob("*"))
        else:
            continue
        for path in candidates:
            if path.is_symlink():
                out[str(path)] = "symlink:" + os.readlink(path)
            elif path.is_file():
                st = path.stat()
                out[str(path)] = "%s mode %04o owner %d:%d" % (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                               st.st_mode & 0o7777, st.st_uid, st.st_gid)
            elif path.is_dir():
                out[str(path)] = "dir"
    return out


# Fields of `ip -j -d link` that move on their own (timers, counters of LACP frames) are left out.
VOLATILE = ("_timer", "ad_", "stats", "link_failure_count")  # timers and counters: history, not state


def strip_volatile(value):
    if isinstance(value, dict):
        return {k: strip_volatile(v) for k, v in value.items() if not any(mark in k for mark in VOLATILE)}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


def snapshot() -> dict:
    links = json.loads(run("ip", "-j", "-d", "link", "show").stdout)
    addrs = json.loads(run("ip", "-j", "addr", "show").stdout)
    runtime = {"links": {}, "addresses": {}, "forwarding": {}}
    for link in links:
        name = link["ifname"]
        runtime["links"][name] = strip_volatile(link)
        try:
            runtime["links"][name]["sysfs_flags"] = sysfs(name, "flags")
            runtime["links"][name]["addr_assign_type"] = sysfs(name, "addr_assign_type")
        except OSError:
            pass
    for entry in addrs:
        runtime["addresses"][entry["ifname"]] = sorted(
            f"{a.get('local')}/{a.get('prefixlen')}" for a in entry.get("addr_info", []))
    for conf in sorted(Path("/proc/sys/net/ipv4/conf").iterdir()):
        runtime["forwarding"][conf.name] = (conf / "forwarding").read_text().strip()
    runtime["ip_forward"] = Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
    if Path("/usr/bin/nmcli").exists() and run("systemctl", "is-active", "--quiet", "NetworkManager", check=False).returncode == 0:
        runtime["nm_active"] = sorted(run("nmcli", "-t", "-f", "NAME,UUID,DEVICE", "connection", "show",
                                          "--active").stdout.splitlines())
    return {"files": file_hashes(SNAPSHOT_PATHS), "runtime": runtime}


def compare(before: dict, after: dict, path: str = "") -> list[str]:
    """Where two snapshots differ, as readable lines (empty: identical)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after)):
            if key not in after:
                out.append(f"{path}/{key}: gone (was {json.dumps(before[key])[:200]})")
            elif key not in before:
                out.append(f"{path}/{key}: new ({json.dumps(after[key])[:200]})")
            else:
                out += compare(before[key], after[key], f"{path}/{key}")
        return out
    if before != after:
        return [f"{path}: {json.dumps(before)[:200]} -> {json.dumps(after)[:200]}"]
    return []


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "ping":
        return ping(argv[2], argv[3])
    if cmd == "snapshot":
        print(json.dumps(snapshot(), sort_keys=True))
        return 0
    if cmd == "setup":
        print(json.dumps(setup(sys.stdin.read(), argv[2:])))
        return 0
    if cmd == "pings":
        results = pings(argv[2:])
        print(json.dumps(results))
        return 0 if all(results.values()) else 1
    if cmd == "compare":
        diffs = compare(json.loads(Path(argv[2]).read_text()), json.loads(Path(argv[3]).read_text()))
        print(json.dumps(diffs))
        return 1 if diffs else 0
    if cmd == "ifupdown-kept":
        kept = ifupdown_kept()
        print(json.dumps(kept))
        return 0 if kept["ok"] else 1
    if cmd == "pinned-churn":
        print(json.dumps(pinned_churn(argv[2], int(argv[3]))))
        return 0
    spec = json.loads(Path(argv[2]).read_text())
    if cmd == "build":
        build(spec)
    elif cmd == "install":
        install(spec, str(Path(argv[2]).resolve()))
    elif cmd == "underlay":
        underlay(spec)
    elif cmd == "activate":
        activate(spec)
    elif cmd == "wait":
        wait(spec)
    elif cmd == "after-boot":
        print(json.dumps(after_boot(spec, argv[3:])))
    elif cmd == "check":
        print(json.dumps(check(spec, argv[3:])))
    elif cmd == "containers":
        print(json.dumps({"attached": containers(spec)}))
    elif cmd == "faults":
        print(json.dumps(faults(spec)))
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
