# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module edge: turning typed errors into fail_json. Only modules import this file (the layer test
keeps it so); the apply flows run commands through ``_command.module_runner`` and find a host's backends
through ``_backends.registry``."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible


def run_module(module, enforce):
    """Call ``enforce(module) -> result`` and turn a HostnetError into fail_json: the module edge. Anything
    else is a bug; it is reported in one line, never as a traceback (the engine has undone its changes
    before it got here). Warnings name host-derived things too: their control characters are escaped."""
    warn = module.warn
    module.warn = lambda text: warn(visible(text, keep_layout=True))
    try:
        result = enforce(module)
    except HostnetError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    except Exception as exc:  # a bug: say what, without a traceback
        module.fail_json(msg=visible("%s: internal error (a bug, please report it): %s: %s"
                                     % (module._name, type(exc).__name__, exc)), changed=False)
    module.exit_json(**result)
