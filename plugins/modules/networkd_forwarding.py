#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: networkd_forwarding
short_description: Keep IP forwarding on the interfaces that carry container traffic, with the key systemd honours
version_added: "0.2.0"
description:
  - systemd-networkd sets a link's C(net.ipv4.conf.X.forwarding) from its C(.network) whenever it configures
    the link again, so forwarding that Docker or a person switched on can be lost at any later moment and
    routed container traffic stops. The fix is the forwarding key in the link's C(.network) - and which key
    works depends on the running systemd - C(IPForward=) before 256, C(IPv4Forwarding=)/C(IPv6Forwarding=)
    from 256 on (257 logs C(IPForward=) as deprecated and ignores it; 252 ignores C(IPv4Forwarding=)).
  - For each target interface networkd manages, writes the honoured key into a drop-in
    C(/etc/systemd/network/<its .network>.d/90-hostnet-dockerhost-forwarding.conf). Before 256 the drop-in's
    C(IPForward=) keeps the families the user's own C(IPForward=) enables. On systemd 252 C(IPForward=) also
    turns on C(net.ipv4.ip_forward), which the kernel copies to every interface (measured).
  - On a netplan host (renderer networkd; netplan has no forwarding key) the drop-in is one for the unit netplan
    generates (C(/etc/systemd/network/10-netplan-<id>.network.d/)), which survives C(netplan generate),
    C(netplan apply) and reboots; the target's C(backend) is then C(netplan) and its notes name the YAML file.
  - For a target networkd does not manage (Docker's bridges, usually), writes
    C(net.ipv4.conf.<if>.forwarding = 1) into C(/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf); udev
    runs systemd-sysctl for every interface that appears, so it also applies to links created later. A C(.)
    in the name is written as C(/) there.
  - Sets the runtime sysctl of every target directly (no link is bounced), then runs C(networkctl reload)
    once when a C(.network) or drop-in changed; networkd then reconfigures exactly the links whose files
    changed (measured on 252 and 257). On 257 that keeps addresses, routes and DHCPv4 leases. On 252 it
    removes the link's addresses and routes and adds them again (about 0.1 s), and a DHCPv4 client releases
    its lease and asks anew - the module warns when a reconfigured target uses DHCP.
  - The links that carry the management connection (those of the default routes, the one holding the SSH
    server address of C(SSH_CONNECTION), and the ports below them) are not reconfigured unless
    O(reconfigure_management=true) - their files are written after the reload, their runtime value is set
    directly, and a warning says so; networkd applies those files at its next reload, restart or boot.
  - Reports C(networkd.conf) or drop-ins that force forwarding off (systemd 256 and later) and, with
    O(fix_conflicts=true), neutralises them. Reports forwarding keys the running systemd ignores in the user's
    files and, with O(fix_deprecated=true), rewrites them in place.
  - Verifies by reading the host again - every target must forward - and fails with the values found
    otherwise.
author:
  - hostnet.dockerhost maintainers (@hostnet)
options:
  interfaces:
    description:
      - The interfaces to keep forwarding on. Every name must exist on the host.
      - Empty (the default) means the interfaces that carry container traffic, as the audit of
        M(hostnet.dockerhost.netstate_info) finds them - Docker's bridges, bridges with veth ports and the
        interfaces of the default routes.
    type: list
    elements: str
    default: []
  ipv6:
    description:
      - Also keep IPv6 forwarding on the targets (C(IPv6Forwarding=yes), C(IPForward=yes) before 256, or
        C(net.ipv6.conf.<if>.forwarding = 1)).
      - The kernel routes IPv6 by C(net.ipv6.conf.all.forwarding) alone; a per-interface value switches the
        link to router behaviour (it ignores router advertisements unless C(accept_ra=2)). Use
        O(global_ip_forward=true) for routing.
    type: bool
    default: false
  fix_conflicts:
    description:
      - Neutralise settings that force forwarding off. A C(.network) or drop-in with C(IPv4Forwarding=no) on
        a target is overridden by the drop-in of this module, which sorts later; C(networkd.conf) or a
        C(networkd.conf.d) drop-in with C([Network] IPv4Forwarding=no) is reset by an empty assignment in
        C(/etc/systemd/networkd.conf.d/90-hostnet-dockerhost-forwarding.conf).
      - networkd reads C(networkd.conf) only when it starts; the module does not restart it (a restart
        reconfigures every link it manages) and returns RV(networkd_restart_needed) instead.
      - With V(false), conflicts are reported in RV(conflicts) and with a warning, and a target whose own
        files turn forwarding off is left unchanged (RV(interfaces[].skipped)).
      - A setting in a file that sorts after the drop-in of this module cannot be overridden; it is
        reported and its target left unchanged.
    type: bool
    default: false
  fix_deprecated:
    description:
      - Rewrite the forwarding keys the running systemd ignores (C(IPForward=) from 256 on, C(IPv4Forwarding=)
        and C(IPv6Forwarding=) before) in the user's C(.network) files and drop-ins under C(/etc), in place -
        only the key lines change; comments, order and every other byte are kept. Files elsewhere (such as
        C(/usr/lib)) are reported, never edited.
      - A key the running systemd honours, set in the same file, stays authoritative; the ignored line it
        already covers is commented out.
    type: bool
    default: false
  global_ip_forward:
    description:
      - Also set C(net.ipv4.ip_forward = 1) (and C(net.ipv6.conf.all.forwarding = 1) with O(ipv6=true)) at
        runtime and in C(/etc/sysctl.d/90-hostnet-dockerhost-forwarding.conf).
      - The kernel copies a change of C(ip_forward) to every interface.
    type: bool
    default: false
  reconfigure_management:
    description:
      - Let networkd reconfigure the links that carry the management connection now (their files are written
        before the reload). On systemd 257 a reconfigure keeps addresses, routes and DHCPv4 leases; on 252 it
        removes and re-adds addresses and routes and a DHCPv4 client releases its lease (the address may
        change), which can cut the connection Ansible uses. A C(.network) with other pending edits may also
        change more than forwarding.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Plans everything, changes nothing, and reports the runtime values and files it would change.
  diff_mode:
    support: full
    description: The runtime sysctls and every file, before and after.
requirements:
  - Python 3 on the target (netlink is spoken over a plain socket; no pyroute2)
notes:
  - Run it as root. The read model is that of M(hostnet.dockerhost.netstate_info).
  - When Ansible connects over SSH with C(become), which drops C(SSH_CONNECTION) from the environment, the
    SSH server address is taken from the nearest parent process that has it.
seealso:
  - module: hostnet.dockerhost.netstate_info
  - name: systemd.network(5), IPv4Forwarding=
    description: The per-link forwarding keys and their history.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.network.html
extends_documentation_fragment:
  - hostnet.dockerhost.enforce
"""

EXAMPLES = r"""
- name: Keep forwarding on the interfaces that carry container traffic
  hostnet.dockerhost.networkd_forwarding:

- name: The same, also neutralising networkd.conf IPv4Forwarding=no and rewriting ignored keys
  hostnet.dockerhost.networkd_forwarding:
    fix_conflicts: true
    fix_deprecated: true

- name: Named interfaces, IPv6 too, and the global switches
  hostnet.dockerhost.networkd_forwarding:
    interfaces: [br0, docker0]
    ipv6: true
    global_ip_forward: true
"""

RETURN = r"""
systemd_version:
  description: The running systemd's version (C(networkctl --version)), null without networkd.
  returned: always
  type: int
  sample: 257
networkd_running:
  description: Whether systemd-networkd runs (it has link records under C(/run/systemd/netif/links)).
  returned: always
  type: bool
interfaces:
  description: One entry per target interface.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The interface.
      type: str
    backend:
      description: C(systemd-networkd) or C(netplan) (a drop-in) or C(sysctl.d) (a line in the sysctl.d file).
      type: str
    key:
      description: The lines written for it, such as C(IPv4Forwarding=yes) or C(net.ipv4.conf.docker0.forwarding = 1).
      type: list
      elements: str
    network_file:
      description: The C(.network) networkd applies to it, or null.
      type: str
    dropin:
      description: The drop-in (or sysctl.d file) that persists it.
      type: str
    forwarding_before:
      description: Its IPv4 forwarding before the run.
      type: bool
    forwarding_after:
      description: Its IPv4 forwarding after the run (as verified; as planned in check mode).
      type: bool
    ipv6_forwarding_before:
      description: Its IPv6 forwarding before the run, with O(ipv6=true).
      type: bool
    ipv6_forwarding_after:
      description: Its IPv6 forwarding after the run, with O(ipv6=true).
      type: bool
    management:
      description: Whether it carries the management connection.
      type: bool
    reconfigured:
      description: Whether networkd reconfigured it in this run (its C(.network) or a drop-in changed).
      type: bool
    deferred:
      description: Whether its files were written after the reload (management link), to apply at the next one.
      type: bool
    skipped:
      description:
        - "Why it was left unchanged (a conflict not fixed; a link networkd does not manage whose name a sysctl.d
          line cannot hold - an equals sign, a glob character, a backslash, a hash or semicolon, a leading dash or
          a control character - neither its runtime value nor a line is written), else null."
      type: str
    notes:
      description: What is worth knowing about it.
      type: list
      elements: str
