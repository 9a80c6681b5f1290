# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oldest target Python the modules run on, checked when a module starts.

A module imports it (MINIMUM) right after AnsibleModule (which makes ansible-core check its own minimum first) and
before anything else of the collection: on an older Python the module ends with a result that says so and
what to do, instead of a SyntaxError or an ImportError from somewhere inside. This file, like the module files,
uses no syntax newer than Python 3.6 (RHEL 8's platform-python), so that it can say it.
"""
import json
import sys

# The oldest Python the lab runs every module on (Debian 11: 3.9, as RHEL 9's python3).
MINIMUM = (3, 9)


def too_old(version_info=None, executable=None):
    """The message for a Python older than MINIMUM, else None."""
    version_info = sys.version_info if version_info is None else version_info
    if tuple(version_info[:2]) >= MINIMUM:
        return None
    return ("hostnet.dockerhost needs Python %d.%d or later on the managed host; %s is Python %s. Install a newer "
            "Python there (RHEL 8: dnf install python39) and point ansible_python_interpreter at it "
            "(e.g. ansible_python_interpreter=/usr/bin/python3.9)."
            % (MINIMUM[0], MINIMUM[1], executable or sys.executable or "its python",
               ".".join(str(part) for part in version_info[:3])))


def exit_if_too_old():
    """Write a failed module result and exit when this Python is older than MINIMUM.

    This runs at import time, before any AnsibleModule exists whose fail_json could say it: it writes the result
    and exits as ansible-core's own version check in module_utils/basic.py does (the sanity test exempts only
    that file from its print/sys.exit rule).
    """
    message = too_old()
    if message:
        sys.stdout.write(json.dumps({"failed": True, "msg": message}) + "\n")
        sys.stdout.flush()
        raise SystemExit(1)


exit_if_too_old()
