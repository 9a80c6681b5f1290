# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet report on the controller: the playbook's gate and input checks, per-host result files.

The per-host result is the unit. The audit play writes each host's (lean) result to
``<report_dir>/hosts/<host>.json``, stamped with the run id; the report (``report_pipeline``) reads the files
of this run's targets once. A target without a current file (unreachable, or the audit did not complete) is an
``audit_failed`` host. The playbook's variables are checked in ``playbook_variables`` with the checks here.

Everything but the three small file helpers at the end is a pure function of its input.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
import uuid
from collections.abc import Mapping

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import CHECKS, SEVERITIES, SEVERITY_RANK
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.lynis_profile import profile_path_problem
from ansible_collections.hostnet.dockerhost.plugins.module_utils import _validate
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import interface_name_problem
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_input import plain

FORMAT = 1
HOSTS_DIR = "hosts"
REPORT_FILES = ("report.json", "junit.xml", "report.md", "summary.txt")
FAIL_ON = ("none",) + tuple(SEVERITIES)
DUPLICATES = ("error", "newest")
NO_RESULT_MSG = "no result from this run: unreachable, or the audit did not complete (see the play output above)"

# Keys of a module result that are Ansible's bookkeeping, not the audit's.
_DROPPED_KEYS = ("state", "invocation", "changed", "ansible_facts", "deprecations", "diff")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@:+=,-]*$")


class FleetError(ValueError):
    """Input no report can be built from; the action plugins and filters turn it into their own error."""


def new_run_id():
    """A run id: sortable by time, unique across controllers and runs."""
    return "%s-%s" % (now().replace(":", "").replace("-", ""), uuid.uuid4().hex[:8])


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------- validation


def validate_fail_on(value):
    """The gate's level, lower-cased; none, error, warning or info."""
    if not isinstance(value, str) or value.strip().lower() not in FAIL_ON:
        raise FleetError(
            "hostnet_fail_on: %r is not a gate level; use one of %s (case-insensitive)"
            % (value, ", ".join(FAIL_ON))
        )
    return value.strip().lower()


def validate_checks(value):
    """hostnet_checks: the module's rule (module_utils/_validate), as a FleetError."""
    try:
        return _validate.validate_checks("hostnet_checks", value, CHECKS)
    except InvalidInput as exc:
        raise FleetError(exc.msg) from None


def validate_filters(include, exclude):
    """hostnet_include and hostnet_exclude: the module's rule (module_utils/_validate), as a FleetError."""
    try:
        return _validate.validate_filters(include, exclude, ("hostnet_include", "hostnet_exclude"))
    except InvalidInput as exc:
        raise FleetError(exc.msg) from None


_BOOLEAN_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False,
                  "0": False}


def validate_promisc_options(interfaces, lynis_profile, lynis_profile_any_directory=False):
    """hostnet_promisc_interfaces (a list of interface names), hostnet_lynis_profile (empty: off, else a lynis
    profile: ``_syntax/lynis_profile``, the rule port_promisc applies) and hostnet_lynis_profile_any_directory
    (a boolean): (interfaces, lynis_profile or None)."""
    if isinstance(interfaces, str) or not isinstance(interfaces, (list, tuple)):
        raise FleetError("hostnet_promisc_interfaces: expected a list of interface names, got %r" % (interfaces,))
    bad = ["%r %s" % (name, interface_name_problem(name)) for name in interfaces if interface_name_problem(name)]
    if bad:
        raise FleetError("hostnet_promisc_interfaces: invalid interface name(s): %s" % "; ".join(bad))
    any_directory = lynis_profile_any_directory
    if isinstance(any_directory, str) and any_directory.strip().lower() in _BOOLEAN_WORDS:
        any_directory = _BOOLEAN_WORDS[any_directory.strip().lower()]
    if not isinstance(any_directory, bool):
        raise FleetError("hostnet_lynis_profile_any_directory: expected true or false, got %r"
                         % (lynis_profile_any_directory,))
    if lynis_profile in (None, ""):
        return list(interfaces), None
    problem = profile_path_problem(lynis_profile, any_directory)
    if problem:
        raise FleetError("hostnet_lynis_profile: %s (or empty: off)" % problem.replace(
            "lynis_profile_any_directory", "hostnet_lynis_profile_any_directory"))
    return list(interfaces), lynis_profile


