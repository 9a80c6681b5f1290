# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian ifupdown persistence: two marked lines inside the user's own ``iface`` stanza.

Reading follows ifupdown 0.8's ``config.c``: ``/etc/network/interfaces`` and what it includes with
``source`` (shell wildcards, sorted; a relative path is relative to the directory of the including file;
every file is read once) and ``source-directory`` (every word starting ``source-dir``, as ifupdown matches
it; only entries named ``^[a-zA-Z0-9_-]+$``, so ``bond0.bak`` and ``x.dpkg-old`` are skipped there, while
``source .../*`` does include them, as ifupdown does). A ``#`` line is a comment, a line ending in ``\\``
continues on the next one, and an ``iface``/``mapping`` stanza runs until the next stanza keyword.

Ownership: an ``iface <name> ...`` stanza exists (``auto``/``allow-hotplug`` alone, or a ``mapping``, is
not) and ifupdown is installed. The evidence is ``path:lineno`` of the first such stanza.

What is written, always right after the stanza's last option line (comments and blank lines that follow it
belong to the next stanza and stay where they are), indented like the stanza's options (4 spaces when it
has none)::

    # hostnet.dockerhost port_promisc: keep promiscuous (bridged LAG port)
    post-up ip link set dev bond0 promisc on

    # hostnet.dockerhost bridge_mac: set by the collection
    hwaddress 02:42:ac:11:00:02

A user's own ``hwaddress`` line with another value is replaced in place, keeping its form (``hwaddress
ether X`` or ``hwaddress X``), with the line it replaced kept in the marker::

    # hostnet.dockerhost bridge_mac: was hwaddress ether 52:54:00:12:34:56
    hwaddress ether 02:42:ac:11:00:02

Removal (``enabled=False`` / ``mac=None``) deletes exactly the marker and the line under it, or puts the
recorded user line back, so add-then-remove gives the file back byte for byte. A marker whose next line
was changed by someone is left alone (the line is theirs now) and reported in the notes.

Which stanza when an interface has several (``inet`` and ``inet6``, or two ``inet`` for two addresses):
ifup runs the stanzas of an interface in reading order, so the promiscuous line goes into the first one
(its ``post-up`` runs as soon as the link is up). ``hwaddress`` is applied only by the ``static``,
``manual`` and ``dhcp`` methods of ``inet``/``inet6`` (not ``inet6 auto`` nor ``loopback``), so the MAC
goes into the first stanza with such a method; every user ``hwaddress`` line of the interface in any stanza
gets the new value, because a later stanza's line would set the old MAC again. An equivalent line the user
already has (``up``/``post-up`` ``ip link set [dev] <name>|$IFACE ... promisc on`` or ``ifconfig <name>
promisc``; a ``hwaddress`` with the same MAC) means nothing is added.

There is no reload: ``ifdown``/``ifup`` would bounce the link, and the module has already made the change
at runtime over netlink; these lines are for the next boot or ``ifup``.

Plans of one backend instance build on each other: the second interface planned in a file starts from the
text the first plan produced, so ``apply_persistence`` applying the plans in order writes both changes.
Plan each (interface, feature) once per instance; create a new instance to look at the host afresh.

Limits: ``inherits`` templates are not followed (a ``hwaddress`` a stanza inherits is not seen); a user
``hwaddress`` continued over several lines comes back as one line when restored; words of
``source`` are split on whitespace and globbed (no ``$VAR``/``~`` expansion as wordexp(3) would do), and a
file that is not UTF-8 is read for ownership but never edited (the plan raises ``Unsupported``).
"""

from __future__ import annotations

__metaclass__ = type

import glob
import os
import re
from dataclasses import dataclass, field
from typing import List

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends import Backend, Persistence, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._files import FileEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_mac

INTERFACES = "/etc/network/interfaces"
IFUP_PATHS = ("/usr/sbin/ifup", "/sbin/ifup")
DEFAULT_INDENT = "    "

PROMISC_MARK = "# hostnet.dockerhost port_promisc:"
PROMISC_COMMENT = PROMISC_MARK + " keep promiscuous (bridged LAG port)"
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


@dataclass
class ParsedInterfaces:
    lines: List[str]  # physical lines, each with its line ending ("" for a last line without one)
    stanzas: List[Stanza]
    comments: frozenset  # indexes of physical lines that are comment lines on their own

    def iface_stanzas(self, ifname):
        return [s for s in self.stanzas if s.is_iface and s.ifname == ifname]

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


def is_promisc_command(command, ifname):
    """Whether a shell command line sets ``ifname`` promiscuous: ip link set [dev] X ... promisc on,
    or ifconfig X promisc; X may be the name or ifupdown's $IFACE."""
    names = (ifname,) + _IFACE_VARIABLES
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
    changed line under them. Each item is (stanza, option)."""
    managed, user, orphans = [], [], []
    for stanza in parsed.iface_stanzas(ifname):
        for option in stanza.options:
            marked = parsed.marker_before(option, PROMISC_MARK) is not None
            sets_promisc = option.name in _UP_OPTIONS and is_promisc_command(option.value, ifname)
            if marked and sets_promisc:
                managed.append((stanza, option))
            elif marked:
                orphans.append((stanza, option))
            elif sets_promisc:
                user.append((stanza, option))
    return managed, user, orphans


def add_promisc(text, ifname, stanza_lineno=None):
    """``text`` with our post-up line in ``ifname``'s stanza starting at ``stanza_lineno`` (default: its
    first stanza in this text); unchanged when this text already has ours or an equivalent user line."""
    parsed = parse_interfaces(text)
    managed, user, _orphans = _promisc_pairs(parsed, ifname)
    if managed or user:
        return text
    stanzas = parsed.iface_stanzas(ifname)
    chosen = [s for s in stanzas if stanza_lineno is None or s.lineno == stanza_lineno]
    if not chosen:
        where = "" if stanza_lineno is None else " at line %d" % stanza_lineno
        raise Unsupported("no iface stanza for %s%s" % (ifname, where))
    stanza = chosen[0]
    indent = option_indent(parsed, stanza)
    at = insertion_point(stanza)
    return _apply(parsed.lines, [(at, at, [indent + PROMISC_COMMENT, indent + promisc_line(ifname)])])


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


# --------------------------------------------------------------------------------------------------------
# Reading the configuration (filesystem; the root is injectable for tests)


@dataclass
class InterfacesFile:
    path: str  # as ifupdown names it (under the host's /)
    fs_path: str  # where it is read and written (the same unless a test root is used)
    text: str
    parsed: ParsedInterfaces
    utf8: bool = True


@dataclass
class IfupdownConfig:
    files: List[InterfacesFile] = field(default_factory=list)  # in the order ifupdown first reads them
    order: list = field(default_factory=list)  # (InterfacesFile, Stanza) in ifupdown's reading order

    def iface_stanzas(self, ifname):
        return [(f, s) for f, s in self.order if s.is_iface and s.ifname == ifname]

    def brought_up_by(self, ifname):
        """(file, stanza) of auto / allow-* lines that name ``ifname``."""
        return [(f, s) for f, s in self.order
                if (s.keyword == "auto" or s.keyword.startswith("allow-")) and ifname in s.args]


def _read(fs_path):
    try:
        with open(fs_path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None, True
    except OSError as exc:
        raise HostnetError("cannot read %s: %s" % (fs_path, exc.strerror or exc), path=fs_path)
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), False


class _Loader:
    def __init__(self, root, overlay):
        self.root = root
        self.overlay = overlay  # fs_path -> text planned by earlier plans of the same backend
        self.config = IfupdownConfig()
        self.seen = set()

    def fs(self, path):
        return path if self.root in ("", "/") else os.path.join(self.root, path.lstrip("/"))

    def host(self, fs_path):
        if self.root in ("", "/"):
            return fs_path
        return "/" + os.path.relpath(fs_path, self.root)

    def expand(self, including, rest):
        """config.c: a relative pattern is prefixed with the including file's directory, then wordexp()."""
        pattern = rest if rest.startswith("/") else os.path.dirname(including) + "/" + rest
        paths = []
        for word in pattern.split():
            if not word.startswith("/"):
                word = "/" + word  # ifup runs from / at boot
            if glob.has_magic(word):
                root = self.root if self.root not in ("", "/") else ""
                matches = sorted(glob.glob(glob.escape(root) + word) if root else glob.glob(word))
                paths.extend(self.host(m) for m in matches)
            else:
                paths.append(os.path.normpath(word))
        return paths

    def read_file(self, path):
        path = os.path.normpath(path)
        if path in self.seen:
            return
        self.seen.add(path)
        fs_path = self.fs(path)
        if not os.path.isfile(fs_path):
            return
        if fs_path in self.overlay:
            text, utf8 = self.overlay[fs_path], True
        else:
            text, utf8 = _read(fs_path)
            if text is None:
                return
        entry = InterfacesFile(path=path, fs_path=fs_path, text=text, parsed=parse_interfaces(text), utf8=utf8)
        self.config.files.append(entry)
        for stanza in entry.parsed.stanzas:
            self.config.order.append((entry, stanza))
            if stanza.keyword == "source" and stanza.rest:
                for included in self.expand(path, stanza.rest):
                    self.read_file(included)
            elif is_source_directory_word(stanza.keyword) and stanza.rest:
                for directory in self.expand(path, stanza.rest):
                    fs_dir = self.fs(directory)
                    try:
                        names = sorted(os.listdir(fs_dir))
                    except OSError:
                        continue
                    for name in names:
                        if _SOURCE_DIRECTORY_ENTRY.match(name):
                            self.read_file(os.path.join(directory, name))


def load_config(root="/", interfaces=INTERFACES, overlay=None):
    """Read ``interfaces`` and everything it sources, under ``root`` (``/`` on a host)."""
    loader = _Loader(root, dict(overlay or {}))
    loader.read_file(interfaces)
    return loader.config


# --------------------------------------------------------------------------------------------------------
# The backend


class IfupdownBackend(Backend):
    """Persistence through the ``iface`` stanzas of Debian's ifupdown (see the module docstring)."""

    name = "ifupdown"

    def __init__(self, host, run, root="/", interfaces=INTERFACES):
        super().__init__(host, run)
        self.root = root
        self.interfaces = interfaces
        self._planned = {}  # fs_path -> text after the plans made so far by this instance

    def installed(self):
        return any(os.path.exists(self._fs(path)) for path in IFUP_PATHS)

    def _fs(self, path):
        return path if self.root in ("", "/") else os.path.join(self.root, path.lstrip("/"))

    def load(self):
        return load_config(self.root, self.interfaces, overlay=self._planned)

    def owner(self, ifname):
        if not self.installed():
            return None
        stanzas = self.load().iface_stanzas(ifname)
        if not stanzas:
            return None
        entry, stanza = stanzas[0]
        return "%s:%d" % (entry.path, stanza.lineno)

    # ------------------------------------------------------------------ helpers

    def _stanzas(self, config, ifname, adding):
        stanzas = config.iface_stanzas(ifname)
        if not stanzas and adding:
            raise Unsupported("ifupdown has no 'iface %s' stanza in %s or the files it sources"
                              % (ifname, self.interfaces))
        return stanzas

    def _plan(self, ifname, config, new_texts, reason, notes, adding):
        stanzas = config.iface_stanzas(ifname)
        owner = "%s:%d" % (stanzas[0][0].path, stanzas[0][1].lineno) if stanzas else None
        plan = Persistence(interface=ifname, backend=self.name, owner=owner, reload=[], notes=list(notes))
        if not stanzas:
            plan.notes.append("ifupdown has no 'iface %s' stanza any more; nothing of the collection's to remove"
                              % ifname)
        for item in config.files:
            after = new_texts.get(item.fs_path, item.text)
            if after == item.text:
                continue
            if not item.utf8:
                raise Unsupported("%s is not UTF-8 text; the collection does not rewrite it" % item.path)
            plan.files.append(FileEdit(path=item.fs_path, before=item.text, after=after, reason=reason))
        for edit in plan.files:
            self._planned[edit.path] = edit.after
        if adding and plan.files and not config.brought_up_by(ifname):
            plan.notes.append("no auto or allow-* line names %s, so the line runs only when something runs "
                              "'ifup %s' (ifenslave does for bond-master/bond-slaves ports)" % (ifname, ifname))
        return plan

    # ------------------------------------------------------------------ plans

    def plan_promisc(self, ifname, enabled):
        unsafe = sorted(set(ifname) & _SHELL_UNSAFE)
        if enabled and unsafe:
            raise Unsupported("the name %r has characters /bin/sh would interpret (%s); ifupdown runs its "
                              "post-up lines through the shell" % (ifname, " ".join(unsafe)))
        config = self.load()
        stanzas = self._stanzas(config, ifname, enabled)
        new_texts, notes = {}, []
        managed, user = [], []
        for item in config.files:
            mine, theirs, orphans = _promisc_pairs(item.parsed, ifname)
            managed += [(item, option) for _stanza, option in mine]
            user += [(item, option) for _stanza, option in theirs]
            for _stanza, option in orphans:
                notes.append("%s:%d has the collection's promisc marker above a line someone changed ('%s %s'); "
                             "left as it is" % (item.path, option.start + 1, option.name, option.value))
        if enabled:
            if user and not managed:
                item, option = user[0]
                notes.append("%s:%d ('%s %s') already makes %s promiscuous; nothing added"
                             % (item.path, option.start + 1, option.name, option.value, ifname))
            elif not managed:
                entry, stanza = stanzas[0]
                new_texts[entry.fs_path] = add_promisc(entry.text, ifname, stanza.lineno)
        else:
            for item, _option in managed:
                new_texts[item.fs_path] = remove_promisc(item.text, ifname)
            for item, option in user:
                notes.append("%s:%d ('%s %s') is the user's own line; left as it is"
                             % (item.path, option.start + 1, option.name, option.value))
        return self._plan(ifname, config, new_texts, "ifupdown: %s promiscuous mode for %s"
                          % ("keep" if enabled else "stop keeping", ifname), notes, enabled)

    def plan_mac(self, ifname, mac):
        if mac is not None:
            mac = validate_mac("mac", mac)
        config = self.load()
        stanzas = self._stanzas(config, ifname, mac is not None)
        files = list({id(f): f for f, _s in stanzas}.values())
        new_texts, notes = {}, []
        applied = False
        for item in files:
            edit = edit_hwaddress(item.text, ifname, mac, insert=False, where=item.path)
            new_texts[item.fs_path] = edit.text
            notes.extend(edit.notes)
            applied = applied or edit.applied
        if mac is not None and not applied:
            target = [(f, s) for f, s in stanzas if s.applies_hwaddress]
            if not target:
                raise Unsupported(
                    "ifupdown applies hwaddress only with the static, manual and dhcp methods of inet/inet6; "
                    "the stanzas for %s are %s" % (ifname, ", ".join(
                        "%s %s at %s:%d" % (s.family, s.method, f.path, s.lineno) for f, s in stanzas)))
            entry, _stanza = target[0]
            edit = edit_hwaddress(new_texts[entry.fs_path], ifname, mac, insert=True, where=entry.path)
            new_texts[entry.fs_path] = edit.text
        for item, stanza in stanzas:
            for option in stanza.options:
                if option.name in ("bridge_hw", "bridge-hw"):
                    notes.append("%s:%d sets %s %s for %s too (bridge-utils); hwaddress is applied after it"
                                 % (item.path, option.start + 1, option.name, option.value, ifname))
        return self._plan(ifname, config, new_texts, "ifupdown: %s the MAC of %s"
                          % ("pin" if mac else "unpin", ifname), notes, mac is not None)
