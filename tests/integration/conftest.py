# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real-kernel fast tier: throwaway network namespaces on the local kernel, the module run by ansible-playbook.

Every namespace a test creates is deleted in the fixture's teardown, also when the test fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".build" / "collections"

MODULE_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the module
      hostnet.dockerhost.%s: "{{ hostnet_args }}"
      register: __result
      ignore_errors: true
    - name: Save the result
      ansible.builtin.copy:
        content: "{{ __result | to_json }}"
        dest: "{{ hostnet_out }}"
        mode: "0600"
      check_mode: false
"""


def _ensure_collection_path():
    link = COLLECTIONS / "ansible_collections" / "hostnet" / "dockerhost"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(REPO)


def run(argv, check=True, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("text", True)
    proc = subprocess.run(argv, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(argv), proc.returncode, (proc.stderr or "").strip()))
    return proc


def private_etc(tmp_path, read_only=False):
    """A copy of /etc under tmp_path and a command prefix that runs a program with it bind-mounted over /etc in
    a private mount namespace (read-only when asked): modules write there, the host's /etc is untouched."""
    etc = tmp_path / "etc"
    if not etc.exists():
        run(["cp", "-a", "/etc", str(etc)])
    script = 'mount --bind "$0" /etc && exec "$@"'
    if read_only:
        script = 'mount --bind "$0" /etc && mount -o remount,bind,ro /etc && exec "$@"'
    return etc, ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(etc)]


def private_host(tmp_path, setup="", after="", prefix=()):
    """A copy of /etc and an own /var/lib under tmp_path, bind-mounted over /etc and /var/lib in a private mount
    namespace (as private_etc). ``setup``: shell lines run in that namespace before the command (mount a tiny
    tmpfs, a read-only bind, ...); ``after``: lines run after it (the command's exit code is kept);
    ``prefix``: argv put before the command (e.g. setpriv dropping a capability). Returns (etc, varlib, wrap)."""
    etc = tmp_path / "etc"
    if not etc.exists():
        run(["cp", "-a", "/etc", str(etc)])
    varlib = tmp_path / "varlib"
    varlib.mkdir(exist_ok=True)
    script = ('E="$0"; V="$1"; shift; mount --bind "$E" /etc && mount --bind "$V" /var/lib || exit 97\n'
              '%s\n"$@"\nrc=$?\n%s\nexit $rc' % (setup or ":", after or ":"))
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(etc), str(varlib)]
    return etc, varlib, wrap + list(prefix)


def tree_state(*roots):
    """Every entry under the roots: path -> (type, sha256 of a file's bytes or a link's target, mode, uid, gid)."""
    found = {}
    for root in roots:
        for path in sorted([root] + list(root.rglob("*"))):
            st = path.lstat()
            if path.is_symlink():
                kind, digest = "link", os.readlink(path)
            elif path.is_dir():
                kind, digest = "dir", ""
            elif path.is_file():
                kind, digest = "file", hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                kind, digest = "other", ""
            found[str(path)] = (kind, digest, st.st_mode & 0o7777, st.st_uid, st.st_gid)
    return found


def tree_digest(root):
    """One hash over every regular file's path and bytes under root: equal digests mean nothing was written."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(str(path.relative_to(root)).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


class Netns:
    """A network namespace of this test run; peers are extra namespaces deleted with it."""

    def __init__(self, name):
        self.name = name
        self.peers = []
        run(["ip", "netns", "add", name])
        self.ip("link", "set", "lo", "up")

    def ip(self, *args):
        return run(["ip", "-n", self.name] + list(args)).stdout

    def batch(self, lines):
        run(["ip", "-n", self.name, "-batch", "-"], input="\n".join(lines) + "\n")

    def exec(self, *argv, **kwargs):
        return run(["ip", "netns", "exec", self.name] + list(argv), **kwargs)

    def sysctl(self, key, value):
        self.exec("sysctl", "-q", "-w", "%s=%s" % (key, value))

    def read(self, path):
        return self.exec("cat", path).stdout.strip()

    def links(self):
        return {link["ifname"]: link for link in json.loads(self.ip("-d", "-j", "link", "show"))}

    def peer(self):
        peer = Netns("%s-p%d" % (self.name, len(self.peers)))
        self.peers.append(peer)
        return peer

    def delete(self):
        for peer in self.peers:
            peer.delete()
        subprocess.run(["ip", "netns", "del", self.name], check=False, stderr=subprocess.DEVNULL)

    def audit(self, check_mode=True, wrap=None, **options):
        """Run netstate_info in this namespace through ansible-playbook; return the registered result.

        With the read model (return_state) unless a test says otherwise: most tests compare it with the kernel.
        """
        options.setdefault("return_state", True)
        return self.module("netstate_info", check_mode=check_mode, wrap=wrap, **options)

    def module(self, name, check_mode=False, wrap=None, **options):
        """Run hostnet.dockerhost.NAME in this namespace through ansible-playbook; return the registered result."""
        _ensure_collection_path()
        with tempfile.TemporaryDirectory(prefix="hostnet-it-") as tmp:
            playbook = Path(tmp) / "audit.yml"
            playbook.write_text(MODULE_PLAYBOOK % name)
            out = Path(tmp) / "result.json"
            extra = Path(tmp) / "vars.json"
            extra.write_text(json.dumps({"hostnet_args": options, "hostnet_out": str(out)}))
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_LOCALHOST_WARNING="false",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_NOCOLOR="1")
            argv = ["ansible-playbook", "-i", "localhost,", "-c", "local",
                    "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "@%s" % extra, str(playbook)]
            if check_mode:
                argv += ["--check", "--diff"]
            argv = [str(Path(sys.executable).parent / "ansible-playbook")] + argv[1:] \
                if (Path(sys.executable).parent / "ansible-playbook").exists() else argv
            if wrap:
                argv = wrap + argv
            proc = run(["ip", "netns", "exec", self.name] + argv, env=env, check=False)
            if not out.exists():
                raise AssertionError("ansible-playbook produced no result:\n%s\n%s" % (proc.stdout, proc.stderr))
            return json.loads(out.read_text())


@pytest.fixture(scope="session", autouse=True)
def _root_with_netns():
    if os.geteuid() != 0:
        pytest.fail("the namespace tier needs root (ip netns add); run it as root, e.g. in CI", pytrace=False)


@pytest.fixture
def netns():
    ns = Netns("hnt-%s" % uuid.uuid4().hex[:8])
    try:
        yield ns
    finally:
        ns.delete()


def docker_host(ns):
    """docker0 with a container veth, and uplink0 with the default route; forwarding off on both."""
    ns.ip("link", "add", "docker0", "type", "bridge")
    ns.ip("link", "add", "vethc1", "type", "veth", "peer", "name", "vethc1p")
    ns.ip("link", "set", "vethc1", "master", "docker0")
    ns.ip("link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p")
    for name in ("docker0", "vethc1", "vethc1p", "uplink0", "uplink0p"):
        ns.ip("link", "set", name, "up")
    ns.ip("addr", "add", "192.0.2.10/24", "dev", "uplink0")
    ns.ip("route", "add", "default", "via", "192.0.2.1", "dev", "uplink0")
    ns.sysctl("net.ipv4.ip_forward", 1)
    ns.sysctl("net.ipv4.conf.docker0.forwarding", 0)
    ns.sysctl("net.ipv4.conf.uplink0.forwarding", 0)
