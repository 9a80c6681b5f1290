# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bridge_mac: pin a bridge's MAC so that ports joining and leaving never change it.

The bridge the module is asked for (``the_bridge``); the MAC it gets is ``_audit/mac_choice.choose_bridge_mac``
(the rule the audit's remediation shares); ``_apply/bridge_mac.enforce_bridge_mac`` applies it over netlink
and through the owning backend.
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    validate_interface_names,
    validate_known_interfaces,
)


def the_bridge(state, name):
    # Ansible turns a list given to a str option into its Python text ("['br0']"); no interface name has [ ].
    if isinstance(name, (list, tuple)) or (isinstance(name, str) and name.startswith("[") and name.endswith("]")):
        raise InvalidInput("bridge takes a single interface name, got a list (%s); run the module once per bridge "
                           "(loop)" % (name,), option="bridge")
    validate_interface_names("bridge", [name])
    validate_known_interfaces("bridge", [name], state.links)
    link = state.links[name]
    if link.kind != "bridge":
        raise InvalidInput("bridge: %s is a %s, not a bridge (bridges on this host: %s)"
                           % (name, link.kind, ", ".join(sorted(b.name for b in state.bridges())) or "none"),
                           option="bridge")
    return link
