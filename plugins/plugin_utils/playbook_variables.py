# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every playbook variable checked on the controller before any host is touched: one table, one pass.

``VARIABLES`` maps each ``hostnet_*`` variable to its check, a function of the value that returns the
normalised value or raises FleetError naming the variable and what would be valid. The enforcing play's
variables are in it too, so that ``--check`` refuses a value the enforcing run would refuse (or, worse,
silently read as false: ``hostnet_enforce: maybe``). A new variable is one more row.
"""

from __future__ import annotations

import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.mac_choice import POLICIES as MAC_POLICIES
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_rollout as rollout
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils._fleet_text import visible

# What ansible's own ``bool`` filter and module argument specs accept (ansible.module_utils.parsing.convert_bool),
# minus the lenient fallback of the filter, which reads any other string as false.
TRUE_WORDS = ("yes", "on", "1", "true", "y", "t")
FALSE_WORDS = ("no", "off", "0", "false", "n", "f")
BRIDGE_MAC_POLICIES = MAC_POLICIES  # the bridge_mac module's, one tuple


def _shown(value):
    return visible(repr(value))


def boolean(name, value):
    """A real boolean, 0/1, or one of the usual YAML/Ansible words (any case); anything else is an error."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise fleet.FleetError("%s: %s is not a boolean; use true or false (also yes/no, on/off, 1/0)"
                           % (name, _shown(value)))


def choice(choices):
    def check(name, value):
        if not isinstance(value, str) or value not in choices:
            raise fleet.FleetError("%s: %s is not one of %s" % (name, _shown(value), ", ".join(choices)))
        return value
    return check


def report_dir(name, value):
    """An absolute directory. Empty (an unset CI variable) or relative would write the report into whatever
    directory the run was started from, overwriting a report.md there."""
    if not isinstance(value, str) or not value.strip():
        raise fleet.FleetError("%s: empty; give an absolute directory for the report (e.g. /var/tmp/hostnet-audit)"
                               % name)
    value = os.path.expandvars(os.path.expanduser(value))  # as a path option does
    if not os.path.isabs(value):
        raise fleet.FleetError("%s: %s is relative, so the report would land wherever the run was started; give an "
                               "absolute directory (e.g. $PWD/%s)" % (name, _shown(value), visible(value)))
    return os.path.normpath(value)


def string_list(name, value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) \
            or not all(isinstance(item, str) for item in value):
        raise fleet.FleetError("%s: expected a list of strings, got %s" % (name, _shown(value)))
    return list(value)


def _fail_on(name, value):  # pylint: disable=unused-argument
    return fleet.validate_fail_on(value)


def _checks(name, value):  # pylint: disable=unused-argument
    return fleet.validate_checks(value)


def _rollout(check):
    """A team->bond rollout variable (_fleet_rollout), its error as the table's."""
    def checked(name, value):
        try:
            return check(value, name)
        except rollout.RolloutError as exc:
            raise fleet.FleetError(str(exc)) from None
    return checked


# variable -> check(name, value) -> normalised value. Each check runs only when the variable is given (the
# play passes its defaults), so a play that does not use a variable is not held to it.
VARIABLES = {
    "hostnet_fail_on": _fail_on,
    "hostnet_checks": _checks,
    "hostnet_report_dir": report_dir,
    "hostnet_bridge_mac_policy": choice(BRIDGE_MAC_POLICIES),
    "hostnet_strict": boolean,
    "hostnet_return_state": boolean,
    "hostnet_enforce": boolean,
    "hostnet_persist": boolean,
    "hostnet_team_to_bond": boolean,
    "hostnet_lynis_profile_any_directory": boolean,
    "hostnet_serial": _rollout(rollout.validate_serial),
    "hostnet_canary": _rollout(rollout.validate_canary),
    "hostnet_merge_from": string_list,
    "hostnet_merge_duplicates": choice(fleet.DUPLICATES),
}

# Checks that look at two variables together: (names, check(values) -> None); the interface lists are checked
# here, as lists of valid names.
COMBINED = (
    (("hostnet_include", "hostnet_exclude"), lambda v: fleet.validate_filters(v["hostnet_include"], v["hostnet_exclude"])),
    (("hostnet_promisc_interfaces", "hostnet_lynis_profile"),
     lambda v: fleet.validate_promisc_options(v["hostnet_promisc_interfaces"], v["hostnet_lynis_profile"],
                                              v.get("hostnet_lynis_profile_any_directory", False))),
)


def validate_variables(values):
    """{variable: normalised value} of the given ones; every problem at once, in one FleetError."""
    problems, normalised = [], {}
    for name, value in values.items():
        check = VARIABLES.get(name)
        if check is None:
            normalised[name] = value
            continue
        try:
            normalised[name] = check(name, value)
        except fleet.FleetError as exc:
            problems.append(str(exc))
    for names, check in COMBINED:
        if all(name in normalised for name in names) and not any(p.startswith(names) for p in problems):
            try:
                check(normalised)
            except fleet.FleetError as exc:
                problems.append(str(exc))
    if problems:
        raise fleet.FleetError("; ".join(problems) + ". Nothing was audited or changed.")
    return normalised


def host_variables_problem(values):
    """Why one host's own values of the playbook variables (host or group vars) are wrong, or None."""
    if not values:
        return None
    try:
        validate_variables(values)
    except fleet.FleetError as exc:
        return "this host's variables: %s" % str(exc).replace("Nothing was audited or changed.", "Nothing was changed.")
    return None
