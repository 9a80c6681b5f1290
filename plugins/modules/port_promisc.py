#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: port_promisc
short_description: Keep the ports of bridged bonds and teams, or named interfaces, promiscuous, now and after a reboot
version_added: "0.2.0"
description:
  - Sets the administrative promiscuous flag (C(ip link set PORT promisc on)) on every port of the chosen bond
    and team interfaces, and on the interfaces named in O(interfaces), over netlink, and persists it through the
    network backend that owns each one.
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
    on) line in the port's stanza, or in its bond's stanza when the port has none and the bond names it in
    C(bond-slaves)), or, where none owns the port, the collection's fallback: a udev rule
    C(/etc/udev/rules.d/90-hostnet-dockerhost-promisc-PORT.rules) that sets the flag when the port appears."
  - "Named interfaces (O(interfaces)): making an interface that is not a LAG port promiscuous
    (C(docker0), a bridge) is the right fix when frames for it arrive, by design, addressed to MACs that are not
    its own - in a VM the hypervisor's vSwitch must deliver them as well (it passes only frames for MACs it
    knows unless its port group allows promiscuous mode or MAC learning). It only hides a MAC problem when the
    frames carry a MAC the bridge had before (its MAC followed its ports; neighbours and containers kept the old
    one): pin the bridge's MAC with M(hostnet.dockerhost.bridge_mac) instead. Each such result entry carries
    that note. The fallback's udev rule also fires when Docker creates C(docker0) again when it starts."
  - What the module set is recorded in C(/var/lib/hostnet-dockerhost/port_promisc.json), so C(state=absent)
    reverts exactly that and leaves flags and settings it did not make alone.
  - "With O(lynis_profile), a marked block of C(if_promisc:NAME:DESCRIPTION:) lines in that lynis profile
    whitelists every interface Docker networking needs promiscuous (lynis' test NETW-3015 reports any interface
    whose kernel promiscuity counter is not zero): the LAG ports acted on, every bridge port that is not a veth
    (the bridged LAGs included) and the named O(interfaces). Veths are left out: their names churn with the
    containers, and NETW-3015 cannot look them up (it reads names from C(ip -o link), where a veth is
    C(vethA@vethB)). The block is recomputed on every run; the rest of the file is kept byte for byte."
  - Reads the host again after a change and fails when the kernel does not show the flag.
  - "Interface names are data: any name the kernel accepts (C(b;reboot), C(-x), one with an ESC) is acted on
    over netlink, never through a shell. When the backend that would persist a port cannot write its name (a udev
    rule cannot hold C($), C(*) or a control character; an ifupdown C(post-up) line runs through C(/bin/sh)),
    that port is left entirely unchanged - neither its flag nor a file - and listed in RV(skipped_interfaces)
    with the reason, with a warning; the other ports are still acted on."
author:
  - hostnet.dockerhost maintainers (@hostnet)
options:
  masters:
    description:
      - Bond or team interfaces whose ports to act on.
      - Default, every bond and team that is a port of a bridge - unless O(interfaces) is given, then none
        (see O(bridged_lags)).
      - With O(state=absent), limits the revert to the ports of these masters.
    type: list
    elements: str
    default: []
  bridged_lags:
    description:
      - Act on the ports of every bond and team that is a port of a bridge, besides O(masters) and O(interfaces).
      - Default, V(true) when neither O(masters) nor O(interfaces) is given, else V(false). The playbook sets it
        V(true), so that O(interfaces) adds to the LAG ports instead of replacing them.
      - With O(state=absent) and V(true), limits the revert to (also) the ports of the bridged LAGs.
    type: bool
    version_added: "0.4.0"
  interfaces:
    description:
      - Interfaces to make promiscuous themselves, for example C(docker0) or a bridge. Persisted
        through the same backends and recorded in the same ledger as LAG ports.
      - Given without O(masters), only these are acted on; both may be given.
      - A name the host does not have fails the run before any change.
      - With O(state=absent), limits the revert to these interfaces (and the ports of O(masters)); a recorded
        interface that no longer exists may be named to remove its persistence.
    type: list
    elements: str
    default: []
    version_added: "0.4.0"
  state:
    description:
      - V(present) makes the ports promiscuous; V(absent) reverts what this module set before.
    type: str
    choices: [present, absent]
    default: present
  lynis_whitelist:
    description:
      - Return RV(lynis_if_promisc), the lines for a lynis profile (C(if_promisc:NAME:DESCRIPTION:)) that
        whitelist the interfaces Docker networking needs promiscuous (as written by O(lynis_profile)), so a
        security audit does not report intended promiscuous mode as a sniffer.
    type: bool
    default: false
  lynis_profile:
    description:
      - A lynis profile (absolute path, usually C(/etc/lynis/custom.prf), the last one lynis loads) to keep a
        marked block of C(if_promisc) lines in; created when missing. Unset, no profile is written.
      - With O(state=absent) the block is removed whole (also when O(masters) or O(interfaces) limit the revert),
        and the file too when this module created it and nothing else is in it; unset, the block is removed from
        every profile the ledger records.
      - Names lynis cannot take (characters outside letters, digits, C(_ . -)) are left out with a warning.
      - "Only a lynis profile is taken: a path ending in C(.prf) directly in one of the directories lynis reads
        profiles from (C(/etc/lynis), C(/usr/local/etc/lynis), C(/usr/local/lynis)), unless
        O(lynis_profile_any_directory=true); an existing file must be a regular file made of lynis profile lines
        (comments, C(key=value), C(name:...)). Anything else (C(/etc/passwd), a device, a FIFO, a symbolic link
        to a file outside its directory) fails the run before any change, naming what is valid."
    type: path
    version_added: "0.4.0"
  lynis_profile_any_directory:
    description:
      - Accept a O(lynis_profile) outside lynis' profile directories (for a lynis installed elsewhere, run with
        C(--profile)). It must still end in C(.prf) and be a lynis profile (or not exist yet).
    type: bool
    default: false
    version_added: "0.5.0"
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

