# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_networkd: unit-file syntax, booleans, which forwarding key works on which systemd, [Match] Name=."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import (
    forwarding_key_for,
    honoured_forwarding_keys,
    ignored_forwarding_keys,
    legacy_forwarding_families,
    match_name_patterns,
    matched_names,
    network_file_matches_name,
    parse_boolean,
    parse_unit_text,
)

# --------------------------------------------------------------------------------------------------------
# parse_unit_text


def test_sections_keys_and_line_numbers():
    text = "[Match]\nName=eno1\n\n[Network]\nDHCP=yes\nIPv4Forwarding=yes\n"

    assert parse_unit_text(text) == [
        ("Match", "Name", "eno1", 2),
        ("Network", "DHCP", "yes", 5),
        ("Network", "IPv4Forwarding", "yes", 6),
    ]


def test_comments_and_blank_lines_are_skipped_but_counted():
    text = "# hash comment\n; semicolon comment\n\n   # indented comment\n[Network]\n\t\nIPForward=yes\n"

    assert parse_unit_text(text) == [("Network", "IPForward", "yes", 7)]


def test_comment_marker_inside_a_value_is_part_of_the_value():
    assert parse_unit_text("[Network]\nDescription=uplink # not a comment\n") == [
        ("Network", "Description", "uplink # not a comment", 2)
    ]


def test_whitespace_around_equals_is_stripped():
    assert parse_unit_text("[Network]\n  IPv4Forwarding  =  yes  \n") == [("Network", "IPv4Forwarding", "yes", 2)]


def test_only_the_first_equals_splits():
    assert parse_unit_text("[Match]\nProperty=ID_BUS=pci\n") == [("Match", "Property", "ID_BUS=pci", 2)]


def test_empty_value_is_kept():
    assert parse_unit_text("[Match]\nName=\n") == [("Match", "Name", "", 2)]


def test_backslash_continuation_joins_lines_with_a_space_at_the_first_line_number():
    text = "[Match]\nName=eno1 \\\n     eno2\\\n  eno3\nDriver=ixgbe\n"

    assert parse_unit_text(text) == [
        ("Match", "Name", "eno1 eno2 eno3", 2),
        ("Match", "Driver", "ixgbe", 5),
    ]


def test_comment_lines_inside_a_continuation_are_skipped():
    text = "[Match]\nName=eno1 \\\n# eno9 \\\neno2\n"

    assert parse_unit_text(text) == [("Match", "Name", "eno1 eno2", 2)]


def test_continuation_open_at_end_of_file_is_kept():
    assert parse_unit_text("[Network]\nIPForward=yes\\") == [("Network", "IPForward", "yes", 2)]


def test_key_before_any_section_has_section_none():
    assert parse_unit_text("IPForward=yes\n[Network]\n") == [(None, "IPForward", "yes", 1)]


def test_line_without_equals_has_key_none():
    assert parse_unit_text("[Network]\nthis is garbage\n") == [("Network", None, "this is garbage", 2)]


def test_section_name_whitespace_is_stripped():
    assert parse_unit_text("[ Network ]\nDHCP=yes\n") == [("Network", "DHCP", "yes", 2)]


def test_crlf_line_endings():
    assert parse_unit_text("[Network]\r\nIPForward=yes\r\n") == [("Network", "IPForward", "yes", 2)]


# --------------------------------------------------------------------------------------------------------
# parse_boolean


@pytest.mark.parametrize("value", ["1", "yes", "y", "true", "t", "on", "YES", " On ", "True"])
def test_parse_boolean_true(value):
    assert parse_boolean(value) is True


@pytest.mark.parametrize("value", ["0", "no", "n", "false", "f", "off", "NO", " Off "])
def test_parse_boolean_false(value):
    assert parse_boolean(value) is False


@pytest.mark.parametrize("value", ["ipv4", "ipv6", "kernel", "", None, "2", "yess"])
def test_parse_boolean_other(value):
    assert parse_boolean(value) is None


# --------------------------------------------------------------------------------------------------------
# which key works where


@pytest.mark.parametrize("version", [252, 255])
def test_before_256_ipforward_is_honoured_and_family_keys_ignored(version):
    assert honoured_forwarding_keys(version) == ("IPForward",)
    assert ignored_forwarding_keys(version) == ("IPv4Forwarding", "IPv6Forwarding")
    assert forwarding_key_for(version) == "IPForward"
    assert forwarding_key_for(version, "ipv6") == "IPForward"


