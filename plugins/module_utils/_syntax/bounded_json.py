# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON from files and programs on the host, parsed with a bound on nesting.

Python's ``json`` parser recurses once per ``[`` or ``{``: a ``daemon.json`` of 100,000 nested ``[`` raises
RecursionError, which would end the module and lose the host's whole audit over one bad file. ``loads``
counts the nesting first (outside strings) and raises ValueError - what every caller already treats as "not
valid JSON" - when it is deeper than ``MAX_DEPTH``; no file the collection reads (daemon.json, its ledgers,
the Docker engine's answers, teamd's state) comes near it.
"""

from __future__ import annotations

__metaclass__ = type

import json

MAX_DEPTH = 64


def nesting_depth(text, stop_above=None):
    """The deepest nesting of ``[`` and ``{`` in ``text`` outside strings (stops counting above ``stop_above``)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def loads(text, max_depth=MAX_DEPTH):
    """``json.loads`` that raises ValueError (never RecursionError) for JSON nested deeper than ``max_depth``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if nesting_depth(text, stop_above=max_depth) > max_depth:
        raise ValueError("nested deeper than %d levels of [ and {" % max_depth)
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply to parse") from None
