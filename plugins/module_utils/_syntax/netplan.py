# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netplan's YAML, as far as the collection needs it: which file defines which interface, the units netplan
renders for systemd-networkd, and the collection's own netplan file (bridge MACs). Pure: texts in, data out.

netplan reads ``*.yaml`` from /lib/netplan, /etc/netplan and /run/netplan in the order of their file names (a
name in /run hides the same name in /etc, which hides /lib) and merges definitions of one id across files;
with ``renderer: networkd`` it writes ``/run/systemd/network/10-netplan-<id>.{network,netdev}`` (measured,
netplan 1.1.2 on Debian 13). PyYAML, which netplan itself needs, parses the files; without it a line scanner
finds the ids of block-style files.
"""

from __future__ import annotations

__metaclass__ = type

import json
import os
import re

try:
    import yaml
except ImportError:  # pragma: no cover - netplan hosts have PyYAML (netplan.io depends on it)
    yaml = None

NETPLAN_DIRS = ("/lib/netplan", "/etc/netplan", "/run/netplan")  # later directories hide earlier names
GENERATED_DIR = "/run/systemd/network"
GENERATED_PREFIX = "10-netplan-"
DEVICE_TYPES = ("ethernets", "bonds", "bridges", "vlans", "wifis", "tunnels", "vrfs", "modems",
                "dummy-devices", "virtual-ethernets", "nm-devices")
OWN_FILE = "/etc/netplan/90-hostnet-dockerhost.yaml"
OWN_HEADER = (
    "# Managed by hostnet.dockerhost.bridge_mac: pins the MAC of these bridges, which other netplan files\n"
    "# define (netplan merges the definitions; this file sets only macaddress).\n"
    "# To undo: run bridge_mac with state=absent, or delete this file and run 'netplan generate' and\n"
    "# 'networkctl reload'.\n")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
# A YAML key written plain; any other name (b;reboot is plain, but #x, *x, -x, 'x or a control character are
# not) is written as a double-quoted scalar, JSON's escapes being YAML's.
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.;$()=+@-]*$")


def yaml_key(name):
    return name if _PLAIN_KEY.match(name) else json.dumps(name)


def netplan_file_order(listing, dirs=NETPLAN_DIRS):
    """``listing``: {directory: [file names]} -> the paths netplan reads, in its order."""
    chosen = {}
    for directory in dirs:
        for name in listing.get(directory, ()):
            if name.endswith(".yaml"):
                chosen[name] = os.path.join(directory, name)
    return [chosen[name] for name in sorted(chosen)]


def generated_id(unit_path):
    """The netplan id of a unit netplan rendered for networkd (``/run/systemd/network/10-netplan-brd.netdev``
    -> ``brd``), else None."""
    if os.path.dirname(unit_path) != GENERATED_DIR:
        return None
    base = os.path.basename(unit_path)
    stem, ext = os.path.splitext(base)
    if not stem.startswith(GENERATED_PREFIX) or ext not in (".network", ".netdev", ".link"):
        return None
    return stem[len(GENERATED_PREFIX):] or None


def _scan_ids(text):
    """Block-style fallback without PyYAML: {type: {id: {}}} from the indentation alone."""
    out, section, type_indent, id_indent = {}, None, None, None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        key = line.strip().split(":", 1)[0].strip().strip("'\"")
        if section is not None and indent <= type_indent:
            section = None
        if section is None:
            if key in DEVICE_TYPES and line.strip().endswith(":"):
                section, type_indent, id_indent = key, indent, None
                out.setdefault(section, {})
            continue
        if id_indent is None:
            id_indent = indent
        if indent == id_indent and ":" in line:
            out[section][key] = {}
    return out


def parse_netplan(text):
    """{type: {id: definition}} of one netplan file (definitions are {} without PyYAML). Raises ValueError."""
    if yaml is None:
        return _scan_ids(text)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError("not valid YAML: %s" % str(exc).splitlines()[0])
    network = data.get("network") if isinstance(data, dict) else None
    if network is None:
        return {}
    if not isinstance(network, dict):
        raise ValueError("'network' is not a mapping")
    out = {}
    for kind in DEVICE_TYPES:
        section = network.get(kind) or {}
        if not isinstance(section, dict):
            raise ValueError("'network.%s' is not a mapping" % kind)
        out[kind] = {str(key): (value if isinstance(value, dict) else {}) for key, value in section.items()}
    return out


def definitions(files):
    """``files``: [(path, text)] in netplan's order -> {id: [(path, type, definition)]}, every file that
    defines the id, in order (netplan merges them; a later key wins)."""
    out = {}
    for path, text in files:
        for kind, section in parse_netplan(text).items():
            for ident, definition in section.items():
                out.setdefault(ident, []).append((path, kind, definition))
    return out


def render_own_file(macs):
    """The collection's netplan file for {bridge: mac}; None when there is nothing to pin (no file)."""
    if not macs:
        return None
    lines = [OWN_HEADER.rstrip("\n"), "network:", "  version: 2", "  bridges:"]
    for name in sorted(macs):
        lines += ["    %s:" % yaml_key(name), '      macaddress: "%s"' % macs[name]]
    return "\n".join(lines) + "\n"


def parse_own_file(text):
    """{bridge: mac} from the collection's own file. Raises ValueError when it is not in our format."""
    macs, current = {}, None
    for raw in (text or "").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#") or raw in ("network:", "  version: 2", "  bridges:"):
            continue
        match = re.match(r"^    ([^\s:#\"]+):$", raw)
        if match:
            current = match.group(1)
            continue
        match = re.match(r'^    ("(?:[^"\\]|\\.)*"):$', raw)
        if match:
            current = json.loads(match.group(1))
            continue
        match = re.match(r'^      macaddress: "?([0-9a-fA-F:]+)"?$', raw)
        if match and current and _MAC.match(match.group(1).lower()):
            macs[current] = match.group(1).lower()
            continue
        raise ValueError("unexpected line %r" % raw)
    return macs
