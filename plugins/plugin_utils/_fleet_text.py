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

import re

_CONTROLS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile("[%s]" % _CONTROLS)
_CONTROL_BUT_NEWLINE = re.compile("[%s]" % _CONTROLS.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


def _escape(match):
    char = match.group()
    return "\\x%02x" % ord(char) if ord(char) < 0x100 else "\\u%04x" % ord(char)


def visible(text, keep_newlines=False):
    """``text`` with every control character written as an escape (``\\x1b``); newlines kept when asked."""
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    text = str(text)
    return pattern.sub(_escape, text) if pattern.search(text) else text


def visible_lines(text):
    """A multi-line text whose lines are safe: CR and CRLF made newlines, every other control escaped."""
    return visible(str(text).replace("\r\n", "\n"), keep_newlines=True)
