# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ifupdown's /etc/network/interfaces: a stanza parser and line-preserving editors (pure)."""

from __future__ import annotations

__metaclass__ = type

import os
import re
from dataclasses import dataclass, field
from typing import List

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import Unsupported


DEFAULT_INDENT = "    "

PROMISC_MARK = "# hostnet.dockerhost port_promisc:"
PROMISC_COMMENT = PROMISC_MARK + " keep promiscuous (bridged LAG port)"
PROMISC_NAMED_COMMENT = PROMISC_MARK + " keep promiscuous (named in its interfaces option)"
MAC_MARK = "# hostnet.dockerhost bridge_mac:"
MAC_SET_COMMENT = MAC_MARK + " set by the collection"
MAC_WAS = MAC_MARK + " was "

# config.c ends an iface/mapping stanza at these first words. "rename" is not one in every 0.8.x, but
# treating it as one only keeps our lines before it, which is inside the stanza either way.
_STANZA_WORDS = frozenset(("iface", "mapping", "auto", "source", "no-auto-down", "no-scripts", "rename"))
_WHITESPACE = " \t\n\v\f\r"  # C isspace() in the C locale, which config.c uses
_WORDS = re.compile(r"[ \t\n\v\f\r]+")
_SOURCE_DIRECTORY_ENTRY = re.compile(r"^[a-zA-Z0-9_-]+$")
# config.c maps post-up to up; both run after the link is up.
_UP_OPTIONS = frozenset(("up", "post-up"))
_HWADDRESS_METHODS = {"inet": frozenset(("static", "manual", "dhcp")),
                      "inet6": frozenset(("static", "manual", "dhcp"))}
# ifup runs option lines through /bin/sh; _validate already refuses these, this is the last line of defence.
_SHELL_UNSAFE = frozenset(";&|$`<>()'\"\\*?[]{}~#!%")
_IFACE_VARIABLES = ("$IFACE", "${IFACE}", '"$IFACE"', '"${IFACE}"')
# Options reach the scripts as IF_<NAME> ('-' -> '_'): one option; ifenslave still reads the old "slaves".
_BOND_SLAVES_OPTIONS = ("bond-slaves", "bond_slaves", "slaves")


# --------------------------------------------------------------------------------------------------------
# Syntax (pure)


@dataclass
class Option:
    """An option line of an iface/mapping stanza; ``start``/``end`` index physical lines (end exclusive)."""

    name: str
    value: str
    start: int
    end: int


@dataclass
class Stanza:
    keyword: str
    args: List[str]
    rest: str  # the line after the keyword, as config.c passes it to wordexp for source lines
    start: int
    end: int
    options: List[Option] = field(default_factory=list)

    @property
    def lineno(self):
        return self.start + 1

    @property
    def is_iface(self):
        return self.keyword == "iface" and bool(self.args)

    @property
    def ifname(self):
        return self.args[0] if self.is_iface else None

    @property
    def family(self):
        return self.args[1] if self.is_iface and len(self.args) > 1 else None

    @property
    def method(self):
        return self.args[2] if self.is_iface and len(self.args) > 2 else None

    @property
    def applies_hwaddress(self):
        return self.method in _HWADDRESS_METHODS.get(self.family, ())

    def bond_slaves(self):
        """The ports ifenslave enslaves to this stanza's interface (its first bond-slaves/slaves option)."""
        values = [o.value.split() for n in _BOND_SLAVES_OPTIONS for o in self.options if o.name == n]
        return [] if not values or values[0] == ["none"] else values[0]


@dataclass
class ParsedInterfaces:
    lines: List[str]  # physical lines, each with its line ending ("" for a last line without one)
    stanzas: List[Stanza]
    comments: frozenset  # indexes of physical lines that are comment lines on their own

    def iface_stanzas(self, ifname):
        return [s for s in self.stanzas if s.is_iface and s.ifname == ifname]

    def bond_master_stanzas(self, ifname):
        """The stanzas of a bond whose bond-slaves name ``ifname`` (a port without a stanza of its own)."""
        return [s for s in self.stanzas if s.is_iface and s.ifname != ifname and ifname in s.bond_slaves()]

    def promisc_stanzas(self, ifname):  # its own stanzas, else its bond's
        return self.iface_stanzas(ifname) or self.bond_master_stanzas(ifname)

    def marker_before(self, option, prefix):
        """The marker comment right above ``option`` (text without indentation and line end), or None."""
        index = option.start - 1
        if index < 0 or index not in self.comments:
            return None
        text = _content(self.lines[index]).lstrip(_WHITESPACE)
        return text if text.startswith(prefix) else None


