# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_netstate's pure parts: raw netlink attribute decoding, link assembly, small parsers, the dataclasses."""

from __future__ import annotations

import errno
import json
import socket
import struct

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._errors import ReadError
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.docker import is_docker_bridge_name, read_docker
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.host import assemble_links, parse_systemd_version
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import (
    BondInfo,
    DefaultRoute,
    FileProblem,
    HostState,
    Link,
)
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.netlink import (
    _attrs,
    _route_message,
    decode_link,
    decode_route,
    default_routes,
)
from hostnet_builders import link, unit

# --------------------------------------------------------------------------------------------------------
# Hand-built RTM_NEWLINK messages (linux/if_link.h numbering, written out here on purpose)

NLA_F_NESTED = 0x8000
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER = 1, 3, 4, 10
IFLA_OPERSTATE, IFLA_LINKINFO, IFLA_AF_SPEC, IFLA_PROMISCUITY = 16, 18, 26, 30
IFLA_PERM_ADDRESS, IFLA_PARENT_DEV_NAME = 54, 56
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
IFLA_BOND_MODE, IFLA_BOND_ACTIVE_SLAVE = 1, 2
IFLA_BOND_SLAVE_STATE, IFLA_BOND_SLAVE_MII_STATUS, IFLA_BOND_SLAVE_PERM_HWADDR = 1, 2, 4
AF_INET, AF_INET6 = 2, 10
IFLA_INET_CONF, IFLA_INET6_FLAGS, IFLA_INET6_CONF = 1, 1, 2
IFF_UP, IFF_BROADCAST, IFF_PROMISC, IFF_MULTICAST = 0x1, 0x2, 0x100, 0x1000
ARPHRD_ETHER, ARPHRD_LOOPBACK = 1, 772
HEADER_LEN = 32  # nlmsghdr (16) + ifinfomsg (16); decode_link must start at raw_span, not at 0


def nla(nla_type, payload, flags=0):
    length = 4 + len(payload)
    return struct.pack("=HH", length, nla_type | flags) + payload + b"\0" * (-length % 4)


def nest(nla_type, *children):
    return nla(nla_type, b"".join(children), NLA_F_NESTED)


def u8(value):
    return struct.pack("=B", value)


def u32(value):
    return struct.pack("=I", value)


def asciz(text):
    return text.encode() + b"\0"


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def devconf(forwarding, entries=8):
    """A devconf array (IFLA_INET_CONF / IFLA_INET6_CONF): forwarding is entry 0."""
    return b"".join(u32(v) for v in [forwarding] + [7] * (entries - 1))


class RawLinkMessage:
    """What _RawLinkMessage looks like to decode_link: the buffer, the attribute span and three header fields."""

    def __init__(self, *attributes, index, flags=IFF_UP | IFF_BROADCAST | IFF_MULTICAST, ifi_type=ARPHRD_ETHER,
                 trailer=b""):
        self.data = bytearray(b"\xee" * HEADER_LEN + b"".join(attributes) + trailer)
        self.raw_span = (HEADER_LEN, HEADER_LEN + sum(len(a) for a in attributes))
        self._header = {"index": index, "flags": flags, "ifi_type": ifi_type}

    def __getitem__(self, key):
        return self._header[key]


def physical_port_message():
    return RawLinkMessage(
        nla(IFLA_IFNAME, asciz("eno1")),
        nla(IFLA_MTU, u32(9000)),
        nla(IFLA_ADDRESS, mac("52:54:00:AB:cd:01")),
        nla(IFLA_PERM_ADDRESS, mac("52:54:00:ab:cd:ff")),
        nla(IFLA_MASTER, u32(9)),
        nla(IFLA_OPERSTATE, u8(6)),
        nla(IFLA_PROMISCUITY, u32(2)),
        nla(IFLA_PARENT_DEV_NAME, asciz("0000:01:00.0")),
        nest(IFLA_AF_SPEC,
             nest(AF_INET, nla(IFLA_INET_CONF, devconf(1))),
             nest(AF_INET6, nla(IFLA_INET6_FLAGS, u32(0x80000000)), nla(IFLA_INET6_CONF, devconf(0)))),
        index=3,
        flags=IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_PROMISC,
        trailer=nla(IFLA_IFNAME, asciz("outside-span")),
    )


