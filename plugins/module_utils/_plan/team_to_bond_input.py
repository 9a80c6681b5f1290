# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond: the module's input checked, and the listed teams matched against the host (pure)."""

from __future__ import annotations

__metaclass__ = type

import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.team_to_bond import bond_name_for
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import BOND_MODES
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.bond import NETWORKD_BOND_KEYS
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    new_interface_name_problem,
    validate_interface_names,
)

OVERRIDE_KEYS = ("mode", "options", "ignore_problems")
# The state directory ends up in a systemd unit's ExecStart= (the boot guard): no quoting, specifiers
# (%) or variables ($) there.
STATE_DIR_UNSAFE = frozenset(" \t\n\"'\\%$;")


def validate_params(params):
    """Raise InvalidInput naming the option for anything team_to_bond cannot work with."""
    # Checked whether or not the host has a team: a typo must not wait for the host where it matters.
    validate_interface_names("teams", params["teams"])
    validate_interface_names("bond_names (its keys, the teams)", list(params["bond_names"]))
    validate_interface_names("bond_names", list(params["bond_names"].values()), problem_of=new_interface_name_problem)
    validate_interface_names("overrides (its keys, the teams)", list(params["overrides"]))
    for team, override in params["overrides"].items():
        if not isinstance(override, dict) or set(override) - set(OVERRIDE_KEYS):
            raise InvalidInput("overrides.%s: expected a dict with mode, options, ignore_problems; got %r"
                               % (team, override), option="overrides")
        _validate_override(team, override)
    for target in params["probe_targets"]:
        parts = target.split(".")
        if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
            raise InvalidInput("probe_targets: %r is not an IPv4 address" % target, option="probe_targets")
    if params["timeout"] < 30 or params["settle_timeout"] < 5 or params["settle_timeout"] >= params["timeout"]:
        raise InvalidInput("timeout (>= 30) must be longer than settle_timeout (>= 5): got %d and %d"
                           % (params["timeout"], params["settle_timeout"]), option="timeout")
    if not 0 <= params.get("lacp_wait", 0) <= 30:
        raise InvalidInput("lacp_wait: %r seconds; give 0 to 30" % params["lacp_wait"], option="lacp_wait")
    state_dir = params["state_dir"]
    bad = sorted(set(state_dir) & STATE_DIR_UNSAFE)
    if not os.path.isabs(state_dir) or bad:
        raise InvalidInput("state_dir: %r must be an absolute path without whitespace, quotes, '\\', '%%', '$' "
                           "or ';' (the boot guard's systemd unit names it)" % state_dir, option="state_dir")


def _validate_override(team, override):
    where = "overrides.%s" % team
    if override.get("mode") is not None and override["mode"] not in BOND_MODES.values():
        raise InvalidInput("%s.mode: %r is not a bonding mode; valid modes: %s"
                           % (where, override["mode"], ", ".join(BOND_MODES.values())), option="overrides")
    options = override.get("options")
    if options is not None and not isinstance(options, dict):
        raise InvalidInput("%s.options: expected a dict of bond options (as named in /sys/class/net/<bond>/bonding/), "
                           "got %r" % (where, options), option="overrides")
    unknown = sorted(key for key in options or {} if key not in NETWORKD_BOND_KEYS)
    if unknown:
        raise InvalidInput("%s.options: unknown bond option(s) %s; known: %s"
                           % (where, ", ".join(repr(k) for k in unknown), ", ".join(sorted(NETWORKD_BOND_KEYS))),
                           option="overrides")
    bad = sorted(key for key, value in (options or {}).items()
                 if value is not None and not isinstance(value, (str, int, float, bool)))
    if bad:
        raise InvalidInput("%s.options: %s must be a single value (or null to drop the option)"
                           % (where, ", ".join(bad)), option="overrides")
    if "ignore_problems" in override and not isinstance(override["ignore_problems"], bool):
        raise InvalidInput("%s.ignore_problems: expected true or false, got %r" % (where, override["ignore_problems"]),
                           option="overrides")


def _kind_name(link):
    if link.kind in ("physical", "unknown", None):
        return "a %s interface" % (link.kind or "physical")
    return "a " + link.kind


def select_teams(requested, teams, links, bond_names):
    """Check the ``teams`` option against the host. Returns the requested names already migrated (the team
    is gone and its bond exists); raises InvalidInput for a name that is another kind of interface (a bridge,
    a bond, ...) or does not exist at all."""
    found = {t.name for t in teams}
    not_teams, already, missing = [], [], []
    for name in sorted(set(requested) - found):
        link = links.get(name)
        if link is not None:
            not_teams.append("%s is %s, not a team" % (name, _kind_name(link)))
            continue
        bond = links.get(bond_name_for(name, bond_names) or "")
        if bond is not None and bond.kind == "bond":
            already.append(name)
        else:
            missing.append(name)
    present = ", ".join(sorted(l.name for l in links.values() if l.kind == "team")) or "none"
    if not_teams:
        raise InvalidInput("teams: %s (teams present: %s)" % ("; ".join(not_teams), present), option="teams")
    if missing:
        raise InvalidInput("teams: no such team on this host: %s (teams present: %s)" % (", ".join(missing), present),
                           option="teams")
    return already


def probe_targets(given, host, plans):
    """The addresses the transaction pings through the bonds: ``given``, else the IPv4 gateways of the read
    model's default routes through a migrated team or the bridge it is a port of. Raises InvalidInput when
    there are none."""
    if given:
        return list(given)
    through = {p.team for p in plans} | {p.master for p in plans if p.master}
    targets = host.default_gateways(through)
    if not targets:
        raise InvalidInput("probe_targets: none given and no default route runs through %s; give addresses that "
                           "must answer through the bond" % ", ".join(p.team for p in plans), option="probe_targets")
    return targets