def split_lines(text):
    """Physical lines with their endings; ``"".join(split_lines(t)) == t`` for every text."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _content(line):
    return line[:-1] if line.endswith("\n") else line


def _ending(line):
    return "\n" if line.endswith("\n") else ""


def is_stanza_word(word):
    return (word in _STANZA_WORDS or (word.startswith("allow-") and len(word) > len("allow-"))
            or is_source_directory_word(word))


def is_source_directory_word(word):
    # config.c: strlmatch(firstword, "source-dir") == 0, i.e. strncmp with strlen("source-dir")
    return word.startswith("source-dir")


def parse_interfaces(text):
    """Parse interfaces(5) text the way ifupdown's config.c reads it, keeping physical line positions."""
    lines = split_lines(text)
    stanzas, comments = [], set()
    current = None
    index = 0
    while index < len(lines):
        start = index
        logical = _content(lines[index]).lstrip(_WHITESPACE)
        index += 1
        if logical.startswith("#"):
            comments.add(start)
            continue
        # A continuation takes the next physical line as it is, even one that starts with '#'.
        while logical.endswith("\\") and index < len(lines):
            logical = logical[:-1] + _content(lines[index])
            index += 1
        if logical.endswith("\\"):
            logical = logical[:-1]
        logical = logical.rstrip(_WHITESPACE)
        words = [w for w in _WORDS.split(logical) if w]
        if not words:
            continue
        first = words[0]
        rest = logical[len(first):].lstrip(_WHITESPACE)
        if is_stanza_word(first):
            current = Stanza(keyword=first, args=words[1:], rest=rest, start=start, end=index)
            stanzas.append(current)
        elif current is not None and current.keyword in ("iface", "mapping"):
            current.options.append(Option(name=first, value=rest, start=start, end=index))
        # else: an option outside any stanza; ifup refuses the whole file, and we have nothing to edit there
    return ParsedInterfaces(lines=lines, stanzas=stanzas, comments=frozenset(comments))


# --------------------------------------------------------------------------------------------------------
# Line edits (pure): replace physical lines [start, end) by new contents, keeping every other byte


def _replace(lines, start, end, contents):
    """Replace ``lines[start:end]`` (``start == end``: insert) by ``contents`` (strings without line ends).

    A file without a final newline keeps that property: text inserted at its end gets no newline either, and
    deleting the last lines takes the newline off the line that becomes the last one.
    """
    lines = list(lines)
    if end > start:
        ending = _ending(lines[end - 1])
    elif start > 0 and _ending(lines[start - 1]) == "":
        lines[start - 1] += "\n"
        ending = ""
    else:
        ending = "\n"
    if not contents:
        del lines[start:end]
        if ending == "" and start > 0:
            lines[start - 1] = _content(lines[start - 1])
        return lines
    new = [c + "\n" for c in contents[:-1]] + [contents[-1] + ending]
    lines[start:end] = new
    return lines


def _apply(lines, edits):
    """Apply non-overlapping ``(start, end, contents)`` edits, last first, so indexes stay valid."""
    for start, end, contents in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines = _replace(lines, start, end, contents)
    return "".join(lines)


def _indent_of(line):
    content = _content(line)
    return content[:len(content) - len(content.lstrip(_WHITESPACE))]


def option_indent(parsed, stanza):
    """The indentation of the stanza's options (its last one's), or 4 spaces when it has none."""
    if not stanza.options:
        return DEFAULT_INDENT
    return _indent_of(parsed.lines[stanza.options[-1].start])


def insertion_point(stanza):
    """Right after the last option line (or the iface line): trailing comments belong to what follows."""
    return stanza.options[-1].end if stanza.options else stanza.end


# --------------------------------------------------------------------------------------------------------
# Promiscuous mode (pure)


def promisc_line(ifname):
    return "post-up ip link set dev %s promisc on" % ifname


def is_promisc_command(command, ifname, own_stanza=True):
    """Whether a shell command line sets ``ifname`` promiscuous: ip link set [dev] X ... promisc on,
    or ifconfig X promisc; X may be the name or, in ``ifname``'s own stanza, ifupdown's $IFACE."""
    names = (ifname,) + (_IFACE_VARIABLES if own_stanza else ())
    for segment in re.split(r"\|\||&&|;|\|", command):
        words = segment.split()
        if not words:
            continue
        program = os.path.basename(words[0])
        if program == "ip":
            args = [w for w in words[1:] if not w.startswith("-")]
            if len(args) < 3 or args[0] not in ("link", "l", "li", "lin") or args[1] not in ("set", "s", "se"):
                continue
            args = args[2:]
            if args and args[0] == "dev":
                args = args[1:]
            if args and args[0] in names and any(
                    args[i] == "promisc" and args[i + 1] == "on" for i in range(1, len(args) - 1)):
                return True
        elif program == "ifconfig" and len(words) > 2 and words[1] in names and "promisc" in words[2:]:
            return True
    return False


def _promisc_pairs(parsed, ifname):
    """(managed, user, orphans): our marker+line pairs, user lines that do the same, markers with a
    changed line under them. Each item is (stanza, option). A bond port without a stanza of its own is
    looked for in its bond's stanzas."""
    managed, user, orphans = [], [], []
    for stanza in parsed.promisc_stanzas(ifname):
        own = stanza.ifname == ifname
        for option in stanza.options:
            marked = parsed.marker_before(option, PROMISC_MARK) is not None
            if marked and not own and not is_promisc_command(option.value, ifname, own_stanza=False):
                continue  # the marked line of another port of the same bond
            sets_promisc = option.name in _UP_OPTIONS and is_promisc_command(option.value, ifname, own)
            if marked and sets_promisc:
                managed.append((stanza, option))
            elif marked:
                orphans.append((stanza, option))
            elif sets_promisc:
                user.append((stanza, option))
    return managed, user, orphans


