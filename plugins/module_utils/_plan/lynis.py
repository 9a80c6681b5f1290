# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_promisc's lynis whitelist: which interfaces Docker networking needs promiscuous, and the marked block of
``if_promisc:<name>:<description>:`` lines it keeps in a lynis profile (pure, but for reading the profile).

lynis' test NETW-3015 reports every interface whose kernel promiscuity counter is not zero (``ip -o -d link
show NAME`` says "promiscuity [1-9]"), unless ``^if_promisc:NAME:`` is in the last profile it loaded
(``/etc/lynis/custom.prf`` when there is one). It takes the names from ``ip -o link``, where a veth is
``vA@vB``, which ``ip link show`` then does not find: veths are never reported, and their names churn with
the containers, so they are left out. lynis stops (ExitFatal) on a profile line, other than a comment, that
holds a character outside ``A-Z a-z 0-9 / [ ] ( ) _ | , . : ; = space -``: names and descriptions stay within
letters, digits, ``_ . -``, spaces, commas and parentheses.

The block sits between two marker comments and is recomputed on every run; the rest of the file is kept byte
for byte. The ledger records per profile whether the module created the file and whether it had to end the
file's last line first, so that removing the block gives back the original bytes (or no file).
"""

from __future__ import annotations

__metaclass__ = type

import os
import re

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit, read_text_or_none
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.promisc import PROFILES_KEY

BEGIN = "# BEGIN hostnet.dockerhost.port_promisc: lynis NETW-3015 whitelist (rewritten on every run)"
END = "# END hostnet.dockerhost.port_promisc"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def lynis_name_problem(name):
    """Why ``name`` cannot go into a profile line, or None."""
    if _SAFE_NAME.match(name):
        return None
    return "%r has characters lynis refuses in a profile (it stops the audit) or reads as a pattern" % name


def whitelist_entries(state, ports, interfaces=()):
    """([(name, description)] sorted by name, [notes]): the interfaces Docker networking needs promiscuous.

    ``ports``: the PortPlans of the run (those promiscuous after it count: the LAG ports acted on and the
    named interfaces); then every bridge port that is not a veth (a bridge holds its ports promiscuous, the
    bridged LAG included); then the other named ``interfaces``."""
    entries = {}
    for item in ports:
        if item.flag_after:
            entries[item.name] = ("port of %s %s" % (item.master_kind or "LAG", item.master) if item.master
                                  else "named in port_promisc interfaces")
    for link in state.links.values():
        bridge = state.links.get(link.master) if link.master else None
        if bridge is not None and bridge.kind == "bridge" and link.kind != "veth":
            entries.setdefault(link.name, "%s, port of bridge %s" % (link.kind, bridge.name))
    for name in interfaces:
        entries.setdefault(name, "named in port_promisc interfaces")
    notes = ["%s: left out of the lynis whitelist: %s" % (name, lynis_name_problem(name))
             for name in sorted(entries) if lynis_name_problem(name)]
    return [(name, "%s (hostnet.dockerhost)" % words) for name, words in sorted(entries.items())
            if not lynis_name_problem(name)], notes


def render_lines(entries):
    return ["if_promisc:%s:%s:" % (name, description) for name, description in entries]


def render_block(entries):
    """The block's text ("" when there is nothing to whitelist)."""
    if not entries:
        return ""
    return "\n".join([BEGIN] + render_lines(entries) + [END]) + "\n"


def _lines(text):
    """``text`` split after each "\\n" only (``"".join`` gives it back byte for byte)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def find_block(text, path=""):
    """(first line index, index after the END line) of our block, or None; a broken block is an error."""
    lines = [line.rstrip("\n") for line in _lines(text)]
    begins = [i for i, line in enumerate(lines) if line == BEGIN]
    ends = [i for i, line in enumerate(lines) if line == END]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise HostnetError("%s: the collection's block is broken (%d BEGIN and %d END marker lines, expected one "
                           "BEGIN above one END: %r ... %r); fix the file by hand, nothing was changed"
                           % (path or "the lynis profile", len(begins), len(ends), BEGIN, END), path=path)
    return begins[0], ends[0] + 1


def merge_block(text, block, path=""):
    """(text with ``block`` in place of ours - appended when there is none -, whether a "\\n" was added to end
    the file's last line first). ``text`` None: no file."""
    if text is None:
        return (block or None), False
    found = find_block(text, path)
    lines = _lines(text)
    if found:
        return "".join(lines[:found[0]]) + block + "".join(lines[found[1]:]), False
    if not block:
        return text, False
    if text and not text.endswith("\n"):
        return text + "\n" + block, True
    return text + block, False


def remove_block(text, newline_added=False, created=False, path=""):
    """``text`` without our block (None: remove the file - it was ours and nothing else is left)."""
    if text is None:
        return None
    found = find_block(text, path)
    if found:
        lines = _lines(text)
        rest = "".join(lines[found[1]:])
        head = "".join(lines[:found[0]])
        if newline_added and not rest and head.endswith("\n"):
            head = head[:-1]
        text = head + rest
    return None if created and text == "" else text


def plan_lynis_profiles(plan, state, interfaces, path, enabled, read_text=read_text_or_none):
    """Fill ``plan.profiles`` (FileEdits) and the ledger's record of profiles; return the lines to whitelist.

    ``path`` set and ``enabled``: the block in that profile is recomputed. Not ``enabled``: the block is removed
    from ``path``, or, without one, from every profile the ledger records. ``path`` unset and ``enabled``:
    profiles are left alone."""
    entries, notes = whitelist_entries(state, plan.ports, interfaces)
    plan.notes.extend(notes)
    recorded = dict(plan.ledger_after.get(PROFILES_KEY, {}))
    if path is not None and not os.path.isabs(path):
        raise InvalidInput("lynis_profile: %r is not an absolute path" % path, option="lynis_profile")
    targets = [path] if path else ([] if enabled else sorted(recorded))
    for target in targets:
        before = read_text(target)
        entry = dict(recorded.pop(target, None) or {"created": before is None, "newline_added": False})
        if enabled and entries:
            after, added = merge_block(before, render_block(entries), target)
            entry["newline_added"] = entry["newline_added"] or added
            recorded[target] = entry
        else:  # nothing (left) to whitelist, or state=absent: the block goes, and the file when it was ours
            after = remove_block(before, entry["newline_added"], entry["created"], target)
        plan.profiles.append(FileEdit(path=target, before=before, after=after, mode=0o644,
                                      reason="lynis profile: the if_promisc block of hostnet.dockerhost.port_promisc"))
    if recorded:
        plan.ledger_after[PROFILES_KEY] = recorded
    else:
        plan.ledger_after.pop(PROFILES_KEY, None)
    return render_lines(entries)