@pytest.mark.parametrize("version", [256, 257])
def test_from_256_family_keys_are_honoured_and_ipforward_ignored(version):
    assert honoured_forwarding_keys(version) == ("IPv4Forwarding", "IPv6Forwarding")
    assert ignored_forwarding_keys(version) == ("IPForward",)
    assert forwarding_key_for(version) == "IPv4Forwarding"
    assert forwarding_key_for(version, "ipv4") == "IPv4Forwarding"
    assert forwarding_key_for(version, "ipv6") == "IPv6Forwarding"


def test_unknown_version_honours_and_ignores_nothing_and_writes_legacy_key():
    assert honoured_forwarding_keys(None) == ()
    assert ignored_forwarding_keys(None) == ()
    assert forwarding_key_for(None) == "IPForward"


@pytest.mark.parametrize("value, families", [
    ("yes", {"ipv4", "ipv6"}),
    ("true", {"ipv4", "ipv6"}),
    ("1", {"ipv4", "ipv6"}),
    ("no", set()),
    ("off", set()),
    ("ipv4", {"ipv4"}),
    ("IPv6", {"ipv6"}),
    ("kernel", set()),
    ("", set()),
    (None, set()),
])
def test_legacy_forwarding_families(value, families):
    assert legacy_forwarding_families(value) == families


# --------------------------------------------------------------------------------------------------------
# [Match] Name=


def matches(text, name):
    return network_file_matches_name(parse_unit_text(text), name)


def test_name_glob_matches():
    text = "[Match]\nName=en* br-????\n"

    assert matches(text, "eno1")
    assert matches(text, "br-abcd")
    assert not matches(text, "br-abcde")
    assert not matches(text, "wlan0")


def test_name_glob_character_class():
    assert matches("[Match]\nName=eth[0-3]\n", "eth2")
    assert not matches("[Match]\nName=eth[0-3]\n", "eth4")


def test_name_match_is_case_sensitive():
    assert not matches("[Match]\nName=ENO1\n", "eno1")


def test_multiple_name_lines_add_up():
    text = "[Match]\nName=eno1\nName=eno2\n"

    assert matches(text, "eno1")
    assert matches(text, "eno2")
    assert not matches(text, "eno3")


def test_empty_name_resets_earlier_patterns():
    text = "[Match]\nName=eno1\nName=\nName=eno2\n"

    assert not matches(text, "eno1")
    assert matches(text, "eno2")


def test_empty_name_at_the_end_leaves_no_name_match():
    assert not matches("[Match]\nName=eno1\nName=\n", "eno1")


def test_negated_name_matches_everything_else():
    text = "[Match]\nName=!veth*\n"

    assert matches(text, "eno1")
    assert not matches(text, "veth12")


def test_negation_applies_to_the_whole_line():
    # systemd.network(5): "If the list is prefixed with a "!", the test is inverted" - every word on the line
    text = "[Match]\nName=!veth* docker0\n"

    assert not matches(text, "veth12")
    assert not matches(text, "docker0")
    assert matches(text, "eno1")


def test_positive_and_negated_lines_must_both_hold():
    # systemd net_condition_test_strv(): a negated pattern that matches rejects; if any positive pattern
    # exists, one of them must match
    text = "[Match]\nName=en*\nName=!eno2\n"

    assert matches(text, "eno1")
    assert not matches(text, "eno2")
    assert not matches(text, "wlan0")


def test_name_outside_match_section_does_not_count():
    assert not matches("[Network]\nName=eno1\n", "eno1")


def test_file_without_name_does_not_match_by_name():
    assert not matches("[Match]\nDriver=ixgbe\n", "eno1")


# --------------------------------------------------------------------------------------------------------
# [Match] Name=: one reader for the backend's "which .network" and team_to_bond's "the ports' own files"


def test_match_name_patterns_follow_resets_negation_and_continuations():
    text = "[Match]\nName=old*\nName=\nName=eno0 \\\n  eno1\nName=!eno9\n[Network]\nName=ignored\n"

    assert match_name_patterns(parse_unit_text(text)) == [(False, "eno0"), (False, "eno1"), (True, "eno9")]


def test_matched_names_only_for_a_plain_list_of_names():
    assert matched_names(parse_unit_text("[Match]\nName=eno0 eno1\n")) == ["eno0", "eno1"]
    assert matched_names(parse_unit_text("[Match]\nName=eno*\n")) == []
    assert matched_names(parse_unit_text("[Match]\nName=!eno0\n")) == []
    assert matched_names(parse_unit_text("[Match]\nMACAddress=02:00:00:00:00:01\n")) == []
    # a commented line is not a match (the old team_to_bond reader agreed; a reset did not exist there)
    assert matched_names(parse_unit_text("[Match]\n#Name=eno0\nName=eno1\n")) == ["eno1"]
    assert matched_names(parse_unit_text("[Match]\nName=eno0\nName=\nName=eno1\n")) == ["eno1"]
