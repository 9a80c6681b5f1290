# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Text from hostile hosts made safe to print: control characters shown, never obeyed.

Interface names come from whoever holds CAP_NET_ADMIN on a host (a name may carry ESC, so a report that is
``cat`` in a terminal could recolour it, move the cursor or rewrite the title), and host names and messages
pass through the same reports. Every text output (summary.txt, the run's summary, report.md, fail messages)
goes through ``visible``: C0 controls, DEL and C1 controls become ``\\x1b``-style escapes, and the Unicode
bidirectional overrides (which reorder what a reader sees, "Trojan Source") become ``\\u202e``.
"""

from __future__ import annotations

from ansible_collections.hostnet.dockerhost.plugins.module_utils import _text


def visible(text, keep_newlines=False):
    """``text`` with every control character written as an escape (``\\x1b``); newlines (and tabs) kept when
    asked; backslashes left alone (the reports' remediations are shell commands that may hold ``\\033``). The
    one rule is ``module_utils/_text.visible``, shared with the modules."""
    return _text.visible(str(text), keep_layout=keep_newlines, backslashes=False)


def visible_lines(text):
    """A multi-line text whose lines are safe: CR and CRLF made newlines, every other control escaped."""
    return _text.visible(str(text).replace("\r\n", "\n"), keep_layout=True, backslashes=False)
