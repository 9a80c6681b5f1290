# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The merge_reports filter: one fleet report from the report.json of any number of slices.

Its documentation is merge_reports.yml next to this file; the work is done in plugins/plugin_utils/report_pipeline.py.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.dockerhost.plugins.plugin_utils import fleet, report_pipeline


def merge_reports(reports, duplicates="error"):
    """The merged report (report.json of the whole fleet)."""
    try:
        return report_pipeline.merge(fleet.plain(reports), duplicates).report
    except fleet.FleetError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """Merge slice reports of hostnet.dockerhost."""

    def filters(self):
        return {"merge_reports": merge_reports}
