# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host-derived text made safe to show and to paste: pure, standard library only (the bottom layer, so that the
modules and the controller's report pipeline share it).

Interface names and file paths come from whoever controls the host: a container with CAP_NET_ADMIN can name a
bridge ``b;reboot``, ``b$(id)``, ``-x`` or ``b<ESC>[31m``. Two rules:

- ``shell_quote(value)``: a value inside a command the collection suggests is one POSIX shell word that means
  exactly ``value``. Printable text is quoted with ``shlex.quote``; text with a control character (which would
  reach the terminal raw inside quotes) becomes ``"$(printf '<octal escapes>')"``, which POSIX sh, dash, bash
  and busybox ash expand back to the very bytes. Interface names cannot end in a newline (the kernel refuses
  whitespace), so the command substitution loses nothing.
- ``visible(text)``: every control character (C0, DEL, C1) in message or report text written as ``\\xNN``, so a
  report ``cat`` on a terminal shows the name instead of running its escape sequence; in a text that has one,
  every backslash is written ``\\\\`` too (as Python's repr does), so ``\\x1b`` in the output is always an
  escaped ESC there. Text without control characters comes back unchanged. Newlines and tabs are kept only
  when asked (multi-line text).
"""

from __future__ import annotations

__metaclass__ = type

import re
import shlex

# C0 controls, DEL and the C1 controls (U+0080-U+009F: U+009B is CSI on terminals that honour 8-bit controls),
# and the Unicode bidirectional marks and overrides, which reorder what a reader sees ("Trojan Source").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f%s]" % _BIDI)
_CONTROL_OR_BACKSLASH = re.compile("[\x00-\x1f\x7f-\x9f%s\\\\]" % _BIDI)
_LAYOUT_KEPT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f%s\\\\]" % _BIDI)
_CONTROL_BUT_LAYOUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f%s]" % _BIDI)


def has_control(text):
    """Whether ``text`` holds a control character (C0, DEL or C1)."""
    return bool(_CONTROL.search(text or ""))


def _escape(match):
    char = match.group(0)
    if char == "\\":
        return "\\\\"
    return "\\x%02x" % ord(char) if ord(char) < 0x100 else "\\u%04x" % ord(char)


def visible(text, keep_layout=False, whole_document=False, backslashes=True):
    """``text`` with every control character written visibly as ``\\xNN``; ``keep_layout`` keeps newlines and
    tabs (for multi-line text). Text without control characters comes back unchanged. ``whole_document``
    (a rendered report: Markdown escapes its own backslashes) keeps layout and leaves backslashes alone;
    ``backslashes=False`` leaves them alone too (report text that holds shell commands: ``printf '\\033'``
    must stay what it is)."""
    if text is None:
        return None
    text = str(text)
    if whole_document or (keep_layout and not backslashes):
        return _CONTROL_BUT_LAYOUT.sub(_escape, text)
    if not backslashes:
        return _CONTROL.sub(_escape, text)
    if keep_layout:
        return _LAYOUT_KEPT.sub(_escape, text) if _CONTROL_BUT_LAYOUT.search(text) else text
    return _CONTROL_OR_BACKSLASH.sub(_escape, text) if _CONTROL.search(text) else text


def visible_data(value):
    """``visible`` over every string of a JSON-like value (dict keys included)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible_data(k): visible_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_data(item) for item in value]
    return value


def shell_quote(value):
    """``value`` as one POSIX shell word (see the module docstring)."""
    value = str(value)
    if not has_control(value):
        return shlex.quote(value)
    escaped = []
    for byte in value.encode("utf-8", "surrogateescape"):
        char = chr(byte)
        if byte < 0x20 or byte >= 0x7F:
            escaped.append("\\%03o" % byte)
        elif char == "\\":
            escaped.append("\\\\")
        elif char == "%":
            escaped.append("%%")
        elif char == "'":
            escaped.append("'\\''")
        else:
            escaped.append(char)
    return "\"$(printf '%s')\"" % "".join(escaped)


def shell_join(argv):
    """A command line of ``argv``, every word quoted by ``shell_quote``."""
    return " ".join(shell_quote(word) for word in argv)
