# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet report filters' work (each filter is a small file in plugins/filter/ with its documentation).

A *fleet* is ``{hostname: netstate_info result}`` gathered on the controller. A host whose audit could not
run is ``{"failed": true, "msg": "..."}``; it becomes one synthetic ``audit_failed`` finding so that it shows
up in every report instead of vanishing.

Every filter is a pure function of its input, importable by other plugins (the report action plugin calls
them): reading and rendering live in plugins/plugin_utils (_fleet_input, _fleet_findings, _fleet_result_parts, _fleet_model,
_fleet_words, _fleet_render, _fleet_markdown, _fleet_mermaid; the report files as one pipeline in
report_pipeline); this file adds the JMESPath selection and the Ansible error edge.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_markdown, _fleet_render
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import (  # noqa: F401  re-exported
    AUDIT_CHECK,
    CHECKS,
    SEVERITIES,
    SEVERITY_RANK,
)
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_findings import FINDING_IDS, read_finding  # noqa: F401  re-exported
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import FleetInputError, type_name
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_model import flatten, read_fleet, summary
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_words import render_value  # noqa: F401  pylint: disable=unused-import

try:
    import jmespath
    from jmespath.exceptions import JMESPathError
except ImportError:  # reported when a filter runs, so that the plugin still loads for ansible-doc
    jmespath = None
    JMESPathError = Exception


