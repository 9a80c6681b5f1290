# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names are data (issue 17): quoting for a POSIX shell, visible control characters, findings whose commands
are shell-safe, backends that skip a name they cannot write, a MAC already on the bridge's L2 refused."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hostnet_builders import bond, bridge, link, state
from test_team_to_bond import nd_team  # the team the migration tests use (given hostile port names here)

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.bridge_mac import refuse_mac_in_use
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import audit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import plan_with_owner
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.fallback import FallbackBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput, NameNotWritable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.bridge_mac import mac_conflicts
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import plan_port_promisc
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond import plan_migration
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import decode_text, read_text
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import FileProblem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import AF_BRIDGE, AF_INET
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.sysctl_d import sysctl_d_problem
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import has_control, shell_join, shell_quote, visible

HOSTILE = ["b;reboot", "b$(id)", "-x", "b\x1b[31m", "c\x01x", "it's", "p%d\\", "e\u009bx", "b`id`", "a\"b", "é"]
SHELLS = [sh for sh in ("sh", "dash", "bash", "busybox") if shutil.which(sh)]


def _through_shell(shell, word):
    """The bytes ``printf %s WORD`` prints when ``shell`` reads WORD."""
    argv = [shell, "sh", "-c"] if shell == "busybox" else [shell, "-c"]
    return subprocess.run(argv + ["printf %s " + word], stdout=subprocess.PIPE, check=True).stdout


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("name", HOSTILE)
def test_a_quoted_name_is_one_word_meaning_exactly_the_name(shell, name):
    assert _through_shell(shell, shell_quote(name)) == name.encode("utf-8")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_quoted_name_has_no_raw_control_character(name):
    assert not has_control(shell_quote(name))


def test_printable_names_are_quoted_by_shlex_and_names_with_controls_by_printf():
    assert shell_quote("br0") == "br0"
    assert shell_quote("b;reboot") == "'b;reboot'"
    assert shell_quote("b\x1b[31m") == "\"$(printf 'b\\033[31m')\""
    assert shell_join(["ip", "link", "set", "dev", "b;reboot", "up"]) == "ip link set dev 'b;reboot' up"


def test_visible_escapes_control_characters_and_leaves_other_text_alone():
    assert visible("b\x1b[31m") == "b\\x1b[31m"
    assert visible("e\u009bx") == "e\\x9bx"
    assert visible("a\\b\x01") == "a\\\\b\\x01"  # in a text with a control character, a backslash is doubled
    assert visible("C:\\path and é") == "C:\\path and é"  # no control character: unchanged
    assert visible("line 1\nline\x1b 2", keep_layout=True) == "line 1\nline\\x1b 2"
    assert visible("line 1\nline 2") == "line 1\\x0aline 2"
    assert visible(None) is None


def test_error_messages_reach_the_edge_without_raw_control_characters():
    kwargs = HostnetError("bridge b\x1b[31m vanished\nsecond line", interface="b\x1b[31m").to_fail_kwargs()
    assert kwargs["msg"] == "bridge b\\x1b[31m vanished\nsecond line"
    assert kwargs["interface"] == "b\x1b[31m"  # data stays data (JSON escapes it)


# --------------------------------------------------------------------------------------------------------
# findings: the commands quote the names, the texts escape them


def _drifting(name):
    return state(bridge(name, addr_assign_type=1, mac="02:00:00:00:00:05"),
                 link("vc" + str(len(name)), "veth", master=name, mac="02:00:00:00:00:05"),
                 link("up0", "physical", master=name, mac="02:00:00:00:00:09"))


@pytest.mark.parametrize("name", ["b;reboot", "b$(id)", "-x", "b\x1b[31m", "b`id`"])
def test_the_bridge_mac_remediation_is_shell_safe(name):
    [finding] = audit(_drifting(name), checks=("bridge_mac",))
    assert finding.interface == name
    command = finding.remediation.split("  #", 1)[0]
    assert command == "ip link set dev %s address 02:00:00:00:00:05" % shell_quote(name)
    assert not has_control(finding.remediation) and not has_control(finding.why)
    if SHELLS:  # the command, parsed by a shell, is exactly the argv the finding means
        parsed = subprocess.run([SHELLS[0], "-c", "set -- %s; for w in \"$@\"; do printf '%%s\\0' \"$w\"; done"
                                 % command], stdout=subprocess.PIPE, check=True).stdout.split(b"\0")[:-1]
        assert parsed == [w.encode() for w in ["ip", "link", "set", "dev", name, "address", "02:00:00:00:00:05"]]


