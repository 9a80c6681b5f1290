# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond, module side: start the host-side transaction through the engine.

The module writes ``plan.json`` and the transaction's scripts (``t2b_host.py``, then ``t2b_txn.py``, which
imports it from its own directory) into ``<state_dir>/<txid>/`` and starts ``t2b_txn.py`` with
``systemd-run``; these are one ``Transaction``: pre-flight of the state directory (a
component that is a file, a read-only mount, no room), and when ``systemd-run`` fails the files and the
directories made for them are removed again. What the script then does on the host (snapshot, apply, probe,
roll back) is its own transaction with its dead-man timer (``t2b_txn.py``).
"""

from __future__ import annotations

__metaclass__ = type

import json
import os
import sys

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.file_step import FileStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.steps import CommandStep
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.t2b_txn import TXN_SCRIPT
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.transaction import Transaction
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit

HINT = "Fix that, or give team_to_bond a writable state_dir."


def launch_steps(document, state_dir, run, scripts, python=sys.executable):
    """The steps that start the transaction ``document`` (its txid names the directory). ``scripts``:
    {file name: source}, written in that order; TXN_SCRIPT among them is started."""
    directory = os.path.join(state_dir, document["txid"])
    plan = FileEdit(os.path.join(directory, "plan.json"), None, json.dumps(document, indent=1, sort_keys=True),
                    mode=0o644, reason="the team_to_bond transaction's plan")
    steps = [FileStep(plan, dir_mode=0o700)]
    for name, source in scripts.items():
        steps.append(FileStep(FileEdit(os.path.join(directory, name), None, source, mode=0o700,
                                       reason="the team_to_bond transaction script %s" % name), dir_mode=0o700))
    argv = ["systemd-run", "--quiet", "--collect", "--unit", "hostnet-t2b-%s" % document["txid"],
            "--property=Type=exec", python, os.path.join(directory, TXN_SCRIPT), "apply", directory]
    return steps + [CommandStep(run, argv)]


def launch(document, state_dir, run, scripts, python=sys.executable):
    """Write the plan and the scripts, start the transaction; on any failure nothing of it stays. Returns the
    transaction's directory."""
    Transaction("team_to_bond", launch_steps(document, state_dir, run, scripts, python), hint=HINT).run()
    return os.path.join(state_dir, document["txid"])