# --------------------------------------------------------------------------------------------------------
# _attrs


def test_attrs_indexes_value_spans_and_masks_flags():
    data = nla(IFLA_IFNAME, asciz("br0")) + nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, asciz("bridge")))

    found = _attrs(data, 0, len(data))

    assert sorted(found) == [IFLA_IFNAME, IFLA_LINKINFO]
    start, end = found[IFLA_IFNAME]
    assert bytes(data[start:end]) == b"br0\0"
    start, end = found[IFLA_LINKINFO]
    assert bytes(data[start:end]) == nla(IFLA_INFO_KIND, asciz("bridge"))


def test_attrs_skips_padding_between_attributes():
    data = nla(IFLA_OPERSTATE, u8(6)) + nla(IFLA_MTU, u32(1500))  # 5-byte attribute padded to 8

    found = _attrs(data, 0, len(data))

    assert found[IFLA_OPERSTATE] == (4, 5)
    assert found[IFLA_MTU] == (12, 16)


def test_attrs_stops_at_a_length_below_header_size():
    data = nla(IFLA_MTU, u32(1500)) + struct.pack("=HH", 2, IFLA_IFNAME) + nla(IFLA_MASTER, u32(3))

    assert sorted(_attrs(data, 0, len(data))) == [IFLA_MTU]


def test_attrs_clamps_a_truncated_attribute_to_the_end():
    data = nla(IFLA_IFNAME, asciz("verylongname"))

    assert _attrs(data, 0, 10) == {IFLA_IFNAME: (4, 10)}


def test_attrs_respects_the_start_offset():
    data = b"\xff" * 8 + nla(IFLA_MTU, u32(1500))

    assert _attrs(data, 8, len(data)) == {IFLA_MTU: (12, 16)}


# --------------------------------------------------------------------------------------------------------
# decode_link


def test_decode_physical_port():
    decoded, master_index, active_index = decode_link(physical_port_message())

    assert decoded.name == "eno1"
    assert decoded.ifindex == 3
    assert decoded.kind == "physical"
    assert decoded.mac == "52:54:00:ab:cd:01"
    assert decoded.perm_mac == "52:54:00:ab:cd:ff"
    assert decoded.mtu == 9000
    assert decoded.operstate == "up"
    assert decoded.promiscuity == 2
    assert decoded.promisc_flag is True
    assert decoded.admin_up is True
    assert decoded.forwarding_ipv4 is True
    assert decoded.forwarding_ipv6 is False
    assert decoded.sysfs_promisc is None  # sysfs comes later, in assemble_links
    assert (master_index, active_index) == (9, None)


def test_decode_bond_with_mode_and_active_slave():
    message = RawLinkMessage(
        nla(IFLA_IFNAME, asciz("agg7")),
        nla(IFLA_ADDRESS, mac("5a:00:00:00:00:07")),
        nest(IFLA_LINKINFO,
             nla(IFLA_INFO_KIND, asciz("bond")),
             nest(IFLA_INFO_DATA, nla(IFLA_BOND_MODE, u8(1)), nla(IFLA_BOND_ACTIVE_SLAVE, u32(5)))),
        index=7,
        flags=IFF_BROADCAST,
    )

    decoded, master_index, active_index = decode_link(message)

    assert decoded.kind == "bond"
    assert decoded.bond == BondInfo(mode="active-backup", active_slave=None)  # names come in assemble_links
    assert decoded.admin_up is False
    assert decoded.promisc_flag is False
    assert (master_index, active_index) == (None, 5)


@pytest.mark.parametrize("mode_number, mode", [(0, "balance-rr"), (4, "802.3ad"), (5, "balance-tlb"),
                                               (6, "balance-alb"), (9, "9")])
