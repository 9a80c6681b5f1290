# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared options: each module's argument spec and its documentation (own options plus the fragments of
plugins/doc_fragments/enforce.py) name the same options with the same type and default."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.hostnet.dockerhost.plugins.doc_fragments.enforce import ModuleDocFragment
from ansible_collections.hostnet.dockerhost.plugins.modules import (
    bridge_mac,
    networkd_forwarding,
    port_promisc,
    team_to_bond,
    team_to_bond_confirm,
)

FRAGMENTS = {
    "hostnet.dockerhost.enforce": ModuleDocFragment.DOCUMENTATION,
    "hostnet.dockerhost.enforce.persist": ModuleDocFragment.PERSIST,
    "hostnet.dockerhost.enforce.t2b_state_dir": ModuleDocFragment.T2B_STATE_DIR,
}


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = {}
    for name in doc.get("extends_documentation_fragment", []):
        options.update(yaml.safe_load(FRAGMENTS[name])["options"])
    options.update(doc.get("options") or {})
    return options


@pytest.mark.parametrize("module", [port_promisc, bridge_mac, networkd_forwarding, team_to_bond, team_to_bond_confirm],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_argument_spec_matches_the_documentation(module):
    documented = documented_options(module)
    spec = module.ARGUMENT_SPEC
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name].get("type", "str") == option.get("type", "str"), name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("choices") == option.get("choices"), name


def test_the_shared_pieces_are_shared():
    for module in (port_promisc, bridge_mac, networkd_forwarding):
        assert module.ARGUMENT_SPEC["backup"] == {"type": "bool", "default": False}
    for module in (port_promisc, bridge_mac):
        assert module.ARGUMENT_SPEC["persist"] == {"type": "bool", "default": True}
        assert module.ARGUMENT_SPEC["state"] == {"type": "str", "choices": ["present", "absent"], "default": "present"}
