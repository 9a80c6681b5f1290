#!/usr/bin/python3
"""The team_to_bond lab host: two teams under bridges, kept by the host's network backend, surviving reboots.

    t2b_lab.py install networkd|nm   write and start everything (boot units, backend configuration)
    t2b_lab.py underlay              at boot, before the network: switch namespaces, LACP partner, the veth
                                     "cables" whose host ends eno0..eno3 play the NICs, container namespaces
    t2b_lab.py attach                at boot, after the backend: container veths join br0/br1 (as docker does)
    t2b_lab.py wait                  until both LAGs carry traffic and the containers answer the peers (puts
                                     container veths back into their bridge where needed, prints them)
    t2b_lab.py ping NS ADDR          one probe from a namespace (exit status)
    t2b_lab.py truth                 JSON: per LAG name kind, MAC, master, ports, bond options from sysfs
    t2b_lab.py confsum networkd|nm   JSON: sha256 of every file in the backend's configuration directories
    t2b_lab.py leftovers networkd|nm JSON: the team configuration still on the host (units, files, profiles,
                                     links); [] once a migration committed

    eno0,eno1 -> team0 (lacp, fast_rate; partner needs LACP) -> br0 192.0.2.5/24    ctr1 192.0.2.71   peer swl 192.0.2.1
    eno2,eno3 -> team1 (activebackup, eno3 prio, eno2 sticky) -> br1 198.51.100.5/24 ctr2 198.51.100.71 peer swb .1

networkd: teamd@team0/1.service (unit and /etc/teamd/*.conf written here) beside systemd-networkd, which
keeps br0/br1 and puts the teams in them. nm: NetworkManager team, team-port (per-port prio/sticky) and
bridge profiles (nmcli).
Standard library only; every command an argument list.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SELF = "/usr/local/sbin/t2b-lab"
HEADER = "# written by the team_to_bond lab (t2b_lab.py)\n"
TEAMS = [
    {"name": "team0", "ports": ["eno0", "eno1"], "bridge": "br0", "address": "192.0.2.5/24", "switch": "swl",
     "peer": "192.0.2.1/24", "lacp": True, "ctr": ("ctr1", "vc1", "192.0.2.71/24"),
     "config": {"runner": {"name": "lacp", "active": True, "fast_rate": True, "tx_hash": ["eth", "ipv4", "ipv6"]},
                "link_watch": {"name": "ethtool"}}},
    {"name": "team1", "ports": ["eno2", "eno3"], "bridge": "br1", "address": "198.51.100.5/24", "switch": "swb",
     "peer": "198.51.100.1/24", "lacp": False, "ctr": ("ctr2", "vc2", "198.51.100.71/24"),
     "config": {"runner": {"name": "activebackup"}, "link_watch": {"name": "ethtool"},
                "ports": {"eno2": {"sticky": True}, "eno3": {"prio": 100}}}},
]
CONF_DIRS = {"networkd": ["/etc/systemd/network", "/etc/teamd"], "nm": ["/etc/NetworkManager/system-connections"]}

UNDERLAY_UNIT = HEADER + """[Unit]
Description=team_to_bond lab: switch namespaces and veth cables (the host's hardware)
DefaultDependencies=no
Wants=network-pre.target
After=local-fs.target systemd-udevd.service systemd-modules-load.service
Before=network-pre.target systemd-networkd.service NetworkManager.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/t2b-lab underlay

[Install]
WantedBy=multi-user.target
"""
ATTACH_UNIT = HEADER + """[Unit]
Description=team_to_bond lab: containers join the bridges (as docker does when it starts)
After=systemd-networkd.service NetworkManager.service t2b-lab-underlay.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/t2b-lab attach

[Install]
WantedBy=multi-user.target
"""
TEAMD_UNIT = HEADER + """[Unit]
Description=Team daemon for device %I
After=network-pre.target t2b-lab-underlay.service
Before=network.target

[Service]
ExecStart=/usr/bin/teamd -U -D -o -t %i -f /etc/teamd/%i.conf
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def run(*argv, check=True):
    proc = subprocess.run(list(argv), text=True, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"t2b-lab: {' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def nsip(ns, *args, check=True):
    return run("ip", "netns", "exec", ns, "ip", *args, check=check)


def exists(name):
    return Path(f"/sys/class/net/{name}").exists()


def wait_for(pred, what, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit(f"t2b-lab: timed out waiting for {what}")
        time.sleep(0.5)


def underlay():
    for module in ("team", "bonding"):
        run("modprobe", module)
    for team in TEAMS:
        ns = team["switch"]
        if not Path(f"/run/netns/{ns}").exists():
            run("ip", "netns", "add", ns)
            nsip(ns, "link", "set", "lo", "up")
            nsip(ns, "link", "add", "sw", "type", "bridge", "stp_state", "0", "forward_delay", "0")
            nsip(ns, "addr", "add", team["peer"], "dev", "sw")
            nsip(ns, "link", "set", "sw", "up")
            upper = "sw"
            if team["lacp"]:
                # min_links 2: like a switch port-channel that suspends ports without LACP, the partner
                # carries no traffic unless both ports aggregate (a static bond on our side is refused).
                nsip(ns, "link", "add", "partner", "type", "bond", "mode", "802.3ad", "lacp_rate", "fast",
                     "miimon", "100", "min_links", "2")
                nsip(ns, "link", "set", "partner", "master", "sw")
                upper = "partner"
            for port in team["ports"]:
                run("ip", "link", "add", port, "type", "veth", "peer", "name", "p-" + port, "netns", ns)
                nsip(ns, "link", "set", "p-" + port, "master", upper)
                nsip(ns, "link", "set", "p-" + port, "up")
            if team["lacp"]:
                nsip(ns, "link", "set", "partner", "up")
        ctr_ns, host_if, addr = team["ctr"]
        if not Path(f"/run/netns/{ctr_ns}").exists():
            run("ip", "netns", "add", ctr_ns)
            nsip(ctr_ns, "link", "set", "lo", "up")
            run("ip", "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", ctr_ns)
            nsip(ctr_ns, "addr", "add", addr, "dev", "eth0")
            nsip(ctr_ns, "link", "set", "eth0", "up")


def attach():
    for team in TEAMS:
        host_if = team["ctr"][1]
        wait_for(lambda t=team: exists(t["bridge"]), team["bridge"], 120)
        run("ip", "link", "set", host_if, "master", team["bridge"])
        run("ip", "link", "set", host_if, "up")


def write(path, text, mode=0o644):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    os.chmod(path, mode)


def install_networkd():
    write("/etc/systemd/system/teamd@.service", TEAMD_UNIT)
    for team in TEAMS:
        config = dict(team["config"], device=team["name"])
        config.setdefault("ports", {})
        for port in team["ports"]:
            config["ports"].setdefault(port, {})
        write(f"/etc/teamd/{team['name']}.conf", json.dumps(config, indent=4, sort_keys=True) + "\n")
        br = team["bridge"]
        write(f"/etc/systemd/network/30-{br}.netdev",
              HEADER + f"[NetDev]\nName={br}\nKind=bridge\n\n[Bridge]\nSTP=no\nForwardDelaySec=0\n")
        write(f"/etc/systemd/network/30-{br}.network",
              HEADER + f"[Match]\nName={br}\n\n[Network]\nAddress={team['address']}\nLinkLocalAddressing=no\n"
              "IPv6AcceptRA=no\nConfigureWithoutCarrier=yes\n")
        write(f"/etc/systemd/network/30-{team['name']}.network",
              HEADER + f"[Match]\nName={team['name']}\n\n[Network]\nBridge={br}\nLinkLocalAddressing=no\n"
              "IPv6AcceptRA=no\nConfigureWithoutCarrier=yes\n")
    run("systemctl", "daemon-reload")
    run("networkctl", "reload")
    wait_for(lambda: all(exists(t["bridge"]) for t in TEAMS), "bridges from networkd")
    for team in TEAMS:
        run("systemctl", "enable", "--now", f"teamd@{team['name']}.service")


def install_nm():
    ports = [p for t in TEAMS for p in t["ports"]]
    write("/etc/NetworkManager/conf.d/50-t2b-lab-ports.conf",
          HEADER + "[device-t2b-lab-ports]\nmatch-device=" + ";".join(f"interface-name:{p}" for p in ports) +
          "\nmanaged=1\n")
    # Debian's 85-nm-unmanaged.rules marks veths NM_UNMANAGED; these veths play the host's NICs, so a
    # later rule clears that at every boot (the conf.d entry alone does not override the udev property).
    write("/etc/udev/rules.d/86-t2b-lab-managed.rules",
          HEADER + 'SUBSYSTEM=="net", ACTION=="add|change|move", ENV{INTERFACE}=="eno[0-3]", ENV{NM_UNMANAGED}="0"\n')
    run("udevadm", "control", "--reload")
    for port in ports:
        run("udevadm", "trigger", "--action=change", f"/sys/class/net/{port}")
    run("udevadm", "settle", "--timeout=30", check=False)
    run("nmcli", "general", "reload", "conf")
    for port in ports:
        run("nmcli", "device", "set", port, "managed", "yes", check=False)
    wait_for(lambda: all("unmanaged" not in run("nmcli", "-g", "GENERAL.STATE", "device", "show", p,
                                                check=False).stdout for p in ports), "NM manages the ports", 60)
    for team in TEAMS:
        br, name = team["bridge"], team["name"]
        run("nmcli", "connection", "add", "type", "bridge", "con-name", br, "ifname", br, "bridge.stp", "no",
            "ipv4.method", "manual", "ipv4.addresses", team["address"], "ipv6.method", "disabled")
        # NetworkManager keeps a team's per-port settings in the port profiles (team-port.config); a "ports"
        # object in team.config is dropped when NM normalises it into its team.* properties.
        master_config = {k: v for k, v in team["config"].items() if k != "ports"}
        run("nmcli", "connection", "add", "type", "team", "con-name", name, "ifname", name,
            "connection.master", br, "connection.slave-type", "bridge",
            "team.config", json.dumps(master_config))
        for port in team["ports"]:
            port_config = team["config"].get("ports", {}).get(port)
            run("nmcli", "connection", "add", "type", "ethernet", "con-name", f"{name}-{port}", "ifname", port,
                "connection.master", name, "connection.slave-type", "team",
                *(["team-port.config", json.dumps(port_config)] if port_config else []))
        run("nmcli", "connection", "up", br)
        run("nmcli", "connection", "up", name)
        for port in team["ports"]:
            run("nmcli", "connection", "up", f"{name}-{port}")


def install(manager):
    if os.path.abspath(__file__) != SELF:
        write(SELF, Path(__file__).read_text(), 0o755)
    write("/etc/systemd/system/t2b-lab-underlay.service", UNDERLAY_UNIT)
    write("/etc/systemd/system/t2b-lab-attach.service", ATTACH_UNIT)
    run("systemctl", "daemon-reload")
    run("systemctl", "enable", "t2b-lab-underlay.service", "t2b-lab-attach.service")
    run("systemctl", "start", "t2b-lab-underlay.service")
    if manager == "networkd":
        install_networkd()
    else:
        install_nm()
    run("systemctl", "start", "t2b-lab-attach.service")
    wait()


def lag_of(team):
    """The LAG currently carrying the team's ports: the team itself or the bond that replaced it."""
    for port in team["ports"]:
        master = link_master(port)
        if master:
            return master
    return None


def wait():
    """Until the LAGs carry traffic. A container veth that is no longer in its bridge is put back, as Docker
    does when it starts after the network: NetworkManager may re-activate a bridge at boot after the attach
    unit ran, and that detaches its ports. Prints the veths put back (JSON list)."""
    for team in TEAMS:
        wait_for(lambda t=team: lag_of(t) and all(link_master(p) == lag_of(t) for p in t["ports"]),
                 f"ports of {team['name']} enslaved", 180)
        wait_for(lambda t=team: link_master(lag_of(t)) == t["bridge"], f"LAG of {team['name']} in its bridge", 120)
    reattached = []
    for team in TEAMS:
        host_if = team["ctr"][1]
        if link_master(host_if) != team["bridge"]:
            run("ip", "link", "set", host_if, "master", team["bridge"])
            run("ip", "link", "set", host_if, "up")
            reattached.append(host_if)
    print(json.dumps(reattached))
    for team in TEAMS:
        ctr_ip = team["ctr"][2].split("/", maxsplit=1)[0]
        wait_for(lambda t=team, a=ctr_ip: ping(t["switch"], a) == 0, f"{team['switch']} -> {ctr_ip}", 180)


def link_master(name):
    try:
        return os.path.basename(os.readlink(f"/sys/class/net/{name}/master"))
    except OSError:
        return None


def ping(ns, addr):
    return run("ip", "netns", "exec", ns, "ping", "-n", "-c", "1", "-W", "1", addr, check=False).returncode


def read(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def truth():
    out = {}
    names = {t["name"] for t in TEAMS} | {t["name"].replace("team", "bond") for t in TEAMS}
    for team in TEAMS:
        lag = lag_of(team)
        if lag:
            names.add(lag)
    for name in sorted(names):
        if not exists(name):
            out[name] = {"exists": False}
            continue
        kind = "bond" if Path(f"/sys/class/net/{name}/bonding").exists() else (
            "team" if run("teamdctl", name, "state", "dump", check=False).returncode == 0 else "other")
        entry = {"exists": True, "kind": kind, "mac": read(f"/sys/class/net/{name}/address"),
                 "master": link_master(name), "operstate": read(f"/sys/class/net/{name}/operstate"),
                 "ports": sorted(p for p in os.listdir("/sys/class/net") if link_master(p) == name)}
        if kind == "bond":
            entry["bonding"] = {opt: read(f"/sys/class/net/{name}/bonding/{opt}") for opt in (
                "mode", "lacp_rate", "xmit_hash_policy", "miimon", "primary", "primary_reselect", "slaves",
                "active_slave", "ad_partner_mac")}
        out[name] = entry
    return out


def confsum(manager):
    sums = {}
    for root in CONF_DIRS[manager]:
        for current, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(current, name)
                st = os.lstat(path)
                data = os.readlink(path).encode() if os.path.islink(path) else Path(path).read_bytes()
                sums[path] = "%s %o %d:%d" % (hashlib.sha256(data).hexdigest(), st.st_mode & 0o7777,
                                              st.st_uid, st.st_gid)
    return sums


def leftovers(manager):
    left = []
    if manager == "networkd":
        for team in TEAMS:
            unit = f"teamd@{team['name']}.service"
            if run("systemctl", "is-enabled", "--quiet", unit, check=False).returncode == 0:
                left.append(f"{unit} is enabled")
            if Path(f"/etc/teamd/{team['name']}.conf").exists():
                left.append(f"/etc/teamd/{team['name']}.conf")
        for path in sorted(Path("/etc/systemd/network").glob("*.network")):
            names = [line.split("=", 1)[1].split() for line in path.read_text().splitlines()
                     if line.strip().startswith("Name=")]
            if any(name.startswith("team") for words in names for name in words):
                left.append(str(path))
    else:
        out = run("nmcli", "-t", "-f", "NAME,TYPE", "connection", "show").stdout
        for line in out.splitlines():
            name, _sep, kind = line.rpartition(":")
            if kind == "team" or name.startswith("team"):
                left.append(f"NetworkManager profile {name} ({kind})")
    left.extend(f"link {t['name']}" for t in TEAMS if exists(t["name"]))
    return left


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "install":
        install(argv[2])
    elif cmd == "underlay":
        underlay()
    elif cmd == "attach":
        attach()
    elif cmd == "wait":
        wait()
    elif cmd == "ping":
        return ping(argv[2], argv[3])
    elif cmd == "truth":
        print(json.dumps(truth(), sort_keys=True))
    elif cmd == "leftovers":
        print(json.dumps(leftovers(argv[2])))
    elif cmd == "confsum":
        print(json.dumps(confsum(argv[2]), sort_keys=True))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main(sys.argv))
