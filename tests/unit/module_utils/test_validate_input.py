# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_validate: interface names as the kernel's dev_valid_name() sees them, choices, known interfaces."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import HostnetError, InvalidInput
from ansible_collections.hostnet.dockerhost.plugins.module_utils._validate import (
    interface_name_problem,
    name_hazards,
    new_interface_name_problem,
    unaddressable_name,
    validate_choices,
    validate_interface_names,
    validate_known_interfaces,
)

# --------------------------------------------------------------------------------------------------------
# interface names


@pytest.mark.parametrize("name", ["eno1", "a", "br-0123456789ab", "x" * 15, "eno1.100", "ctr-a", "é" * 7 + "x",
                                  "agg7", "lan0@", "..x", ".a"])
def test_valid_names(name):
    assert interface_name_problem(name) is None


def test_fifteen_bytes_is_the_limit():
    assert interface_name_problem("a" * 15) is None
    assert interface_name_problem("a" * 16) == "is longer than 15 bytes"


def test_length_counts_utf8_bytes_not_characters():
    assert len("é" * 8) == 8
    assert interface_name_problem("é" * 7) is None  # 14 bytes
    assert interface_name_problem("é" * 8) == "is longer than 15 bytes"  # 16 bytes
    assert interface_name_problem("€" * 5) is None  # 15 bytes
    assert interface_name_problem("€" * 5 + "a") == "is longer than 15 bytes"


@pytest.mark.parametrize("name, problem", [
    ("eth/0", "contains '/'"),
    ("eth:0", "contains ':'"),
    ("eth 0", "contains ' '"),
    ("eth\t0", "contains '\\t'"),
    ("eth\n0", "contains '\\n'"),
    ("a b:c", "contains ' ', ':'"),
])
def test_forbidden_characters(name, problem):
    assert interface_name_problem(name) == problem


@pytest.mark.parametrize("name", ["", ".", ".."])
def test_empty_dot_and_dotdot(name):
    assert interface_name_problem(name) == "is empty, '.' or '..'"


@pytest.mark.parametrize("name", [None, 5, b"eno1", ["eno1"]])
def test_non_strings(name):
    assert interface_name_problem(name) == "is not a string"


@pytest.mark.parametrize("name", ["b;reboot", "b$(id)", "-x", "b\x1b[31m", "eth\x010", "eth\x7f", "#x", "g=h*",
                                  "[x]", "e\u009bx"])
def test_names_the_kernel_accepts_are_valid_however_odd(name):
    # measured with `ip link add NAME type bridge` in a namespace: the kernel accepts every one of these
    assert interface_name_problem(name) is None
    validate_interface_names("include", [name])


@pytest.mark.parametrize("name, hazard", [
    ("b;reboot", "shell or glob metacharacters ;"),
    ("b$(id)", "shell or glob metacharacters $ ( )"),
    ("-x", "a leading '-'"),
    ("b\x1b[31m", "a control character"),
    ("e\u009bx", "a control character"),
    ("f\ufffd", "bytes that are not UTF-8"),
])
def test_name_hazards_say_what_needs_care(name, hazard):
    assert hazard in name_hazards(name)
    assert new_interface_name_problem(name) is not None  # a name the collection creates has none of them
    assert name_hazards("br-0a1b.100") == [] and new_interface_name_problem("bond0") is None


def test_an_undecodable_name_cannot_be_addressed():
    assert "not UTF-8" in unaddressable_name("f\ufffd")
    assert unaddressable_name("b;reboot") is None


def test_byte_0xa0_inside_a_utf8_name_is_refused():
    # The kernel's isspace() (lib/ctype.c) counts byte 0xA0 as whitespace, so dev_valid_name() refuses
    # "aà" (61 c3 a0): measured on the build kernel, 'ip link add name aà type bridge' fails with
    # "RTNETLINK answers: Invalid argument" while "aé" (61 c3 a9) is created.
    assert interface_name_problem("aé") is None
    assert interface_name_problem("aà") is not None


def test_validate_interface_names_returns_a_list():
    assert validate_interface_names("interfaces", ("eno1", "br0")) == ["eno1", "br0"]
    assert validate_interface_names("interfaces", None) == []


def test_validate_interface_names_message_names_option_and_every_bad_value():
    with pytest.raises(InvalidInput) as caught:
        validate_interface_names("bridge_ports", ["eno1", "a" * 16, "eth/0", "ok0", "."])

    message = caught.value.msg
    assert message.startswith("bridge_ports: invalid interface name(s): ")
    assert repr("a" * 16) + " is longer than 15 bytes" in message
    assert "'eth/0' contains '/'" in message
    assert "'.' is empty, '.' or '..'" in message
    assert "eno1" not in message and "ok0" not in message
    assert caught.value.details == {"option": "bridge_ports"}
    assert caught.value.to_fail_kwargs() == {"option": "bridge_ports", "msg": message}
    assert isinstance(caught.value, HostnetError)


def test_validate_interface_names_reports_non_string():
    with pytest.raises(InvalidInput, match=r"include: invalid interface name\(s\): 42 is not a string"):
        validate_interface_names("include", [42])


# --------------------------------------------------------------------------------------------------------
# choices


def test_validate_choices_accepts_valid_values():
    assert validate_choices("checks", ("promisc", "capture"), {"promisc", "capture", "networkd"}) == [
        "promisc", "capture"]
    assert validate_choices("checks", None, {"promisc"}) == []


def test_validate_choices_names_option_unknown_values_and_sorted_valid_ones():
    with pytest.raises(InvalidInput) as caught:
        validate_choices("checks", ["promisc", "mac", "dns"], {"promisc", "bridge_mac", "capture"})

    assert caught.value.msg == (
        "checks: unknown value(s) 'mac', 'dns'; valid values are: bridge_mac, capture, promisc"
    )
    assert caught.value.details == {"option": "checks"}


# --------------------------------------------------------------------------------------------------------
# known interfaces


def test_validate_known_interfaces_accepts_present_names():
    assert validate_known_interfaces("exclude", ["eno1"], {"eno1", "br0"}) == ["eno1"]
    assert validate_known_interfaces("exclude", [], set()) == []


def test_validate_known_interfaces_lists_present_interfaces():
    with pytest.raises(InvalidInput) as caught:
        validate_known_interfaces("include", ["eno9", "br0", "lan7"], {"lo", "br0", "eno1"})

    assert caught.value.msg == (
        "include: no such interface on this host: 'eno9', 'lan7'. Interfaces present: br0, eno1, lo"
    )
    assert caught.value.details == {"option": "include"}


def test_validate_known_interfaces_truncates_the_list_after_forty():
    known = {"veth%03d" % i for i in range(55)}

    with pytest.raises(InvalidInput) as caught:
        validate_known_interfaces("include", ["eno1"], known)

    shown = caught.value.msg.split("Interfaces present: ", 1)[1]
    assert shown == ", ".join("veth%03d" % i for i in range(40)) + " ... (55 in all)"
    assert "veth040" not in caught.value.msg


def test_validate_known_interfaces_forty_is_not_truncated():
    known = {"veth%03d" % i for i in range(40)}

    with pytest.raises(InvalidInput) as caught:
        validate_known_interfaces("include", ["eno1"], known)

    assert caught.value.msg.endswith("veth039")
