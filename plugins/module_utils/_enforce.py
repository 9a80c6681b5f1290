# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every enforcing module shares: the command runner (from _command), the backends of a host,
and turning typed errors into fail_json at the edge."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.fallback import FallbackBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.ifupdown import IfupdownBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.netplan import NetplanBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.nm import NetworkManagerBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils import _command
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible

# The one command runner (LC_ALL=C), importable from here for the enforcing modules' apply flows.
module_runner = _command.module_runner


def host_backends(host, run):
    """The owners in the order they are asked (an active NetworkManager profile is what really runs the
    link; netplan before systemd-networkd, whose units it generates), and the fallback for interfaces nobody
    owns."""
    owners = [NetworkManagerBackend(host, run), NetplanBackend(host, run), NetworkdBackend(host, run),
              IfupdownBackend(host, run)]
    return owners, FallbackBackend(host, run)


def backend_named(name, owners, fallback):
    for backend in owners + [fallback]:
        if backend.name == name:
            return backend
    return fallback


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
