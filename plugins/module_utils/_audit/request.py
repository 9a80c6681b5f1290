# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""netstate_info's request: its options validated, the host read once, the result built.

A pipeline gate must never pass because less was audited than asked: an empty check list is an error, a
repeated check counts once, a name both included and excluded is an error, and a name the host does not
have is an error (``unknown_interfaces=fail``, a single call) or a warning in the result
(``unknown_interfaces=warn``, a fleet where not every host has every interface).
"""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import (
    CHECKS,
    audit,
    is_compliant,
    summarize,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.scope import audited, topology
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_host_state
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    validate_checks,
    validate_filters,
    validate_known_interfaces,
)

UNKNOWN_INTERFACES = ("fail", "warn")


def unknown_names(include, exclude, links):
    """{option: [names the host does not have]} for the options that name such interfaces."""
    found = {}
    for option, names in (("include", include), ("exclude", exclude)):
        missing = [n for n in names if n not in links]
        if missing:
            found[option] = missing
    return found


def audit_host(params):
    """The netstate_info result (pure but for the one read of the host)."""
    checks = validate_checks("checks", params["checks"], CHECKS)
    include, exclude = validate_filters(params["include"], params["exclude"])
    state = read_host_state(read_teams="promisc" in checks or params["return_state"])
    unknown = unknown_names(include, exclude, state.links)
    warnings = []
    if params.get("unknown_interfaces", "fail") == "fail":
        validate_known_interfaces("include", include, state.links)
        validate_known_interfaces("exclude", exclude, state.links)
    else:
        for option, names in sorted(unknown.items()):
            warnings.append(visible("%s names %s, which this host does not have; %s" % (
                option, ", ".join(names),
                "no finding about it can be reported" if option == "include" else "nothing was silenced for it")))
    warnings += [visible("%s %s" % (problem.path, problem.error)) for problem in state.file_problems if problem.audited]
    if state.interrupted_dumps:
        warnings.append("links kept changing while the host was read (netlink %s dump interrupted on every retry): "
                        "the audit used the last answer; a link created during the read may be missing"
                        % "/".join(state.interrupted_dumps))
    findings = audit(state, checks=checks, strict=params["strict"], include=include, exclude=exclude,
                     bridge_mac_policy=params.get("bridge_mac_policy") or "auto")
    result = dict(
        changed=False,
        compliant=is_compliant(findings),
        summary=summarize(findings),
        findings=[f.to_dict() for f in findings],
        checks=checks,
        audited=audited(state),
        unknown_interfaces=unknown,
        audit_warnings=warnings,
    )
    if findings:  # the report draws the hosts with findings
        result["topology"] = topology(state)
    if params["return_state"]:
        result["state"] = state.to_dict()
    return result
