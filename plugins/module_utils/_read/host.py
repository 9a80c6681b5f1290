# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read model's entry point: ``read_host_state`` (netlink, sysfs/proc, networkd files, Docker, machine-id)."""

from __future__ import annotations

__metaclass__ = type

import errno
import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._command import run_command
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import ReadError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    DefaultRoute,
    FileProblem,
    HostState,
    IFF_PROMISC,
    MACHINE_ID,
    NETWORKD_CONF,
    NETWORKD_CONF_DROPIN_DIRS,
    NETWORKD_LINK_STATE_DIR,
    NETWORKD_UNIT_DIRS,
    NetworkdState,
    PROC_IPV4_FORWARD,
    PROC_IPV6_FORWARDING,
    SYSFS_NET,
    TeamInfo,
    UnitFile,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.docker import read_docker
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_bytes
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_text as _read_text
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import dump_netlink
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax import bounded_json


SUBPROCESS_TIMEOUT = 10
# ENOENT: the sysfs directory is gone. EINVAL: net-sysfs answers reads of a device that is being
# unregistered with -EINVAL (netdev_show: !dev_isalive), seen with container churn on 6.x kernels.
_VANISHED_ERRNOS = (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EINVAL)


# --------------------------------------------------------------------------------------------------------
# Files


