# shellcheck shell=bash disable=SC2034  # sourced by build-image.sh, which reads SUITE, PACKAGES, KEEP_APT_LISTS
# Debian 13, systemd 257, systemd-networkd; python3-pyroute2 NOT installed: it waits in a local apt
# repository, the image's only apt source, so that installing it from a playbook works offline.
# Sourced by build-image.sh.
SUITE=trixie
PACKAGES=()
KEEP_APT_LISTS=1

flavour_customize() {
  local root="$1"
  mgmt_networkd "$root"
  local_repo "$root" python3-pyroute2
  # shellcheck disable=SC2016  # dpkg-query's own ${...} format, not shell
  if chroot "$root" dpkg-query -W -f '${Status}' python3-pyroute2 2>/dev/null | grep -q installed; then
    echo "build-image: python3-pyroute2 must not be installed in trixie-networkd" >&2
    return 1
  fi
}
