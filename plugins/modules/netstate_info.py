#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

__metaclass__ = type

DOCUMENTATION = r"""
---
module: netstate_info
short_description: Audit the host networking state that silently breaks container networking
version_added: 0.1.0
description:
  - Reads the host's links once (one netlink dump through pyroute2 plus the few sysfs and proc values
    netlink lacks) and reports findings about four known failures of Docker hosts.
  - C(promisc) - ports of a bond or team that is itself a bridge port but are not effectively
    promiscuous, so frames for container MACs are dropped. Bond-mode aware - in active-backup,
    balance-tlb and balance-alb the kernel makes only the active slave promiscuous, so a backup slave is
    C(info) unless O(strict=true).
  - C(bridge_mac) - bridges whose MAC is inherited from the lowest port MAC (not set), with the MAC they
    would flip to when that port leaves. C(error) when the lowest port is a veth (container churn).
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
  - pyroute2 0.7 or later on the target (Debian and Ubuntu package C(python3-pyroute2))
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
      - Which checks to run.
    type: list
    elements: str
    choices: [promisc, bridge_mac, forwarding, networkd, capture]
    default: [promisc, bridge_mac, forwarding, networkd, capture]
  include:
    description:
      - Report only findings about these interfaces (host-wide findings are always reported).
      - Every name must exist on the host.
    type: list
    elements: str
    default: []
  exclude:
    description:
      - Do not report findings about these interfaces. Every name must exist on the host.
    type: list
    elements: str
    default: []
  strict:
    description:
      - Treat every port of a bridged bond as required to be promiscuous, also the backup slaves of
        active-backup, balance-tlb and balance-alb bonds (they are reported as C(error) instead of C(info)).
    type: bool
    default: false
  return_state:
    description:
      - Also return the read model of the host in RV(state) (every link with its details; about 0.5 kB per
        link, so a megabyte at 2000 links).
      - By default the result is compact - RV(findings), RV(summary) and RV(compliant), what a person, a
        filter or a C(when) condition needs. Ask for the state when a task reads links directly.
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
    file_problems:
      description: Host files that exist but could not be read or parsed.
      type: list
      elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._findings import CHECKS, audit, is_compliant, summarize
from ansible_collections.hostnet.dockerhost.plugins.module_utils._netstate import (
    read_host_state,
    require_pyroute2,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    validate_known_interfaces,
    validate_interface_names,
)

ARGUMENT_SPEC = dict(
    checks=dict(type="list", elements="str", choices=list(CHECKS), default=list(CHECKS)),
    include=dict(type="list", elements="str", default=[]),
    exclude=dict(type="list", elements="str", default=[]),
    strict=dict(type="bool", default=False),
    return_state=dict(type="bool", default=False),
)


def run(params):
    include = validate_interface_names("include", params["include"])
    exclude = validate_interface_names("exclude", params["exclude"])
    state = read_host_state(read_teams="promisc" in params["checks"] or params["return_state"])
    validate_known_interfaces("include", include, state.links)
    validate_known_interfaces("exclude", exclude, state.links)
    findings = audit(state, checks=params["checks"], strict=params["strict"], include=include, exclude=exclude)
    result = dict(
        changed=False,
        compliant=is_compliant(findings),
        summary=summarize(findings),
        findings=[f.to_dict() for f in findings],
    )
    if params["return_state"]:
        result["state"] = state.to_dict()
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_pyroute2(module)
    try:
        module.exit_json(**run(module.params))
    except HostnetError as exc:
        module.fail_json(**exc.to_fail_kwargs())


if __name__ == "__main__":
    main()