def gate_hosts(report, fail_on):
    """Hosts whose findings reach the gate (an audit_failed host always does, unless the gate is none)."""
    if fail_on == "none":
        return []
    levels = SEVERITIES[: SEVERITY_RANK[fail_on] + 1]
    hosts = {f["host"] for f in report["findings"] if f["severity"] in levels}
    return sorted(hosts)


def gate_message(report, host, fail_on, report_dir):
    levels = SEVERITIES[: SEVERITY_RANK[fail_on] + 1]
    hits = [f for f in report["findings"] if f["host"] == host and f["severity"] in levels]
    what = ", ".join(
        "%s %s%s" % (f["severity"], f["id"], " on %s" % f["interface"] if f.get("interface") else "") for f in hits
    )
    return "Findings at or above '%s' remain on %s: %s; see %s/report.md" % (fail_on, host, what, report_dir)


# ---------------------------------------------------------------------------------- per-host results


def lean_result(result, error=None):
    """(lean result, state) of one netstate_info result: the state split off, Ansible's bookkeeping dropped.

    ``error`` (why the audit did not run, from the playbook's rescue) marks the host failed.
    """
    if not isinstance(result, Mapping):
        result = {}
    state = result.get("state")
    lean = {
        str(key): plain(value)
        for key, value in result.items()
        if key not in _DROPPED_KEYS and not str(key).startswith("_ansible")
    }
    for key in ("failed_when_result", "skip_reason", "skipped", "false_condition"):
        lean.pop(key, None)
    if error:
        lean = {"failed": True, "msg": str(error)}
    elif lean.get("failed") or lean.get("unreachable"):
        lean = {key: lean[key] for key in ("msg",) if key in lean}
        lean["failed"] = True
    else:
        lean.pop("failed", None)
    return lean, (plain(state) if isinstance(state, Mapping) else None)


def enforced_summary(findings_before, promisc=None, bridge_mac=None, forwarding=None, team_to_bond=None,
                     errors=None):
    """What an enforcing run really changed on one host, from the registered results of the fixes.

    Only entries that changed: ports whose promisc flag was off, bridges whose pinning changed something,
    interfaces whose forwarding was off, and the team->bond role's migrations as it reports them. Besides
    the changes, ``errors`` (a fix or one item of it failed: [{fix, interface, msg}]) and ``skipped`` (an
    item left unchanged on purpose, e.g. a name its backend cannot write: [{fix, interface, reason}]).
    """

    def entries(value, key):
        if isinstance(value, Mapping):
            value = value.get(key)
        return [item for item in value or [] if isinstance(item, Mapping)]

    pinned = []
    for item in entries(bridge_mac, "results"):
        if not item.get("changed") or item.get("failed") or item.get("skipped"):
            continue
        pinned.append({
            "bridge": item.get("bridge") or item.get("item"),
            "before": item.get("mac_before"),
            "after": item.get("mac"),
            "source": item.get("source"),
            "mac_changed": bool(item.get("mac_changed")),
            "backend": item.get("backend"),
        })
    migrations = team_to_bond.get("migrations") if isinstance(team_to_bond, Mapping) else team_to_bond
    return plain({
        "findings_before": len(findings_before or []) if not isinstance(findings_before, int) else findings_before,
        "promisc": [
            {"interface": port.get("name"), "master": port.get("master"), "backend": port.get("backend")}
            for port in entries(promisc, "ports")
            if port.get("promisc_flag_before") is not True
        ],
        "bridge_mac": pinned,
        "forwarding": [
            {"interface": item.get("name"), "backend": item.get("backend"), "keys": list(item.get("key") or [])}
            for item in entries(forwarding, "interfaces")
            if item.get("forwarding_before") is not True and not item.get("skipped")
        ],
        "team_to_bond": list(migrations or []),
        "errors": enforcement_errors(errors, bridge_mac),
        "skipped": enforcement_skips(promisc, bridge_mac, forwarding),
    })


