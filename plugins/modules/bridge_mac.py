#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: bridge_mac
short_description: Pin a bridge's MAC so that ports joining and leaving never change it
version_added: "0.2.0"
description:
  - A Linux bridge whose MAC was never set takes the lowest MAC among its ports and changes it whenever that
    port leaves. With container veths (random MACs) as ports, every container start or stop can change the
    gateway's MAC while neighbours keep the old one in their ARP caches.
  - Sets the MAC over netlink (the kernel then keeps it, sysfs C(addr_assign_type) 3) and persists it through
    the backend that owns the bridge - systemd-networkd (a drop-in for the C(.netdev) that creates it,
    C([NetDev] MACAddress=), or for its C(.network), C([Link] MACAddress=)), netplan (C(macaddress) in the
    collection's own C(/etc/netplan/90-hostnet-dockerhost.yaml), mode 0600, which netplan merges into the
    operator's definition of the bridge; then C(netplan generate) and C(networkctl reload); only for bridges an
    operator's netplan file defines), NetworkManager
    (C(ethernet.cloned-mac-address) on the active profile; not the deprecated C(bridge.mac-address)),
    ifupdown (C(hwaddress) in the bridge's stanza) - or the collection's fallback, a udev rule
    C(/etc/udev/rules.d/90-hostnet-dockerhost-mac-BRIDGE.rules).
  - "Which MAC, with O(policy=auto) (the least disruptive): the one the bridge has now when it is stable (already
    set, or that of the uplink LAG or a physical port); otherwise the uplink's MAC; otherwise a locally
    administered unicast MAC derived from C(/etc/machine-id) and the bridge name: the first six bytes of
    SHA-256 over C(hostnet.dockerhost bridge_mac\\n<machine-id>\\n<bridge>), first octet C((b & 0xfc) | 0x02)."
  - Warns when the MAC really changes, because neighbours may hold the old one.
  - "Interface names are data: any bridge name the kernel accepts (C(b;reboot), C(-x), one with an ESC) is
    changed over netlink, never through a shell. When the backend that would persist the MAC cannot write the
    name (a udev rule cannot hold C($), C(*), quotes or a control character), the bridge is left entirely
    unchanged - neither its MAC nor a file - and the result says C(skipped) with the reason in RV(skip_reason);
    in a loop over bridges, the other bridges are still pinned."
author:
  - hostnet.dockerhost maintainers (@hostnet)
options:
  bridge:
    description: The bridge interface.
    type: str
    required: true
  mac:
    description:
      - The MAC to pin. Six octets, unicast (first octet even), not all-zero. Overrides O(policy).
      - An empty string is an error (leave the option out to let O(policy) choose).
      - A MAC that another station on the bridge's L2 already uses - one of its ports (the uplink, a container
        veth), another interface of the host, a station in the bridge's forwarding database or an IPv4/IPv6
        neighbour on it - is refused unless O(force=true). Pinning the MAC the bridge has now is never refused.
    type: str
  force:
    description:
      - Pin an explicit O(mac) even when another station on the bridge's L2 already uses it.
    type: bool
    default: false
    version_added: "0.5.0"
  policy:
    description:
      - How to choose the MAC when O(mac) is not given. V(auto) keeps a stable current MAC, else takes the
        uplink's, else derives one; V(uplink) takes the uplink's (error when there is none); V(derived) always
        derives.
    type: str
    choices: [auto, uplink, derived]
    default: auto
  state:
    description:
      - V(present) pins the MAC. V(absent) removes the persistence this module wrote (the running bridge keeps
        its MAC until it is recreated).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Plans, reports C(changed) and the diff, and changes nothing on the host.
  diff_mode:
    support: full
    description: The bridge's runtime MAC and every file or profile value, before and after.
requirements:
  - Python 3 on the target (netlink is spoken over a plain socket; no pyroute2)
seealso:
  - module: hostnet.dockerhost.netstate_info
extends_documentation_fragment:
  - hostnet.dockerhost.enforce
  - hostnet.dockerhost.enforce.persist
"""

EXAMPLES = r"""
- name: Pin br0's MAC, keeping the current one when it is stable
  hostnet.dockerhost.bridge_mac:
    bridge: br0

- name: Pin an explicit, locally administered MAC
  hostnet.dockerhost.bridge_mac:
    bridge: br0
    mac: "02:42:ac:11:00:01"

- name: Pin every bridge the audit flags
  hostnet.dockerhost.bridge_mac:
    bridge: "{{ item.interface }}"
  loop: "{{ audit.findings | selectattr('id', 'equalto', 'bridge_mac_inherited') }}"
"""

RETURN = r"""
bridge:
  description: The bridge.
  returned: always
  type: str
mac_before:
  description: Its MAC before the run.
  returned: always
  type: str
  sample: "0a:1b:2c:3d:4e:5f"
mac:
  description: The pinned MAC.
  returned: always
  type: str
  sample: "fe:ff:ff:00:07:07"
source:
  description: Where the MAC came from - explicit, kept, uplink, derived (or unpinned with O(state=absent)).
  returned: always
  type: str
mac_changed:
  description: Whether the bridge's MAC really changes (neighbours may hold the old one).
  returned: always
  type: bool
backend:
  description: The backend that persists it (systemd-networkd, netplan, NetworkManager, ifupdown, fallback).
  returned: when O(persist=true)
  type: str
owner:
  description: The file or profile by which that backend owns the bridge.
  returned: when O(persist=true)
  type: str
persistence:
  description: The files and profile values changed.
  returned: always
  type: list
  elements: dict
skipped:
  description: True when the bridge was left entirely unchanged because its name cannot be written by the backend
    that would persist the MAC (or cannot be addressed at all); RV(skip_reason) says why.
  returned: when skipped
  type: bool
skip_reason:
  description: Why the bridge was skipped.
  returned: when skipped
  type: str
  sample: "b$(id) left unchanged: cannot persist mac of 'b$(id)' with a udev rule: the name contains '$', ..."
"""

from ansible.module_utils.basic import AnsibleModule

# first of the collection: importing it ends the run on a too-old target Python, with a message saying so
from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import MINIMUM  # noqa: F401  pylint: disable=unused-import

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.bridge_mac import enforce_bridge_mac
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import POLICIES
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._options import argument_spec, backup_option, persist_option, state_option

ARGUMENT_SPEC = argument_spec(
    state_option(), persist_option(), backup_option(),
    bridge=dict(type="str", required=True),
    mac=dict(type="str"),
    force=dict(type="bool", default=False),
    policy=dict(type="str", choices=list(POLICIES), default="auto"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, enforce_bridge_mac)


if __name__ == "__main__":
    main()
