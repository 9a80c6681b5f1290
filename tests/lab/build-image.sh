#!/bin/bash
# Build one lab guest image from Debian packages.
#
#   build-image.sh FLAVOUR OUTDIR PUBKEY_FILE
#
# Writes OUTDIR/disk.raw (ext4, root=/dev/vda), OUTDIR/vmlinuz, OUTDIR/initrd.img and
# OUTDIR/manifest.txt (installed packages).  OUTDIR must not exist yet; the image is
# assembled in OUTDIR.tmp and renamed at the end, so a half-built image is never used.
#
# The content of this file is part of the image cache key (see labctl): every package
# list and every customisation lives here, so changing any of it rebuilds the image.
#
# Runs as root (mmdebstrap in root mode, chroot).  The guest has no network later:
# everything it needs is installed now.
set -euo pipefail

readonly MIRROR="http://deb.debian.org/debian"
readonly IMAGE_SIZE="3G"
# The management NIC gets this MAC from qemu (labctl); the guest's network config
# matches on it, so no interface name is assumed.
readonly MGMT_MAC="52:54:00:4c:41:42"
readonly MGMT_ADDR="10.0.2.15/24"
readonly LOCAL_REPO="/var/local/hostnet-repo"

COMMON_PACKAGES=(
  systemd systemd-sysv udev dbus kmod procps
  linux-image-amd64
  iproute2 iputils-ping tcpdump libteam-utils
  openssh-server
  python3 python3-apt
)

usage() {
  echo "usage: $0 FLAVOUR OUTDIR PUBKEY_FILE" >&2
  echo "       FLAVOUR: a recipe in $(dirname "${BASH_SOURCE[0]}")/flavours/FLAVOUR.sh" >&2
  exit 2
}

# The flavour's recipe (flavours/FLAVOUR.sh) sets SUITE, PACKAGES (beside COMMON_PACKAGES), optionally
# KEEP_APT_LISTS=1, and defines flavour_customize ROOT, built from the helpers below. labctl keys the
# image cache by this file plus the recipe, so adding or changing one flavour rebuilds only that one.
load_flavour() {
  local recipe
  recipe="$(dirname "$(readlink -f -- "${BASH_SOURCE[0]}")")/flavours/$1.sh"
  [[ "$1" =~ ^[a-z0-9-]+$ && -r "$recipe" ]] || usage
  SUITE="" PACKAGES=() KEEP_APT_LISTS=0
  # shellcheck source=/dev/null
  source "$recipe"
  if [[ -z "$SUITE" ]] || ! declare -F flavour_customize >/dev/null; then
    echo "build-image: $recipe must set SUITE and define flavour_customize" >&2
    exit 2
  fi
}

# ---------------------------------------------------------------------------------
# helpers for the recipes
# ---------------------------------------------------------------------------------

# The management NIC through systemd-networkd (matched by MAC), networkd enabled.
mgmt_networkd() {
  local root="$1"
  install -d "$root/etc/systemd/network"
  cat >"$root/etc/systemd/network/05-lab-mgmt.network" <<EOT
# Lab management NIC (qemu user networking, only reachable through the SSH forward).
[Match]
MACAddress=${MGMT_MAC}

[Network]
Address=${MGMT_ADDR}
LinkLocalAddressing=no
IPv6AcceptRA=no
EOT
  chroot "$root" systemctl enable systemd-networkd.service
}

# The management NIC through NetworkManager; networkd disabled and masked.
mgmt_nm() {
  local root="$1"
  install -d -m 0755 "$root/etc/NetworkManager/system-connections"
  cat >"$root/etc/NetworkManager/system-connections/lab-mgmt.nmconnection" <<EOT
[connection]
id=lab-mgmt
type=ethernet
autoconnect=true

[ethernet]
mac-address=${MGMT_MAC}

[ipv4]
method=manual
address1=${MGMT_ADDR}

[ipv6]
method=disabled
EOT
  chmod 0600 "$root/etc/NetworkManager/system-connections/lab-mgmt.nmconnection"
  # No DHCP "Wired connection N" profiles for NICs nobody configured.
  install -d "$root/etc/NetworkManager/conf.d"
  printf '[main]\nno-auto-default=*\n' >"$root/etc/NetworkManager/conf.d/10-lab.conf"
  chroot "$root" systemctl disable systemd-networkd.service systemd-networkd.socket 2>/dev/null || true
  ln -sfn /dev/null "$root/etc/systemd/system/systemd-networkd.service"
  chroot "$root" systemctl enable NetworkManager.service
}