def test_decode_bond_modes(mode_number, mode):
    message = RawLinkMessage(
        nla(IFLA_IFNAME, asciz("bond0")),
        nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, asciz("bond")),
             nest(IFLA_INFO_DATA, nla(IFLA_BOND_MODE, u8(mode_number)))),
        index=7,
    )

    assert decode_link(message)[0].bond.mode == mode


def test_decode_bond_without_info_data_has_unknown_mode():
    message = RawLinkMessage(nla(IFLA_IFNAME, asciz("bond0")),
                             nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, asciz("bond"))), index=7)

    assert decode_link(message)[0].bond == BondInfo(mode="unknown")


@pytest.mark.parametrize("state_value, state_name", [(0, "active"), (1, "backup")])
def test_decode_bond_slave_state_and_permanent_mac(state_value, state_name):
    message = RawLinkMessage(
        nla(IFLA_IFNAME, asciz("lan0")),
        nla(IFLA_ADDRESS, mac("5a:00:00:00:00:07")),  # a bond slave wears the bond's MAC
        nla(IFLA_MASTER, u32(7)),
        nest(IFLA_LINKINFO,
             nla(IFLA_INFO_SLAVE_KIND, asciz("bond")),
             nest(IFLA_INFO_SLAVE_DATA,
                  nla(IFLA_BOND_SLAVE_STATE, u8(state_value)),
                  nla(IFLA_BOND_SLAVE_MII_STATUS, u8(0)),
                  nla(IFLA_BOND_SLAVE_PERM_HWADDR, mac("52:54:00:00:00:01")))),
        index=5,
    )

    decoded, master_index, _active = decode_link(message)

    assert decoded.slave_kind == "bond"
    assert decoded.slave_state == state_name
    assert decoded.mac == "5a:00:00:00:00:07"
    assert decoded.perm_mac == "52:54:00:00:00:01"
    assert decoded.kind == "unknown"  # no IFLA_INFO_KIND and no parent device in this message
    assert master_index == 7


def test_decode_bond_slave_keeps_ifla_perm_address_over_slave_data():
    message = RawLinkMessage(
        nla(IFLA_IFNAME, asciz("lan0")),
        nla(IFLA_PERM_ADDRESS, mac("52:54:00:00:00:aa")),
        nest(IFLA_LINKINFO, nla(IFLA_INFO_SLAVE_KIND, asciz("bond")),
             nest(IFLA_INFO_SLAVE_DATA, nla(IFLA_BOND_SLAVE_PERM_HWADDR, mac("52:54:00:00:00:01")))),
        index=5,
    )

    assert decode_link(message)[0].perm_mac == "52:54:00:00:00:aa"


def test_decode_bridge_port_slave_data_is_not_read_as_bond_slave():
    message = RawLinkMessage(
        nla(IFLA_IFNAME, asciz("ctr-a")),
        nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, asciz("veth")), nla(IFLA_INFO_SLAVE_KIND, asciz("bridge")),
             nest(IFLA_INFO_SLAVE_DATA, nla(1, u8(3)))),
        index=12,
    )

    decoded = decode_link(message)[0]

    assert (decoded.kind, decoded.slave_kind, decoded.slave_state) == ("veth", "bridge", None)


def test_decode_loopback_by_arp_type():
    message = RawLinkMessage(nla(IFLA_IFNAME, asciz("lo")), index=1, ifi_type=ARPHRD_LOOPBACK)

    assert decode_link(message)[0].kind == "loopback"


def test_decode_without_name_uses_ifindex():
    decoded = decode_link(RawLinkMessage(nla(IFLA_MTU, u32(1500)), index=42))[0]

    assert decoded.name == "if42"
    assert decoded.kind == "unknown"


def test_decode_short_devconf_gives_unknown_forwarding():
    message = RawLinkMessage(
        nla(IFLA_IFNAME, asciz("eno1")),
        nest(IFLA_AF_SPEC, nest(AF_INET, nla(IFLA_INET_CONF, b"\x01\x00"))),
        index=3,
    )

    decoded = decode_link(message)[0]

    assert decoded.forwarding_ipv4 is None
    assert decoded.forwarding_ipv6 is None


