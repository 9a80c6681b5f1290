# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""networkd_findings: forwarding keys that this systemd ignores, and forwarding forced off."""

from __future__ import annotations

import re

import pytest

from ansible_collections.hostnet.dockerhost.plugins.module_utils._audit.findings import networkd_findings
from ansible_collections.hostnet.dockerhost.plugins.module_utils._read.model import NetworkdState
from ansible_collections.hostnet.dockerhost.plugins.module_utils._syntax.networkd import parse_boolean
from hostnet_builders import bridge, docker, link, networkd, state, unit

NETWORK = "/etc/systemd/network/20-uplink.network"
CONF = "/etc/systemd/networkd.conf"


def network_file(*network_lines, path=NETWORK, name="eno1", dropins=()):
    text = "# uplink\n[Match]\nName=%s\n\n[Network]\n%s\n" % (name, "\n".join(network_lines))
    return unit(path, text, dropins=dropins)


def conf_file(*network_lines, path=CONF, dropins=()):
    return unit(path, "[Network]\n%s\n" % "\n".join(network_lines), dropins=dropins)


def host_with(version, *units, conf=(), link_network_file=None, links=None, **kw):
    links = links or [link("eno1", "physical")]
    if link_network_file is None:
        link_network_file = {"eno1": NETWORK}
    return state(*links, networkd=networkd(version, units, conf, link_network_file), **kw)


def summary(findings):
    return [(f.id, f.severity, f.current["key"]) for f in findings]


def test_257_only_legacy_ipforward_is_an_error():
    findings = networkd_findings(host_with(257, network_file("Address=192.0.2.1/24", "IPForward=yes")))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "error", "IPForward")]
    finding = findings[0]
    assert finding.interface == "eno1"
    assert finding.current["file"] == NETWORK
    assert finding.current["line"] == 7
    assert finding.current["value"] == "yes"
    assert finding.current["systemd_version"] == 257
    assert finding.current["applies_to"] == ["eno1"]
    assert finding.expected == {"keys": ["IPv4Forwarding", "IPv6Forwarding"]}
    assert "IPv4Forwarding=yes and IPv6Forwarding=yes" in finding.remediation


def test_257_legacy_ipforward_next_to_honoured_key_is_a_warning():
    findings = networkd_findings(host_with(257, network_file("IPForward=yes", "IPv4Forwarding=yes")))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "warning", "IPForward")]


def test_257_legacy_ipforward_no_is_a_warning():
    findings = networkd_findings(host_with(257, network_file("IPForward=no")))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "warning", "IPForward")]


def test_256_is_the_first_version_that_ignores_ipforward():
    findings = networkd_findings(host_with(256, network_file("IPForward=yes")))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "error", "IPForward")]


def test_257_per_family_key_yes_gives_nothing():
    assert networkd_findings(host_with(257, network_file("IPv4Forwarding=yes", "IPv6Forwarding=yes"))) == []


@pytest.mark.parametrize("version", [252, 255])
def test_pre_256_per_family_key_is_an_error(version):
    findings = networkd_findings(host_with(version, network_file("IPv4Forwarding=yes")))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "error", "IPv4Forwarding")]
    assert findings[0].expected == {"keys": ["IPForward"]}
    assert findings[0].current["systemd_version"] == version


def test_252_ipforward_yes_gives_nothing():
    assert networkd_findings(host_with(252, network_file("IPForward=yes"))) == []


def test_257_networkd_conf_forwarding_no_is_forced_off_error():
    findings = networkd_findings(host_with(257, conf=[conf_file("IPv4Forwarding=no")]))

    assert summary(findings) == [("networkd_forwarding_forced_off", "error", "IPv4Forwarding")]
    assert findings[0].interface is None
    assert findings[0].current["file"] == CONF
    assert findings[0].current["line"] == 2


def test_257_networkd_conf_ipv6_forwarding_no_is_forced_off_error():
    findings = networkd_findings(host_with(257, conf=[conf_file("IPv6Forwarding=false")]))

    assert summary(findings) == [("networkd_forwarding_forced_off", "error", "IPv6Forwarding")]


