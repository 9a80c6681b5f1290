# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's record of what it set (``/var/lib/hostnet-dockerhost/<name>.json``), so that
``state=absent`` reverts exactly that.

A record that is not JSON, or JSON of another shape than the module expects, fails the run with the file's
path and the expected shape: treating it as empty would forget what the collection set (and ``state=absent``
could no longer revert it), so the person decides - fix the file, or remove it to start afresh. The record is
written as one step of the module's transaction (a ``FileStep``), so a failed run leaves it byte-identical.
"""

from __future__ import annotations

__metaclass__ = type

import json
import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import plan_file

LEDGER_DIR = "/var/lib/hostnet-dockerhost"


def ledger_path(name, directory=LEDGER_DIR):
    return os.path.join(directory, name + ".json")


def _type_name(value):
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def load_ledger(name, directory=LEDGER_DIR, shape=None):
    """The record as a dict ({} when there is none). ``shape(data)`` returns a problem in words, or None."""
    path = ledger_path(name, directory)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise HostnetError("cannot read the collection's record %s: %s (remove it to start afresh)"
                           % (path, exc), path=path)
    problem = "it is %s, not an object" % _type_name(data) if not isinstance(data, dict) else \
        (shape(data) if shape else None)
    if problem:
        raise HostnetError("the collection's record %s is valid JSON of the wrong shape: %s. Expected %s. Fix it, "
                           "or remove it to start afresh (then state=absent no longer knows what was set before)"
                           % (path, problem, getattr(shape, "expected", "a JSON object")), path=path)
    return data


def plan_ledger(name, data, directory=LEDGER_DIR):
    """The FileEdit that stores ``data`` (removes the file when ``data`` is empty)."""
    path = ledger_path(name, directory)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n" if data else None
    edit = plan_file(path, text, mode=0o644, reason="the collection's record of what it set")
    return edit