def test_decode_agrees_with_pyroute2_encoder():
    # the same attributes encoded by pyroute2's own NLA map (no NLA_F_NESTED), so our numbering must agree
    ifinfmsg = pytest.importorskip("pyroute2.netlink.rtnl.ifinfmsg").ifinfmsg
    message = ifinfmsg()
    message["index"], message["flags"], message["ifi_type"] = 7, IFF_UP, ARPHRD_ETHER
    message["attrs"] = [
        ("IFLA_IFNAME", "agg7"),
        ("IFLA_ADDRESS", "02:00:00:00:00:07"),
        ("IFLA_PROMISCUITY", 1),
        ("IFLA_MTU", 1500),
        ("IFLA_MASTER", 3),
        ("IFLA_OPERSTATE", "UP"),
        ("IFLA_LINKINFO", {"attrs": [
            ("IFLA_INFO_KIND", "bond"),
            ("IFLA_INFO_DATA", {"attrs": [("IFLA_BOND_MODE", 4), ("IFLA_BOND_ACTIVE_SLAVE", 5)]}),
        ]}),
    ]
    message.encode()

    class Encoded:
        data = message.data
        raw_span = (HEADER_LEN, len(message.data))

        def __getitem__(self, key):
            return message[key]

    decoded, master_index, active_index = decode_link(Encoded())

    assert (decoded.name, decoded.ifindex, decoded.kind, decoded.mac) == ("agg7", 7, "bond", "02:00:00:00:00:07")
    assert (decoded.promiscuity, decoded.mtu, decoded.operstate) == (1, 1500, "up")
    assert decoded.bond.mode == "802.3ad"
    assert (master_index, active_index) == (3, 5)


# --------------------------------------------------------------------------------------------------------
# assemble_links


def dumped():
    """What dump_netlink returns for br0 <- bond0 <- (eno1, eno2), plus a lone veth."""
    by_index = {
        1: Link(name="bond0", ifindex=1, kind="bond", bond=BondInfo(mode="active-backup")),
        2: Link(name="eno2", ifindex=2, kind="physical"),
        3: Link(name="eno1", ifindex=3, kind="physical"),
        4: Link(name="br0", ifindex=4, kind="bridge"),
        5: Link(name="ctr-a", ifindex=5, kind="veth"),
    }
    masters = {2: 1, 3: 1, 1: 4, 5: 4}
    active = {1: 2}
    return by_index, masters, active


def sysfs(values=None, missing=(), error=None):
    values = values or {}

    def reader(name):
        if name in missing:
            raise OSError(error or errno.ENOENT, "No such file or directory")
        return values.get(name, (1, 0x1003))

    return reader


def test_assemble_resolves_masters_ports_and_active_slave_to_names():
    links, vanished = assemble_links(*dumped(), sysfs())

    assert vanished == []
    assert links["eno1"].master == "bond0" and links["eno2"].master == "bond0"
    assert links["bond0"].ports == ["eno1", "eno2"]  # sorted by name, not ifindex
    assert links["bond0"].master == "br0"
    assert links["br0"].ports == ["bond0", "ctr-a"]
    assert links["bond0"].bond.active_slave == "eno2"
    assert links["br0"].master is None


def test_assemble_adds_sysfs_assign_type_and_promisc():
    links, _vanished = assemble_links(*dumped(), sysfs({"eno1": (0, 0x1103), "br0": (3, 0x1003)}))

    assert (links["eno1"].addr_assign_type, links["eno1"].sysfs_promisc) == (0, True)
    assert links["eno1"].effective_promisc is True
    assert (links["br0"].addr_assign_type, links["br0"].sysfs_promisc) == (3, False)
    assert links["br0"].mac_is_set is True