def test_257_networkd_conf_forwarding_yes_gives_nothing():
    assert networkd_findings(host_with(257, conf=[conf_file("IPv4Forwarding=yes")])) == []


def test_252_networkd_conf_forwarding_no_gives_nothing():
    assert networkd_findings(host_with(252, conf=[conf_file("IPv4Forwarding=no")])) == []


def test_networkd_conf_dropin_is_reported_with_its_own_path_and_line():
    dropin = "/etc/systemd/networkd.conf.d/50-noforward.conf"
    conf = conf_file("SpeedMeter=no", dropins=[(dropin, "# forced\n[Network]\nIPv4Forwarding=0\n")])

    findings = networkd_findings(host_with(257, conf=[conf]))

    assert [(f.current["file"], f.current["line"]) for f in findings] == [(dropin, 3)]


def test_networkd_conf_dropin_override_to_yes_clears_forced_off():
    # systemd applies drop-ins after networkd.conf, so the later IPv4Forwarding=yes wins; the finding's own
    # remediation suggests exactly this override
    dropin = "/etc/systemd/networkd.conf.d/90-forward.conf"
    conf = conf_file("IPv4Forwarding=no", dropins=[(dropin, "[Network]\nIPv4Forwarding=yes\n")])

    assert networkd_findings(host_with(257, conf=[conf])) == []


def test_network_file_forwarding_off_on_container_traffic_interface_is_error():
    host = state(
        bridge("docker0"),
        networkd=networkd(257, [network_file("IPv4Forwarding=no", name="docker0")],
                          link_network_file={"docker0": NETWORK}),
        docker=docker("docker0"),
    )

    findings = networkd_findings(host)

    assert summary(findings) == [("networkd_forwarding_forced_off", "error", "IPv4Forwarding")]
    assert findings[0].interface == "docker0"
    assert findings[0].current["container_traffic_interfaces"] == ["docker0"]
    assert findings[0].expected == {"IPv4Forwarding": "yes"}


def test_network_file_forwarding_off_elsewhere_is_warning():
    host = state(
        bridge("docker0"),
        link("eno9", "physical"),
        networkd=networkd(257, [network_file("IPv4Forwarding=no", name="eno9")], link_network_file={"eno9": NETWORK}),
        docker=docker("docker0"),
    )

    findings = networkd_findings(host)

    assert summary(findings) == [("networkd_forwarding_forced_off", "warning", "IPv4Forwarding")]
    assert findings[0].current["container_traffic_interfaces"] == []


def test_networkd_records_decide_which_links_a_file_applies_to():
    # Name= would match the uplink, but networkd's own record says the file is used by the docker bridge
    host = state(
        bridge("docker0"),
        link("eno1", "physical"),
        networkd=networkd(257, [network_file("IPv4Forwarding=no", name="eno1")],
                          link_network_file={"docker0": NETWORK}),
        docker=docker("docker0"),
    )

    findings = networkd_findings(host)

    assert findings[0].current["applies_to"] == ["docker0"]
    assert findings[0].severity == "error"


def test_name_globs_decide_when_networkd_is_not_running():
    host = state(
        link("eno1", "physical"),
        link("eno2", "physical"),
        link("wlan0", "wlan"),
        networkd=networkd(257, [network_file("IPForward=yes", name="eno*")], link_network_file={}, running=False),
    )

    findings = networkd_findings(host)

    assert findings[0].current["applies_to"] == ["eno1", "eno2"]
    assert findings[0].interface is None  # more than one link


def test_running_networkd_without_record_means_file_applies_to_nothing():
    host = state(
        link("eno1", "physical"),
        networkd=networkd(257, [network_file("IPForward=yes", name="eno1")], link_network_file={}, running=True),
    )

    findings = networkd_findings(host)

    assert findings[0].current["applies_to"] == []
    assert findings[0].interface is None


