# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_constants is the one place: the finding schema of the modules and the filters, backend names, file
prefixes, the state directory - and the copies that cannot import it (YAML, the host-side script) agree."""

from __future__ import annotations

import os

import yaml

from ansible_collections.hostnet.dockerhost.plugins.doc_fragments import enforce as enforce_fragment
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet_filters as fleet_report
from ansible_collections.hostnet.dockerhost.plugins.module_utils import _constants as C
from ansible_collections.hostnet.dockerhost.plugins.module_utils._apply import ledger, t2b_txn
from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit import findings
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.fallback import FallbackBackend, rule_path
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.ifupdown import IfupdownBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.netplan import NetplanBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.networkd import NetworkdBackend, dropin_path
from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.nm import NetworkManagerBackend
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan import forwarding_model
from ansible_collections.hostnet.dockerhost.plugins.modules import netstate_info, team_to_bond, team_to_bond_confirm
from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import _fleet_findings, _fleet_model

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def test_filters_and_findings_use_the_same_schema_objects():
    assert fleet_report.CHECKS is _fleet_model.CHECKS is C.CHECKS is findings.CHECKS
    assert fleet_report.SEVERITIES is _fleet_model.SEVERITIES is C.SEVERITIES is findings.SEVERITIES
    assert fleet_report.SEVERITY_RANK is C.SEVERITY_RANK
    assert _fleet_model.AUDIT_FAILED_ID == C.AUDIT_FAILED_ID and fleet_report.AUDIT_CHECK == C.AUDIT_CHECK
    assert findings.FINDING_IDS is C.FINDING_IDS
    assert set(v for v in C.FINDING_IDS.values() if v) == set(C.CHECKS)
    # the reports word every id the modules emit, and only those (plus the fleet's own audit_failed)
    assert set(_fleet_findings.FINDING_IDS) == set(C.FINDING_IDS) | {C.AUDIT_FAILED_ID}


def test_yaml_copies_of_the_checks_agree():
    doc = yaml.safe_load(netstate_info.DOCUMENTATION)
    assert doc["options"]["checks"]["choices"] == list(C.CHECKS)
    # The playbook has no copy: its checks and hostnet_fail_on values come from the fleet plugins, which
    # import these constants.
    from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet

    assert list(fleet.CHECKS) == list(C.CHECKS) and list(fleet.FAIL_ON) == ["none"] + list(C.SEVERITIES)
    with open(os.path.join(REPO, "playbooks", "vars", "hostnet_defaults.yml"), encoding="utf-8") as handle:
        assert "hostnet_checks:" not in handle.read()


def test_backend_names_are_one_vocabulary():
    names = {cls.name for cls in (NetplanBackend, NetworkdBackend, NetworkManagerBackend, IfupdownBackend, FallbackBackend)}
    assert names | {C.BACKEND_SYSCTL_D} == set(C.BACKENDS)


def test_file_prefixes_and_state_dirs():
    assert os.path.basename(rule_path("eno1", "promisc")).startswith(C.FILE_PREFIX)
    assert os.path.basename(dropin_path("/etc/systemd/network/10-a.network", "promisc")).startswith(C.FILE_PREFIX)
    assert os.path.basename(forwarding_model.SYSCTL_FILE).startswith(C.FILE_PREFIX)
    assert os.path.basename(forwarding_model.NETWORKD_CONF_DROPIN).startswith(C.FILE_PREFIX)
    assert ledger.LEDGER_DIR == C.STATE_DIR
    assert t2b_txn.DEFAULT_STATE_DIR == C.T2B_STATE_DIR  # the host-side script's own copy
    fragment = yaml.safe_load(enforce_fragment.ModuleDocFragment.T2B_STATE_DIR)
    assert fragment["options"]["state_dir"]["default"] == C.T2B_STATE_DIR
    for module in (team_to_bond, team_to_bond_confirm):
        doc = yaml.safe_load(module.DOCUMENTATION)
        assert "hostnet.dockerhost.enforce.t2b_state_dir" in doc["extends_documentation_fragment"]
        assert module.ARGUMENT_SPEC["state_dir"]["default"] == C.T2B_STATE_DIR
    with open(os.path.join(REPO, "roles", "team_to_bond", "defaults", "main.yml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["team_to_bond_state_dir"] == C.T2B_STATE_DIR