# No apt source at all: the guests cannot reach a mirror.
no_apt_sources() {
  rm -f "$1/etc/apt/sources.list"
  rm -f "$1"/etc/apt/sources.list.d/*
}

# local_repo ROOT PKG...: the packages (with what they need and the image lacks) are NOT installed but
# wait in a local apt repository, the image's only apt source (needs KEEP_APT_LISTS=1 in the recipe).
local_repo() {
  local root="$1"
  shift
  local pkgs=()
  mapfile -t pkgs < <(chroot "$root" apt-get install --simulate --no-install-recommends \
    "$@" | awk '$1 == "Inst" { print $2 }')
  if [[ ${#pkgs[@]} -eq 0 ]]; then
    echo "build-image: could not resolve $* for the local repo" >&2
    return 1
  fi
  echo "build-image: local repo gets: ${pkgs[*]}"
  install -d "$root$LOCAL_REPO"
  # shellcheck disable=SC2016  # $1 and $@ are expanded by the chroot's sh
  (cd "$root$LOCAL_REPO" && chroot "$root" sh -c 'cd "$1" && shift && apt-get download "$@"' \
    sh "$LOCAL_REPO" "${pkgs[@]}")
  (cd "$root$LOCAL_REPO" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)
  no_apt_sources "$root"
  echo "deb [trusted=yes] file:${LOCAL_REPO} ./" >"$root/etc/apt/sources.list.d/hostnet-local.list"
  chroot "$root" apt-get update
  # Prove now, not in a scenario, that the offline install resolves.
  chroot "$root" apt-get install --simulate --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------------------------
# customisation, run by mmdebstrap as a customize hook: $1 = chroot, env carries the rest
# ---------------------------------------------------------------------------------
customize() {
  local root="$1"
  local flavour="${HOSTNET_FLAVOUR:?}"
  local pubkey="${HOSTNET_PUBKEY_FILE:?}"
  load_flavour "$flavour"

  echo "lab-${flavour}" >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tlab-%s\n' "$flavour" >"$root/etc/hosts"
  printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t1\n' >"$root/etc/fstab"

  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$pubkey" "$root/root/.ssh/authorized_keys"
  install -d -m 0755 "$root/etc/ssh/sshd_config.d"
  cat >"$root/etc/ssh/sshd_config.d/hostnet-lab.conf" <<'EOT'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
EOT

  # Nothing in the lab needs these, and under software emulation every unit costs time.
  local unit
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
    systemd-networkd-wait-online.service NetworkManager-wait-online.service \
    systemd-timesyncd.service getty@tty1.service; do
    ln -sfn /dev/null "$root/etc/systemd/system/$unit"
  done

  flavour_customize "$root"

  # shellcheck disable=SC2016  # dpkg-query's own ${...} format, not shell
  chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"${HOSTNET_MANIFEST:?}"
  # Last: the steps above still resolve the mirror through the build host's resolver.
  : >"$root/etc/resolv.conf"
}

# ---------------------------------------------------------------------------------
main() {
  if [[ "${1:-}" == "--customize" ]]; then
    shift
    customize "$@"
    return
  fi
  [[ $# -eq 3 ]] || usage
  local flavour="$1" outdir="$2" pubkey="$3"
  load_flavour "$flavour"
  local suite="$SUITE" packages=("${COMMON_PACKAGES[@]}" "${PACKAGES[@]}")
  [[ -r "$pubkey" ]] || { echo "build-image: no public key at $pubkey" >&2; exit 1; }
  [[ ! -e "$outdir" ]] || { echo "build-image: $outdir exists" >&2; exit 1; }

  local tmp="${outdir}.tmp"
  rm -rf -- "$tmp"
  mkdir -p -- "$tmp"
  local rootdir="$tmp/root"

  local include
  include="$(IFS=,; echo "${packages[*]}")"
  local self
  self="$(readlink -f -- "${BASH_SOURCE[0]}")"

  export HOSTNET_FLAVOUR="$flavour"
  HOSTNET_PUBKEY_FILE="$(readlink -f -- "$pubkey")"
  export HOSTNET_PUBKEY_FILE
  export HOSTNET_MANIFEST="$tmp/manifest.txt"
  export HOSTNET_SELF="$self"

  local skip=()
  # A local repository's package lists stay; mmdebstrap would delete them after the hooks.
  [[ "$KEEP_APT_LISTS" == 1 ]] && skip+=(--skip=cleanup/apt/lists)

  local t0=$SECONDS
  # shellcheck disable=SC2016  # $1 and $HOSTNET_SELF are expanded by mmdebstrap's shell
  mmdebstrap --variant=minbase --mode=root --format=directory "${skip[@]}" \
    --include="$include" \
    --customize-hook='"$HOSTNET_SELF" --customize "$1"' \
    "$suite" "$rootdir" "$MIRROR"
  echo "build-image: mmdebstrap $flavour took $((SECONDS - t0)) s"

  local kernel initrd
  kernel="$(find "$rootdir/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)"
  initrd="$(find "$rootdir/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)"
  [[ -n "$kernel" && -n "$initrd" ]] || { echo "build-image: no kernel/initrd in $rootdir/boot" >&2; exit 1; }
  cp -- "$kernel" "$tmp/vmlinuz"
  cp -- "$initrd" "$tmp/initrd.img"

  t0=$SECONDS
  mke2fs -q -t ext4 -L labroot -d "$rootdir" -F "$tmp/disk.raw" "$IMAGE_SIZE"
  echo "build-image: mke2fs took $((SECONDS - t0)) s"
  rm -rf -- "$rootdir"
  mv -- "$tmp" "$outdir"
}

main "$@"
