# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of user input shared by every module. Pure functions."""

from __future__ import annotations

__metaclass__ = type

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._text import visible

# IFNAMSIZ is 16 including the terminating NUL.
IFNAME_MAX_BYTES = 15
_FORBIDDEN_IFNAME_CHARS = set("/:") | set(" \t\n\r\v\f")
# The kernel's dev_valid_name() refuses '/', ':' and isspace() per *byte*; its ctype table (lib/ctype.c)
# counts 0xA0 as space, so a UTF-8 name containing that byte (e.g. "à" = c3 a0) is refused too.
_FORBIDDEN_IFNAME_BYTES = frozenset(b"/: \t\n\r\v\f\xa0")
# The kernel accepts these, and so does the collection: names are data. They matter only where a name is written
# into a file format or a command line that gives them a meaning; each backend checks the few it cannot write
# (``name_hazards`` lists them, for the messages) and skips that item with the reason.
SHELL_METACHARACTERS = frozenset(";&|$`<>()'\"\\*?[]{}#~!")
# netlink's reader decodes a name that is not UTF-8 with U+FFFD: such a link can be audited but not addressed by
# name (the collection would name another string).
UNDECODABLE = "\ufffd"


def interface_name_problem(name):
    """Why the kernel would refuse ``name`` as an interface name (dev_valid_name()), or None when it accepts it.

    Everything else is a valid name, however odd: ``b;reboot``, ``b$(id)``, ``-x``, a name with an ESC. Such
    names are audited like any other; where a backend cannot write one, that item is skipped with the reason.
    """
    if not isinstance(name, str):
        return "is not a string"
    if name in ("", ".", ".."):
        return "is empty, '.' or '..'"
    if len(name.encode("utf-8", "surrogateescape")) > IFNAME_MAX_BYTES:
        return "is longer than %d bytes" % IFNAME_MAX_BYTES
    bad = sorted(set(name) & _FORBIDDEN_IFNAME_CHARS)
    if bad:
        return "contains %s" % ", ".join(repr(c) for c in bad)
    if any(b in _FORBIDDEN_IFNAME_BYTES for b in name.encode("utf-8", "surrogateescape")):
        return "contains a byte the kernel treats as whitespace (0xa0 in its UTF-8 form)"
    return None


def name_hazards(name):
    """What in a kernel-valid ``name`` needs care outside netlink: a list of short phrases (empty: none).

    For messages and for the backends that cannot write such a name (a udev rule, a shell line of ifupdown).
    """
    hazards = []
    meta = sorted(set(name) & SHELL_METACHARACTERS)
    if meta:
        hazards.append("shell or glob metacharacters %s" % " ".join(meta))
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        hazards.append("a control character")
    if name.startswith("-"):
        hazards.append("a leading '-'")
    if UNDECODABLE in name:
        hazards.append("bytes that are not UTF-8")
    return hazards


def unaddressable_name(name):
    """Why the collection cannot address the interface ``name`` by name at all, or None (see UNDECODABLE)."""
    if UNDECODABLE in name:
        return ("its name is not UTF-8 (read as %s), so the collection cannot name it to the kernel; rename it "
                "or change it by hand" % visible(repr(name)))
    return None


def new_interface_name_problem(name):
    """Why ``name`` is not fit for an interface the collection creates (a bond replacing a team), or None:
    the kernel's rules plus none of ``name_hazards``, since the new name goes into files of every backend."""
    problem = interface_name_problem(name)
    if problem:
        return problem
    hazards = name_hazards(name)
    return "contains %s" % " and ".join(hazards) if hazards else None


def validate_interface_names(option, names, problem_of=interface_name_problem):
    """Raise InvalidInput naming ``option`` and every bad name; return the names as a list. ``problem_of``:
    ``new_interface_name_problem`` for names of interfaces the collection creates."""
    names = list(names or [])
    problems = []
    for name in names:
        problem = problem_of(name)
        if problem:
            problems.append("%s %s" % (visible(repr(name)), problem))
    if problems:
        raise InvalidInput(
            "%s: invalid interface name(s): %s. A Linux interface name is 1-%d bytes with no '/', ':' or "
            "whitespace and is not '.' or '..'."
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
    if not value.strip():
        return "is empty (leave mac out to let policy choose)"
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
            "%s: %s %s. A bridge MAC must be six octets (aa:bb:cc:dd:ee:ff), unicast (first octet even) and not "
            "all-zero; a locally administered one has the second-lowest bit of the first octet set (02:..)."
            % (option, visible(repr(value)), problem), option=option)
    return value.strip().replace("-", ":").lower()


# --------------------------------------------------------------------------------------------------------
# The gate's rules: which checks run and which interfaces are audited - one rule for the module's options
# (checks, include, exclude) and the playbook's variables (hostnet_checks, hostnet_include, hostnet_exclude).


def validate_checks(option, value, known):
    """The checks to run: a non-empty list of ``known`` checks, each once, in the order given."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InvalidInput("%s: expected a list of checks, got %s; valid checks: %s"
                           % (option, visible(repr(value)), ", ".join(known)), option=option)
    if not value:
        raise InvalidInput("%s: the list is empty, so nothing would be audited and every host would look compliant; "
                           "name at least one of %s (or leave %s out for all of them)"
                           % (option, ", ".join(known), option), option=option)
    unknown = [item for item in value if not isinstance(item, str) or item not in known]
    if unknown:
        raise InvalidInput("%s: unknown check(s) %s; valid checks: %s"
                           % (option, ", ".join(visible(repr(item)) for item in unknown), ", ".join(known)),
                           option=option)
    return list(dict.fromkeys(str(item) for item in value))


def validate_filters(include, exclude, options=("include", "exclude")):
    """The interfaces to audit and to silence: lists of valid interface names, each once, none in both (it
    would be silently hidden). ``options``: the two names the messages use."""
    lists = []
    for option, value in zip(options, (include, exclude)):
        if value is None:
            value = []
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise InvalidInput("%s: expected a list of interface names, got %s" % (option, visible(repr(value))),
                               option=option)
        lists.append(list(dict.fromkeys(validate_interface_names(option, value))))
    include, exclude = lists
    both = [name for name in include if name in exclude]
    if both:
        raise InvalidInput("%s and %s both name %s: an interface is either audited or silenced; remove it from one "
                           "of them" % (options[0], options[1], ", ".join(visible(repr(n)) for n in both)),
                           option=options[1])
    return include, exclude