runtime:
  description: The sysctls written through C(/proc/sys) (C(key), C(path), C(before), C(after)).
  returned: always
  type: list
  elements: dict
files:
  description: The files created or changed (C(path), C(action), C(reason), C(deferred)).
  returned: always
  type: list
  elements: dict
reloaded:
  description: Whether C(networkctl reload) ran (planned, in check mode).
  returned: always
  type: bool
conflicts:
  description:
    - Settings that force forwarding off - C(kind) C(networkd.conf) or C(network), C(file), C(line), C(key),
      C(value), C(interface), C(resolvable), C(resolved), C(why).
  returned: always
  type: list
  elements: dict
deprecated:
  description:
    - Forwarding keys the running systemd ignores - C(file), C(line), C(key), C(value), C(systemd_version),
      C(replacement), C(applies_to), C(action) (C(rewritten), C(reported) or C(kept)), C(note).
  returned: always
  type: list
  elements: dict
management_interfaces:
  description: The links found to carry the management connection.
  returned: always
  type: list
  elements: str
networkd_restart_needed:
  description: Whether a networkd.conf change waits for a restart of systemd-networkd (not done by the module).
  returned: always
  type: bool
notes:
  description: Host-wide remarks.
  returned: always
  type: list
  elements: str
backup_files:
  description: Backups made with O(backup=true).
  returned: when something was changed
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

# first of the collection: importing it ends the run on a too-old target Python, with a message saying so
from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import MINIMUM  # noqa: F401  pylint: disable=unused-import

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.forwarding import enforce_networkd_forwarding
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module
from ansible_collections.hostnet.dockerhost.plugins.module_utils._options import argument_spec, backup_option

ARGUMENT_SPEC = argument_spec(
    backup_option(),
    interfaces=dict(type="list", elements="str", default=[]),
    ipv6=dict(type="bool", default=False),
    fix_conflicts=dict(type="bool", default=False),
    fix_deprecated=dict(type="bool", default=False),
    global_ip_forward=dict(type="bool", default=False),
    reconfigure_management=dict(type="bool", default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, enforce_networkd_forwarding)


if __name__ == "__main__":
    main()
