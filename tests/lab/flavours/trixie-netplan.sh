# shellcheck shell=bash disable=SC2034  # sourced by build-image.sh, which reads SUITE, PACKAGES, KEEP_APT_LISTS
# Debian 13, systemd 257, netplan.io rendering to systemd-networkd (as on Ubuntu servers): the management
# NIC comes from a netplan YAML (match by MAC), netplan's systemd generator writes
# /run/systemd/network/10-netplan-*.network at every boot. No apt source. Sourced by build-image.sh.
SUITE=trixie
PACKAGES=(netplan.io)

# The management NIC through netplan (renderer networkd), matched by MAC; networkd enabled.
mgmt_netplan() {
  local root="$1"
  install -d -m 0755 "$root/etc/netplan"
  install -m 0600 /dev/null "$root/etc/netplan/05-lab-mgmt.yaml"
  cat >"$root/etc/netplan/05-lab-mgmt.yaml" <<EOT
# Lab management NIC (qemu user networking, only reachable through the SSH forward).
network:
  version: 2
  renderer: networkd
  ethernets:
    mgmt:
      match:
        macaddress: "${MGMT_MAC}"
      addresses: [${MGMT_ADDR}]
      link-local: []
      accept-ra: false
EOT
  chroot "$root" systemctl enable systemd-networkd.service
}

flavour_customize() {
  mgmt_netplan "$1"
  no_apt_sources "$1"
  # netplan must be able to render the file at build time already (the generator runs at every boot).
  chroot "$1" netplan generate --root-dir / >/dev/null
  rm -rf "$1/run/systemd/network" "$1/run/netplan"
}
