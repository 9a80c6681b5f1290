# shellcheck shell=bash disable=SC2034  # sourced by build-image.sh, which reads SUITE, PACKAGES, KEEP_APT_LISTS
# Debian 12, NetworkManager 1.42 (team support built in), systemd-networkd disabled. Sourced by
# build-image.sh.
SUITE=bookworm
PACKAGES=(python3-pyroute2 network-manager)

flavour_customize() {
  mgmt_nm "$1"
  no_apt_sources "$1"
}
