# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team -> bond transaction's host-side helpers, shipped beside ``t2b_txn.py``: its log, state and JSON
files, the snapshot of the backend's configuration directories and their byte-for-byte restore, and the running bond
read back from sysfs.

Standard library only, no collection imports, no decisions: ``t2b_txn.py`` (the transaction: timer,
apply, rollback, confirm, boot guard) imports it as a sibling when it runs on the host, and through the
collection when the module imports it.
"""

from __future__ import annotations

__metaclass__ = type

import errno
import fcntl
import hashlib
import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import time


def log(directory, message):
    line = "%.3f %s\n" % (time.time(), message)
    with open(os.path.join(directory, "log.txt"), "a", encoding="utf-8") as out:
        out.write(line)


def read_json(path, default=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def set_state(directory, state, **extra):
    path = os.path.join(directory, "state.json")
    data = read_json(path, {}) or {}
    data.update(extra)
    data["state"] = state
    data.setdefault("history", []).append([round(time.time(), 3), state])
    write_json(path, data)
    log(directory, "state " + state + (" " + json.dumps(extra, sort_keys=True) if extra else ""))
    return data


def get_state(directory):
    return (read_json(os.path.join(directory, "state.json"), {}) or {}).get("state")


class Lock:
    def __init__(self, directory):
        self.path = os.path.join(directory, "lock")
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a+")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


# ----------------------------------------------------------------------------------------------- snapshot


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot(directory, dirs):
    """Copy every file and symlink under ``dirs`` (with mode, owner) into DIR/snapshot; return the manifest."""
    store = os.path.join(directory, "snapshot")
    os.makedirs(store, exist_ok=True)
    manifest = {}
    for root in dirs:
        entry = {"exists": os.path.isdir(root), "files": {}}
        manifest[root] = entry
        if not entry["exists"]:
            continue
        for current, subdirs, files in os.walk(root):
            subdirs.sort()
            for name in sorted(files) + sorted(d for d in subdirs if os.path.islink(os.path.join(current, d))):
                path = os.path.join(current, name)
                st = os.lstat(path)
                rec = {"mode": st.st_mode & 0o7777, "uid": st.st_uid, "gid": st.st_gid}
                if os.path.islink(path):
                    rec["link"] = os.readlink(path)
                else:
                    copy = os.path.join(store, "%d" % len(os.listdir(store)))
                    shutil.copyfile(path, copy)
                    rec["copy"] = copy
                    rec["sha256"] = sha256_file(copy)
                entry["files"][path] = rec
    write_json(os.path.join(directory, "snapshot.json"), manifest)
    return manifest


def _same(path, rec):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if "link" in rec:
        return os.path.islink(path) and os.readlink(path) == rec["link"]
    return (not os.path.islink(path) and st.st_mode & 0o7777 == rec["mode"] and st.st_uid == rec["uid"]
            and st.st_gid == rec["gid"] and sha256_file(path) == rec["sha256"])


def restore(directory, manifest):
    """Make every snapshot directory hold exactly what it held: changed files rewritten, new ones removed."""
    for root, entry in manifest.items():
        files = entry["files"]
        if os.path.isdir(root):
            for current, subdirs, names in os.walk(root):
                for name in names + [d for d in subdirs if os.path.islink(os.path.join(current, d))]:
                    path = os.path.join(current, name)
                    if path not in files:
                        os.unlink(path)
                        log(directory, "restore: removed %s" % path)
        for path, rec in sorted(files.items()):
            if _same(path, rec):
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = os.path.join(os.path.dirname(path), ".hostnet-t2b-restore.tmp")
            if os.path.lexists(tmp):
                os.unlink(tmp)
            if "link" in rec:
                os.symlink(rec["link"], tmp)
                os.lchown(tmp, rec["uid"], rec["gid"])
            else:
                shutil.copyfile(rec["copy"], tmp)
                os.chown(tmp, rec["uid"], rec["gid"])
                os.chmod(tmp, rec["mode"])
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            os.replace(tmp, path)
            log(directory, "restore: wrote %s" % path)
    os.sync()


def write_plan_files(directory, plan):
    set_state(directory, "applying", files_written=True)
    for path in plan["moved_aside"]:
        if os.path.lexists(path):
            os.unlink(path)
            log(directory, "moved aside %s (in the snapshot)" % path)
    for item in plan["files"]:
        write_file(item["path"], item["content"], item["mode"])
        log(directory, "wrote %s" % item["path"])


def write_file(path, content, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".hostnet-t2b.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------- the bond, read back


def sysfs(name, attr):
    with open("/sys/class/net/%s/%s" % (name, attr), encoding="utf-8") as handle:
        return handle.read().strip()


def link_master(name):
    path = "/sys/class/net/%s/master" % name
    return os.path.basename(os.readlink(path)) if os.path.islink(path) else None


def bond_mismatches(expect):
    """Differences between the running bond and the plan ([] when it runs as planned)."""
    bond = expect["bond"]
    if not os.path.isdir("/sys/class/net/%s/bonding" % bond):
        return ["%s does not exist as a bond" % bond]
    found = []
    for key, want in expect["options"].items():
        try:
            have = sysfs(bond, "bonding/" + key)
        except OSError as exc:
            found.append("%s: cannot read %s (%s)" % (bond, key, exc))
            continue
        if key == "arp_ip_target":
            ok = sorted(have.split()) == sorted(want.replace(",", " ").split())
        else:
            ok = (have.split() or [""])[0] == str(want) or have == str(want)
        if not ok:
            found.append("%s: %s is %r, planned %r" % (bond, key, have, want))
    slaves = sysfs(bond, "bonding/slaves").split()
    missing = sorted(set(expect["ports"]) - set(slaves))
    if missing:
        found.append("%s: ports not enslaved yet: %s" % (bond, " ".join(missing)))
    if expect.get("mac") and sysfs(bond, "address") != expect["mac"]:
        found.append("%s: MAC %s, planned %s" % (bond, sysfs(bond, "address"), expect["mac"]))
    if expect.get("master") and link_master(bond) != expect["master"]:
        found.append("%s: master %s, planned %s" % (bond, link_master(bond), expect["master"]))
    if expect.get("mtu") and int(sysfs(bond, "mtu")) != expect["mtu"]:
        found.append("%s: MTU %s, planned %s" % (bond, sysfs(bond, "mtu"), expect["mtu"]))
    if sysfs(bond, "operstate") != "up":
        found.append("%s: operstate %s" % (bond, sysfs(bond, "operstate")))
    return found


# ----------------------------------------------------------------------------------------------- neighbours

ETH_P_ARP, ETH_P_IPV6, ETH_P_RARP = 0x0806, 0x86DD, 0x8035


def net(name, attr, default=None):
    try:
        return sysfs(name, attr)
    except OSError:
        return default


def _mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def _frames(lag, bridge):
    """Frames that tell the neighbours where the bridge's addresses and the MACs behind it are now."""
    frames = []
    bcast = b"\xff" * 6
    for owner in [n for n in (bridge, lag) if n]:
        mac = net(owner, "address")
        if not mac:
            continue
        src = _mac_bytes(mac)
        for family, addr in _addresses(owner):
            if family == 4:
                ip4 = socket.inet_aton(addr)
                arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src, ip4, bcast, ip4)
                frames.append(bcast + src + struct.pack("!H", ETH_P_ARP) + arp)
            elif family == 6:
                frames.append(_unsolicited_na(src, addr))
    if bridge:  # MACs learned behind the bridge's other ports (containers): RARP, as qemu announces a VM
        for mac in _learned_macs(bridge, lag):
            src = _mac_bytes(mac)
            rarp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 3, src, b"\0" * 4, src, b"\0" * 4)
            frames.append(bcast + src + struct.pack("!H", ETH_P_RARP) + rarp)
    return frames


