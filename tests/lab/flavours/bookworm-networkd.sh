# shellcheck shell=bash disable=SC2034  # sourced by build-image.sh, which reads SUITE, PACKAGES, KEEP_APT_LISTS
# Debian 12, systemd 252, systemd-networkd; pyroute2 installed (0.7.2). Sourced by build-image.sh.
SUITE=bookworm
PACKAGES=(python3-pyroute2)

flavour_customize() {
  mgmt_networkd "$1"
  no_apt_sources "$1"
}
