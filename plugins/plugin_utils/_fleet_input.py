# -*- coding: utf-8 -*-
# Copyright: contributors to the hostnet.dockerhost collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the fleet filters are given, checked and copied: the input error, type names in messages, plain copies."""

from __future__ import annotations

from collections.abc import Mapping


class FleetInputError(ValueError):
    """Input that no report can be built from; the filters turn it into AnsibleFilterError."""


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def plain(value):
    """Copy into plain JSON types.

    ansible-core 2.19 hands filters tagged subclasses (of str, dict, list) and jmespath type-checks by the
    exact type name, so ``sort_by(@, &host)`` on a tagged str fails. Copying once here keeps jmespath's
    global tables untouched.
    """
    kind = type(value)
    # the exact JSON types first: a fleet of 10,000 hosts read from files is nothing else, and isinstance on
    # the abstract Mapping costs more than the copy itself
    if kind is str or kind is bool or kind is int or kind is float or value is None:
        return value
    if kind is dict:
        return {key if key.__class__ is str else str(key): plain(item) for key, item in value.items()}
    if kind is list:
        return [plain(item) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(item) for item in value), key=repr)
    return str(value)


def count_or_none(value):
    """An integer count, or None for anything else (a bool is not a count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