def test_the_promisc_and_capture_remediations_quote_the_names():
    host = state(bridge("br;x"), bond("b$(id)", "active-backup", master="br;x", active="-x"),
                 link("-x", "physical", master="b$(id)"), link("n\x1bx", "physical", master="b$(id)"))
    findings = audit(host, checks=("promisc", "capture"))
    remediations = {f.interface: f.remediation for f in findings}
    assert remediations["-x"].startswith("ip link set dev -x promisc on  #")
    assert remediations["n\x1bx"].startswith("ip link set dev \"$(printf 'n\\033x')\" promisc on  #")
    assert remediations["b$(id)"].startswith("tcpdump -i 'b$(id)' ...")
    assert not any(has_control(f.remediation) or has_control(f.why) for f in findings)


def test_the_forwarding_remediation_quotes_the_sysctl():
    host = state(bridge("b;x", forwarding_ipv4=False), ip_forward=True, default_route_interfaces=["b;x"])
    [finding] = [f for f in audit(host, checks=("forwarding",)) if f.id == "interface_forwarding_off"]
    assert finding.remediation.startswith("sysctl -w 'net.ipv4.conf.b;x.forwarding=1'  #")


# --------------------------------------------------------------------------------------------------------
# backends: a name one cannot write is skipped with the reason, never half-done


def test_sysctl_d_refuses_control_characters_and_undecodable_names():
    assert sysctl_d_problem("b\x1bx") and sysctl_d_problem("f\ufffd")
    assert sysctl_d_problem("b;x") is not None  # ';' stays refused in a sysctl.d key (conservative)
    assert sysctl_d_problem("b$(id)") is None


def test_plan_with_owner_passes_name_not_writable_on():
    host = state(bridge("b$(id)"))
    fallback = FallbackBackend(host, run=None, rules_dir="/nonexistent", ip_path="/usr/sbin/ip")
    with pytest.raises(NameNotWritable, match="udev reads as a pattern"):
        plan_with_owner("b$(id)", "mac", "02:00:00:00:00:01", [], fallback)


def test_port_promisc_skips_a_port_whose_name_the_backend_cannot_write_and_acts_on_the_others():
    host = state(bridge("br0"), bond("agg0", "802.3ad", master="br0"),
                 link("ok0", "physical", master="agg0", promisc_flag=False),
                 link("b$(id)", "physical", master="agg0", promisc_flag=False),
                 link("f\ufffd", "physical", master="agg0", promisc_flag=False))
    fallback = FallbackBackend(host, run=None, rules_dir="/nonexistent", ip_path="/usr/sbin/ip")
    plan = plan_port_promisc(host, [], True, {}, [], fallback)
    assert [p.name for p in plan.ports] == ["ok0"]
    skipped = {item["interface"]: item["reason"] for item in plan.skipped}
    assert set(skipped) == {"b$(id)", "f\ufffd"}
    assert "udev reads as a pattern" in skipped["b$(id)"] and "not UTF-8" in skipped["f\ufffd"]
    assert set(plan.ledger_after["ports"]) == {"ok0"}  # nothing recorded for what was not done


# --------------------------------------------------------------------------------------------------------
# item 6: a MAC already on the bridge's L2


def _l2():
    return state(bridge("br0", mac="02:00:00:00:00:01", ifindex=50),
                 link("up0", "physical", master="br0", mac="02:00:00:00:00:09", ifindex=51),
                 link("vc1", "veth", master="br0", mac="02:00:00:00:00:05", ifindex=52),
                 link("other0", "physical", mac="02:00:00:00:00:77", ifindex=53))


@pytest.mark.parametrize("mac, words", [
    ("02:00:00:00:00:09", "its port up0 (physical)"),
    ("02:00:00:00:00:05", "its port vc1 (veth)"),
    ("02:00:00:00:00:77", "interface other0 (physical)"),
    ("02:00:00:00:00:aa", "a station the bridge learned on port vc1 (forwarding database)"),
    ("02:00:00:00:00:bb", "an IPv4 neighbour of br0"),
])
def test_a_mac_another_station_uses_is_found(mac, words):
    host = _l2()
    neighbours = [(AF_BRIDGE, 52, 50, "02:00:00:00:00:aa", False), (AF_INET, 50, None, "02:00:00:00:00:bb", False),
                  (AF_BRIDGE, 52, 50, "02:00:00:00:00:cc", True),  # a local (permanent) entry: not a station
                  (AF_INET, 53, None, "02:00:00:00:00:dd", False)]  # a neighbour on another link
    assert mac_conflicts(host, host.links["br0"], mac, neighbours) == [words]
    with pytest.raises(InvalidInput, match="already used on the L2 of bridge br0 by %s" % words.replace("(", r"\(")
                       .replace(")", r"\)")) as caught:
        refuse_mac_in_use(host, host.links["br0"], mac, neighbours=lambda: neighbours)
    assert "force=true" in caught.value.msg and "Nothing was changed" in caught.value.msg


