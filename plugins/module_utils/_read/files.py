# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a configuration file for the read model: absent is None, unreadable is a FileProblem."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import FileProblem


def read_text(path, problems):
    """Text of ``path``; None when absent; a FileProblem when present but unreadable."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(FileProblem(path, getattr(exc, "strerror", None) or str(exc)))
        return None
