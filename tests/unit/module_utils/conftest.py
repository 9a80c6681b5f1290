# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.hostnet.dockerhost`` importable for a plain ``python3 -m pytest``.

The repository root is the collection root, so ``<repo>/.build/collections/ansible_collections/hostnet/
dockerhost`` (git-ignored) is a symlink back to it and ``<repo>/.build/collections`` goes first on sys.path.
This directory goes on sys.path too, so the tests can import ``hostnet_builders`` in any import mode.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
COLLECTIONS_ROOT = os.path.join(REPO_ROOT, ".build", "collections")
COLLECTION_LINK = os.path.join(COLLECTIONS_ROOT, "ansible_collections", "hostnet", "dockerhost")


def _ensure_collection_link():
    if os.path.lexists(COLLECTION_LINK):
        return
    os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
    try:
        os.symlink(REPO_ROOT, COLLECTION_LINK)
    except FileExistsError:  # another test run created it meanwhile
        pass


_ensure_collection_link()
for _path in (HERE, COLLECTIONS_ROOT):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)


def _patch_module_args_before_2_19():
    """ansible-core 2.19 has ``ansible.module_utils.testing.patch_module_args``; 2.18 (also claimed, tested
    with ``make test-ansible-2.18``) has not. Give 2.18 the same context manager, built the way 2.18's own
    module tests set arguments (``basic._ANSIBLE_ARGS``), so that the tests import it one way."""
    try:
        import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
        return
    except ImportError:
        pass
    import contextlib
    import json
    import types
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        encoded = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", encoded):
            yield

    shim = types.ModuleType("ansible.module_utils.testing")
    shim.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = shim


_patch_module_args_before_2_19()
