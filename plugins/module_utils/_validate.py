# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of user input shared by every module. Pure functions."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput

# IFNAMSIZ is 16 including the terminating NUL.
IFNAME_MAX_BYTES = 15
_FORBIDDEN_IFNAME_CHARS = set("/:") | set(" \t\n\r\v\f")
# The kernel's dev_valid_name() refuses '/', ':' and isspace() per *byte*; its ctype table (lib/ctype.c)
# counts 0xA0 as space, so a UTF-8 name containing that byte (e.g. "à" = c3 a0) is refused too.
_FORBIDDEN_IFNAME_BYTES = frozenset(b"/: \t\n\r\v\f\xa0")
# The kernel accepts these, but a name with them is far likelier an injection attempt or a typo than a real
# interface, and they would need quoting in udev rules and ifupdown lines the collection writes.
_SHELL_METACHARACTERS = frozenset(";&|$`<>()'\"\\*?[]{}")


def interface_name_problem(name):
    """Return why ``name`` cannot be a Linux interface name, or None when it can."""
    if not isinstance(name, str):
        return "is not a string"
    if name in ("", ".", ".."):
        return "is empty, '.' or '..'"
    if len(name.encode("utf-8")) > IFNAME_MAX_BYTES:
        return "is longer than %d bytes" % IFNAME_MAX_BYTES
    bad = sorted(set(name) & _FORBIDDEN_IFNAME_CHARS)
    if bad:
        return "contains %s" % ", ".join(repr(c) for c in bad)
    meta = sorted(set(name) & _SHELL_METACHARACTERS)
    if meta:
        return "contains shell or glob metacharacters %s" % " ".join(meta)
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains a control character"
    if any(b in _FORBIDDEN_IFNAME_BYTES for b in name.encode("utf-8")):
        return "contains a byte the kernel treats as whitespace (0xa0 in its UTF-8 form)"
    return None


def validate_interface_names(option, names):
    """Raise InvalidInput naming ``option`` and every bad name; return the names as a list."""
    names = list(names or [])
    problems = []
    for name in names:
        problem = interface_name_problem(name)
        if problem:
            problems.append("%r %s" % (name, problem))
    if problems:
        raise InvalidInput(
            "%s: invalid interface name(s): %s. A Linux interface name is 1-%d bytes with no '/', ':' or "
            "whitespace and is not '.' or '..'; the collection also refuses shell and glob metacharacters."
            % (option, "; ".join(problems), IFNAME_MAX_BYTES),
            option=option,
        )
    return names


def validate_choices(option, values, valid):
    """Raise InvalidInput when a value of list option ``option`` is not one of ``valid``."""
    values = list(values or [])
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise InvalidInput(
            "%s: unknown value(s) %s; valid values are: %s"
            % (option, ", ".join(repr(v) for v in unknown), ", ".join(sorted(valid))),
            option=option,
        )
    return values


def validate_known_interfaces(option, names, known):
    """Raise InvalidInput when ``names`` mentions interfaces the host does not have."""
    unknown = [n for n in names if n not in known]
    if unknown:
        listed = sorted(known)
        shown = ", ".join(listed[:40]) + (" ... (%d in all)" % len(listed) if len(listed) > 40 else "")
        raise InvalidInput(
            "%s: no such interface on this host: %s. Interfaces present: %s"
            % (option, ", ".join(repr(n) for n in unknown), shown),
            option=option,
        )
    return names


def mac_problem(value):
    """Why ``value`` cannot be a bridge's MAC address (unicast, six octets, not all-zero), or None."""
    if not isinstance(value, str):
        return "is not a string"
    octets = value.strip().replace("-", ":").split(":")
    if len(octets) != 6 or not all(len(o) == 2 and all(c in "0123456789abcdefABCDEF" for c in o) for o in octets):
        return "is not six hexadecimal octets like 02:42:ac:11:00:02"
    first = int(octets[0], 16)
    if first & 0x01:
        return "is a multicast/broadcast address (the lowest bit of the first octet is set)"
    if all(int(o, 16) == 0 for o in octets):
        return "is all-zero"
    return None


def validate_mac(option, value):
    """Return ``value`` normalised (lower case, colons) or raise InvalidInput naming ``option``."""
    problem = mac_problem(value)
    if problem:
        raise InvalidInput(
            "%s: %r %s. A bridge MAC must be six octets (aa:bb:cc:dd:ee:ff), unicast (first octet even) and not "
            "all-zero; a locally administered one has the second-lowest bit of the first octet set (02:..)."
            % (option, value, problem), option=option)
    return value.strip().replace("-", ":").lower()
