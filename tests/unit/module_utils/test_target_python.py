# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A target Python older than the collection claims ends a module with a message saying so, not a SyntaxError
or an ImportError: every module that runs on a host imports _target_python right after AnsibleModule (so that
ansible-core's own minimum speaks first on a Python it refuses), and the module files parse on Python 3.6."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils import _target_python

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGINS = os.path.join(HERE, "..", "..", "..", "plugins")
GUARD_FILE = os.path.join(PLUGINS, "module_utils", "_target_python.py")
# the modules that run on the managed host (the others document controller-side action plugins)
TARGET_MODULES = ("bridge_mac", "netstate_info", "networkd_forwarding", "port_promisc", "team_to_bond",
                  "team_to_bond_confirm")
GUARD_IMPORT = "from ansible_collections.hostnet.dockerhost.plugins.module_utils._target_python import"


@pytest.mark.parametrize("version", [(3, 6, 8), (3, 8, 10)])
def test_an_older_python_gets_a_message_naming_both_versions(version):
    message = _target_python.too_old(version, "/usr/libexec/platform-python")
    assert "Python 3.9 or later" in message
    assert "/usr/libexec/platform-python is Python %d.%d.%d" % version in message
    assert "ansible_python_interpreter" in message


@pytest.mark.parametrize("version", [(3, 9, 0), (3, 11, 2), (3, 13, 5)])
def test_the_claimed_pythons_pass(version):
    assert _target_python.too_old(version) is None


def test_on_a_faked_old_python_the_import_ends_the_run_with_a_failed_result():
    code = ("import runpy, sys; sys.version_info = (3, 8, 10, 'final', 0); runpy.run_path(%r); print('not stopped')"
            % GUARD_FILE)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["failed"] is True and "Python 3.9 or later" in result["msg"] and "3.8.10" in result["msg"]
    assert "not stopped" not in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", TARGET_MODULES + ("_target_python",))
def test_module_files_parse_on_python_3_6_and_import_the_guard_first(name):
    path = GUARD_FILE if name == "_target_python" else os.path.join(PLUGINS, "modules", name + ".py")
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    # `from __future__ import annotations` is a SyntaxError before Python 3.7, raised before any check could run
    assert "from __future__ import annotations" not in source
    ast.parse(source, feature_version=(3, 6))
    if name == "_target_python":
        return
    collection_imports = [line for line in source.splitlines() if line.startswith("from ansible_collections.")]
    assert collection_imports[0].startswith(GUARD_IMPORT), collection_imports[:2]
    assert source.index("from ansible.module_utils.basic import AnsibleModule") < source.index(GUARD_IMPORT)
