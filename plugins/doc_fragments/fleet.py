# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fleet action plugins (fleet_run, fleet_host_result, fleet_report) document alike."""

from __future__ import annotations

__metaclass__ = type


class ModuleDocFragment:
    # hostnet.dockerhost.fleet: every fleet action plugin - they run on the controller and change no host. A
    # plugin that says more about report_dir sets its own description (the plugin's keys win over these).
    DOCUMENTATION = r"""
attributes:
  diff_mode:
    support: none
    description: Nothing is changed on a host.
options:
  report_dir:
    description: The report directory on the controller.
    type: path
    required: true
"""

    # hostnet.dockerhost.fleet.run_id: the plugins that read or write this run's host files
    RUN_ID = r"""
options:
  run_id:
    description: This run's id, from M(hostnet.dockerhost.fleet_run); it stamps every host's result file.
    type: str
"""
