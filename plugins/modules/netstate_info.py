#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

__metaclass__ = type

DOCUMENTATION = r"""
---
module: netstate_info
short_description: Audit the host networking state that silently breaks container networking
version_added: 0.1.0
description:
  - Reads the host's links once (one rtnetlink dump on a plain socket plus the few sysfs and proc values
    netlink lacks; no library beyond Python 3) and reports findings about four known failures of Docker hosts.
  - C(promisc) - ports of a bond or team that is itself a bridge port but are not effectively
    promiscuous, so frames for container MACs are dropped. Bond-mode aware - in active-backup,
    balance-tlb and balance-alb the kernel makes only the active slave promiscuous, so a backup slave is
    C(info) unless O(strict=true).
  - C(bridge_mac) - bridges whose MAC is inherited from the lowest port MAC (not set), with the MAC they
    would flip to when that port leaves. C(error) when the lowest port is a veth (container churn); a
    C(warning) for an unpinned bridge with no ports yet (it will take its first port's MAC). The remediation
    pins the MAC that M(hostnet.dockerhost.bridge_mac) pins by default - the current one, so the gateway MAC
    the neighbours know does not change.
  - Docker's bridges are those the running engine names over its API socket (C(/run/docker.sock), two
    read-only GET requests - so also networks made with C(-o com.docker.network.bridge.name=NAME)), plus
    C(docker0), C(br-<12 hex>) and daemon.json's C(bridge) by name when the engine does not answer.
  - C(forwarding) - IPv4 forwarding off on an interface that carries container traffic (Docker bridges, bridges
    with veth ports, default-route uplinks) while the host forwards; global forwarding off on a Docker host.
    IPv6 is routed by C(net.ipv6.conf.all.forwarding) alone, so a per-interface IPv6 value is not reported.
  - C(networkd) - systemd-networkd C(.network) files (drop-ins included) that use the forwarding key the
    running systemd ignores (C(IPForward=) from systemd 256 on, C(IPv4Forwarding=) before), and
    C(networkd.conf) or C(.network) settings that force forwarding off.
  - C(capture) - informs that C(tcpdump -i any) shows each frame once per layer of a bond/team stack and
    names the interface to capture on.
  - Interfaces that disappear while the host is read (containers come and go) are skipped and listed
    in RV(state.vanished).
  - Never changes anything.
author:
  - hostnet.dockerhost maintainers (@hostnet)
requirements:
  - Python 3 on the target, nothing else (netlink is spoken over a plain socket; no pyroute2)
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
options:
  checks:
    description:
      - Which checks to run. A check named twice runs once.
      - An empty list is an error - it would audit nothing and report the host compliant.
    type: list
    elements: str
    choices: [promisc, bridge_mac, forwarding, networkd, capture]
    default: [promisc, bridge_mac, forwarding, networkd, capture]
  include:
    description:
      - Report only findings about these interfaces (host-wide findings are always reported).
      - Every name must exist on the host (see O(unknown_interfaces)), and may not be in O(exclude) too.
    type: list
    elements: str
    default: []
  exclude:
    description:
      - Do not report findings about these interfaces. Every name must exist on the host (see
        O(unknown_interfaces)), and may not be in O(include) too.
    type: list
    elements: str
    default: []
  unknown_interfaces:
    description:
      - What a name in O(include) or O(exclude) that the host does not have does.
      - V(fail) - the module fails naming it and the interfaces present (a single host, a typo).
      - V(warn) - the audit runs, the name is listed in RV(unknown_interfaces) and RV(audit_warnings) (a
        fleet, where not every host has C(docker0)); an O(include) name the host lacks matches nothing.
    type: str
    choices: [fail, warn]
    default: fail
  strict:
    description:
      - Treat every port of a bridged bond as required to be promiscuous, also the backup slaves of
        active-backup, balance-tlb and balance-alb bonds (they are reported as C(error) instead of C(info)).
    type: bool
    default: false
  bridge_mac_policy:
    description:
      - The policy M(hostnet.dockerhost.bridge_mac) would pin a flagged bridge's MAC with (the playbook passes
        C(hostnet_bridge_mac_policy), also under C(--check)); the C(bridge_mac_inherited) remediation names the MAC
        that policy pins. V(auto) keeps the current MAC, V(uplink) takes the uplink port's, V(derived) one derived
        from C(/etc/machine-id).
    type: str
    choices: [auto, uplink, derived]
    default: auto
    version_added: 0.5.0
  return_state:
    description:
      - Also return the whole read model in RV(state) (about 0.5 kB per link, 1 MB at 2000 links).
      - The default result holds what a person or a filter needs - RV(findings), RV(summary), RV(compliant),
        RV(audited) (what was looked at) - so that an audit costs about what C(ansible -m ping) costs and a fleet
        run keeps the controller small. Ask for the state when debugging or feeding your own tooling.
    type: bool
    default: false
notes:
  - A bridge port has a promiscuity count of at least 1 while C(ip link) shows no PROMISC flag; that flag
    is only the administrative request. RV(state.links) shows all three views and C(effective_promisc).
seealso:
  - name: Bonding driver documentation (promiscuous mode)
    description: Which bonding modes propagate promiscuous mode to which slaves.
    link: https://www.kernel.org/doc/Documentation/networking/bonding.rst
"""

