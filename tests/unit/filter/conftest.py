# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.hostnet.dockerhost`` importable for a plain ``python3 -m pytest``.

ansible-test units installs its own collection loader, and a checkout that already sits at
``.../ansible_collections/hostnet/dockerhost`` needs nothing. Otherwise a temporary directory gets an
``ansible_collections/hostnet/dockerhost`` symlink to this checkout and goes first on ``sys.path``; the
same directory serves as ANSIBLE_COLLECTIONS_PATH for the tests that run ansible itself.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Tests here import each other (``from test_fleet_report_filters import ...``); ansible-test units does not put
# this directory on sys.path.
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _collections_root():
    namespace_dir = os.path.dirname(REPO_ROOT)
    collections_dir = os.path.dirname(namespace_dir)
    if (
        os.path.basename(REPO_ROOT) == "dockerhost"
        and os.path.basename(namespace_dir) == "hostnet"
        and os.path.basename(collections_dir) == "ansible_collections"
    ):
        return os.path.dirname(collections_dir)

    root = tempfile.mkdtemp(prefix="hostnet-dockerhost-collections-")
    namespace = os.path.join(root, "ansible_collections", "hostnet")
    os.makedirs(namespace)
    link = os.path.join(namespace, "dockerhost")
    os.symlink(REPO_ROOT, link)

    def remove_link_only():
        # remove the symlink itself and the two empty directories; never walk into the checkout
        os.unlink(link)
        os.rmdir(namespace)
        os.rmdir(os.path.dirname(namespace))
        os.rmdir(root)

    atexit.register(remove_link_only)
    return root


try:
    import ansible_collections.hostnet.dockerhost.plugins.plugin_utils.fleet_filters  # noqa: F401  pylint: disable=unused-import

    COLLECTIONS_ROOT = None
except ImportError:
    COLLECTIONS_ROOT = _collections_root()
    sys.path.insert(0, COLLECTIONS_ROOT)


@pytest.fixture(scope="session")
def collections_root():
    """A directory usable as ANSIBLE_COLLECTIONS_PATH that contains this checkout."""
    if COLLECTIONS_ROOT is not None:
        return COLLECTIONS_ROOT
    return _collections_root()
