# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the running Docker engine says about itself: its version and the bridges of its networks.

Docker names the Linux bridge of a network ``docker0`` (the default network), ``br-<first 12 hex of the
network id>``, or whatever ``-o com.docker.network.bridge.name=<name>`` gave at creation: only the engine
knows the last kind, so the read model asks it over its API socket (HTTP/1.0 over a Unix socket: two small
GET requests, a short timeout, nothing written). Without an answering engine the read model falls back to
names (docker0, br-<12 hex>) and daemon.json's ``bridge``.
"""

from __future__ import annotations

__metaclass__ = type

import os
import socket
import stat
import time

from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    DOCKER_DAEMON_JSON,
    DOCKER_DEFAULT_BRIDGE,
    DOCKER_SOCKETS,
    DockerState,
    FileProblem,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_text
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax import bounded_json

BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
API_TIMEOUT = 2.0
_MAX_RESPONSE = 8 * 1024 * 1024


class EngineUnavailable(Exception):
    """The engine did not answer (no socket, refused, timed out, or not a JSON answer)."""


def api_get(socket_path, path, timeout=API_TIMEOUT):
    """GET ``path`` from the engine at ``socket_path``; the decoded JSON body. Raises EngineUnavailable."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    deadline = time.monotonic() + 2 * timeout  # the whole answer, not each read (an engine that drips bytes)
    try:
        sock.connect(socket_path)
        sock.sendall(("GET %s HTTP/1.0\r\nHost: docker\r\n\r\n" % path).encode("ascii"))
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise EngineUnavailable("%s did not answer %s within %g s" % (socket_path, path, 2 * timeout))
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > _MAX_RESPONSE:
                raise EngineUnavailable("%s answered more than %d bytes for %s" % (socket_path, _MAX_RESPONSE, path))
    except OSError as exc:
        raise EngineUnavailable("%s: %s" % (socket_path, exc.strerror or exc))
    finally:
        sock.close()
    return parse_http_response(b"".join(chunks), socket_path, path)


def parse_http_response(raw, socket_path="docker", path="/"):
    """The JSON body of an HTTP/1.0 response with status 200 (pure)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if not sep or len(parts) < 2 or parts[1] != "200":
        raise EngineUnavailable("%s answered %r for %s" % (socket_path, status_line[:80], path))
    try:
        return bounded_json.loads(body.decode("utf-8"))
    except ValueError as exc:
        raise EngineUnavailable("%s answered %s with invalid JSON: %s" % (socket_path, path, exc))


def bridge_names(networks):
    """{network name: Linux bridge name} of the bridge-driver networks in a ``GET /networks`` answer (pure)."""
    names = {}
    for network in networks if isinstance(networks, list) else []:
        if not isinstance(network, dict) or network.get("Driver") != "bridge":
            continue
        options = network.get("Options") or {}
        name = options.get(BRIDGE_NAME_OPTION) if isinstance(options, dict) else None
        if not name and isinstance(network.get("Id"), str):
            name = "br-" + network["Id"][:12]
        if name:
            names[str(network.get("Name") or name)] = name
    return names


def read_docker(links, problems, daemon_json=DOCKER_DAEMON_JSON, sockets=DOCKER_SOCKETS):
    """Docker as the host shows it: daemon.json, the engine's answer, and which bridges are Docker's."""
    state = DockerState()
    text = read_text(daemon_json, problems)
    if text is not None:
        state.daemon_json = daemon_json
        try:
            config = bounded_json.loads(text) if text.strip() else {}
            if not isinstance(config, dict):
                raise ValueError("top level is not a JSON object")
            bridge = config.get("bridge")
            if isinstance(bridge, str) and bridge and bridge != "none":
                state.configured_bridge = bridge
        except ValueError as exc:
            problems.append(FileProblem(daemon_json, "not valid JSON: %s" % exc))
    state.engine_version, state.networks, state.engine_socket, state.engine_error = read_engine(sockets)
    engine_bridges = set((state.networks or {}).values())
    state.bridges = sorted(name for name, link in links.items() if link.kind == "bridge" and
                           (name in engine_bridges or is_docker_bridge_name(name, state.configured_bridge)))
    state.present = bool(state.bridges or state.daemon_json or state.engine_socket)
    return state


def is_docker_bridge_name(name, configured_bridge=None):
    """docker0, a user-defined network's ``br-<12 hex>``, or daemon.json's ``bridge``."""
    if name == DOCKER_DEFAULT_BRIDGE or (configured_bridge and name == configured_bridge):
        return True
    suffix = name[3:]
    return name.startswith("br-") and len(suffix) == 12 and all(c in "0123456789abcdef" for c in suffix)


def read_engine(sockets=DOCKER_SOCKETS, timeout=API_TIMEOUT):
    """(version or None, {network: bridge} or None, the socket asked or None, why it did not answer or None)."""
    present = [path for path in sockets if _is_socket(path)]
    if not present:
        return None, None, None, None
    socket_path = present[0]
    try:
        version = api_get(socket_path, "/version", timeout)
        networks = api_get(socket_path, "/networks", timeout)
    except EngineUnavailable as exc:
        return None, None, socket_path, str(exc)
    return (version.get("Version") if isinstance(version, dict) else None), bridge_names(networks), socket_path, None


def _is_socket(path):
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False
