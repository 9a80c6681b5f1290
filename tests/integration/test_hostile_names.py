# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile input on the local kernel (issue 17): never a half-done host, nothing hidden after a failure.

A fix failing half-way: the bridges before and after the failed one and the forwarding fix still run, the host
is failed in the recap, and report.json, report.md and summary.txt say what changed and what failed. A .network
with a latin-1 comment and a NUL byte is audited with a warning naming the byte offset.

Bridges named ``b;reboot``, ``b$(id)``, ``-x`` and ``b<ESC>[31m`` (the kernel accepts all of them; measured with
``ip link add NAME type bridge``), each drifting, with a private /etc and /var/lib: the fleet playbook enforces;
every bridge the udev fallback can write is pinned with its rule written literally, every other one is left
exactly as it was (MAC, addr_assign_type, no file) and reported skipped with the reason; the remediation the
report gives for a bridge left unpinned, run through ``sh -c`` in the namespace, pins that bridge and nothing
else.
"""

from __future__ import annotations

import json
import re

from conftest import private_host
from test_playbook import playbook

RULES = "udev/rules.d"
HOSTILE = {
    # name: (port MAC, pinned by the udev fallback?)
    "b;reboot": ("02:00:00:00:31:01", True),
    "b$(id)": ("02:00:00:00:31:02", False),  # '$' is a substitution in a udev rule
    "-x": ("02:00:00:00:31:03", True),
    "b\x1b[31m": ("02:00:00:00:31:04", False),  # no control character goes into a rule file
    "brok": ("02:00:00:00:31:05", True),
}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _bridges(ns, names):
    for index, name in enumerate(names):
        mac = HOSTILE[name][0] if name in HOSTILE else "02:00:00:00:32:%02x" % index
        port = "hv%d" % index
        ns.ip("link", "add", "name", name, "type", "bridge")
        ns.ip("link", "add", port, "address", mac, "type", "veth", "peer", "name", port + "p")
        ns.ip("link", "set", port, "master", name)
        for link in (name, port, port + "p"):
            ns.ip("link", "set", "dev", link, "up")


def _links(ns):
    # iproute2 6.1 writes a control character in a name raw into its JSON: strict=False reads it
    return {link["ifname"]: link for link in json.loads(ns.ip("-j", "link", "show"), strict=False)}


def _kernel(ns, names):
    """Per bridge (MAC, addr_assign_type); the links' names and MACs of the whole namespace."""
    links = _links(ns)
    bridges = {name: (links[name]["address"], ns.read("/sys/class/net/%s/addr_assign_type" % name)) for name in names}
    return bridges, sorted((name, link.get("address")) for name, link in links.items())


def test_hostile_bridge_names_are_audited_enforced_or_skipped_never_half_done(netns, tmp_path):
    names = list(HOSTILE)
    _bridges(netns, names)
    etc, _varlib, wrap = private_host(tmp_path)
    (etc / "udev" / "rules.d").mkdir(parents=True, exist_ok=True)
    before, _links = _kernel(netns, names)
    assert all(assign != "3" for _mac, assign in before.values())

    proc = playbook(netns.name, tmp_path / "r", "-e", '{"hostnet_checks": ["bridge_mac"]}', check=False, wrap=wrap)

    # skipped items are not failures: the host is ok in the recap, and the skips are reported
    assert re.search(r"(?m)^localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0 ", proc.stdout), proc.stdout
    after, _links = _kernel(netns, names)
    for name, (port_mac, writable) in HOSTILE.items():
        rule = etc / RULES / ("90-hostnet-dockerhost-mac-%s.rules" % name)
        if writable:
            assert after[name] == (port_mac, "3"), name  # policy auto keeps the MAC, now set
            text = rule.read_text()
            assert 'KERNEL=="%s", RUN+="/usr/sbin/ip link set dev %s address %s"' % (name, name, port_mac) in text \
                or 'KERNEL=="%s", RUN+="/sbin/ip link set dev %s address %s"' % (name, name, port_mac) in text, text
        else:
            assert after[name] == before[name], name  # neither the MAC nor a file: not half-done
            assert not rule.exists(), name
    assert sorted(p.name for p in (etc / RULES).iterdir() if p.name.startswith("90-hostnet")) == sorted(
        "90-hostnet-dockerhost-mac-%s.rules" % n for n, (_m, writable) in HOSTILE.items() if writable)

    report = json.loads((tmp_path / "r" / "report.json").read_text())
    host = report["hosts"]["localhost"]
    enforced = host["enforced"]
    assert sorted(entry["bridge"] for entry in enforced["bridge_mac"]) == sorted(
        n for n, (_m, writable) in HOSTILE.items() if writable)
    skipped = {entry["interface"]: entry for entry in enforced["skipped"]}
    assert sorted(skipped) == sorted(n for n, (_m, writable) in HOSTILE.items() if not writable)
    assert "udev reads as a pattern, substitution or quote" in skipped["b$(id)"]["reason"]
    assert "control character" in skipped["b\x1b[31m"]["reason"]
    assert enforced["errors"] == []
    # the skipped bridges still drift: their findings remain, with a remediation that is one shell word per value
    remaining = {f["interface"]: f for f in report["findings"]}
    assert sorted(remaining) == sorted(skipped)
    assert remaining["b$(id)"]["remediation"].startswith("ip link set dev 'b$(id)' address 02:00:00:00:31:02  #")
    assert remaining["b\x1b[31m"]["remediation"].startswith(
        "ip link set dev \"$(printf 'b\\033[31m')\" address 02:00:00:00:31:04  #")
    for name in ("report.md", "summary.txt"):
        text = (tmp_path / "r" / name).read_text()
        assert "ip link set dev 'b$(id)' address 02:00:00:00:31:02" in text, name
        assert "ip link set dev \"$(printf 'b\\033[31m')\" address 02:00:00:00:31:04" in text, name
    for name in ("report.md", "summary.txt", "junit.xml"):
        assert not CONTROL.search((tmp_path / "r" / name).read_text()), name  # names shown escaped

    # the suggested commands, run by a shell in the namespace, pin exactly their bridge and nothing else
    for name in ("b$(id)", "b\x1b[31m"):
        command = remaining[name]["remediation"].split("  #", 1)[0]
        bridges_before, links_before = _kernel(netns, names)
        run = netns.exec("sh", "-c", command, check=False)
        assert run.returncode == 0, (command, run.stderr)
        bridges_after, links_after = _kernel(netns, names)
        assert bridges_after[name] == (HOSTILE[name][0], "3"), name
        assert {n: v for n, v in bridges_after.items() if n != name} == \
            {n: v for n, v in bridges_before.items() if n != name}
        assert links_after == links_before  # no link made, renamed or readdressed but that one (same MAC kept)
        assert run.stdout == ""  # $(id) was not run: it would have printed


def test_a_fix_failing_half_way_hides_nothing(netns, tmp_path):
    """policy=uplink: brnoup has only container veths, so its item fails; br1 and br2 (a vxlan uplink each) are
    pinned, the forwarding fix still runs, the host is failed in the recap, and every output says so."""
    for index, bridge in enumerate(("br1", "brnoup", "br2")):
        netns.ip("link", "add", bridge, "type", "bridge")
        netns.ip("link", "add", "vc%d" % index, "address", "02:00:00:00:33:%02x" % index, "type", "veth",
                 "peer", "name", "vc%dp" % index)
        netns.ip("link", "set", "vc%d" % index, "master", bridge)
        if bridge != "brnoup":
            netns.ip("link", "add", "vx%d" % index, "address", "02:00:00:00:99:%02x" % index, "type", "vxlan",
                     "id", str(40 + index), "dstport", "4789", "local", "127.0.0.1")
            netns.ip("link", "set", "vx%d" % index, "master", bridge)
        for link in (bridge, "vc%d" % index, "vc%dp" % index):
            netns.ip("link", "set", link, "up")
    netns.sysctl("net.ipv4.ip_forward", 1)
    netns.sysctl("net.ipv4.conf.br2.forwarding", 0)
    etc, _varlib, wrap = private_host(tmp_path)
    (etc / "udev" / "rules.d").mkdir(parents=True, exist_ok=True)
    noup_before = (netns.links()["brnoup"]["address"], netns.read("/sys/class/net/brnoup/addr_assign_type"))

    proc = playbook(netns.name, tmp_path / "r", "-e", '{"hostnet_checks": ["bridge_mac", "forwarding"]}',
                    "-e", "hostnet_bridge_mac_policy=uplink", check=False, wrap=wrap)

    assert proc.returncode != 0
    assert re.search(r"(?m)^localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=1 ", proc.stdout), proc.stdout
    # the kernel: the bridges before and after the failed one pinned to their uplink, the failed one untouched,
    # and the independent forwarding fix applied
    assert netns.links()["br1"]["address"] == "02:00:00:00:99:00"
    assert netns.links()["br2"]["address"] == "02:00:00:00:99:02"
    assert netns.read("/sys/class/net/br2/addr_assign_type") == "3"
    assert (netns.links()["brnoup"]["address"], netns.read("/sys/class/net/brnoup/addr_assign_type")) == noup_before
    assert not (etc / RULES / "90-hostnet-dockerhost-mac-brnoup.rules").exists()
    assert netns.read("/proc/sys/net/ipv4/conf/br2/forwarding") == "1"

    report = json.loads((tmp_path / "r" / "report.json").read_text())
    host = report["hosts"]["localhost"]
    assert host.get("failed") is True
    assert "Enforcing failed: bridge_mac on brnoup: policy=uplink: bridge brnoup has no port" in host["msg"]
    enforced = host["enforced"]
    assert sorted(entry["bridge"] for entry in enforced["bridge_mac"]) == ["br1", "br2"]
    assert [entry["interface"] for entry in enforced["forwarding"]] == ["br2"]
    assert [(e["fix"], e["interface"]) for e in enforced["errors"]] == [("bridge_mac", "brnoup")]
    summary = (tmp_path / "r" / "summary.txt").read_text()
    markdown = (tmp_path / "r" / "report.md").read_text()
    for text in (summary, markdown):
        assert "failed: bridge_mac on" in text and "brnoup" in text
        assert "br1" in text and "02:00:00:00:99:00" in text  # what was changed before the failure
        assert "br2" in text and "02:00:00:00:99:02" in text  # ... and after it
    assert "Enforcing failed" in markdown


def test_a_network_file_with_a_latin1_comment_and_a_nul_is_audited_with_a_warning(netns, tmp_path):
    """systemd 252 here: IPv4Forwarding= in a .network is ignored - a finding the audit can only make when it
    reads the file, which holds a latin-1 comment (not UTF-8) and a NUL byte."""
    netns.ip("link", "add", "brlat", "type", "bridge")
    etc, _varlib, wrap = private_host(tmp_path)
    network = etc / "systemd" / "network"
    network.mkdir(parents=True, exist_ok=True)
    (network / "10-brlat.network").write_bytes(
        b"# r\xe9seau du caf\xe9\n[Match]\nName=brlat\n[Network]\nIPv4Forwarding=yes\n#\x00\n")

    result = netns.audit(checks=["networkd"], wrap=wrap)

    assert not result.get("failed"), result
    assert [(f["id"], f["current"]["key"]) for f in result["findings"]] == \
        [("networkd_forwarding_key_ignored", "IPv4Forwarding")]
    warnings = [w for w in result["audit_warnings"] if "10-brlat.network" in w]
    assert any("is not UTF-8 at byte offset 3 (0xe9, 2 such places in all)" in w for w in warnings), warnings
    assert any("holds 1 NUL byte(s), the first at byte offset" in w for w in warnings), warnings
    assert not any(f["id"] == "host_file_unreadable" for f in result["findings"])
