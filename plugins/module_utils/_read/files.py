# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a configuration file for the read model: absent is None, unreadable is a FileProblem."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import FileProblem


def read_text(path, problems):
    """Text of ``path``; None when absent; a FileProblem when present but unreadable.

    A file that is not UTF-8 throughout (a latin-1 comment) is read with U+FFFD in place of the bad bytes and
    audited, with a problem naming the first bad byte's offset (``audited``: a warning, not a finding); NUL
    bytes are reported the same way."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        problems.append(FileProblem(path, getattr(exc, "strerror", None) or str(exc)))
        return None
    return decode_text(path, data, problems)


def decode_text(path, data, problems):
    """``data`` as text (see read_text); problems appended for bytes that are not UTF-8 and for NUL bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "replace")
        count = sum(1 for char in text if char == "\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")
        problems.append(FileProblem(path, "is not UTF-8 at byte offset %d (0x%02x%s); read with U+FFFD in place of "
                                          "the bytes that are not, and audited" % (
                                              exc.start, data[exc.start],
                                              ", %d such places in all" % count if count > 1 else ""), audited=True))
    if "\0" in text:
        problems.append(FileProblem(path, "holds %d NUL byte(s), the first at byte offset %d; systemd reads a NUL as "
                                          "the end of a line; audited as it is" % (data.count(b"\0"), data.index(b"\0")),
                                    audited=True))
    return text
