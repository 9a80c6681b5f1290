# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_command: the one command runner - LC_ALL=C always, argument lists, (rc, stdout, stderr)."""

from __future__ import annotations

import os
import stat

from ansible_collections.hostnet.dockerhost.plugins.module_utils import _command
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import t2b_txn as _t2b_txn
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import host as _host


class FakeModule:
    def __init__(self, installed=("ip",)):
        self.installed = installed
        self.calls = []

    def get_bin_path(self, name):
        return "/usr/bin/" + name if name in self.installed else None

    def run_command(self, argv, environ_update=None, before_communicate_callback=None):
        self.calls.append((argv, environ_update))
        return 0, "out", ""


def test_module_runner_always_sets_lc_all_c():
    module = FakeModule()
    run = _command.module_runner(module)

    assert run(("ip", "-j", "link")) == (0, "out", "")
    assert module.calls == [(["ip", "-j", "link"], {"LC_ALL": "C"})]


def test_optional_tool_missing_is_rc_127_without_running_it():
    module = FakeModule(installed=())
    run = _command.module_runner(module, optional=True)

    assert run(["nmcli", "-t", "connection", "show"]) == (127, "", "nmcli is not installed")
    assert module.calls == []


def _script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_run_command_without_a_module_gets_lc_all_c(tmp_path, monkeypatch):
    _script(tmp_path, "showlocale", 'echo "$LC_ALL"; echo err >&2; exit 3\n')
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")

    assert _command.run_command(["showlocale"]) == (3, "C\n", "err\n")
    # the read model's helper goes through it too
    assert _host._run(["showlocale"]) == (3, "C\n")


def test_run_command_not_installed_or_timed_out_is_rc_none(tmp_path, monkeypatch):
    _script(tmp_path, "sleeper", "sleep 5\n")
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))

    assert _command.run_command(["no-such-tool-hostnet"])[0] is None
    assert _command.run_command(["sleeper"], timeout=0.2)[0] is None
    assert _host._run(["no-such-tool-hostnet"]) == (None, "")


def test_host_side_script_uses_the_same_environment(tmp_path, monkeypatch):
    _script(tmp_path, "showlocale", 'echo "$LC_ALL"\n')
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")

    assert _t2b_txn.COMMAND_ENV == _command.COMMAND_ENV
    assert _t2b_txn.run(str(tmp_path), [str(tmp_path / "showlocale")]) == (0, "C\n")


class PopenModule(FakeModule):
    """run_command as AnsibleModule's: start the process, hand it to the callback, wait for it."""

    def run_command(self, argv, environ_update=None, before_communicate_callback=None):
        import subprocess
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if before_communicate_callback:
            before_communicate_callback(proc)
        out, err = proc.communicate()
        return proc.returncode, out.decode(), err.decode()


def test_a_module_command_that_hangs_is_killed_and_named():
    import time
    import pytest
    run = _command.module_runner(PopenModule(), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(_command.CommandTimeout) as caught:
        run(["sleep", "30"])
    assert time.monotonic() - started < 5
    assert caught.value.msg.startswith("sleep 30 did not finish within 0.5 s and was killed")
    assert caught.value.details["command"] == ["sleep", "30"]
    assert run(["true"]) == (0, "", "")  # a quick one is untouched (and its timer cancelled)


def test_a_read_only_command_that_hangs_is_nothing_known_even_with_a_child_holding_its_pipes(tmp_path, monkeypatch):
    import time
    _script(tmp_path, "hangs", "sleep 30 &\nsleep 30\n")
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    started = time.monotonic()
    rc, out, err = _command.run_command(["hangs"], timeout=0.5)
    assert time.monotonic() - started < 5
    assert rc is None and out == "" and err == "hangs did not finish within 0.5 s and was killed"
