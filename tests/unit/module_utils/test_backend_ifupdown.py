# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_backend_ifupdown: interfaces(5) parsing, source/source-directory, the marked lines it adds and removes.

The sample trees under data/ifupdown/ are whole roots (etc/network/..., usr/sbin/ifup): Debian's installer
default sourcing interfaces.d/* with a bond and a bridge there, a source-directory layout with a relative
``source`` inside an included file, and one hand-written file with a mapping, tabs, a continued line, a
user promisc line and no newline at the end.
"""

from __future__ import annotations

import os
import shutil

import pytest

from engine_fakes import apply_file_edits
from hostnet_builders import state

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.ifupdown import IfupdownBackend, load_config
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.ifupdown import (
    MAC_SET_COMMENT,
    MAC_WAS,
    PROMISC_COMMENT,
    PROMISC_NAMED_COMMENT,
    add_promisc,
    edit_hwaddress,
    is_promisc_command,
    parse_interfaces,
    remove_promisc,
    split_lines,
)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ifupdown")
MAC = "02:42:ac:11:00:02"


def sample(tree, path):
    with open(os.path.join(DATA, tree, path.lstrip("/")), encoding="utf-8", newline="") as handle:
        return handle.read()


def all_sample_files():
    found = []
    for tree in sorted(os.listdir(DATA)):
        for directory, _dirs, names in os.walk(os.path.join(DATA, tree, "etc")):
            for name in sorted(names):
                found.append(os.path.relpath(os.path.join(directory, name), DATA))
    return found


def iface_names(text):
    return sorted({s.ifname for s in parse_interfaces(text).stanzas if s.is_iface})


def cases(hwaddress_only=False):
    out = []
    for rel in all_sample_files():
        text = sample("", rel)
        parsed = parse_interfaces(text)
        for name in iface_names(text):
            if hwaddress_only and not any(s.applies_hwaddress for s in parsed.iface_stanzas(name)):
                continue
            out.append(pytest.param(rel, name, id="%s:%s" % (rel, name)))
    return out


@pytest.fixture
def root(tmp_path):
    """A copy of a sample tree, so that plans can be applied."""

    def make(tree):
        dest = tmp_path / tree
        shutil.copytree(os.path.join(DATA, tree), str(dest))
        return str(dest)

    return make


class FakeModule:
    def atomic_move(self, src, dest):
        os.rename(src, dest)

    def backup_local(self, path):
        raise AssertionError("no backups in these tests")


def backend(root_dir):
    return IfupdownBackend(state(), run=None, root=root_dir)


def read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def snapshot(root_dir):
    out = {}
    for directory, _dirs, names in os.walk(root_dir):
        for name in names:
            path = os.path.join(directory, name)
            out[path] = (read(path), os.stat(path).st_mtime_ns)
    return out


# --------------------------------------------------------------------------------------------------------
# syntax


def test_split_lines_joins_back_to_the_same_text():
    for text in ("", "a", "a\n", "a\n\nb", "a\r\nb\r\n", "\n\n"):
        assert "".join(split_lines(text)) == text


def test_stanzas_options_and_line_numbers_of_the_debian_default():
    parsed = parse_interfaces(sample("debian-default", "/etc/network/interfaces"))

    assert [(s.keyword, s.args, s.lineno) for s in parsed.stanzas] == [
        ("source", ["/etc/network/interfaces.d/*"], 4),
        ("auto", ["lo"], 7),
        ("iface", ["lo", "inet", "loopback"], 8),
        ("allow-hotplug", ["ens3"], 11),
        ("iface", ["ens3", "inet", "dhcp"], 12),
        ("iface", ["ens3", "inet6", "auto"], 14),
    ]
    assert parsed.stanzas[0].rest == "/etc/network/interfaces.d/*"


def test_mapping_options_are_not_iface_options_and_a_continued_line_is_one_option():
    parsed = parse_interfaces(sample("dockerhost", "/etc/network/interfaces"))
    mapping = [s for s in parsed.stanzas if s.keyword == "mapping"][0]
    bond1 = parsed.iface_stanzas("bond1")[0]

    assert [o.name for o in mapping.options] == ["script", "map", "map"]
    assert [(o.name, o.value, o.start + 1, o.end) for o in bond1.options] == [
        ("bond-slaves", "enp1s0f0 \t\tenp1s0f1", 16, 17),
        ("bond-mode", "balance-alb", 18, 18),
        ("up", "ip link set $IFACE promisc on", 19, 19),
    ]


def test_a_comment_ends_nothing_and_a_continuation_swallows_a_hash_line():
    text = "iface a inet manual\n  # comment\n  mtu 9000 \\\n# not a comment\n  hwaddress 02:00:00:00:00:01\n"
    stanza = parse_interfaces(text).iface_stanzas("a")[0]

    assert [(o.name, o.value) for o in stanza.options] == [
        ("mtu", "9000 # not a comment"), ("hwaddress", "02:00:00:00:00:01")]


def test_source_directory_is_any_word_starting_source_dir_like_config_c():
    parsed = parse_interfaces("source-dir /a\nsource-directory /b\nsourcedir /c\n")

    assert [s.keyword for s in parsed.stanzas] == ["source-dir", "source-directory"]


@pytest.mark.parametrize("command", [
    "ip link set dev bond0 promisc on",
    "/sbin/ip link set bond0 promisc on",
    "ip link set $IFACE up promisc on || true",
    "sleep 1; /usr/sbin/ip -d link set dev ${IFACE} promisc on",
    "ifconfig bond0 promisc",
])
def test_commands_that_make_the_link_promiscuous(command):
    assert is_promisc_command(command, "bond0")


@pytest.mark.parametrize("command", [
    "ip link set dev bond0 promisc off",
    "ip link set dev bond1 promisc on",
    "ip link show bond0 promisc on",
    "echo ip link set bond0 promisc",
    "ifconfig bond0 -promisc",
])
def test_commands_that_do_not(command):
    assert not is_promisc_command(command, "bond0")


# --------------------------------------------------------------------------------------------------------
# reading the configuration through source / source-directory


def test_owner_through_source_glob_names_the_included_file_and_line():
    ifupdown = backend(os.path.join(DATA, "debian-default"))

    assert ifupdown.owner("bond0") == "/etc/network/interfaces.d/bond0:3"
    assert ifupdown.owner("br0") == "/etc/network/interfaces.d/br0:3"
    assert ifupdown.owner("eno1") == "/etc/network/interfaces.d/bond0:11"
    assert ifupdown.owner("ens3") == "/etc/network/interfaces:12"


def test_source_glob_reads_every_match_but_source_directory_skips_names_with_dots():
    assert backend(os.path.join(DATA, "debian-default")).owner("old0") == \
        "/etc/network/interfaces.d/br0.dpkg-old:2"
    via_directory = backend(os.path.join(DATA, "source-directory"))
    assert via_directory.owner("skipped0") is None
    assert via_directory.owner("hidden0") is None


def test_source_directory_and_a_relative_source_inside_an_included_file():
    ifupdown = backend(os.path.join(DATA, "source-directory"))

    assert ifupdown.owner("agg0") == "/etc/network/interfaces.d/lan:6"
    # "source ../vlans/*.cfg" in interfaces.d/lan is relative to interfaces.d
    assert ifupdown.owner("agg0.100") == "/etc/network/vlans/agg0-100.cfg:2"


def test_reading_order_follows_the_includes():
    config = load_config(os.path.join(DATA, "debian-default"))

    assert [f.path for f in config.files] == [
        "/etc/network/interfaces",
        "/etc/network/interfaces.d/bond0",
        "/etc/network/interfaces.d/br0",
        "/etc/network/interfaces.d/br0.dpkg-old",
    ]
    order = [s.ifname for _f, s in config.order if s.is_iface]
    assert order[:4] == ["bond0", "eno1", "eno2", "br0"] and order[-3:] == ["lo", "ens3", "ens3"]


def test_auto_allow_hotplug_or_a_mapping_alone_is_not_ownership():
    dockerhost = backend(os.path.join(DATA, "dockerhost"))

    assert dockerhost.owner("eth0") is None  # only "mapping eth*"
    assert dockerhost.owner("eth0-home") == "/etc/network/interfaces:11"
    assert parse_interfaces("auto x\nallow-hotplug y\n").iface_stanzas("x") == []
    assert backend(os.path.join(DATA, "debian-default")).owner("nosuch0") is None


def test_without_ifup_installed_nothing_is_owned(root):
    tree = root("debian-default")
    os.unlink(os.path.join(tree, "usr", "sbin", "ifup"))

    assert backend(tree).owner("bond0") is None


def test_a_file_that_sources_itself_is_read_once(tmp_path):
    network = tmp_path / "etc" / "network"
    network.mkdir(parents=True)
    (network / "interfaces").write_text("source interfaces\nsource ./interfaces\niface a inet manual\n")

    config = load_config(str(tmp_path))

    assert len(config.files) == 1 and len(config.iface_stanzas("a")) == 1


@pytest.mark.parametrize("odd", ["with space", "brackets[1]", "star*"])
def test_a_root_with_glob_characters_in_its_path_still_globs_correctly(tmp_path, odd):
    tree = tmp_path / odd
    shutil.copytree(os.path.join(DATA, "debian-default"), str(tree))

    assert backend(str(tree)).owner("bond0") == "/etc/network/interfaces.d/bond0:3"


# --------------------------------------------------------------------------------------------------------
# promiscuous mode: text functions


def test_promisc_goes_after_the_last_option_with_the_stanzas_tab_indentation():
    text = sample("debian-default", "/etc/network/interfaces.d/bond0")

    added = add_promisc(text, "bond0")

    lines = added.split("\n")
    assert lines[7:11] == [
        "\tbond-xmit-hash-policy layer3+4",
        "\t" + PROMISC_COMMENT,
        "\tpost-up ip link set dev bond0 promisc on",
        "",
    ]
    assert lines[11] == "# eno1 and eno2 are brought up by ifenslave (bond-master)."


def test_promisc_keeps_trailing_comments_with_the_next_stanza():
    text = sample("dockerhost", "/etc/network/interfaces")

    added = add_promisc(text, "bond2")

    assert ("\tbond-mode active-backup\n\t" + PROMISC_COMMENT + "\n\tpost-up ip link set dev bond2 promisc on\n"
            "# (no options below belong to bond2)\n") in added


def test_promisc_in_a_stanza_without_options_uses_four_spaces_and_keeps_the_missing_newline():
    text = sample("dockerhost", "/etc/network/interfaces")

    added = add_promisc(text, "spare0")

    assert added.endswith("iface spare0 inet manual\n    " + PROMISC_COMMENT
                          + "\n    post-up ip link set dev spare0 promisc on")
    assert remove_promisc(added, "spare0") == text


def test_promisc_goes_into_the_first_stanza_of_an_interface():
    text = "iface br9 inet static\n  address 192.0.2.9/24\niface br9 inet6 static\n  address 2001:db8::9/64\n"

    added = add_promisc(text, "br9")

    assert added.index("post-up") < added.index("inet6")


def test_a_user_line_that_already_does_it_means_no_change():
    text = sample("dockerhost", "/etc/network/interfaces")

    assert add_promisc(text, "bond1") == text


def test_remove_takes_only_our_lines_and_leaves_the_users_equivalent_line():
    text = "iface b inet manual\n  up ip link set dev b promisc on\n"
    ours = "iface b inet manual\n  # hostnet.dockerhost port_promisc: x\n  post-up ip link set dev b promisc on\n"

    assert remove_promisc(text, "b") == text
    assert remove_promisc(ours, "b") == "iface b inet manual\n"


def test_a_marker_above_a_line_someone_changed_is_left_alone():
    text = "iface b inet manual\n  " + PROMISC_COMMENT + "\n  post-up echo something else\n"

    assert remove_promisc(text, "b") == text


@pytest.mark.parametrize("rel,ifname", cases())
def test_promisc_round_trip_is_byte_identical_and_idempotent(rel, ifname):
    text = sample("", rel)

    added = add_promisc(text, ifname)

    assert add_promisc(added, ifname) == added
    assert remove_promisc(added, ifname) == text
    assert remove_promisc(text, ifname) == text


# --------------------------------------------------------------------------------------------------------
# hwaddress: text functions


def test_mac_is_added_to_the_bridge_stanza_with_the_marker():
    text = sample("dockerhost", "/etc/network/interfaces")

    edit = edit_hwaddress(text, "brd", MAC)

    assert ("\tbridge_hw 52:54:00:00:00:01\n\t" + MAC_SET_COMMENT + "\n\thwaddress " + MAC
            + "\niface brd inet6 auto\n") in edit.text
    assert edit.applied


def test_a_users_hwaddress_is_replaced_in_place_in_its_form_and_comes_back_byte_for_byte():
    text = sample("debian-default", "/etc/network/interfaces.d/br0")

    edit = edit_hwaddress(text, "br0", MAC, where="/etc/network/interfaces.d/br0")

    assert ("    " + MAC_WAS + "hwaddress ether 52:54:00:12:34:56\n    hwaddress ether " + MAC + "\n"
            in edit.text)
    assert edit.notes == ["replaced the user's 'hwaddress ether 52:54:00:12:34:56' at "
                          "/etc/network/interfaces.d/br0:10; the old line is kept in the comment above it and "
                          "comes back when the collection's MAC is removed"]
    assert edit_hwaddress(edit.text, "br0", None).text == text


def test_the_bare_form_stays_bare_and_odd_spacing_is_restored_exactly():
    text = "iface br1 inet manual\n\thwaddress\t52:54:00:aa:bb:cc  \n"

    edit = edit_hwaddress(text, "br1", MAC)

    assert edit.text.endswith("\thwaddress " + MAC + "\n")
    assert edit_hwaddress(edit.text, "br1", None).text == text


def test_a_new_mac_over_ours_keeps_the_recorded_user_line():
    text = sample("debian-default", "/etc/network/interfaces.d/br0")
    first = edit_hwaddress(text, "br0", MAC).text

    second = edit_hwaddress(first, "br0", "02:42:ac:11:00:03").text

    assert second == first.replace(MAC, "02:42:ac:11:00:03")
    assert edit_hwaddress(second, "br0", None).text == text


def test_the_same_mac_already_there_is_no_change_and_said_so():
    text = "iface br1 inet manual\n  hwaddress ether 02:42:AC:11:00:02\n"

    edit = edit_hwaddress(text, "br1", MAC)

    assert edit.text == text and edit.applied
    assert "already sets this MAC" in edit.notes[0]


def test_every_user_hwaddress_of_the_interface_gets_the_new_value():
    text = ("iface br2 inet manual\n  hwaddress 52:54:00:00:00:01\n"
            "iface br2 inet6 static\n  address 2001:db8::2/64\n  hwaddress 52:54:00:00:00:01\n")

    edit = edit_hwaddress(text, "br2", MAC)

    assert edit.text.count("hwaddress " + MAC) == 2 and edit.text.count(MAC_WAS) == 2
    assert edit_hwaddress(edit.text, "br2", None).text == text


def test_mac_goes_to_the_first_stanza_whose_method_applies_hwaddress():
    text = "iface br3 inet6 auto\n  privext 2\niface br3 inet manual\n  bridge_ports none\n"

    edit = edit_hwaddress(text, "br3", MAC)

    assert edit.text.endswith("  bridge_ports none\n  " + MAC_SET_COMMENT + "\n  hwaddress " + MAC + "\n")


def test_removing_without_our_marker_leaves_the_users_line():
    text = sample("debian-default", "/etc/network/interfaces.d/br0")

    edit = edit_hwaddress(text, "br0", None)

    assert edit.text == text and "not the collection's" in edit.notes[0]


@pytest.mark.parametrize("rel,ifname", cases(hwaddress_only=True))
def test_mac_round_trip_is_byte_identical_and_idempotent(rel, ifname):
    text = sample("", rel)

    added = edit_hwaddress(text, ifname, MAC).text

    assert added != text
    assert edit_hwaddress(added, ifname, MAC).text == added
    assert edit_hwaddress(added, ifname, None).text == text


# --------------------------------------------------------------------------------------------------------
# the backend: plans over a real tree


def test_planning_changes_nothing_on_disk(root):
    tree = root("debian-default")
    before = snapshot(tree)
    ifupdown = backend(tree)

    ifupdown.plan_promisc("bond0", True)
    ifupdown.plan_mac("br0", MAC)
    ifupdown.plan_promisc("eno1", False)

    assert snapshot(tree) == before


def test_promisc_plan_edits_the_included_file_and_has_no_reload(root):
    tree = root("debian-default")

    plan = backend(tree).plan_promisc("bond0", True)

    assert plan.backend == "ifupdown" and plan.reload == []
    assert plan.owner == "/etc/network/interfaces.d/bond0:3"
    assert [f.path for f in plan.files] == [os.path.join(tree, "etc/network/interfaces.d/bond0")]
    assert plan.changed and plan.notes == []


def test_a_named_bridge_gets_its_own_marker_and_removal_restores_the_file(root):
    """port_promisc interfaces=[br0] (seed 001): the marker says why; state=absent takes it out again."""
    tree = root("debian-default")
    path = os.path.join(tree, "etc/network/interfaces.d/br0")
    original = read(path)

    apply_file_edits(FakeModule(), backend(tree).plan_promisc("br0", True).files)
    assert PROMISC_NAMED_COMMENT + "\n" in read(path) and PROMISC_COMMENT not in read(path)
    assert "post-up ip link set dev br0 promisc on" in read(path)
    assert not backend(tree).plan_promisc("br0", True).changed
    apply_file_edits(FakeModule(), backend(tree).plan_promisc("br0", False).files)

    assert read(path) == original


def test_apply_then_plan_again_is_no_change_and_removal_restores_the_file(root):
    tree = root("debian-default")
    path = os.path.join(tree, "etc/network/interfaces.d/br0")
    original = read(path)

    apply_file_edits(FakeModule(), backend(tree).plan_mac("br0", MAC).files)
    assert not backend(tree).plan_mac("br0", MAC).changed
    apply_file_edits(FakeModule(), backend(tree).plan_mac("br0", None).files)

    assert read(path) == original


def test_two_ports_in_one_file_are_both_written(root):
    """The modules plan every port first and apply afterwards: the second plan builds on the first."""
    tree = root("debian-default")
    path = os.path.join(tree, "etc/network/interfaces.d/bond0")
    original = read(path)
    ifupdown = backend(tree)

    plans = [ifupdown.plan_promisc("eno1", True), ifupdown.plan_promisc("eno2", True)]
    for plan in plans:
        apply_file_edits(FakeModule(), plan.files)

    assert plans[1].files[0].before == plans[0].files[0].after
    assert read(path).count("post-up ip link set dev eno") == 2
    fresh = backend(tree)
    for plan in [fresh.plan_promisc("eno1", False), fresh.plan_promisc("eno2", False)]:
        apply_file_edits(FakeModule(), plan.files)
    assert read(path) == original


def test_an_interface_no_auto_line_names_gets_a_note(root):
    plan = backend(root("debian-default")).plan_promisc("eno1", True)

    assert any("no auto or allow-* line names eno1" in note for note in plan.notes)


def test_the_users_own_line_is_reported_and_nothing_added(root):
    plan = backend(root("dockerhost")).plan_promisc("bond1", True)

    assert not plan.changed
    assert plan.notes == ["/etc/network/interfaces:19 ('up ip link set $IFACE promisc on') already makes bond1 "
                          "promiscuous; nothing added"]


def test_no_stanza_is_unsupported_when_adding_and_nothing_to_do_when_removing(root):
    ifupdown = backend(root("debian-default"))

    with pytest.raises(Unsupported, match="no 'iface nosuch0' stanza"):
        ifupdown.plan_promisc("nosuch0", True)
    assert not ifupdown.plan_promisc("nosuch0", False).changed


def test_mac_on_an_interface_whose_methods_ignore_hwaddress_is_unsupported(root):
    with pytest.raises(Unsupported, match="inet loopback at /etc/network/interfaces:8"):
        backend(root("debian-default")).plan_mac("lo", MAC)


def test_bridge_hw_of_bridge_utils_is_pointed_out(root):
    plan = backend(root("dockerhost")).plan_mac("brd", MAC)

    assert plan.changed and any("bridge_hw 52:54:00:00:00:01" in note for note in plan.notes)


def test_an_invalid_mac_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(InvalidInput):
        backend(str(tmp_path)).plan_mac("br0", "01:00:5e:00:00:01")


def test_a_name_the_shell_would_interpret_is_refused(root):
    with pytest.raises(Unsupported, match="/bin/sh"):
        backend(root("debian-default")).plan_promisc("a$b", True)


def test_a_file_that_is_not_utf8_is_read_but_not_rewritten(tmp_path):
    network = tmp_path / "etc" / "network"
    network.mkdir(parents=True)
    (network / "interfaces").write_bytes(b"# caf\xe9\niface bond0 inet manual\n")
    (tmp_path / "sbin").mkdir()
    (tmp_path / "sbin" / "ifup").write_text("")
    ifupdown = backend(str(tmp_path))

    assert ifupdown.owner("bond0") == "/etc/network/interfaces:2"
    with pytest.raises(Unsupported, match="not UTF-8"):
        ifupdown.plan_promisc("bond0", True)