def _addresses(name):
    out = []
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as handle:
            inet6 = handle.read()
    except OSError:
        inet6 = ""
    for line in inet6.splitlines():
        words = line.split()
        if len(words) == 6 and words[5] == name:
            out.append((6, str(ipaddress.IPv6Address(bytes.fromhex(words[0])))))
    try:
        text = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", name], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=False, timeout=10).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        text = ""
    for line in text.splitlines():
        words = line.split()
        if "inet" in words:
            out.append((4, words[words.index("inet") + 1].split("/")[0]))
    return out


def _learned_macs(bridge, lag):
    macs = []
    base = "/sys/class/net/%s/brif" % bridge
    ports = [p for p in (os.listdir(base) if os.path.isdir(base) else []) if p != lag]
    try:
        text = subprocess.run(["bridge", "fdb", "show", "br", bridge], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=False, timeout=10).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        text = ""
    for line in text.splitlines():
        words = line.split()
        if len(words) > 2 and words[1] == "dev" and words[2] in ports and "permanent" not in words \
                and "self" not in words and words[0] not in macs and not int(words[0][:2], 16) & 1:
            macs.append(words[0])
    return macs[:256]


def _unsolicited_na(src, addr):
    target = ipaddress.IPv6Address(addr).packed
    dst_ip = ipaddress.IPv6Address("ff02::1").packed
    icmp = struct.pack("!BBHI16s", 136, 0, 0, 0x20000000, target) + struct.pack("!BB6s", 2, 1, src)
    pseudo = target + dst_ip + struct.pack("!I3xB", len(icmp), 58)
    total = 0
    data = pseudo + icmp
    for i in range(0, len(data), 2):
        total += (data[i] << 8) + data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    icmp = icmp[:2] + struct.pack("!H", ~total & 0xFFFF) + icmp[4:]
    ip6 = struct.pack("!IHBB16s16s", 0x60000000, len(icmp), 58, 255, target, dst_ip)
    return b"\x33\x33\x00\x00\x00\x01" + src + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp


def announce(lag, bridge, log, directory, repeat=2, pause=0.5, deadline=5.0):
    """Send the frames out of ``lag`` (the bond or, on the way back, the team) ``repeat`` times; a LAG that
    cannot transmit yet (ENOBUFS: no 802.3ad port distributing) is retried until ``deadline`` s. Returns how many."""
    began = time.time()
    try:
        frames = _frames(lag, bridge)
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
            sock.bind((lag, 0))
            for turn in range(repeat):
                for frame in frames:
                    while True:
                        try:
                            sock.send(frame)
                            break
                        except OSError as exc:
                            if exc.errno != errno.ENOBUFS or time.time() - began > deadline:
                                raise
                            time.sleep(0.05)
                if turn + 1 < repeat:
                    time.sleep(pause)
    except OSError as exc:
        log(directory, "announce through %s failed: %s" % (lag, exc))
        return 0
    log(directory, "announced %d frame(s) through %s (x%d, %.2fs)" % (len(frames), lag, repeat, time.time() - began))
    return len(frames)
