# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded parsing of what the host hands the modules: JSON nested 100,000 deep is a finding, not a
RecursionError; the ledger is never read through a FIFO or a link."""

from __future__ import annotations

import os
import threading

import pytest

from hostnet_builders import bridge

from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply.ledger import load_ledger
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.docker import parse_http_response, read_docker
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.docker import EngineUnavailable
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax import bounded_json


def test_nesting_depth_ignores_brackets_in_strings():
    assert bounded_json.nesting_depth('{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert bounded_json.nesting_depth('"\\"[["') == 0
    assert bounded_json.loads('{"bridge": "br0", "x": [[1]]}') == {"bridge": "br0", "x": [[1]]}


def test_deep_nesting_is_a_value_error_not_a_recursion_error():
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        bounded_json.loads("[" * 100000)
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        bounded_json.loads("[" * 65 + "]" * 65)
    assert bounded_json.loads("[" * 64 + "]" * 64) == bounded_json.loads("[" * 64 + "]" * 64)


def test_a_daemon_json_nested_100000_deep_is_a_file_problem_and_the_rest_is_read(tmp_path):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text("[" * 100000)
    links = {"docker0": bridge("docker0")}
    problems = []
    docker = read_docker(links, problems, daemon_json=str(daemon_json), sockets=())
    assert [(p.path, p.error) for p in problems] == [
        (str(daemon_json), "not valid JSON: nested deeper than 64 levels of [ and {")]
    assert docker.bridges == ["docker0"] and docker.configured_bridge is None


def test_an_engine_answer_nested_too_deep_is_an_engine_that_did_not_answer():
    raw = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + b"[" * 100000
    with pytest.raises(EngineUnavailable, match="invalid JSON: nested deeper"):
        parse_http_response(raw)


def test_the_ledger_nested_too_deep_fails_naming_it(tmp_path):
    (tmp_path / "port_promisc.json").write_text("[" * 100000)
    with pytest.raises(HostnetError, match="port_promisc.json: not JSON: nested deeper than 64"):
        load_ledger("port_promisc", directory=str(tmp_path))


def test_a_fifo_as_the_ledger_fails_at_once_naming_it(tmp_path):
    os.mkfifo(tmp_path / "port_promisc.json")
    caught = {}

    def load():
        try:
            load_ledger("port_promisc", directory=str(tmp_path))
        except HostnetError as exc:
            caught["msg"] = exc.msg

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "load_ledger blocked on a FIFO"
    assert "port_promisc.json is a FIFO (named pipe), not a regular file" in caught["msg"]
    assert "remove it and run again" in caught["msg"]


def test_a_ledger_that_is_a_link_out_of_the_state_dir_is_refused(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "elsewhere.json").write_text("{}")
    os.symlink(str(tmp_path / "elsewhere.json"), tmp_path / "state" / "port_promisc.json")
    with pytest.raises(HostnetError, match="is a symbolic link to %s" % (tmp_path / "elsewhere.json")):
        load_ledger("port_promisc", directory=str(tmp_path / "state"))
