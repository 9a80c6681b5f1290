# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ifupdown: a bond's ports that have no stanza of their own (``bond-slaves`` in the bond's stanza, as
Debian operators write it; measured in the lab: ifenslave's pre-up enslaves them, the bond's post-up runs
after that) get their promiscuous line in the bond's stanza.

The sample tree data/ifupdown/bond-slaves is the lab's enforce_ifupdown layout: source-directory at the top
of /etc/network/interfaces, the bridge there, the bond and a containers bridge under interfaces.d/, and a
file with a dot in its name (old.cfg) that source-directory does not read.
"""

from __future__ import annotations

import os
import shutil

import pytest

from engine_fakes import apply_file_edits
from hostnet_builders import state

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.ifupdown import IfupdownBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.ifupdown import (
    PROMISC_COMMENT,
    add_promisc,
    is_promisc_command,
    parse_interfaces,
    remove_promisc,
)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ifupdown")
BOND = "auto bndu\niface bndu inet manual\n\tbond-slaves lan0 lan1\n\tbond-mode active-backup\n\n# next\n"


class FakeModule:
    def atomic_move(self, src, dest):
        os.rename(src, dest)

    def backup_local(self, path):
        raise AssertionError("no backups in these tests")


@pytest.fixture
def tree(tmp_path):
    dest = tmp_path / "bond-slaves"
    shutil.copytree(os.path.join(DATA, "bond-slaves"), str(dest))
    return str(dest)


def read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.mark.parametrize("option, expected", [
    ("bond-slaves lan0 lan1", ["lan0", "lan1"]),
    ("bond_slaves lan0", ["lan0"]),
    ("slaves lan1", ["lan1"]),
    ("bond-slaves none", []),
    ("bond-master bond0", []),
])
def test_bond_slaves_spellings(option, expected):
    parsed = parse_interfaces("iface b inet manual\n\t%s\n" % option)

    assert parsed.stanzas[0].bond_slaves() == expected


def test_a_port_without_a_stanza_goes_into_its_bonds_stanza_after_the_last_option():
    text = add_promisc(add_promisc(BOND, "lan0"), "lan1")

    assert text == ("auto bndu\niface bndu inet manual\n\tbond-slaves lan0 lan1\n\tbond-mode active-backup\n"
                    "\t%s\n\tpost-up ip link set dev lan0 promisc on\n"
                    "\t%s\n\tpost-up ip link set dev lan1 promisc on\n\n# next\n" % (PROMISC_COMMENT, PROMISC_COMMENT))
    assert add_promisc(text, "lan1") == text  # already there
    assert remove_promisc(remove_promisc(text, "lan0"), "lan1") == BOND
    # one port's removal leaves the other's pair alone
    assert remove_promisc(text, "lan0") == add_promisc(BOND, "lan1")


def test_iface_in_the_bonds_stanza_is_the_bond_not_the_port():
    text = BOND.replace("active-backup\n", "active-backup\n\tpost-up ip link set dev $IFACE promisc on\n")

    assert not is_promisc_command("ip link set dev $IFACE promisc on", "lan0", own_stanza=False)
    assert is_promisc_command("ip link set dev $IFACE promisc on", "lan0")
    assert "post-up ip link set dev lan0 promisc on" in add_promisc(text, "lan0")


def test_a_port_with_its_own_stanza_keeps_using_it():
    text = BOND + "iface lan0 inet manual\n\tbond-master bndu\n"

    out = add_promisc(text, "lan0")

    assert out == text + "\t%s\n\tpost-up ip link set dev lan0 promisc on\n" % PROMISC_COMMENT


def test_a_port_no_bond_names_has_nowhere_to_go():
    with pytest.raises(Unsupported):
        add_promisc(BOND, "lan9")


def test_backend_owner_names_the_bond_stanza(tree):
    ifupdown = IfupdownBackend(state(), run=None, root=tree)

    assert ifupdown.owner("lan1") == "/etc/network/interfaces.d/bndu:4 (bond-slaves of bndu)"
    assert ifupdown.owner("brup") == "/etc/network/interfaces:17"
    assert ifupdown.owner("lan9") is None


def test_backend_round_trip_for_both_ports_is_byte_identical(tree):
    path = os.path.join(tree, "etc/network/interfaces.d/bndu")
    original = read(path)
    ifupdown = IfupdownBackend(state(), run=None, root=tree)

    plans = [ifupdown.plan_promisc("lan0", True), ifupdown.plan_promisc("lan1", True)]
    for plan in plans:
        apply_file_edits(FakeModule(), plan.files)

    assert [f.path for p in plans for f in p.files] == [path, path]
    assert plans[0].owner == "/etc/network/interfaces.d/bndu:4 (bond-slaves of bndu)"
    assert any("no stanza of its own" in note for note in plans[0].notes)
    assert not any("no auto or allow-* line" in note for note in plans[0].notes)  # auto bndu
    text = read(path)
    assert text.count("promisc on") == 2 and text.endswith("\n\n# the next stanza is the containers bridge, "
                                                           "in its own file\n")
    fresh = IfupdownBackend(state(), run=None, root=tree)
    assert not fresh.plan_promisc("lan0", True).changed and not fresh.plan_promisc("lan1", True).changed
    for plan in [fresh.plan_promisc("lan0", False), fresh.plan_promisc("lan1", False)]:
        apply_file_edits(FakeModule(), plan.files)
    assert read(path) == original
    # old.cfg (a dot in its name) is not read by source-directory: its bond-slaves line never counted
    assert "old.cfg" not in " ".join(f.path for p in plans for f in p.files)
