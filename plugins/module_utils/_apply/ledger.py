# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection changed on a host, so that ``state: absent`` reverts exactly that.

One JSON file per module under /var/lib/hostnet-dockerhost, written atomically through _files.
"""

from __future__ import annotations

__metaclass__ = type

import json
import os

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.files import plan_file
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError

LEDGER_DIR = "/var/lib/hostnet-dockerhost"


def ledger_path(name, directory=LEDGER_DIR):
    return os.path.join(directory, name + ".json")


def load_ledger(name, directory=LEDGER_DIR):
    path = ledger_path(name, directory)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise HostnetError("cannot read the collection's record %s: %s (remove it to start afresh)"
                           % (path, exc), path=path)
    return data if isinstance(data, dict) else {}


def plan_ledger(name, data, directory=LEDGER_DIR):
    """The FileEdit that stores ``data`` (removes the file when ``data`` is empty)."""
    path = ledger_path(name, directory)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n" if data else None
    edit = plan_file(path, text, mode=0o644, reason="the collection's record of what it set")
    return edit
