# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleets that outgrow one controller: the playbook run through ansible-runner (the executor AWX uses) on two
inventory slices of four namespace hosts, the slices merged, and the merge compared with one unsliced run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import COLLECTIONS, _ensure_collection_path
from fleet import Fleet, ansible_env

ansible_runner = pytest.importorskip("ansible_runner", reason="ansible-runner is in requirements-dev.txt")

VOLATILE = ("run_id", "time")


@pytest.fixture(scope="module")
def fleet():
    _ensure_collection_path()
    hosts = Fleet(4)
    try:
        yield hosts
    finally:
        hosts.delete()


def runner(tmp_path, name, playbook, extravars, inventory=None, check=True):
    """ansible_runner.run() as AWX runs a job: its own private data dir, artifacts, events."""
    env = {key: value for key, value in ansible_env(COLLECTIONS).items() if key.startswith("ANSIBLE_")}
    env["PATH"] = "%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", ""))
    private = tmp_path / ("runner-" + name)
    private.mkdir()
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook=playbook,
        inventory=inventory,
        extravars=extravars,
        envvars=env,
        cmdline="--check" if check else None,
        quiet=True,
    )
    stdout = result.stdout.read()
    return result, stdout


def comparable(report):
    """A report without what differs between runs (run ids, times, where the slices came from)."""
    hosts = {host: {key: value for key, value in status.items() if key not in VOLATILE}
             for host, status in report["hosts"].items()}
    return {"summary": report["summary"], "findings": report["findings"], "hosts": hosts}


def test_two_slices_merged_equal_one_unsliced_run(fleet, tmp_path):
    names = sorted(fleet.hosts)
    inventories = {
        "a": fleet.inventory(tmp_path / "slice-a.ini", names[:2]),
        "b": fleet.inventory(tmp_path / "slice-b.ini", names[2:]),
        "all": fleet.inventory(tmp_path / "all.ini"),
    }
    playbook = "hostnet.dockerhost.harden_docker_hosts"
    for name, inventory in inventories.items():
        result, stdout = runner(tmp_path, name, playbook, {"hostnet_report_dir": str(tmp_path / name)}, inventory)
        assert result.rc == 0 and result.status == "successful", stdout
        # each slice's report holds its own hosts only
        report = json.loads((tmp_path / name / "report.json").read_text())
        assert sorted(report["hosts"]) == sorted(Path(inventory).read_text().split()[1::3])

    result, stdout = runner(tmp_path, "merge", "hostnet.dockerhost.merge_reports", {
        "hostnet_merge_from": [str(tmp_path / "a"), str(tmp_path / "b")],
        "hostnet_report_dir": str(tmp_path / "merged"),
    }, check=False)
    assert result.rc == 0, stdout

    merged = json.loads((tmp_path / "merged" / "report.json").read_text())
    unsliced = json.loads((tmp_path / "all" / "report.json").read_text())
    assert comparable(merged) == comparable(unsliced)
    # the fleet is not trivially uniform: hosts with and without findings, all four present
    assert merged["summary"]["hosts"] == 4
    assert 0 < merged["summary"]["compliant_hosts"] < 4
    assert merged["summary"]["by_severity"]["error"] > 0
    assert [entry["hosts"] for entry in merged["merged_from"]] == [2, 2]
    assert sorted(p.name for p in (tmp_path / "merged" / "hosts").iterdir()) == [h + ".json" for h in names]
    for name in ("junit.xml", "report.md", "summary.txt"):
        assert (tmp_path / "merged" / name).read_text() == (tmp_path / "all" / name).read_text().replace(
            str(tmp_path / "all"), str(tmp_path / "merged")), name

    # a host in two slices: an error naming it, unless the newer result is asked to win
    result, stdout = runner(tmp_path, "dup", "hostnet.dockerhost.merge_reports", {
        "hostnet_merge_from": [str(tmp_path / "a"), str(tmp_path / "all")],
        "hostnet_report_dir": str(tmp_path / "dup"),
    }, check=False)
    assert result.rc != 0
    assert "host 'host000' is in two slices (%s and %s)" % (tmp_path / "a", tmp_path / "all") in stdout
    assert not (tmp_path / "dup" / "report.json").exists()

    result, stdout = runner(tmp_path, "newest", "hostnet.dockerhost.merge_reports", {
        "hostnet_merge_from": [str(tmp_path / "a"), str(tmp_path / "all")],
        "hostnet_merge_duplicates": "newest",
        "hostnet_report_dir": str(tmp_path / "newest"),
    }, check=False)
    assert result.rc == 0, stdout
    newest = json.loads((tmp_path / "newest" / "report.json").read_text())
    assert comparable(newest) == comparable(unsliced)
    assert {status["run_id"] for status in newest["hosts"].values()} == {unsliced["run_id"]}
