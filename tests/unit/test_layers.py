# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Layers point one way (HOUSE_STYLE.md "The shape of the house"): every import under plugins/, read with
ast (imports inside functions and try blocks too), must go to the same layer or a lower one.

    modules, action -> filter -> plugin_utils -> _enforce (the module edge: run_module)
      -> _apply -> _backends / _plan -> _audit -> _read / _syntax
      -> _constants, _errors, _command, _validate, _options, _text (the shared bottom)

Layers on one line joined by "/" or "," are peers and may import each other. A value two layers share lives
in the lower one: when this test fails, move the thing down. KNOWN below holds only what a change already
under way removes (a stale entry fails). _apply/t2b_txn.py, t2b_host.py and t2b_move.py, run on the host as
scripts, must import nothing of the collection but each other.
"""

from __future__ import annotations

import ast
import os

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGINS = os.path.join(REPO, "plugins")
PACKAGE = "ansible_collections.hostnet.dockerhost.plugins"

# (rank, layer names); a higher rank may import a lower or equal one, never a higher one.
LAYERS = (
    (90, ("modules", "action", "doc_fragments")),
    (80, ("filter",)),
    (70, ("plugin_utils",)),
    (60, ("module_utils/_enforce",)),
    (50, ("module_utils/_apply",)),
    (40, ("module_utils/_backends", "module_utils/_plan")),
    (30, ("module_utils/_audit",)),
    (20, ("module_utils/_read", "module_utils/_syntax")),
    (10, ("module_utils/_constants", "module_utils/_errors", "module_utils/_command", "module_utils/_validate",
          "module_utils/_options", "module_utils/_text", "module_utils/_target_python")),
)
RANK = {name: rank for rank, names in LAYERS for name in names}
ORDER = " -> ".join(" / ".join(names) for _rank, names in LAYERS)


def layer_of(parts):
    """The layer of a module path under plugins/ (a tuple like ("module_utils", "_apply", "files")), or None."""
    if not parts:
        return None
    if parts[0] == "module_utils" and len(parts) > 1:
        name = "module_utils/" + parts[1]
    else:
        name = parts[0]
    return name if name in RANK else None


def plugin_files(plugins=PLUGINS):
    for root, _dirs, files in os.walk(plugins):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(root, name)


def module_parts(path, plugins=PLUGINS):
    rel = os.path.relpath(path, plugins)[: -len(".py")]
    parts = tuple(rel.split(os.sep))
    return parts[:-1] if parts[-1] == "__init__" else parts


def is_module(parts, plugins=PLUGINS):
    path = os.path.join(plugins, *parts)
    return os.path.isfile(path + ".py") or os.path.isdir(path)


def imported_targets(path, plugins=PLUGINS):
    """(line, dotted name as written, parts under plugins/) for every collection import in ``path``."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    yield node.lineno, alias.name, tuple(alias.name[len(PACKAGE) + 1:].split("."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # the collection writes absolute imports only; a relative one cannot be placed
                yield node.lineno, "." * node.level + (node.module or ""), ()
                continue
            if not (node.module and node.module.startswith(PACKAGE + ".")):
                continue
            parts = tuple(node.module[len(PACKAGE) + 1:].split("."))
            written = node.module
            for alias in node.names:  # "from pkg import submodule" imports the submodule
                sub = parts + (alias.name,)
                yield node.lineno, written + " import " + alias.name, sub if is_module(sub, plugins) else parts


# Upward imports that another change removes; each entry must still occur (a stale one fails the test).
KNOWN = frozenset()


