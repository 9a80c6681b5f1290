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


# ---------------------------------------------------------------------------------- one reader of host files


def _in_thread(func):
    """func() run with a 5 s limit: a read that blocks fails the test instead of hanging it."""
    out = {}

    def call():
        try:
            out["value"] = func()
        except Exception as exc:  # pylint: disable=broad-except
            out["error"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "the read blocked"
    return out


def _socket_at(path):
    import socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory", "link_to_fifo"])
def test_read_bytes_never_opens_what_is_not_a_regular_file(tmp_path, kind):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_bytes

    path = tmp_path / "10-x.network"
    keep = None
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        keep = _socket_at(path)
    elif kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(tmp_path / "pipe")
        os.symlink(str(tmp_path / "pipe"), path)
    out = _in_thread(lambda: read_bytes(str(path)))
    words = {"fifo": "a FIFO (named pipe)", "socket": "a socket", "directory": "a directory",
             "link_to_fifo": "a FIFO (named pipe)"}[kind]
    assert isinstance(out.get("error"), OSError) and out["error"].strerror == "is %s, not a regular file; not read" % words
    if keep:
        keep.close()


def test_read_bytes_reads_files_links_and_dev_null_and_bounds_the_size(tmp_path):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_bytes

    (tmp_path / "a.network").write_bytes(b"[Match]\nName=eno1\n")
    os.symlink(str(tmp_path / "a.network"), tmp_path / "b.network")
    os.symlink("/dev/null", tmp_path / "masked.network")
    (tmp_path / "big.json").write_bytes(b" " * 2000)
    assert read_bytes(str(tmp_path / "a.network")) == b"[Match]\nName=eno1\n"
    assert read_bytes(str(tmp_path / "b.network")) == b"[Match]\nName=eno1\n"
    assert read_bytes(str(tmp_path / "masked.network")) == b""
    assert read_bytes(str(tmp_path / "absent")) is None
    assert read_bytes(str(tmp_path / "a.network" / "under-a-file")) is None
    with pytest.raises(OSError, match="is 2000 bytes, more than the 1000 read"):
        read_bytes(str(tmp_path / "big.json"), limit=1000)


def test_fifos_at_the_read_models_paths_are_file_problems_and_the_rest_is_read(tmp_path):
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import read_machine_id
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.teams import read_text as team_read_text
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_text_or_none

    os.mkfifo(tmp_path / "daemon.json")
    os.mkfifo(tmp_path / "machine-id")
    os.mkfifo(tmp_path / "team0.network")
    problems = []
    out = _in_thread(lambda: read_docker({"docker0": bridge("docker0")}, problems,
                                         daemon_json=str(tmp_path / "daemon.json"), sockets=()))
    assert "error" not in out, out
    assert [(p.path, p.error) for p in problems] == [
        (str(tmp_path / "daemon.json"), "is a FIFO (named pipe), not a regular file; not read")]
    assert _in_thread(lambda: read_machine_id(str(tmp_path / "machine-id"))) == {"value": None}
    for reader in (team_read_text, read_text_or_none):
        out = _in_thread(lambda: reader(str(tmp_path / "team0.network")))
        assert isinstance(out.get("error"), HostnetError)
        assert "team0.network: is a FIFO (named pipe), not a regular file; not read" in out["error"].msg
