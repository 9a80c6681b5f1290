# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the enforcing modules; their argument-spec pieces are in module_utils/_options.py."""

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment:
    # hostnet.dockerhost.enforce: every module that edits files (port_promisc, bridge_mac, networkd_forwarding)
    DOCUMENTATION = r"""
options:
  backup:
    description:
      - Keep a timestamped copy of every existing file before it is changed - a user's file the module edits
        (ifupdown's interfaces files, a C(.network) with a deprecated key) or one the collection wrote earlier.
    type: bool
    default: false
"""

    # hostnet.dockerhost.enforce.persist: modules that change the running kernel and persist it (port_promisc,
    # bridge_mac)
    PERSIST = r"""
options:
  persist:
    description:
      - Also persist through the owning backend (or the fallback). V(false) changes the running kernel only.
    type: bool
    default: true
"""

    # hostnet.dockerhost.enforce.t2b_state_dir: team_to_bond and team_to_bond_confirm
    T2B_STATE_DIR = r"""
options:
  state_dir:
    description:
      - Where team_to_bond's transactions keep their plan, snapshot, state and log (one directory per
        transaction); M(hostnet.dockerhost.team_to_bond_confirm) must be given the one M(hostnet.dockerhost.team_to_bond)
        used. The boot guard rolls back the unconfirmed transactions of every state directory in use.
      - An absolute path without whitespace, quotes, backslashes, C(%), C($) or C(;) (it is named in a systemd unit).
    type: path
    default: /var/lib/hostnet-dockerhost/team_to_bond
"""