def upward_imports(plugins=PLUGINS, known=KNOWN):
    problems, known_seen = [], set()
    for path in plugin_files(plugins):
        source = layer_of(module_parts(path, plugins))
        rel = os.path.relpath(path, os.path.dirname(plugins))
        if source is None:
            problems.append("%s: not in any layer; add its directory to LAYERS in %s" % (rel, __file__))
            continue
        for line, written, parts in imported_targets(path, plugins):
            target = layer_of(parts)
            if target is None:
                problems.append("%s:%d: imports %s, which is in no layer (write the full collection path)"
                                % (rel, line, written))
            elif RANK[target] > RANK[source]:
                if (rel, target) in known:
                    known_seen.add((rel, target))
                    continue
                problems.append("%s:%d: %s imports %s (%s): a layer may import only its own or lower ones"
                                % (rel, line, source, target, written.replace(PACKAGE + ".", "")))
    for rel, target in sorted(set(known) - known_seen):
        problems.append("%s no longer imports %s: remove the entry from KNOWN in %s" % (rel, target, __file__))
    return problems


def test_every_plugin_import_goes_down_the_layers():
    problems = upward_imports()
    assert not problems, "%d import(s) against the layer order (top first: %s):\n%s" % (
        len(problems), ORDER, "\n".join(problems))


def test_an_upward_import_is_named_with_file_line_and_rule(tmp_path):
    """The walk on a small tree: an upward import inside a function, one through "from package import
    module", a relative one and a stale KNOWN entry are each reported; downward and peer imports are not."""
    def write(rel, text):
        path = tmp_path / "plugins" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    mu = PACKAGE + ".module_utils"
    write("module_utils/_apply/files.py", "X = 1\n")
    write("module_utils/_backends/base.py", "from %s._plan import files\nfrom %s._errors import E\n" % (mu, mu))
    write("module_utils/_plan/files.py", "import os\n\n\ndef f():\n    from %s._apply.files import X\n" % mu)
    write("module_utils/_audit/findings.py", "from %s import _apply\nfrom . import scope\n" % mu)
    write("module_utils/_errors.py", "E = 1\n")
    problems = upward_imports(str(tmp_path / "plugins"), known={("plugins/filter/x.py", "plugin_utils")})
    assert sorted(problems) == sorted([
        "plugins/module_utils/_audit/findings.py:1: module_utils/_audit imports module_utils/_apply (module_utils "
        "import _apply): a layer may import only its own or lower ones",
        "plugins/module_utils/_audit/findings.py:2: imports ., which is in no layer (write the full collection path)",
        "plugins/module_utils/_plan/files.py:5: module_utils/_plan imports module_utils/_apply "
        "(module_utils._apply.files import X): a layer may import only its own or lower ones",
        "plugins/filter/x.py no longer imports plugin_utils: remove the entry from KNOWN in %s" % __file__,
    ])


@pytest.mark.parametrize("name", ["t2b_txn", "t2b_host", "t2b_move"])
def test_host_side_scripts_import_only_the_standard_library_and_each_other(name):
    """_apply/t2b_txn.py, t2b_host.py and t2b_move.py are shipped to the host and run there as scripts: beside
    each other they may import only the standard library (and each other, either way)."""
    path = os.path.join(PLUGINS, "module_utils", "_apply", name + ".py")
    for line, written, parts in imported_targets(path):
        assert parts in (("module_utils", "_apply", "t2b_host"), ("module_utils", "_apply", "t2b_move")), \
            "%s:%d imports %s" % (path, line, written)


def test_every_module_has_one_error_edge():
    # each module with code runs it through _enforce.run_module (HostnetError -> fail_json, a bug in one line,
    # warnings escaped); the fleet_* files are documentation of action plugins and have no main()
    modules = os.path.join(PLUGINS, "modules")
    for name in sorted(os.listdir(modules)):
        if not name.endswith(".py") or name == "__init__.py":
            continue
        with open(os.path.join(modules, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        mains = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"]
        if not mains:
            assert name.startswith("fleet_"), "%s has no main()" % name
            continue
        calls = [node.func for node in ast.walk(mains[0]) if isinstance(node, ast.Call)]
        called = {getattr(func, "id", getattr(func, "attr", "")) for func in calls}
        assert "run_module" in called, "%s: main() does not go through _enforce.run_module" % name
        assert not called & {"fail_json", "exit_json"}, "%s: main() calls fail_json/exit_json itself" % name
