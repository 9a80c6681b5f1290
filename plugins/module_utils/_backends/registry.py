# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backends of a host: the owners in the order they are asked, the fallback, and one by name."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.fallback import FallbackBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.ifupdown import IfupdownBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.netplan import NetplanBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.nm import NetworkManagerBackend


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