- name: Docker0 itself promiscuous (now and after Docker re-creates it), whitelisted in lynis
  hostnet.dockerhost.port_promisc:
    interfaces: [docker0]
    lynis_profile: /etc/lynis/custom.prf

- name: Bridged LAG ports and br0 itself
  hostnet.dockerhost.port_promisc:
    masters: [bond0]
    interfaces: [br0]

- name: Revert what port_promisc set, and remove its block from the lynis profile
  hostnet.dockerhost.port_promisc:
    state: absent
    lynis_profile: /etc/lynis/custom.prf
"""

RETURN = r"""
ports:
  description:
    - One entry per interface acted on (LAG ports and named interfaces). C(master) and C(master_kind) are null for
      a named interface that is no LAG port; its C(note) says when promiscuous mode is the right fix and when it
      only hides a MAC problem. C(kind) is the interface's own kind.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: lan0, kind: physical, master: agg0, master_kind: bond, bond_mode: active-backup, slave_state: backup,
       promisc_flag_before: false, promisc_flag_after: true, effective_promisc_before: false,
       backend: systemd-networkd, owner: /etc/systemd/network/50-lan0.network,
       note: "bond mode active-backup passes promiscuous mode to the active slave only; ..."}
    - {name: docker0, kind: bridge, master: null, master_kind: null, promisc_flag_before: false,
       promisc_flag_after: true, backend: fallback, owner: null, note: "docker0 is not a LAG port; ..."}
persistence:
  description: Per port, the backend used, its evidence of ownership, the files and profile values changed.
  returned: always
  type: list
  elements: dict
lynis_if_promisc:
  description: lynis profile lines for the interfaces Docker networking needs promiscuous (see O(lynis_profile)).
  returned: when O(lynis_whitelist=true)
  type: list
  elements: str
  sample: ["if_promisc:agg0:bond, port of bridge br0 (hostnet.dockerhost):",
           "if_promisc:lan0:port of bond agg0 (hostnet.dockerhost):"]
skipped_interfaces:
  description:
    - The interfaces left entirely unchanged, each with the C(reason) (its name cannot be written by the backend
      that would persist it, or cannot be addressed at all).
  returned: always
  type: list
  elements: dict
  sample: [{interface: "b$(id)", reason: "cannot persist promisc of 'b$(id)' with a udev rule: ..."}]
  version_added: "0.5.0"
lynis_profiles:
  description:
    - Per lynis profile planned, its C(path), C(action) (V(create), V(update), V(remove) or V(none)), C(reason)
      and the C(lines) of its block (empty when the block is removed).
  returned: always
  type: list
  elements: dict
  version_added: "0.4.0"
"""

from ansible.module_utils.basic import AnsibleModule

# first of the collection: importing it ends the run on a too-old target Python, with a message saying so
from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import MINIMUM  # noqa: F401  pylint: disable=unused-import

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.promisc import enforce_port_promisc
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._options import argument_spec, backup_option, persist_option, state_option

ARGUMENT_SPEC = argument_spec(
    state_option(), persist_option(), backup_option(),
    masters=dict(type="list", elements="str", default=[]),
    interfaces=dict(type="list", elements="str", default=[]),
    bridged_lags=dict(type="bool"),
    lynis_whitelist=dict(type="bool", default=False),
    lynis_profile=dict(type="path"),
    lynis_profile_any_directory=dict(type="bool", default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, enforce_port_promisc)


if __name__ == "__main__":
    main()
