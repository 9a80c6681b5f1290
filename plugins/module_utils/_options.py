# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument-spec pieces shared by the modules; documented once in plugins/doc_fragments/enforce.py
(``state`` is documented per module: what present and absent mean differs)."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import T2B_STATE_DIR


def backup_option():
    return dict(backup=dict(type="bool", default=False))


def persist_option():
    return dict(persist=dict(type="bool", default=True))


def state_option():
    return dict(state=dict(type="str", choices=["present", "absent"], default="present"))


def t2b_state_dir_option():
    return dict(state_dir=dict(type="path", default=T2B_STATE_DIR))


def argument_spec(*pieces, **own):
    """The module's own options, then the shared pieces: ``argument_spec(state_option(), masters=...)``."""
    spec = dict(own)
    for piece in pieces:
        spec.update(piece)
    return spec
