# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""team_to_bond ships its host-side scripts from its own module source: that source is text whichever loader
imported the code - AnsiballZ's zip importer gives text, Ansible's collection loader (ansible-test units, any
controller-side import) gives bytes."""

from __future__ import annotations

import types

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import team_to_bond as _apply_t2b
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_host as _t2b_host


class _Loader:
    def __init__(self, source):
        self.source = source

    def get_source(self, name):
        return self.source


def _module_with(source, file_text, tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(file_text, encoding="utf-8")
    module = types.ModuleType("mod")
    module.__file__ = str(path)
    module.__loader__ = _Loader(source)
    return module


@pytest.mark.parametrize("source", ["print('from the loader')\n", b"print('from the loader')\n"],
                         ids=["loader gives text", "loader gives bytes"])
def test_source_is_the_loaders_text(source, tmp_path):
    result = _apply_t2b._source(_module_with(source, "print('from the file')\n", tmp_path))
    assert result == "print('from the loader')\n"


def test_source_falls_back_to_the_file_when_the_loader_has_none(tmp_path):
    assert _apply_t2b._source(_module_with(None, "print('from the file')\n", tmp_path)) == "print('from the file')\n"


def test_shipped_sources_are_text_and_the_real_modules():
    sources = _apply_t2b.txn_sources()
    assert all(isinstance(text, str) for text in sources.values())
    with open(_t2b_host.__file__, encoding="utf-8") as handle:
        assert handle.read() in sources.values()