def test_assemble_unknown_assign_type_becomes_none():
    links, _vanished = assemble_links(*dumped(), sysfs({"eno1": (-1, 0)}))

    assert links["eno1"].addr_assign_type is None


def test_assemble_unparsable_sysfs_leaves_values_unknown():
    def reader(name):
        if name == "eno1":
            raise ValueError("invalid literal for int() with base 16: b'zz'")
        return 1, 0x1003

    links, vanished = assemble_links(*dumped(), reader)

    assert vanished == []
    assert links["eno1"].addr_assign_type is None
    assert links["eno1"].sysfs_promisc is None


@pytest.mark.parametrize("gone_errno", [errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EINVAL])
def test_assemble_drops_a_link_that_vanished(gone_errno):
    links, vanished = assemble_links(*dumped(), sysfs(missing={"eno1"}, error=gone_errno))

    assert vanished == ["eno1"]
    assert "eno1" not in links
    assert links["bond0"].ports == ["eno2"]
    assert links["bond0"].bond.active_slave == "eno2"


def test_assemble_vanished_active_slave_leaves_no_active_slave():
    links, vanished = assemble_links(*dumped(), sysfs(missing={"eno2"}))

    assert vanished == ["eno2"]
    assert links["bond0"].ports == ["eno1"]
    assert links["bond0"].bond.active_slave is None


def test_assemble_vanished_master_leaves_ports_without_master():
    links, vanished = assemble_links(*dumped(), sysfs(missing={"br0"}))

    assert vanished == ["br0"]
    assert links["bond0"].master is None
    assert links["ctr-a"].master is None


def test_assemble_other_sysfs_errors_are_read_errors():
    with pytest.raises(ReadError) as caught:
        assemble_links(*dumped(), sysfs(missing={"eno1"}, error=errno.EACCES))

    assert caught.value.details == {"interface": "eno1"}
    assert "eno1" in caught.value.msg


# --------------------------------------------------------------------------------------------------------
# default routes


RTA_OIF, RTA_GATEWAY, RTA_MULTIPATH, RTA_TABLE = 4, 5, 9, 15
RT_TABLE_MAIN, RTN_UNICAST, RTN_UNREACHABLE, RTPROT_BOOT, RT_SCOPE_UNIVERSE = 254, 1, 7, 3, 0
RTM_NEWROUTE, NLM_F_MULTI = 24, 2


def route_message(*attributes, family=AF_INET, dst_len=0, table=RT_TABLE_MAIN, rtype=RTN_UNICAST):
    """A whole RTM_NEWROUTE as the kernel sends it (nlmsghdr, rtmsg, attributes), read by the dump's parser."""
    body = struct.pack("=BBBBBBBBI", family, dst_len, 0, 0, table, RTPROT_BOOT, RT_SCOPE_UNIVERSE, rtype, 0)
    body += b"".join(attributes)
    data = struct.pack("=IHHII", 16 + len(body), RTM_NEWROUTE, NLM_F_MULTI, 3, 0) + body
    return _route_message(data, 16, len(data))


def ipv4(text):
    return socket.inet_pton(socket.AF_INET, text)


def nexthop(ifindex, *attributes):
    payload = b"".join(attributes)
    return struct.pack("=HBBi", 8 + len(payload), 0, 0, ifindex) + payload


def test_default_route_with_gateway():
    message = route_message(nla(RTA_TABLE, u32(254)), nla(RTA_GATEWAY, ipv4("192.0.2.1")), nla(RTA_OIF, u32(3)))

    assert decode_route(message) == {"family": "ipv4", "dst_len": 0, "table": 254,
                                     "nexthops": [(3, "192.0.2.1")]}
    assert default_routes([message]) == [("ipv4", 3, "192.0.2.1")]


def test_ipv6_default_route_gateway():
    gateway = socket.inet_pton(socket.AF_INET6, "fe80::1")
    message = route_message(nla(RTA_GATEWAY, gateway), nla(RTA_OIF, u32(7)), family=AF_INET6)

    assert default_routes([message]) == [("ipv6", 7, "fe80::1")]