EXAMPLES = r"""
- name: Audit this host
  hostnet.dockerhost.netstate_info:
  register: audit

- name: Fail when the host is not compliant
  ansible.builtin.assert:
    that: audit.compliant
    fail_msg: "{{ audit.findings | hostnet.dockerhost.select_findings(severity='warning') | to_nice_yaml }}"

- name: Only the promisc check, every bond port required to be promiscuous
  hostnet.dockerhost.netstate_info:
    checks: [promisc]
    strict: true

- name: The read model as well, to look at the links
  hostnet.dockerhost.netstate_info:
    return_state: true
  register: audit_with_state
"""

RETURN = r"""
compliant:
  description: True when no finding has severity C(error) or C(warning).
  returned: always
  type: bool
summary:
  description: Number of findings per severity.
  returned: always
  type: dict
  sample: {error: 1, warning: 0, info: 1}
findings:
  description: What is wrong (or worth knowing), sorted by severity, check and interface.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Stable identifier of the kind of finding.
      type: str
      sample: lag_port_not_promisc
    check:
      description: The check that produced it.
      type: str
      sample: promisc
    severity:
      description: C(error), C(warning) or C(info).
      type: str
    interface:
      description: The interface concerned, or null for host-wide findings.
      type: str
    current:
      description: The values found.
      type: raw
    expected:
      description: The values that would be correct.
      type: raw
    remediation:
      description: A command or edit a person can run to fix it.
      type: str
    why:
      description: One sentence on why it matters.
      type: str
checks:
  description: The checks that ran (each once, in the order asked).
  returned: always
  type: list
  elements: str
audited:
  description: What the audit looked at, so that "no findings" on a Docker host differs from a host with nothing to audit.
  returned: always
  type: dict
  sample:
    links: 131
    bridges: 3
    bonds: 1
    teams: 0
    docker: {present: true, running: true, version: "20.10.24+dfsg1", bridges: 2}
    networkd: {running: true, version: 252}
    nothing_to_audit: false
    description: "read 131 links: 3 bridges, 1 bond, Docker 20.10.24 with 2 bridges, systemd-networkd 252 running"
unknown_interfaces:
  description: Per option (C(include), C(exclude)), the names the host does not have (with O(unknown_interfaces=warn)).
  returned: always
  type: dict
  sample: {exclude: [docker0]}
audit_warnings:
  description: Sentences about the request worth a person's attention (the unknown names), also shown as warnings.
  returned: always
  type: list
  elements: str
topology:
  description:
    - The bridge chains, for the pictures in the fleet report (C(report.md)) - per bridge its bonds and teams with
      their ports, its other ports by kind (at most 16, C(more_ports) counts the rest) and how many container veths.
      A few hundred bytes, not the read model.
  returned: when there are findings
  type: dict
  sample:
    bridges:
      - {name: br0, ports: [{name: team0, kind: team, ports: [eno0, eno1]}, {name: vx0, kind: vxlan}], veths: 40}
state:
  description: The read model of the host.
  returned: when O(return_state=true)
  type: dict
  contains:
    links:
      description: Every link by name with kind, master, ports, MACs, the promisc views, forwarding, bond and team details.
      type: dict
    ip_forward:
      description: C(net.ipv4.ip_forward).
      type: bool
    ipv6_forwarding:
      description: C(net.ipv6.conf.all.forwarding).
      type: bool
    default_route_interfaces:
      description: Interfaces of the main-table default routes.
      type: list
      elements: str
    default_routes:
      description:
        - One entry per nexthop of the main-table default routes (what C(ip route show default) lists), IPv4 and
          IPv6, from the netlink route dump.
        - C(family) is C(ipv4) or C(ipv6); C(gateway) is null for an on-link route.
      type: list
      elements: dict
      sample: [{"family": "ipv4", "interface": "br0", "gateway": "192.0.2.1"}]
    docker:
      description: Whether this is a Docker host, its bridges and the daemon.json bridge.
      type: dict
    networkd:
      description: systemd-networkd presence, version and the files read.
      type: dict
    vanished:
      description: Interfaces that disappeared while the host was read.
      type: list
      elements: str
    interrupted_dumps:
      description:
        - The netlink dumps (C(link), C(addr), C(route)) that links changing under the read kept interrupting
          through every retry (8 within about 0.6 s). The last answer is used; a link created during the read
          may be missing, as if created after it. Also said in a warning. Empty on a host that holds still.
      type: list
      elements: str
      version_added: 0.5.0
    file_problems:
      description: Host files that exist but could not be read or parsed.
      type: list
      elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

# first of the collection: importing it ends the run on a too-old target Python, with a message saying so
from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import MINIMUM  # noqa: F401  pylint: disable=unused-import

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import CHECKS
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import POLICIES as BRIDGE_MAC_POLICIES
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.request import UNKNOWN_INTERFACES, audit_host
from ansible_collections.hostnet.dockerhost.plugins.module_utils._enforce import run_module

ARGUMENT_SPEC = dict(
    checks=dict(type="list", elements="str", choices=list(CHECKS), default=list(CHECKS)),
    include=dict(type="list", elements="str", default=[]),
    exclude=dict(type="list", elements="str", default=[]),
    unknown_interfaces=dict(type="str", choices=list(UNKNOWN_INTERFACES), default="fail"),
    strict=dict(type="bool", default=False),
    return_state=dict(type="bool", default=False),
    bridge_mac_policy=dict(type="str", choices=list(BRIDGE_MAC_POLICIES), default="auto"),
)


def audit(module):
    """The audit's result; its warnings also as the module's (run_module escapes their control characters)."""
    result = audit_host(module.params)
    for warning in result["audit_warnings"]:
        module.warn(warning)
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, audit)


if __name__ == "__main__":
    main()
