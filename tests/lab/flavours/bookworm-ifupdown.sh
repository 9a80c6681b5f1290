# shellcheck shell=bash disable=SC2034  # sourced by build-image.sh, which reads SUITE, PACKAGES, KEEP_APT_LISTS
# Debian 12 with classic ifupdown (the installer's default), ifenslave and bridge-utils; no
# systemd-networkd (masked), no NetworkManager, no pyroute2. Sourced by build-image.sh.
SUITE=bookworm
PACKAGES=(ifupdown ifenslave bridge-utils)

# The management NIC through ifupdown: a .link file (udev applies it at coldplug, networkd or not) names
# the NIC with the lab's MAC `mgmt0`; /etc/network/interfaces brings it up the way Debian's installer
# writes a primary NIC (allow-hotplug: ifup@mgmt0.service runs once udev has named it, and
# ifupdown-pre.service waits for udev before networking.service raises the `auto` interfaces).
mgmt_ifupdown() {
  local root="$1"
  install -d "$root/etc/systemd/network"
  cat >"$root/etc/systemd/network/05-lab-mgmt.link" <<EOT
# Lab management NIC (qemu user networking, only reachable through the SSH forward).
[Match]
MACAddress=${MGMT_MAC}

[Link]
Name=mgmt0
EOT
  install -d "$root/etc/network/interfaces.d"
  cat >"$root/etc/network/interfaces" <<EOT
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source-directory /etc/network/interfaces.d

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface (lab management, qemu user networking)
allow-hotplug mgmt0
iface mgmt0 inet static
	address ${MGMT_ADDR}
EOT
  chroot "$root" systemctl disable systemd-networkd.service systemd-networkd.socket 2>/dev/null || true
  ln -sfn /dev/null "$root/etc/systemd/system/systemd-networkd.service"
  ln -sfn /dev/null "$root/etc/systemd/system/systemd-networkd.socket"
  chroot "$root" systemctl enable networking.service
}

flavour_customize() {
  mgmt_ifupdown "$1"
  no_apt_sources "$1"
  if [[ -e "$1/usr/sbin/NetworkManager" ]]; then
    echo "build-image: NetworkManager must not be installed in bookworm-ifupdown" >&2
    return 1
  fi
}