def add_promisc(text, ifname, stanza_lineno=None, comment=PROMISC_COMMENT):
    """``text`` with our post-up line in ``ifname``'s stanza starting at ``stanza_lineno`` (default: its
    first stanza in this text; a bond port without one: its bond's stanza, whose post-up runs after
    ifenslave enslaved the port), under ``comment`` (a PROMISC_MARK line); unchanged when this text already
    has ours or an equivalent user line."""
    parsed = parse_interfaces(text)
    managed, user, _orphans = _promisc_pairs(parsed, ifname)
    if managed or user:
        return text
    stanzas = parsed.promisc_stanzas(ifname)
    chosen = [s for s in stanzas if stanza_lineno is None or s.lineno == stanza_lineno]
    if not chosen:
        where = "" if stanza_lineno is None else " at line %d" % stanza_lineno
        raise Unsupported("no iface stanza for %s%s" % (ifname, where))
    stanza = chosen[0]
    indent = option_indent(parsed, stanza)
    at = insertion_point(stanza)
    return _apply(parsed.lines, [(at, at, [indent + comment, indent + promisc_line(ifname)])])


def remove_promisc(text, ifname):
    """``text`` without the marker+line pairs we added for ``ifname``; user lines stay."""
    parsed = parse_interfaces(text)
    managed, _user, _orphans = _promisc_pairs(parsed, ifname)
    edits = [(option.start - 1, option.end, []) for _stanza, option in managed]
    return _apply(parsed.lines, edits) if edits else text


# --------------------------------------------------------------------------------------------------------
# hwaddress (pure)


def hwaddress_value(value):
    """(form, mac) of an hwaddress option value: ("ether ", "aa:..") or ("", "aa:..")."""
    words = value.split()
    if len(words) >= 2 and words[0] == "ether":
        return "ether ", words[1]
    return "", words[0] if words else ""


def _same_mac(a, b):
    return a.replace("-", ":").lower() == b.replace("-", ":").lower()


@dataclass
class MacEdit:
    """The result of ``edit_hwaddress`` on one text."""

    text: str
    notes: List[str] = field(default_factory=list)
    applied: bool = False  # a stanza whose method applies hwaddress carries the MAC after the edit


def edit_hwaddress(text, ifname, mac, insert=True, where=""):
    """Set (``mac``) or undo (``mac=None``) ``hwaddress`` for ``ifname`` in one interfaces text.

    With a MAC: our managed lines get the new value; a user line with another value is replaced in place with
    the old line kept in the marker; with ``insert`` and no stanza that applies hwaddress carrying the MAC,
    a marked line goes into the first such stanza. Without: our lines are removed or the recorded user
    line is put back. ``where`` (a path) prefixes the line numbers in the notes.
    """
    parsed = parse_interfaces(text)
    stanzas = parsed.iface_stanzas(ifname)
    result = MacEdit(text=text)
    edits = []
    for stanza in stanzas:
        for option in stanza.options:
            if option.name != "hwaddress":
                continue
            marker = parsed.marker_before(option, MAC_MARK)
            indent = _indent_of(parsed.lines[option.start])
            form, current = hwaddress_value(option.value)
            here = "%s%d" % (where + ":" if where else "line ", option.start + 1)
            if mac is None:
                if marker is None:
                    result.notes.append("hwaddress %s at %s is not the collection's; left as it is"
                                        % (option.value, here))
                elif marker.startswith(MAC_WAS):
                    edits.append((option.start - 1, option.end, [indent + marker[len(MAC_WAS):]]))
                else:
                    edits.append((option.start - 1, option.end, []))
                continue
            if _same_mac(current, mac):
                result.applied = result.applied or stanza.applies_hwaddress
                if marker is None:
                    result.notes.append("hwaddress %s at %s already sets this MAC" % (current, here))
                continue
            new_line = indent + "%s %s%s" % (option.name, form, mac)
            if marker is not None:
                edits.append((option.start, option.end, [new_line]))
            else:
                was = _content(parsed.lines[option.start])[len(indent):] if option.end - option.start == 1 \
                    else "%s %s" % (option.name, option.value)
                edits.append((option.start, option.end, [indent + MAC_WAS + was, new_line]))
                result.notes.append("replaced the user's 'hwaddress %s' at %s; the old line is kept in the "
                                    "comment above it and comes back when the collection's MAC is removed"
                                    % (option.value, here))
            result.applied = result.applied or stanza.applies_hwaddress
    if mac is not None and insert and not result.applied:
        target = [s for s in stanzas if s.applies_hwaddress]
        if target:
            stanza = target[0]
            indent = option_indent(parsed, stanza)
            at = insertion_point(stanza)
            edits.append((at, at, [indent + MAC_SET_COMMENT, indent + "hwaddress " + mac]))
            result.applied = True
    if edits:
        result.text = _apply(parsed.lines, edits)
    return result