def test_on_link_default_route_has_no_gateway():
    assert default_routes([route_message(nla(RTA_OIF, u32(3)))]) == [("ipv4", 3, None)]


def test_gateway_of_the_wrong_length_is_not_decoded():
    message = route_message(nla(RTA_GATEWAY, b"\xc0\x00\x02"), nla(RTA_OIF, u32(3)))
    assert default_routes([message]) == [("ipv4", 3, None)]


def test_non_default_route_is_ignored():
    message = route_message(nla(RTA_GATEWAY, ipv4("192.0.2.1")), nla(RTA_OIF, u32(3)), dst_len=24)
    assert decode_route(message)["dst_len"] == 24
    assert default_routes([message]) == []


def test_default_route_outside_main_table_is_ignored():
    assert default_routes([route_message(nla(RTA_OIF, u32(3)), nla(RTA_TABLE, u32(100)))]) == []
    assert default_routes([route_message(nla(RTA_OIF, u32(3)), table=255)]) == []


def test_rta_table_overrides_header_table():
    # Tables above 255 exist only in RTA_TABLE; the header then says RT_TABLE_COMPAT (252).
    assert default_routes([route_message(nla(RTA_OIF, u32(3)), nla(RTA_TABLE, u32(254)), table=252)]) == [
        ("ipv4", 3, None)]
    assert default_routes([route_message(nla(RTA_OIF, u32(3)), nla(RTA_TABLE, u32(1000)), table=252)]) == []


def test_a_default_route_without_interface_gives_nothing():
    assert default_routes([route_message(nla(RTA_TABLE, u32(254)), rtype=RTN_UNREACHABLE)]) == []


def test_other_families_are_not_routes():
    assert decode_route(route_message(nla(RTA_OIF, u32(3)), family=7)) is None


def test_multipath_default_route_gives_every_nexthop_with_its_gateway():
    hops = nexthop(3, nla(RTA_GATEWAY, ipv4("192.0.2.1"))) + nexthop(8, nla(RTA_GATEWAY, ipv4("198.51.100.1")))
    message = route_message(nla(RTA_TABLE, u32(254)), nla(RTA_MULTIPATH, hops))

    assert default_routes([message]) == [("ipv4", 3, "192.0.2.1"), ("ipv4", 8, "198.51.100.1")]


def test_repeated_default_routes_are_listed_once():
    message = route_message(nla(RTA_GATEWAY, ipv4("192.0.2.1")), nla(RTA_OIF, u32(3)))
    other = route_message(nla(RTA_GATEWAY, ipv4("192.0.2.254")), nla(RTA_OIF, u32(3)))
    assert default_routes([message, message, other]) == [("ipv4", 3, "192.0.2.1"), ("ipv4", 3, "192.0.2.254")]


def test_host_state_gateways_through_named_interfaces():
    state = HostState(links={}, default_routes=[
        DefaultRoute("ipv4", "br0", "192.0.2.1"), DefaultRoute("ipv4", "eth9", "198.51.100.1"),
        DefaultRoute("ipv4", "team0", None), DefaultRoute("ipv6", "br0", "fe80::1"),
        DefaultRoute("ipv4", "br0", "192.0.2.1")])

    assert state.default_gateways({"team0", "br0"}) == ["192.0.2.1"]
    assert state.default_gateways({"br0"}, family="ipv6") == ["fe80::1"]
    assert state.default_gateways({"eth0"}) == []
    assert state.to_dict()["default_routes"][0] == {"family": "ipv4", "interface": "br0", "gateway": "192.0.2.1"}


# --------------------------------------------------------------------------------------------------------
# small parsers and Docker bridge names


@pytest.mark.parametrize("text, version", [
    ("systemd 257 (257.9-1~deb13u1)", 257),
    ("systemd 252 (252.30-1~deb12u2)\n+PAM +AUDIT +SELINUX\n", 252),
    ("systemd 255 (255.4-1ubuntu8)", 255),
    ("", None),
    (None, None),
    ("networkctl: command not found", None),
])
def test_parse_systemd_version(text, version):
    assert parse_systemd_version(text) == version


