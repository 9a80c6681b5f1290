# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl.d peer: forwarding lines per link, the collection's one file, names a line cannot hold."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.sysctl_d import SYSCTL_FILE, SysctlDBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_SYSCTL_D
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import Unsupported
from hostnet_builders import state


def test_is_a_backend_with_the_vocabulary_name():
    assert issubclass(SysctlDBackend, Backend) and SysctlDBackend.name == BACKEND_SYSCTL_D
    assert SYSCTL_FILE == "/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf"


def test_lines_per_link_and_family_with_a_vlan_name():
    backend = SysctlDBackend(state())
    assert backend.plan_forwarding("eth0.100", ("ipv4", "ipv6")) == [
        ("net.ipv4.conf.eth0/100.forwarding", "1"), ("net.ipv6.conf.eth0/100.forwarding", "1")]


@pytest.mark.parametrize("name", ["br=0", "-x", "a#b"])
def test_names_a_line_cannot_hold_are_unsupported(name):
    with pytest.raises(Unsupported, match="which a sysctl.d line cannot express"):
        SysctlDBackend(state()).plan_forwarding(name, ("ipv4",))


def test_the_file_keeps_earlier_lines_and_is_unchanged_when_nothing_is_new(tmp_path):
    path = tmp_path / "90-hostnet-dockerhost-forwarding.conf"
    path.write_text("# Managed by hostnet.dockerhost.networkd_forwarding: x\nnet.ipv4.conf.docker0.forwarding = 1\n")
    backend = SysctlDBackend(state(), path=str(path), read_text=lambda p: open(p, encoding="utf-8").read())

    edit = backend.plan_file([("net.ipv4.conf.br-1.forwarding", "1")])

    assert edit.path == str(path) and edit.changed
    assert edit.after.splitlines()[-2:] == ["net.ipv4.conf.docker0.forwarding = 1", "net.ipv4.conf.br-1.forwarding = 1"]
    path.write_text(edit.after)
    assert not backend.plan_file([("net.ipv4.conf.docker0.forwarding", "1")]).changed