def _mapping_items(value, key):
    if isinstance(value, Mapping):
        value = value.get(key)
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def enforcement_errors(errors, bridge_mac=None):
    """[{fix, interface, msg}]: the fixes that failed (the playbook's rescue records them), one entry per failed
    bridge of the bridge_mac loop in place of its "One or more items failed"."""
    failed_bridges = [
        {"fix": "bridge_mac", "interface": item.get("bridge") or item.get("item"),
         "msg": str(item.get("msg") or "failed without a message")}
        for item in _mapping_items(bridge_mac, "results") if item.get("failed")]
    found = []
    for error in errors or []:
        if not isinstance(error, Mapping):
            error = {"fix": "enforcement", "msg": str(error)}
        if error.get("fix") == "bridge_mac" and failed_bridges:
            continue
        msg = str(error.get("msg") or "failed without a message")
        if error.get("task"):
            msg = "'%s' failed: %s" % (error["task"], msg)
        found.append({"fix": str(error.get("fix") or "enforcement"), "interface": error.get("interface"), "msg": msg})
    return failed_bridges + found


def enforcement_skips(promisc=None, bridge_mac=None, forwarding=None):
    """[{fix, interface, reason}]: items a fix left unchanged on purpose, with the module's reason."""
    skipped = [{"fix": "promisc", "interface": item.get("interface"), "reason": str(item.get("reason") or "")}
               for item in _mapping_items(promisc, "skipped_interfaces")]
    skipped += [{"fix": "bridge_mac", "interface": item.get("bridge") or item.get("item"),
                 "reason": str(item.get("skip_reason") or item.get("msg") or "")}
                for item in _mapping_items(bridge_mac, "results")
                if item.get("skipped") and item.get("source") == "skipped"]  # the module's own skip, not a when
    skipped += [{"fix": "forwarding", "interface": item.get("name"), "reason": str(item["skipped"])}
                for item in _mapping_items(forwarding, "interfaces") if isinstance(item.get("skipped"), str)]
    return skipped


def enforcement_failure_message(enforced):
    """The host's error when a fix failed: every failed fix and item in one line; None when none did."""
    errors = (enforced or {}).get("errors") or []
    if not errors:
        return None
    return "Enforcing failed: %s" % "; ".join(
        "%s%s: %s" % (error["fix"], " on %s" % error["interface"] if error.get("interface") else "", error["msg"])
        for error in errors)


def host_file_name(host):
    """The file of one host under hosts/: the inventory name, percent-encoded when it is not a plain name."""
    host = str(host)
    if _SAFE_NAME.match(host) and len(host) <= 200:
        return host + ".json"
    return "".join(char if re.match(r"[A-Za-z0-9_.-]", char) else "%%%02X" % ord(char) for char in host)[:200] + ".json"


def host_document(host, run_id, result, state=None, time=None):
    document = {"format": FORMAT, "host": str(host), "run_id": str(run_id), "time": time or now(), "result": result}
    if state is not None:
        document["state"] = state
    return document


def host_file_head(host, run_id):
    """The first bytes to_json(host_document(host, run_id, ...)) writes: enough to tell whose file of which run."""
    return ('{\n  "format": %d,\n  "host": %s,\n  "run_id": %s,\n' % (
        FORMAT, json.dumps(str(host), ensure_ascii=False), json.dumps(str(run_id), ensure_ascii=False))).encode("utf-8")


def write_host_result(report_dir, host, run_id, lean, state=None):
    """hosts/<host>.json of this run, written atomically; its path."""
    path = os.path.join(report_dir, HOSTS_DIR, host_file_name(host))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_text(path, to_json(host_document(host, run_id, lean, state)))
    return path


def host_task_result(lean, path):
    """What the per-host tasks return: the lean result without the state, and whether the audit failed."""
    result = {key: value for key, value in lean.items() if key not in ("failed", "msg", "warnings")}
    result.update(changed=False, path=path, audit_failed=bool(lean.get("failed")),
                  audit_error=lean.get("msg") if lean.get("failed") else None)
    return result


def result_of(document, host, run_id):
    """The lean result a host file holds for this run, or None when the file is not this run's."""
    if not isinstance(document, Mapping) or document.get("host") != host or document.get("run_id") != run_id:
        return None
    result = document.get("result")
    return dict(result) if isinstance(result, Mapping) else None


# -------------------------------------------------------------------------------- files on the controller


def write_text(path, text):
    """Write atomically (a reader never sees half a file); True when the content changed."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except (OSError, UnicodeDecodeError):
        pass
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".hostnet-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def read_json(path):
    """A JSON document, or None when the file is missing or not JSON."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def to_json(document, compact=False):
    if compact:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