@pytest.mark.parametrize("name, configured, expected", [
    ("docker0", None, True),
    ("br-0123456789ab", None, True),
    ("br-0123456789AB", None, False),
    ("br-0123456789a", None, False),
    ("br-0123456789abc", None, False),
    ("br-lan", None, False),
    ("brx", "brx", True),
    ("brx", None, False),
    ("docker1", "brx", False),
])
def test_is_docker_bridge_name(name, configured, expected):
    assert is_docker_bridge_name(name, configured) is expected


def bridges_and_ports():
    return {
        "docker0": link("docker0", "bridge"),
        "br-0123456789ab": link("br-0123456789ab", "bridge"),
        "brx": link("brx", "bridge"),
        "br-lan": link("br-lan", "bridge"),
        "veth-docker0": link("veth-docker0", "veth"),
    }


def test_read_docker_uses_daemon_json_bridge(tmp_path):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text(json.dumps({"bridge": "brx", "log-driver": "journald"}))
    problems = []

    docker = read_docker(bridges_and_ports(), problems, daemon_json=str(daemon_json), sockets=())

    assert problems == []
    assert docker.present is True
    assert docker.daemon_json == str(daemon_json)
    assert docker.configured_bridge == "brx"
    assert docker.bridges == ["br-0123456789ab", "brx", "docker0"]


@pytest.mark.parametrize("config", [{"bridge": "none"}, {"bridge": ""}, {"bridge": 5}, {}])
def test_read_docker_ignores_unusable_bridge_values(tmp_path, config):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text(json.dumps(config))

    docker = read_docker(bridges_and_ports(), [], daemon_json=str(daemon_json), sockets=())

    assert docker.configured_bridge is None
    assert docker.bridges == ["br-0123456789ab", "docker0"]


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_read_docker_reports_bad_daemon_json(tmp_path, text):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text(text)
    problems = []

    docker = read_docker(bridges_and_ports(), problems, daemon_json=str(daemon_json), sockets=())

    assert [p.path for p in problems] == [str(daemon_json)]
    assert problems[0].error.startswith("not valid JSON: ")
    assert docker.present is True  # the file exists: this is a Docker host


def test_read_docker_empty_daemon_json_is_fine(tmp_path):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text("  \n")
    problems = []

    read_docker(bridges_and_ports(), problems, daemon_json=str(daemon_json), sockets=())

    assert problems == []


# --------------------------------------------------------------------------------------------------------
# the dataclasses


def test_link_to_dict_adds_effective_promisc_and_assign_type_name():
    data = link("eno1", "physical", promiscuity=1, addr_assign_type=3).to_dict()

    assert data["effective_promisc"] is True
    assert data["addr_assign_type_name"] == "set"
    assert data["name"] == "eno1"


def test_unit_file_entries_keep_path_and_line_in_override_order():
    dropin = "/etc/systemd/network/10-a.network.d/x.conf"
    network = unit("/etc/systemd/network/10-a.network", "[Network]\nIPForward=no\n",
                   dropins=[(dropin, "\n[Network]\nIPForward=yes\n")])

    assert [e for e in network.entries if e[:2] == ("Network", "IPForward")] == [
        ("Network", "IPForward", "no", "/etc/systemd/network/10-a.network", 2),
        ("Network", "IPForward", "yes", dropin, 3),
    ]
    assert network.dropins == [dropin]


def test_host_state_lags_bridges_and_to_dict():
    host = HostState(
        links={
            "br0": link("br0", "bridge"),
            "agg7": link("agg7", "bond", bond=BondInfo("802.3ad")),
            "t0": link("t0", "team"),
            "lan0": link("lan0", "physical"),
        },
        file_problems=[FileProblem("/etc/docker/daemon.json", "Permission denied")],
    )

    assert sorted(lag.name for lag in host.lags()) == ["agg7", "t0"]
    assert [b.name for b in host.bridges()] == ["br0"]
    data = host.to_dict()
    assert list(data["links"]) == ["agg7", "br0", "lan0", "t0"]
    assert data["file_problems"] == [{"path": "/etc/docker/daemon.json", "error": "Permission denied", "audited": False}]
    assert data["networkd"]["installed"] is False
    json.dumps(data)  # the module returns it as JSON


