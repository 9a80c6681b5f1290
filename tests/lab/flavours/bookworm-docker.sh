# shellcheck shell=bash disable=SC2034  # sourced by build-image.sh, which reads SUITE, PACKAGES, KEEP_APT_LISTS
# Debian 12, systemd 252, systemd-networkd, and a real Docker engine: Debian's docker.io (20.10) with
# apparmor (the kernel enables AppArmor; without the package dockerd cannot load docker-default and
# refuses to start containers), busybox-static (the only container image: nothing can be pulled) and
# lynis. Sourced by build-image.sh.
#
# /etc/docker/daemon.json: "storage-driver": "vfs" (no overlay trouble on the emulated ext4) and
# "bridge": "br0" (containers join the host's br0, which the scenario's topology makes). docker.service,
# docker.socket and containerd.service are disabled: the scenario enables Docker once br0 exists (a
# fresh guest has none, and dockerd refuses a "bridge" that does not exist). When Docker starts, it waits
# for br0 and its IPv4 address (networkd configures it; the lab masks systemd-networkd-wait-online, which
# would otherwise order network-online.target after it), and lab-docker-image.service imports the
# busybox image (lab/busybox:latest) from /var/lib/lab-docker/busybox-rootfs.tar once.
SUITE=bookworm
PACKAGES=(python3-pyroute2 docker.io apparmor busybox-static lynis)

readonly LAB_DOCKER_DIR=/var/lib/lab-docker
readonly LAB_DOCKER_IMAGE=lab/busybox:latest

# The container image's root file system: /bin/busybox and a symlink per applet, as a tar.
docker_rootfs_tar() {
  local root="$1"
  local tmp="$root/tmp/lab-busybox-rootfs"
  rm -rf -- "$tmp"
  install -d "$tmp/bin" "$tmp/tmp" "$tmp/etc" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/var/www"
  install -m 0755 "$root/bin/busybox" "$tmp/bin/busybox"
  local applet
  for applet in $(chroot "$root" /bin/busybox --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$tmp/bin/$applet"
  done
  echo "hostnet-lab busybox" >"$tmp/var/www/index.html"
  install -d "$root$LAB_DOCKER_DIR"
  tar -C "$tmp" --numeric-owner --owner=0 --group=0 -cf "$root$LAB_DOCKER_DIR/busybox-rootfs.tar" .
  rm -rf -- "$tmp"
}

docker_config() {
  local root="$1"
  install -d "$root/etc/docker"
  cat >"$root/etc/docker/daemon.json" <<'EOT'
{
  "storage-driver": "vfs",
  "bridge": "br0"
}
EOT
  # Docker starts once the bridges daemon.json names exist with an IPv4 address (up to 90 s).
  cat >"$root/usr/local/sbin/lab-docker-wait-bridge" <<'EOT'
#!/usr/bin/python3
"""Wait (up to 90 s) until the bridge daemon.json names exists and has an IPv4 address."""
import json, subprocess, sys, time
try:
    bridge = json.load(open("/etc/docker/daemon.json")).get("bridge")
except (OSError, ValueError):
    bridge = None
if not bridge or bridge == "none":
    sys.exit(0)
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", bridge], capture_output=True, text=True)
    if out.returncode == 0 and " inet " in out.stdout:
        sys.exit(0)
    time.sleep(0.5)
print("lab-docker-wait-bridge: %s has no IPv4 address after 90 s" % bridge, file=sys.stderr)
sys.exit(1)
EOT
  chmod 0755 "$root/usr/local/sbin/lab-docker-wait-bridge"
  install -d "$root/etc/systemd/system/docker.service.d"
  cat >"$root/etc/systemd/system/docker.service.d/10-lab-bridge.conf" <<'EOT'
# The lab masks systemd-networkd-wait-online: wait here for the bridge daemon.json names.
[Unit]
After=systemd-networkd.service
[Service]
ExecStartPre=/usr/local/sbin/lab-docker-wait-bridge
EOT
  cat >"$root/usr/local/sbin/lab-docker-image" <<EOT
#!/bin/sh
# Import the lab's busybox image once (nothing can be pulled).
docker image inspect ${LAB_DOCKER_IMAGE} >/dev/null 2>&1 && exit 0
exec docker import -c 'CMD ["/bin/sh"]' ${LAB_DOCKER_DIR}/busybox-rootfs.tar ${LAB_DOCKER_IMAGE}
EOT
  chmod 0755 "$root/usr/local/sbin/lab-docker-image"
  cat >"$root/etc/systemd/system/lab-docker-image.service" <<'EOT'
[Unit]
Description=Import the lab's busybox container image (nothing can be pulled)
After=docker.service
Requires=docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lab-docker-image

[Install]
WantedBy=docker.service
EOT
  chroot "$root" systemctl enable lab-docker-image.service
  chroot "$root" systemctl disable docker.service docker.socket containerd.service
}

flavour_customize() {
  local root="$1"
  mgmt_networkd "$root"
  docker_rootfs_tar "$root"
  docker_config "$root"
  no_apt_sources "$root"
}
