#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root) to run and test bootwright: the Debian packages the tests use as real
# peers, then the npm dependencies and the compiled build (`npm ci` runs `prepare`, which compiles TypeScript).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  python3         # Python's own xmlrpc.client drives the XML-RPC API in tests
  python3-cheetah # the reference the Cheetah-compatible template engine is compared with
  python3-jinja2  # the reference the Jinja engine is compared with (src/templates/jinja/corpus.test.ts)
  ansible         # real Ansible (community.general cobbler_system, cobbler_sync, cobbler inventory) in test/interop/ansible.test.ts
  make g++        # better-sqlite3 compiles from source
  curl tftp-hpa atftp           # real TFTP clients in the interop tests
  iproute2 nftables             # network namespaces, and packet loss where the kernel has no netem
  busybox isc-dhcp-client tcpdump  # real DHCP clients, and a capture of what a proxy offer carries
  puppet-agent                  # real puppet compiles a catalog from the node classifier
  dnsmasq-base isc-dhcp-server kea-dhcp4-server bind9-utils  # check the configs we write for them; dnsmasq and Kea are DHCP benchmark peers too
  qemu-system-x86 ipxe-qemu pxelinux syslinux-common cpio    # a real guest PXE-boots from bootwright alone
  ovmf grub-efi-amd64-signed    # UEFI firmware, and the GRUB bootwright serves it, for the UEFI acceptance test
  grub-common                   # grub-script-check, GRUB's own parser, checks the nested boot menus (src/boot/boot-menus.test.ts)
  ipxe shim-signed              # the other loaders bootwright serves (undionly.kpxe, ipxe.efi, shimx64.efi), fetched by the loader registry test
  xorriso                       # builds the ISO images the ISO 9660 reader is tested on
  debian-installer-12-netboot-amd64  # a real Debian netboot tree for distro detection
  libvirt-daemon-system libvirt-clients qemu-utils libxml2-utils  # koan's real libvirtd, disks, schema checks
  kea-admin tftpd-hpa nginx-light wrk  # benchmark peers (npm run bench): perfdhcp, in.tftpd, nginx; dnsmasq-base and kea-dhcp4-server are above
  rpm createrepo-c dnf          # reposync's dnf tests: rpmbuild makes packages, createrepo_c a repository, real dnf reads the mirror
  apt-utils gnupg wget          # reposync's apt tests: apt-ftparchive indexes an origin, gpg signs its Release; wget --mirror is the bench's peer
  fence-agents python3-sushy    # power: fence agents as Cobbler runs them, and two Redfish clients of bootwright bmc
  ipmitool openipmi python3-pyghmi python3-libvirt  # power: the IPMI driver's tool, and third-party BMCs it is tested against
)

if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  missing=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null | grep -vc 'install ok installed' || true)
  if [ "$missing" != "0" ] || ! dpkg-query -W "${packages[@]}" >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${packages[*]}"
    apt-get update -q
    # Some of these packages ship daemons (dhcpd, kea, puppet); tests only run them by hand, so none is started.
    created_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=yes
    fi
    apt-get install -y -q --no-install-recommends "${packages[@]}"
    if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  fi
else
  echo "setup: not root; assuming these Debian packages are installed: ${packages[*]}"
fi

echo "setup: installing npm dependencies and building"
npm ci --no-audit --no-fund