def test_network_dropin_findings_carry_dropin_path_and_line():
    dropin = "/etc/systemd/network/20-uplink.network.d/forward.conf"
    uplink = network_file("DHCP=yes", dropins=[(dropin, "[Network]\n\nIPForward=yes\n")])

    findings = networkd_findings(host_with(257, uplink))

    assert [(f.current["file"], f.current["line"], f.current["network_file"]) for f in findings] == [
        (dropin, 3, NETWORK)
    ]


def test_dropin_with_honoured_key_downgrades_ignored_key_in_main_file():
    dropin = "/etc/systemd/network/20-uplink.network.d/forward.conf"
    uplink = network_file("IPForward=yes", dropins=[(dropin, "[Network]\nIPv4Forwarding=yes\n")])

    findings = networkd_findings(host_with(257, uplink))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "warning", "IPForward")]


def test_network_dropin_override_to_yes_clears_forced_off():
    dropin = "/etc/systemd/network/20-uplink.network.d/forward.conf"
    uplink = network_file("IPv4Forwarding=no", dropins=[(dropin, "[Network]\nIPv4Forwarding=yes\n")])

    assert networkd_findings(host_with(257, uplink)) == []


def test_keys_outside_network_section_are_not_forwarding_keys():
    uplink = unit(NETWORK, "[Match]\nName=eno1\n[Link]\nIPForward=yes\n")

    assert networkd_findings(host_with(257, uplink)) == []


def test_remediation_for_legacy_ipv4_only_value_uses_valid_booleans():
    # IPForward=ipv4 means "IPv4 only"; the per-family keys take booleans, so 'IPv4Forwarding=ipv4' is invalid
    findings = networkd_findings(host_with(257, network_file("IPForward=ipv4")))

    assert summary(findings) == [("networkd_forwarding_key_ignored", "error", "IPForward")]
    suggested = re.findall(r"(IPv[46]Forwarding)=(\S+)", findings[0].remediation)
    assert suggested, findings[0].remediation
    assert all(parse_boolean(value) is not None for _key, value in suggested), suggested
    assert ("IPv4Forwarding", "yes") in suggested


def test_networkd_not_installed_gives_nothing():
    host = state(link("eno1", "physical"),
                 networkd=NetworkdState(installed=False, version=257,
                                        network_files=[network_file("IPForward=yes")]))

    assert networkd_findings(host) == []


def test_unknown_systemd_version_gives_nothing():
    host = host_with(None, network_file("IPForward=yes"), conf=[conf_file("IPv4Forwarding=no")])

    assert networkd_findings(host) == []


def test_names_never_matter():
    path = "/run/systemd/network/10-brx.network"
    host = state(
        bridge("brx"),
        link("ctr-a", "veth", master="brx"),
        link("lan0", "physical"),
        networkd=networkd(257, [network_file("IPv4Forwarding=off", path=path, name="brx")],
                          link_network_file={"brx": path}),
    )

    findings = networkd_findings(host)

    assert [(f.id, f.severity, f.interface) for f in findings] == [("networkd_forwarding_forced_off", "error", "brx")]
    assert findings[0].current["container_traffic_interfaces"] == ["brx"]


def test_networkd_conf_forced_off_names_the_container_links_that_follow_it():
    # Measured on 257 (lab scenario networkd_257): networkd.conf IPv4Forwarding=no turns the global sysctl off;
    # a link whose .network sets IPv4Forwarding=yes keeps forwarding, the others follow the global value.
    own = network_file("IPv4Forwarding=yes", path="/etc/systemd/network/10-brfwd.network", name="brfwd")
    bare = network_file("Address=192.0.2.1/24", path="/etc/systemd/network/10-docker0.network", name="docker0")
    host = host_with(
        257, own, bare, conf=[conf_file("IPv4Forwarding=no")],
        links=[bridge("brfwd"), bridge("docker0")],
        link_network_file={"brfwd": own.path, "docker0": bare.path},
        docker=docker("docker0", "brfwd"),
    )

    [finding] = [f for f in networkd_findings(host) if f.id == "networkd_forwarding_forced_off"]

    assert finding.current["container_traffic_interfaces_following_it"] == ["docker0"]
    assert "net.ipv4.ip_forward" in finding.why and "docker0" in finding.why
