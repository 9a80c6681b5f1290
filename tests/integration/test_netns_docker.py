# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real Docker engine (Debian's docker.io) in a throwaway namespace: which bridges are Docker's.

Docker names a network's bridge docker0, br-<12 hex of the network id>, or what
``-o com.docker.network.bridge.name=NAME`` says; only the engine knows the last kind. netstate_info asks the
engine over its API socket, so such a bridge with forwarding off is flagged like docker0 would be.
dockerd runs inside the namespace with its own data and exec roots, no iptables and the vfs storage driver
(no container is started, so no image is needed); ``ip netns exec`` remounts /sys, so the cgroup hierarchy is
mounted again in that mount namespace. The module sees the socket at /run/docker.sock through a private
mount namespace (a tmpfs over /run holding a symlink), as on a Docker host.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import run

DOCKERD_SCRIPT = r"""
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true
exec dockerd --data-root "$1/data" --exec-root "$1/exec" --pidfile "$1/dockerd.pid" -H "unix://$1/docker.sock" \
  --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none
"""


@pytest.fixture
def dockerd(netns, tmp_path_factory):
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed: .ci/run installs Debian's docker.io for this test", pytrace=False)
    root = tmp_path_factory.mktemp("dockerd")
    log = open(root / "dockerd.log", "w", encoding="utf-8")
    proc = subprocess.Popen(["ip", "netns", "exec", netns.name, "sh", "-c", DOCKERD_SCRIPT, "sh", str(root)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    sock = root / "docker.sock"
    env = dict(os.environ, DOCKER_HOST="unix://%s" % sock)
    try:
        deadline = time.monotonic() + 60
        while run(["docker", "version"], check=False, env=env).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("dockerd did not start:\n%s" % (root / "dockerd.log").read_text())
            time.sleep(0.5)
        yield sock, (lambda *argv: run(["docker"] + list(argv), env=env).stdout.strip())
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        subprocess.run(["rm", "-rf", str(root)], check=False)


def with_docker_socket(sock):
    """A command prefix: the program sees the engine's socket at /run/docker.sock (private mount namespace)."""
    script = 'mount -t tmpfs tmpfs /run && ln -s "$0" /run/docker.sock && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(sock)]


def test_a_custom_named_docker_bridge_with_forwarding_off_is_flagged(netns, dockerd):
    sock, docker = dockerd
    docker("network", "create", "-o", "com.docker.network.bridge.name=dkfwd0", "fwdnet")
    user_net = docker("network", "create", "usernet")
    netns.sysctl("net.ipv4.ip_forward", 1)
    netns.sysctl("net.ipv4.conf.dkfwd0.forwarding", 0)
    bridge_names = set(netns.links())
    assert {"dkfwd0", "br-" + user_net[:12]} <= bridge_names

    result = netns.audit(wrap=with_docker_socket(sock), checks=["forwarding", "bridge_mac"])
    assert not result.get("failed"), result
    docker_state = result["state"]["docker"]
    assert docker_state["engine_socket"] == "/run/docker.sock"
    assert docker_state["engine_version"] == docker("version", "--format", "{{.Server.Version}}")
    assert docker_state["networks"] == {"fwdnet": "dkfwd0", "usernet": "br-" + user_net[:12]}
    assert docker_state["bridges"] == sorted(["dkfwd0", "br-" + user_net[:12]])
    assert result["state"]["links"]["dkfwd0"]["docker_bridge"] is True
    flagged = [(f["id"], f["interface"]) for f in result["findings"]]
    assert flagged == [("interface_forwarding_off", "dkfwd0")], result["findings"]  # Docker pins its MACs
    assert result["audited"]["docker"]["running"] is True
    assert "Docker %s with 2 bridges" % docker_state["engine_version"].split("+")[0] in \
        result["audited"]["description"]

    # Without the engine's answer the custom name is not recognisable: this is what the socket adds.
    blind = netns.audit(checks=["forwarding"])
    assert "dkfwd0" not in blind["state"]["docker"]["bridges"]
    assert blind["state"]["docker"]["engine_socket"] is None