def _read_small(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def _read_sysfs_link(name, sysfs_net=SYSFS_NET):
    """(addr_assign_type, flags) from sysfs; raises OSError with a vanished errno when the link is gone."""
    base = "%s/%s/" % (sysfs_net, name)
    assign = int(_read_small(base + "addr_assign_type").strip() or b"-1")
    flags = int(_read_small(base + "flags").strip() or b"0", 16)
    return assign, flags


def _read_bool_file(path, problems):
    try:
        return _read_small(path).strip() not in (b"0", b"")
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            problems.append(FileProblem(path, exc.strerror or str(exc)))
        return None


def _listdir(path, problems):
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return []
    except OSError as exc:
        problems.append(FileProblem(path, exc.strerror or str(exc)))
        return []


def _run(argv):
    """Run a read-only helper command; (rc, stdout) or (None, '') when it is not installed."""
    rc, out, _err = run_command(argv, timeout=SUBPROCESS_TIMEOUT)
    return (rc, out) if rc is not None else (None, "")


def read_team_runner(team_name):
    """The runner of a team from ``teamdctl <team> state dump``; None when teamdctl is absent or silent."""
    rc, out = _run(["teamdctl", team_name, "state", "dump"])
    if rc != 0 or not out:
        return None
    try:
        return bounded_json.loads(out).get("setup", {}).get("runner_name")
    except (ValueError, AttributeError):
        return None


def parse_systemd_version(text):
    """``systemd 252 (252.30-1~deb12u2)`` -> 252."""
    for word in (text or "").split()[:3]:
        if word.isdigit():
            return int(word)
    return None


def _collect_unit_files(dirs, suffix, problems):
    """systemd's lookup: the first directory that has a file name wins; drop-ins from every directory."""
    chosen = {}
    for directory in dirs:
        for entry in _listdir(directory, problems):
            if entry.endswith(suffix) and entry not in chosen:
                chosen[entry] = os.path.join(directory, entry)
    units = []
    for entry in sorted(chosen):
        path = chosen[entry]
        if os.path.realpath(path) == "/dev/null":
            continue  # masked
        text = _read_text(path, problems)
        if text is None:
            continue
        unit = UnitFile(path=path)
        unit.add_text(path, text)
        _apply_dropins(unit, [os.path.join(d, entry + ".d") for d in dirs], problems)
        units.append(unit)
    return units


def _apply_dropins(unit, dropin_dirs, problems):
    chosen = {}
    for directory in dropin_dirs:
        for entry in _listdir(directory, problems):
            if entry.endswith(".conf") and entry not in chosen:
                chosen[entry] = os.path.join(directory, entry)
    for entry in sorted(chosen):
        path = chosen[entry]
        text = _read_text(path, problems)
        if text is None:
            continue
        unit.dropins.append(path)
        unit.add_text(path, text)


def read_networkd(links, problems):
    state = NetworkdState()
    rc, out = _run(["networkctl", "--version"])
    state.installed = rc == 0
    state.version = parse_systemd_version(out) if rc == 0 else None
    if not state.installed:
        return state
    state.network_files = _collect_unit_files(NETWORKD_UNIT_DIRS, ".network", problems)
    state.netdev_files = _collect_unit_files(NETWORKD_UNIT_DIRS, ".netdev", problems)
    text = _read_text(NETWORKD_CONF, problems)
    conf = UnitFile(path=NETWORKD_CONF)
    if text is not None:
        conf.add_text(NETWORKD_CONF, text)
    _apply_dropins(conf, NETWORKD_CONF_DROPIN_DIRS, problems)
    if text is not None or conf.dropins:
        state.networkd_conf = [conf]
    by_index = {link.ifindex: name for name, link in links.items()}
    state_files = _listdir(NETWORKD_LINK_STATE_DIR, problems)
    state.running = bool(state_files)
    for entry in state_files:
        if not entry.isdigit() or int(entry) not in by_index:
            continue
        text = _read_text(os.path.join(NETWORKD_LINK_STATE_DIR, entry), problems) or ""
        for line in text.splitlines():
            if line.startswith("NETWORK_FILE="):
                state.link_network_file[by_index[int(entry)]] = line.split("=", 1)[1].strip()
    return state


# --------------------------------------------------------------------------------------------------------
# Assembly


def assemble_links(by_index, masters, active, sysfs_reader):
    """Resolve ifindexes to names and add the sysfs values; links that vanished meanwhile are dropped."""
    links, vanished = {}, []
    for ifindex, link in by_index.items():
        try:
            assign, flags = sysfs_reader(link.name)
        except OSError as exc:
            if exc.errno in _VANISHED_ERRNOS:
                vanished.append(link.name)
                continue
            raise ReadError("cannot read sysfs for %s: %s" % (link.name, exc), interface=link.name)
        except ValueError:
            assign, flags = None, None
        link.addr_assign_type = assign if assign is not None and assign >= 0 else None
        link.sysfs_promisc = bool(flags & IFF_PROMISC) if flags is not None else None
        if link.kind == "unknown" and os.path.exists("%s/%s/device" % (SYSFS_NET, link.name)):
            link.kind = "physical"
        links[link.name] = link
    names = {ifindex: link.name for ifindex, link in by_index.items() if link.name in links}
    for ifindex, master_index in masters.items():
        child = names.get(ifindex)
        master = names.get(master_index)
        if child and master:
            links[child].master = master
            links[master].ports.append(child)
    for ifindex, slave_index in active.items():
        bond = names.get(ifindex)
        if bond and links[bond].bond is not None:
            links[bond].bond.active_slave = names.get(slave_index)
    for link in links.values():
        link.ports.sort()
    return links, sorted(vanished)


def read_host_state(read_teams=True):
    """Read the whole host once. Raises ReadError only when netlink itself cannot be read."""
    by_index, masters, active, routes, interrupted = dump_netlink()
    links, vanished = assemble_links(by_index, masters, active, _read_sysfs_link)
    problems = []
    state = HostState(links=links, vanished=vanished, file_problems=problems, interrupted_dumps=interrupted)
    state.ip_forward = _read_bool_file(PROC_IPV4_FORWARD, problems)
    state.ipv6_forwarding = _read_bool_file(PROC_IPV6_FORWARDING, problems)
    state.default_routes = [DefaultRoute(family, by_index[oif].name, gateway) for family, oif, gateway in routes
                            if oif in by_index and by_index[oif].name in links]
    state.default_route_interfaces = sorted({r.interface for r in state.default_routes})
    if read_teams:
        for link in links.values():
            if link.kind == "team":
                link.team = TeamInfo(runner=read_team_runner(link.name))
    state.docker = read_docker(links, problems)
    state.machine_id = read_machine_id()
    for name in state.docker.bridges:
        links[name].docker_bridge = True
    state.networkd = read_networkd(links, problems)
    return state


def read_machine_id(path=MACHINE_ID):
    """The host's /etc/machine-id (the seed of derived bridge MACs), or None when missing or empty."""
    try:
        data = read_bytes(path, limit=4096)
        return data.decode("ascii").strip() or None if data is not None else None
    except (OSError, ValueError):
        return None
