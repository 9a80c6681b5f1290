#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: port_promisc
short_description: Keep the ports of bridged bonds and teams promiscuous, now and after a reboot
version_added: "0.2.0"
description:
  - Sets the administrative promiscuous flag (C(ip link set PORT promisc on)) on every port of the chosen bond
    and team interfaces, over netlink, and persists it through the network backend that owns each port.
  - "Why: a LAG under a bridge must receive frames for the containers' MACs. Bridges make their ports
    promiscuous, and teams and bonds pass that on, but not always: bonds in active-backup, balance-tlb and
    balance-alb pass it to the active slave only, and after a reboot team ports were seen not promiscuous
    (frames for containers dropped until someone ran tcpdump)."
  - "Persistence, per port, through its owner: systemd-networkd (a drop-in
    C(<file>.network.d/90-hostnet-dockerhost-promisc.conf) with C([Link] Promiscuous=yes)), netplan (which has
    no key for it: the same drop-in for the unit netplan generates, C(/etc/systemd/network/10-netplan-<id>.network.d/);
    netplan rewrites its units under C(/run) at every C(netplan generate), C(netplan apply) and boot and never
    touches C(/etc/systemd/network); the owner reported is the netplan YAML that defines the port), NetworkManager
    (C(802-3-ethernet.accept-all-mac-addresses) on the active profile; NetworkManager 1.32 and later, older
    versions get the fallback and the result says so), ifupdown (a marked C(post-up ip link set dev PORT promisc
    on) line in the port's stanza), or, where none owns the port, the collection's fallback: a udev rule
    C(/etc/udev/rules.d/90-hostnet-dockerhost-promisc-PORT.rules) that sets the flag when the port appears."
  - What the module set is recorded in C(/var/lib/hostnet-dockerhost/port_promisc.json), so C(state=absent)
    reverts exactly that and leaves flags and settings it did not make alone.
  - Reads the host again after a change and fails when the kernel does not show the flag.
author:
  - hostnet.dockerhost maintainers (@hostnet)
options:
  masters:
    description:
      - Bond or team interfaces whose ports to act on.
      - Default, every bond and team that is a port of a bridge.
      - With O(state=absent), limits the revert to the ports of these masters.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) makes the ports promiscuous; V(absent) reverts what this module set before.
    type: str
    choices: [present, absent]
    default: present
  lynis_whitelist:
    description:
      - Return RV(lynis_if_promisc), the lines for a lynis profile (C(if_promisc:PORT:)) that whitelist the
        ports made promiscuous, so a security audit does not report intended promiscuous mode as a sniffer.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Plans, reports C(changed) and the diff, and changes nothing on the host.
  diff_mode:
    support: full
    description: The runtime flags and every file or profile value, before and after.
requirements:
  - Python 3 on the target (netlink is spoken over a plain socket; no pyroute2)
seealso:
  - module: hostnet.dockerhost.netstate_info
  - name: bonding.rst, "Promiscuous mode"
    description: Which bond modes pass promiscuous mode to the active slave only.
    link: https://www.kernel.org/doc/Documentation/networking/bonding.rst
extends_documentation_fragment:
  - hostnet.dockerhost.enforce
  - hostnet.dockerhost.enforce.persist
"""

EXAMPLES = r"""
- name: Make the ports of every bridged bond and team promiscuous, persistently
  hostnet.dockerhost.port_promisc:

- name: Only team0's ports, and give me the lynis whitelist
  hostnet.dockerhost.port_promisc:
    masters: [team0]
    lynis_whitelist: true
  register: promisc

- name: Whitelist them in lynis
  ansible.builtin.lineinfile:
    path: /etc/lynis/custom.prf
    line: "{{ item }}"
    create: true
    mode: "0644"
  loop: "{{ promisc.lynis_if_promisc }}"

- name: Revert what port_promisc set
  hostnet.dockerhost.port_promisc:
    state: absent
"""

RETURN = r"""
ports:
  description: One entry per port acted on.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: lan0, master: agg0, master_kind: bond, bond_mode: active-backup, slave_state: backup,
       promisc_flag_before: false, promisc_flag_after: true, effective_promisc_before: false,
       backend: systemd-networkd, owner: /etc/systemd/network/50-lan0.network,
       note: "bond mode active-backup passes promiscuous mode to the active slave only; ..."}
persistence:
  description: Per port, the backend used, its evidence of ownership, the files and profile values changed.
  returned: always
  type: list
  elements: dict
lynis_if_promisc:
  description: lynis profile lines for the ports that are promiscuous by this module's doing.
  returned: when O(lynis_whitelist=true)
  type: list
  elements: str
  sample: ["if_promisc:lan0:", "if_promisc:lan1:"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.promisc import enforce_port_promisc
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._options import argument_spec, backup_option, persist_option, state_option

ARGUMENT_SPEC = argument_spec(
    state_option(), persist_option(), backup_option(),
    masters=dict(type="list", elements="str", default=[]),
    lynis_whitelist=dict(type="bool", default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, enforce_port_promisc)


if __name__ == "__main__":
    main()