def _filter_edge(name):
    """Turn the internal error into AnsibleFilterError, without a traceback chain.

    The message does not repeat the filter name: ansible-core already says which filter plugin failed.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if jmespath is None:
                raise AnsibleFilterError(
                    "hostnet.dockerhost.%s needs the Python library 'jmespath' on the controller "
                    "(pip install jmespath)" % name
                )
            try:
                return func(*args, **kwargs)
            except FleetInputError as exc:
                raise AnsibleFilterError(str(exc)) from None

        return wrapper

    return decorate


# ---------------------------------------------------------------------------------------------- jmespath


@functools.lru_cache(maxsize=256)
def _compile(expression):
    return jmespath.compile(expression)


def _jmes_literal(value):
    """A JMESPath JSON literal. JSON escapes every backslash, so replacing each backtick by its JSON
    escape leaves no backtick that could end the literal early."""
    return "`%s`" % json.dumps(value).replace("`", "\\u0060")


def _member_of(field_name, values):
    return "contains(%s, %s)" % (_jmes_literal(list(values)), json.dumps(field_name))


def _string_list(value, name):
    if value is None:
        return None
    if isinstance(value, str):
        return [str(value)]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [str(item) for item in value]
    raise FleetInputError("%s: expected a string or a list of strings, got %s" % (name, type_name(value)))


def _severity_at_least(severity):
    if not isinstance(severity, str) or severity.lower() not in SEVERITY_RANK:
        raise FleetInputError(
            "severity: unknown severity %r; valid severities (a minimum): %s" % (severity, ", ".join(SEVERITIES))
        )
    return SEVERITIES[: SEVERITY_RANK[severity.lower()] + 1]


def _known_checks(findings):
    present = {f["check"] for f in findings}
    return list(CHECKS) + sorted(present - set(CHECKS))


def _validate_checks(checks, findings, allow_audit):
    known = _known_checks(findings)
    if not allow_audit and AUDIT_CHECK in known:
        known.remove(AUDIT_CHECK)
    elif allow_audit and AUDIT_CHECK not in known:
        known.append(AUDIT_CHECK)
    unknown = [check for check in checks if check not in known]
    if unknown:
        raise FleetInputError("checks: unknown check(s) %s; valid checks: %s" % (", ".join(map(repr, unknown)), ", ".join(known)))


def _known_ids(findings):
    present = {f["id"] for f in findings}
    return list(FINDING_IDS) + sorted(present - set(FINDING_IDS))


def _validate_ids(ids, findings):
    known = _known_ids(findings)
    unknown = [finding_id for finding_id in ids if finding_id not in known]
    if unknown:
        raise FleetInputError(
            "ids: unknown finding id(s) %s; valid ids: %s" % (", ".join(map(repr, unknown)), ", ".join(known))
        )


def _selection_expression(severity=None, ids=None, hosts=None, checks=None):
    clauses = []
    if severity is not None:
        clauses.append(_member_of("severity", _severity_at_least(severity)))
    for field_name, values in (("id", ids), ("host", hosts), ("check", checks)):
        if values is not None:
            clauses.append(_member_of(field_name, values))
    if not clauses:
        return "@"
    return "[?%s]" % " && ".join(clauses)


def _search(expression, data, what):
    try:
        compiled = _compile(expression)
    except JMESPathError as exc:
        raise FleetInputError("%s: invalid JMESPath expression %r: %s" % (what, expression, exc))
    try:
        return compiled.search(data)
    except JMESPathError as exc:
        raise FleetInputError("%s: JMESPath expression %r failed on the findings: %s" % (what, expression, exc))


# ------------------------------------------------------------------------------------------------ filters


@_filter_edge("fleet_findings")
def fleet_findings(fleet):
    """Flat list of findings of every host, each with ``host``, in report order."""
    return flatten(read_fleet(fleet))


@_filter_edge("select_findings")
def select_findings(findings_or_fleet, severity=None, ids=None, hosts=None, checks=None, query=None):
    """Findings matching every given criterion; ``query`` (raw JMESPath) runs last on that list."""
    if isinstance(findings_or_fleet, Mapping):
        findings = flatten(read_fleet(findings_or_fleet))
    elif isinstance(findings_or_fleet, (list, tuple)):
        # a flat list may come from anywhere; 'host' is optional here
        findings = [read_finding(raw, "findings[%d]" % index) for index, raw in enumerate(findings_or_fleet)]
    else:
        raise FleetInputError(
            "input: expected a list of findings or a fleet dict {hostname: netstate_info result}, got %s"
            % type_name(findings_or_fleet)
        )
    ids = _string_list(ids, "ids")
    hosts = _string_list(hosts, "hosts")
    checks = _string_list(checks, "checks")
    # a misspelt check or finding id would select nothing and read as "all clear"
    if checks is not None:
        _validate_checks(checks, findings, allow_audit=True)
    if ids is not None:
        _validate_ids(ids, findings)
    selected = _search(_selection_expression(severity, ids, hosts, checks), findings, "selection")
    if query is None:
        return selected
    if not isinstance(query, str) or not query.strip():
        raise FleetInputError("query: expected a JMESPath expression (a non-empty string), got %r" % (query,))
    return _search(str(query), selected, "query")


@_filter_edge("fleet_summary")
def fleet_summary(fleet):
    """Counts for dashboards and ``when:`` conditions."""
    return summary(read_fleet(fleet))


def _junit_checks(checks, findings):
    if checks is None:
        known = _known_checks(findings)
        return [check for check in known if check != AUDIT_CHECK]
    checks = _string_list(checks, "checks")
    _validate_checks(checks, findings, allow_audit=False)
    return list(dict.fromkeys(checks))


@_filter_edge("findings_to_junit")
def findings_to_junit(fleet, checks=None):
    """JUnit XML: one testsuite per host, one testcase per (host, check); failure messages in words."""
    audits = read_fleet(fleet)
    # without checks, each host's own (what its audit ran), else every known check
    return _fleet_render.junit(audits, _junit_checks(checks, flatten(audits)), per_host=checks is None)


@_filter_edge("findings_to_markdown")
def findings_to_markdown(fleet):
    """A Markdown report: a table of hosts, then per host what was looked at, what changed, each finding."""
    return _fleet_markdown.markdown(read_fleet(fleet))


@_filter_edge("fleet_summary_text")
def fleet_summary_text(fleet, report_dir=None):
    """The terminal summary (summary.txt): the fleet in a few lines, then each host."""
    if report_dir is not None and not isinstance(report_dir, str):
        raise FleetInputError("report_dir: expected a directory (a string), got %s" % type_name(report_dir))
    return _fleet_render.summary_text(read_fleet(fleet), report_dir)