def test_a_free_mac_and_the_bridges_own_mac_are_not_conflicts():
    host = _l2()
    neighbours = [(AF_BRIDGE, 52, 50, "02:00:00:00:00:cc", True), (AF_INET, 53, None, "02:00:00:00:00:dd", False)]
    assert mac_conflicts(host, host.links["br0"], "02:00:00:00:00:cc", neighbours) == []
    assert mac_conflicts(host, host.links["br0"], "02:00:00:00:00:dd", neighbours) == []
    assert mac_conflicts(host, host.links["br0"], "02:00:00:00:00:01", neighbours) == []  # what it has now


# --------------------------------------------------------------------------------------------------------
# a .network with a latin-1 comment is audited; NUL bytes are reported


def test_a_latin1_comment_is_read_with_replacement_and_named_by_byte_offset(tmp_path):
    path = tmp_path / "10-br0.network"
    path.write_bytes(b"# caf\xe9 du coin\n[Match]\nName=br0\n[Network]\nIPForward=yes\n")
    problems = []
    text = read_text(str(path), problems)
    assert text.endswith("[Match]\nName=br0\n[Network]\nIPForward=yes\n") and "caf\ufffd" in text
    [problem] = problems
    assert problem.audited and problem.path == str(path)
    assert problem.error.startswith("is not UTF-8 at byte offset 5 (0xe9); read with U+FFFD")


def test_nul_bytes_are_reported_with_their_offset():
    problems = []
    text = decode_text("/etc/systemd/network/x.network", b"[Match]\nName=br0\x00\n", problems)
    assert text == "[Match]\nName=br0\x00\n"
    assert [p.error for p in problems] == [
        "holds 1 NUL byte(s), the first at byte offset 16; systemd reads a NUL as the end of a line; audited as it is"]


def test_an_audited_file_problem_is_a_warning_not_a_finding():
    host = state(bridge("br0"), file_problems=[
        FileProblem("/etc/systemd/network/x.network", "is not UTF-8 at byte offset 5 (0xe9); ...", audited=True),
        FileProblem("/etc/docker/daemon.json", "Permission denied")])
    assert [f.current["file"] for f in audit(host, checks=("networkd", "forwarding"))] == ["/etc/docker/daemon.json"]


def test_a_team_port_whose_name_a_bonds_files_cannot_hold_is_a_problem_of_the_plan():
    # team_to_bond writes port names into .network Name= matches (globs there) and nmcli arguments
    (plan,) = plan_migration([nd_team(ports=["lan*", "l\x1bn"])], bond_names={"agg7": "bond7"})
    assert any("port 'lan*' has shell or glob metacharacters *" in p for p in plan.problems), plan.problems
    assert any("port 'l\\x1bn' has a control character" in p for p in plan.problems), plan.problems
    (clean,) = plan_migration([nd_team()], bond_names={"agg7": "bond7"})
    assert not any(p.startswith("port ") for p in clean.problems)


def test_a_whole_document_gets_its_control_characters_escaped_and_keeps_its_backslashes_and_layout():
    assert visible("# t\n\\[x\\] b\x1b[31m\tend\n", whole_document=True) == "# t\n\\[x\\] b\\x1b[31m\tend\n"


def test_bidirectional_overrides_are_shown_in_messages_and_reports_alike():
    # U+202E (right-to-left override) makes "b\u202egnp.exe" read as "bexe.png": one rule for both sides
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible as module_visible
    from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible as report_visible

    name = "b\u202egnp.exe"
    assert module_visible(name) == report_visible(name) == "b\\u202egnp.exe"
    assert module_visible("a\\b\x1b") == "a\\\\b\\x1b"  # a message: a backslash beside an escape is doubled
    # a report keeps its backslashes: a remediation's printf '\\033' must stay a working command
    assert report_visible("printf 'b\\033[31m' # b\x1b[31m") == "printf 'b\\033[31m' # b\\x1b[31m"
    assert report_visible("line one\nline two", keep_newlines=True) == "line one\nline two"
