# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No Python file of the project defines a top-level function or class twice: the second silently shadows the
first (the lab's guest tool once lost its LACP wait in build() that way)."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SKIP = {".venv", ".build", ".lab-cache", "node_modules", ".git", ".ansible"}


def project_files():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        # .venv-2.18, .venv-publish: the other virtualenvs of the Makefile
        if not SKIP.intersection(parts) and not any(part.startswith(".venv-") for part in parts) \
                and not path.name.startswith("."):
            yield path


def redefinitions(source):
    seen, found = {}, []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name in seen:
                found.append("%s defined at line %d and again at line %d" % (node.name, seen[node.name], node.lineno))
            seen[node.name] = node.lineno
    return found


def test_the_check_sees_a_shadowed_function():
    assert redefinitions("def settle():\n    pass\n\n\ndef settle(spec):\n    pass\n") == [
        "settle defined at line 1 and again at line 5"]


@pytest.mark.parametrize("path", list(project_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_top_level_redefinition(path):
    assert redefinitions(path.read_text(encoding="utf-8")) == []
