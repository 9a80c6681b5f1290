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
not) and ifupdown is installed. The evidence is ``path:lineno`` of the first such stanza. A bond port
without a stanza of its own, named in a bond's ``bond-slaves`` (or ``bond_slaves``, or the old
``slaves``) as Debian operators write it, is owned through the bond's stanza (``path:lineno (bond-slaves of
bond0)``), and its promiscuous line goes there: ifenslave's ``if-pre-up.d`` script enslaves the ports, so
the bond's ``post-up`` runs after they exist and are enslaved (measured on Debian 12, ifupdown 0.8.41,
ifenslave 2.13). ``$IFACE`` in the bond's stanza is the bond, never the port.

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

There is no reload (``Persistence.reload`` stays empty): the module makes the change at runtime over netlink,
and these lines act at the next ``ifup`` of the interface or boot. ifupdown(8) has no ``ifreload`` (that is
ifupdown2's); ``ifup`` of a configured interface does nothing ("already configured"), ``ifup --force``
runs the stanza's commands again on the live link (``ip addr add`` answers "File exists"), and ``ifdown``/
``ifup`` bounces it: bridge-utils deletes the bridge on ``ifdown`` (its ports are set down and leave it,
container veths included) and creates it again on ``ifup``. Measured in the lab (enforce_ifupdown):
``hwaddress`` on a bridge's ``inet static``/``manual`` stanza is applied by ifup's ``ip link set dev BR
address MAC up`` after bridge-utils' pre-up created the bridge and added its ports, so the bridge comes up
with ``addr_assign_type`` 3 at boot and after ``ifdown; ifup``; the marked ``post-up ... promisc on`` lines
in the bond's stanza set both ports' flag at boot, and the flag survives ``ifdown``/``ifup`` of the bridge
above the bond (the bond goes down and up, its ports stay enslaved).

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
from dataclasses import dataclass, field
from typing import List

from ansible_collections.hostnet.dockerhost.plugins.module_utils._backends.base import Backend, Persistence, is_lag_port
from ansible_collections.hostnet.dockerhost.plugins.module_utils._constants import BACKEND_IFUPDOWN
from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, NameNotWritable, Unsupported
from ansible_collections.hostnet.dockerhost.plugins.module_utils._plan.files import FileEdit
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.files import read_bytes
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.ifupdown import (
    PROMISC_COMMENT,
    PROMISC_NAMED_COMMENT,
    ParsedInterfaces,
    _SHELL_UNSAFE,
    _SOURCE_DIRECTORY_ENTRY,
    _promisc_pairs,
    add_promisc,
    edit_hwaddress,
    is_source_directory_word,
    parse_interfaces,
    remove_promisc,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import validate_mac


INTERFACES = "/etc/network/interfaces"
IFUP_PATHS = ("/usr/sbin/ifup", "/sbin/ifup")


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

    def bond_master_stanzas(self, ifname):
        """(file, stanza) of the bonds whose bond-slaves name ``ifname``."""
        return [(f, s) for f, s in self.order
                if s.is_iface and s.ifname != ifname and ifname in s.bond_slaves()]

    def promisc_stanzas(self, ifname):
        """Its own stanzas, else (a bond port without one) its bond's."""
        return self.iface_stanzas(ifname) or self.bond_master_stanzas(ifname)

    def brought_up_by(self, ifname):
        """(file, stanza) of auto / allow-* lines that name ``ifname``."""
        return [(f, s) for f, s in self.order
                if (s.keyword == "auto" or s.keyword.startswith("allow-")) and ifname in s.args]


def _read(fs_path):
    if os.path.isdir(fs_path):
        return None, True
    try:
        data = read_bytes(fs_path)
        if data is None:
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

    name = BACKEND_IFUPDOWN

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
        config = self.load()
        stanzas = config.iface_stanzas(ifname)
        if stanzas:
            entry, stanza = stanzas[0]
            return "%s:%d" % (entry.path, stanza.lineno)
        masters = config.bond_master_stanzas(ifname)
        if masters:
            entry, stanza = masters[0]
            return "%s:%d (bond-slaves of %s)" % (entry.path, stanza.lineno, stanza.ifname)
        return None

    # ------------------------------------------------------------------ helpers

    def _stanzas(self, config, ifname, adding, bond_port=False):
        stanzas = config.promisc_stanzas(ifname) if bond_port else config.iface_stanzas(ifname)
        if not stanzas and adding:
            raise Unsupported("ifupdown has no 'iface %s' stanza in %s or the files it sources"
                              % (ifname, self.interfaces))
        return stanzas

    def _plan(self, ifname, config, new_texts, reason, notes, adding, bond_port=False):
        stanzas = config.promisc_stanzas(ifname) if bond_port else config.iface_stanzas(ifname)
        owner = "%s:%d" % (stanzas[0][0].path, stanzas[0][1].lineno) if stanzas else None
        if owner and stanzas[0][1].ifname != ifname:
            owner += " (bond-slaves of %s)" % stanzas[0][1].ifname
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
        if adding and plan.files and not config.brought_up_by(stanzas[0][1].ifname if stanzas else ifname):
            plan.notes.append("no auto or allow-* line names %s, so the line runs only when something runs "
                              "'ifup %s' (ifenslave does for bond-master/bond-slaves ports)" % (ifname, ifname))
        return plan

    # ------------------------------------------------------------------ plans

    def plan_promisc(self, ifname, enabled):
        unsafe = sorted(set(ifname) & _SHELL_UNSAFE)
        if enabled and unsafe:
            raise NameNotWritable("the name %r has characters /bin/sh would interpret (%s); ifupdown runs its "
                                  "post-up lines through the shell" % (ifname, " ".join(unsafe)))
        config = self.load()
        stanzas = self._stanzas(config, ifname, enabled, bond_port=True)
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
                comment = PROMISC_COMMENT if is_lag_port(self.host, ifname) else PROMISC_NAMED_COMMENT
                new_texts[entry.fs_path] = add_promisc(entry.text, ifname, stanza.lineno, comment)
        else:
            for item, _option in managed:
                new_texts[item.fs_path] = remove_promisc(item.text, ifname)
            for item, option in user:
                notes.append("%s:%d ('%s %s') is the user's own line; left as it is"
                             % (item.path, option.start + 1, option.name, option.value))
        if enabled and stanzas and stanzas[0][1].ifname != ifname:
            notes.append("%s has no stanza of its own; the line goes into its bond's stanza (%s:%d, "
                         "bond-slaves): its post-up runs after ifenslave enslaved the port"
                         % (ifname, stanzas[0][0].path, stanzas[0][1].lineno))
        return self._plan(ifname, config, new_texts, "ifupdown: %s promiscuous mode for %s"
                          % ("keep" if enabled else "stop keeping", ifname), notes, enabled, bond_port=True)

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