# --------------------------------------------------------------------------------------------------------
# the rtnetlink transport (no library): multipart answers, interrupted dumps, errors

class _FakeNetlinkSocket:
    """Answers each request with the datagrams given for it (what recv() returns from the kernel)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = []
        self.pending = []

    def send(self, data):
        self.sent.append(data)
        self.pending = list(self.answers.pop(0))

    def recv(self, _size):
        return self.pending.pop(0)


def _nlmsg(kind, seq, body=b"", flags=0):
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def _ifinfo(index, name):
    name_attr = name.encode() + b"\0"
    attr = struct.pack("=HH", 4 + len(name_attr), 3) + name_attr + b"\0" * (-len(name_attr) % 4)
    return struct.pack("=BxHiII", 0, 1, index, 0x1003, 0) + attr


def test_a_dump_reads_every_datagram_until_done():
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import netlink

    sock = _FakeNetlinkSocket([[_nlmsg(16, 7, _ifinfo(1, "lo")) + _nlmsg(16, 7, _ifinfo(2, "eth0")),
                                _nlmsg(16, 7, _ifinfo(3, "br0")) + _nlmsg(3, 7, b"\0\0\0\0")]])
    messages = netlink._request_dump(sock, 7, 18, b"\0" * 16, netlink._link_message)
    assert [decode_link(m)[0].name for m in messages] == ["lo", "eth0", "br0"]
    assert [m["index"] for m in messages] == [1, 2, 3]
    length, kind, flags, seq, _pid = struct.unpack_from("=IHHII", sock.sent[0])
    assert (length, kind, flags, seq) == (32, 18, 0x301, 7)


def test_an_interrupted_dump_is_retried_and_an_error_names_the_errno():
    from ansible_collections.hostnet.dockerhost.plugins.module_utils._read import netlink

    interrupted = [_nlmsg(16, 1, _ifinfo(1, "lo"), flags=0x10) + _nlmsg(3, 1, b"\0\0\0\0", flags=0x10)]
    clean = [_nlmsg(16, 17, _ifinfo(1, "lo")) + _nlmsg(3, 17, b"\0\0\0\0")]
    sock = _FakeNetlinkSocket([interrupted, clean])
    messages = netlink._dump(sock, 1, "link", 18, b"\0" * 16, netlink._link_message)
    assert [m["index"] for m in messages] == [1] and len(sock.sent) == 2

    # links that never hold still: every retry interrupted; the last answer is used and the dump named
    always = [[_nlmsg(16, 1 + 16 * n, _ifinfo(1, "lo"), flags=0x10) + _nlmsg(16, 1 + 16 * n, _ifinfo(n + 2, "v%d" % n), flags=0x10)
               + _nlmsg(3, 1 + 16 * n, b"\0\0\0\0", flags=0x10)] for n in range(netlink.DUMP_ATTEMPTS)]
    sock, interrupted = _FakeNetlinkSocket(always), []
    messages = netlink._dump(sock, 1, "link", 18, b"\0" * 16, netlink._link_message, interrupted)
    assert [m["index"] for m in messages] == [1, netlink.DUMP_ATTEMPTS + 1]
    assert len(sock.sent) == netlink.DUMP_ATTEMPTS and interrupted == ["link"]

    refused = [_nlmsg(2, 1, struct.pack("=i", -1) + b"\0" * 16)]
    with pytest.raises(ReadError, match="netlink link dump failed: Operation not permitted"):
        netlink._dump(_FakeNetlinkSocket([refused]), 1, "link", 18, b"\0" * 16, netlink._link_message)
