// A tiny guest that behaves like an OS installer, for tests of whole install flows (PXE, koan, libvirt): it boots
// from Debian's cloud kernel with a busybox initrd, takes a DHCP lease, fetches the autoinstall file named on its
// kernel command line, runs the kickstart's %pre and %post sections (their `curl` calls reach the server through a
// shim over busybox wget), reads the metadata of each repo its `repo` commands name, and "installs" itself to the
// first virtio disk so that the disk boots on its own.
//
// How the installed disk boots, with no installer on it: one MBR partition, ext2, syslinux's mbr.bin and extlinux
// (SeaBIOS -> mbr.bin -> extlinux -> /boot/vmlinuz + /boot/initrd.img). The initrd on the disk is not a repack made
// inside the guest: the installer's initrd is two cpio archives back to back, which the kernel unpacks in turn
// (Documentation/driver-api/early-userspace/buffer-format.rst). The first is the whole guest (/init, busybox,
// modules, extlinux); the second adds /boot-files/vmlinuz and /boot-files/initrd.img, a byte-for-byte copy of the
// first. The installer copies both to the disk, and unpacks the first onto it as the installed system, so %post
// runs chrooted into /mnt/sysimage as Anaconda runs it. Booted from the disk with `bootwright.firstboot`, the same
// /init takes its first-boot path: it reports to the server and asks the puppet node classifier about itself.
//
// The kernel command line it understands (pass console=ttyS0 to see its lines; panic=-1 keeps a broken /init from
// hanging QEMU run with -no-reboot):
//   inst.ks= | ks= | url= | autoyast= | preseed/url=   the autoinstall file to fetch, the first one present
//   bootwright.server=HOST[:PORT]   where first boot reports to; else the autoinstall URL's host and port
//   bootwright.system=NAME          the system first boot reports as; else NAME from a .../system/NAME URL
//   bootwright.hostname=FQDN | hostname=FQDN   the name first boot asks the node classifier about; else the
//                                   lease's host name (DHCP option 12, with option 15's domain when it has no dot)
//   bootwright.firstboot            set by the installed disk's extlinux.conf, with the three above
// The install ends as the kickstart says: `reboot` reboots (reboot -f; QEMU -no-reboot exits instead), anything
// else powers off. The first boot from disk always powers off, failures too.
// It installs to /dev/vda (one partition, /dev/vda1) and uses the first NIC, eth0.
// Needs apt (a reachable Debian mirror the first time), dpkg-deb, cpio and ldd; xz or zstd when modules are
// compressed.

import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  cachedFileFromPackage,
  cachedFilesFromPackage,
  guestKernel,
  kernelPackage,
  run,
  staticBusybox,
  testCacheDir,
} from './guest-kernel.js';

export interface InstallerGuest {
  kernel: string;
  initrd: string;
}

/** Lines the guest prints on its console, for tests to wait for and assert on; each is followed by its detail. */
export const installerMarkers = {
  /** Followed by the autoinstall URL. */
  fetched: 'bootwright-installer: fetched ',
  pre: 'bootwright-installer: %pre done',
  /**
   * Followed by `NAME from URL`: the repo's repodata/repomd.xml, read (as Anaconda reads each repo's metadata before
   * it installs anything) for every `repo --name= --baseurl=` command of the kickstart.
   */
  repo: 'bootwright-installer: read repo ',
  /** Followed by the disk. */
  installed: 'bootwright-installer: installed to ',
  post: 'bootwright-installer: %post done',
  poweroff: 'bootwright-installer: powering off',
  /** The install ends this way when the kickstart's last power command is `reboot`. */
  reboot: 'bootwright-installer: rebooting',
  /** Every line of the first boot: `installed system booted from disk`, the install record, the classifier's answer. */
  firstboot: 'bootwright-firstboot: ',
  /** Followed by what went wrong; the guest powers off after it, in either mode. */
  failed: 'bootwright-installer: FAILED ',
} as const;

/**
 * The order the virtio drivers load in: each needs the ones before it (module dependencies, resolved by hand since
 * busybox insmod does not read modules.dep).
 */
const virtioModules = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
  'virtio_blk',
];
/** Only needed when the kernel has ext4 (which mounts ext2 too) as a module; Debian's cloud kernel builds it in. */
const ext4Modules = ['crc16', 'mbcache', 'jbd2', 'ext4'];

/** Builds (into workDir) an initrd and returns it with the cached Debian cloud kernel. */
export function buildInstallerGuest(workDir: string, cacheDir = testCacheDir()): InstallerGuest {
  const kernel = guestKernel(cacheDir);
  const tree = mkdtempSync(join(workDir, 'installer-tree-'));
  const extra = mkdtempSync(join(workDir, 'installer-extra-'));
  // mkdtemp makes 0700 directories; each archive's "." sets the mode of the guest's /.
  chmodSync(tree, 0o755);
  chmodSync(extra, 0o755);
  try {
    for (const dir of [
      'proc',
      'sys',
      'dev',
      'tmp',
      'run',
      'mnt/sysimage',
      'root',
      'etc',
      'usr/share/udhcpc',
    ]) {
      mkdirSync(join(tree, dir), { recursive: true });
    }
    addBusybox(tree, staticBusybox(cacheDir));
    const modules = installerModules(cacheDir);
    mkdirSync(join(tree, 'lib', 'bootwright-modules'), { recursive: true });
    for (const name of readdirSync(modules)) {
      copyFileSync(join(modules, name), join(tree, 'lib', 'bootwright-modules', name));
    }
    addDynamicBinary(
      tree,
      cachedFileFromPackage(cacheDir, 'extlinux', (root) => join(root, 'usr', 'bin', 'extlinux')),
      'usr/sbin/extlinux',
    );
    const mbr = cachedFileFromPackage(cacheDir, 'syslinux-common', (root) =>
      join(root, 'usr', 'lib', 'syslinux', 'mbr', 'mbr.bin'),
    );
    mkdirSync(join(tree, 'usr', 'lib', 'syslinux', 'mbr'), { recursive: true });
    copyFileSync(mbr, join(tree, 'usr', 'lib', 'syslinux', 'mbr', 'mbr.bin'));
    writeFileSync(join(tree, 'init'), initScript, { mode: 0o755 });
    writeFileSync(join(tree, 'usr', 'share', 'udhcpc', 'default.script'), udhcpcScript, { mode: 0o755 });
    writeFileSync(join(tree, 'usr', 'bin', 'curl'), curlShim, { mode: 0o755 });

    // The first archive alone is what the installed disk boots; the second carries the files the installer copies.
    const system = join(workDir, 'installer-system.cpio');
    writeCpio(tree, system);
    mkdirSync(join(extra, 'boot-files'));
    copyFileSync(kernel, join(extra, 'boot-files', 'vmlinuz'));
    copyFileSync(system, join(extra, 'boot-files', 'initrd.img'));
    const initrd = join(workDir, 'installer-initrd.img');
    copyFileSync(system, initrd);
    const bootFiles = join(workDir, 'installer-boot-files.cpio');
    writeCpio(extra, bootFiles);
    appendFileSync(initrd, readFileSync(bootFiles));
    rmSync(bootFiles);
    rmSync(system);
    return { kernel, initrd };
  } finally {
    rmSync(tree, { recursive: true, force: true });
    rmSync(extra, { recursive: true, force: true });
  }
}

/** Uncompressed newc, owned by root: the kernel unpacks it as it is, and concatenated archives stay valid. */
function writeCpio(tree: string, output: string): void {
  // The path goes in as $1, never into the shell line: a lab directory may hold any character.
  execFileSync('sh', ['-c', 'find . | cpio -o -H newc -R 0:0 --quiet > "$1"', 'sh', output], {
    cwd: tree,
    stdio: 'pipe',
  });
}

/** Busybox with a link for each of its applets, where the applet lists itself (`busybox --list-full`). */
function addBusybox(tree: string, busybox: string): void {
  mkdirSync(join(tree, 'bin'), { recursive: true });
  copyFileSync(busybox, join(tree, 'bin', 'busybox'));
  chmodSync(join(tree, 'bin', 'busybox'), 0o755);
  for (const applet of run(busybox, ['--list-full']).split('\n')) {
    if (!applet || applet === 'linuxrc' || applet === 'bin/busybox') continue;
    const link = join(tree, applet);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync('/bin/busybox', link);
  }
}

/** A dynamically linked binary with the shared libraries `ldd` finds for it, each at the same path in the guest. */
function addDynamicBinary(tree: string, binary: string, at: string): void {
  mkdirSync(dirname(join(tree, at)), { recursive: true });
  copyFileSync(binary, join(tree, at));
  chmodSync(join(tree, at), 0o755);
  const libraries = [...run('ldd', [binary]).matchAll(/(?:=> )?(\/\S+) \(0x/g)].map(
    (match) => match[1] as string,
  );
  if (libraries.length === 0)
    throw new Error(`"ldd ${binary}" named no shared libraries; is it a binary for this host?`);
  for (const library of libraries) {
    mkdirSync(dirname(join(tree, library)), { recursive: true });
    copyFileSync(library, join(tree, library));
  }
}

/**
 * `<cacheDir>/<kernel package>-installer-modules/`: the modules /init loads, uncompressed (busybox insmod reads
 * plain .ko files only), and `modules.order`, their names in the order to load them.
 */
function installerModules(cacheDir: string): string {
  const pkg = kernelPackage();
  return cachedFilesFromPackage(cacheDir, pkg, `${pkg}-installer-modules`, (root) => {
    const config = readdirSync(join(root, 'boot')).find((name) => name.startsWith('config-'));
    if (!config) throw new Error(`Debian package ${pkg} holds no /boot/config-*.`);
    const ext4 = /^CONFIG_EXT4_FS=(\w)/m.exec(readFileSync(join(root, 'boot', config), 'utf8'))?.[1];
    if (ext4 !== 'y' && ext4 !== 'm') {
      throw new Error(
        `The kernel in ${pkg} has no ext4 (CONFIG_EXT4_FS=${ext4 ?? 'unset'}); the installer needs it.`,
      );
    }
    const names = [...virtioModules, ...(ext4 === 'm' ? ext4Modules : [])];
    const found = new Map<string, string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        const name = /^(.+)\.ko(\.xz|\.zst|\.gz)?$/.exec(entry.name)?.[1];
        if (name && names.includes(name)) found.set(name, join(dir, entry.name));
      }
    };
    walk(join(root, 'lib', 'modules'));
    // A module the kernel builds in has no file; only the virtio drivers must be modules to need loading.
    const missing = virtioModules.filter((name) => !found.has(name) && !builtIn(root, config, name));
    if (missing.length > 0) throw new Error(`Debian package ${pkg} has no module ${missing.join(', ')}.`);
    const files = [...found].map(([name, file]) => uncompressedModule(file, name));
    const order = join(root, 'modules.order');
    writeFileSync(order, `${names.filter((name) => found.has(name)).join('\n')}\n`);
    return [...files, order];
  });
}

/** Whether the kernel's modules.builtin lists the module: then it is in the kernel and has no file to load. */
function builtIn(root: string, config: string, name: string): boolean {
  const version = config.slice('config-'.length);
  const list = join(root, 'lib', 'modules', version, 'modules.builtin');
  if (!existsSync(list)) return false;
  return readFileSync(list, 'utf8')
    .split('\n')
    .some((line) => basename(line) === `${name}.ko` || basename(line).replace(/-/g, '_') === `${name}.ko`);
}

function uncompressedModule(file: string, name: string): string {
  const plain = join(dirname(file), `${name}.ko`);
  if (file.endsWith('.xz')) run('xz', ['-d', '-f', file]);
  else if (file.endsWith('.zst')) run('zstd', ['-d', '-q', '-f', '--rm', file]);
  else if (file.endsWith('.gz')) run('gzip', ['-d', '-f', file]);
  return plain;
}

// The scripts below run in the guest under busybox sh. `\${` keeps a shell expansion out of the TypeScript template.

/** busybox udhcpc applies no lease by itself: it calls this with the lease in its environment. */
const udhcpcScript = `#!/bin/sh
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    for r in $router; do ip route add default via "$r" dev "$interface" && break; done
    : > /etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    {
      echo "lease_ip='$ip'"
      echo "lease_mask='$mask'"
      echo "lease_router='$router'"
      echo "lease_dns='$dns'"
      echo "lease_hostname='$hostname'"
      echo "lease_domain='$domain'"
      echo "lease_server='$serverid'"
    } > /run/dhcp-lease
    ;;
esac
exit 0
`;

/**
 * curl as kickstart snippets call it, on top of busybox wget: -o/--output FILE (or -O), -s, -S, -f, -L, -k, -X
 * METHOD, -d/--data/--data-binary DATA or @FILE, -T FILE (sent as a POST: busybox wget cannot PUT), -H, -m, -A.
 * The exit status is wget's: an HTTP error fails even without -f.
 */
const curlShim = `#!/bin/sh
out=- url= data= datafile= method= timeout= agent= headers=
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) out=$2; shift ;;
    --output=*) out=\${1#*=} ;;
    -O|--remote-name) out=@remote ;;
    -X|--request) method=$2; shift ;;
    -d|--data|--data-binary|--data-raw|--data-ascii)
      case "$2" in @*) datafile=\${2#@} ;; *) data=$2 ;; esac; method=\${method:-POST}; shift ;;
    -T|--upload-file) datafile=$2; method=\${method:-POST}; shift ;;
    -H|--header) headers="$headers
$2"; shift ;;
    -m|--max-time|--connect-timeout) timeout=$2; shift ;;
    -A|--user-agent) agent=$2; shift ;;
    -w|--write-out|-u|--user|-e|--referer|-b|--cookie|-c|--cookie-jar|-r|--range|--retry|--retry-delay|--retry-max-time)
      shift ;;
    --) shift; url=$1 ;;
    -*o) out=$2; shift ;;
    -*O*) out=@remote ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
[ -n "$url" ] || { echo "curl: no URL specified" >&2; exit 2; }
case "$url" in *://*) ;; *) url="http://$url" ;; esac
[ "$out" = @remote ] && { out=\${url##*/}; out=\${out%%\\?*}; }
set -- -q -O "$out"
[ -n "$agent" ] && set -- "$@" -U "$agent"
if [ -n "$datafile" ]; then set -- "$@" --post-file "$datafile"
elif [ -n "$data" ] || [ "$method" = POST ]; then set -- "$@" --post-data "$data"
fi
saved_ifs=$IFS
IFS='
'
for h in $headers; do set -- "$@" --header "$h"; done
IFS=$saved_ifs
# busybox timeout, not wget -T: the static busybox's wget (1.35) dies of a segmentation fault with -T.
[ -n "$timeout" ] && exec timeout "\${timeout%%.*}" wget "$@" "$url"
exec wget "$@" "$url"
`;

/**
 * Shell functions of /init that read the kickstart at $KS (exported for their test, which runs them under busybox on
 * the host). `ks_commands` prints its command lines: those outside its %sections (%include is a command, not a
 * section). `read_repos` fetches URL/repodata/repomd.xml for every `repo --name=NAME --baseurl=URL` command (the
 * options also as `--name NAME`, quoted or not), prints $REPO with the repo and that URL, and calls `fail` when it
 * cannot be fetched or is not repository metadata: an installer stops at a repo it cannot read. A repo given by
 * --mirrorlist or --metalink alone is named and not read.
 */
export const kickstartRepoFunctions = `ks_commands() {
  awk '
    /^%end([ \\t]|$)/ { section = 0; next }
    /^%(pre|pre-install|post|packages|addon|anaconda|onerror|traceback)([ \\t]|$)/ { section = 1; next }
    !section { print }
  ' "$KS"
}

read_repos() {
  # Quotes around a value go: the shell's single quote is character 39, which a single-quoted program cannot hold.
  ks_commands | awk '
    $1 == "repo" {
      quote = sprintf("%c", 39)
      name = ""; url = ""
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^--name=/) name = substr($i, 8)
        else if ($i == "--name") name = $(++i)
        else if ($i ~ /^--baseurl=/) url = substr($i, 11)
        else if ($i == "--baseurl") url = $(++i)
      }
      gsub(/"/, "", name); gsub(quote, "", name)
      gsub(/"/, "", url); gsub(quote, "", url)
      print (name == "" ? "-" : name), url
    }
  ' > "$KS.repos"
  # Read from a file, not a pipe: the loop runs in this shell, so fail stops the install. Its variables are this
  # shell's too: names of their own, so that install's $url (the kickstart's, written to the disk) stays.
  while read -r repo_name repo_url; do
    if [ -z "$repo_url" ]; then
      say "repo $repo_name has no --baseurl (a mirrorlist or metalink): not read"
      continue
    fi
    repomd_url="\${repo_url%/}/repodata/repomd.xml"
    rm -f "$KS.repomd.xml"
    # busybox timeout, not wget -T: the static busybox's wget (1.35) dies of a segmentation fault with -T.
    timeout 60 wget -q -O "$KS.repomd.xml" "$repomd_url" || fail "cannot read repo $repo_name: $repomd_url"
    grep -q '<repomd' "$KS.repomd.xml" || fail "repo $repo_name: $repomd_url is not repository metadata (no <repomd>)"
    echo "$REPO$repo_name from $repomd_url"
  done < "$KS.repos"
}
`;

const initScript = `#!/bin/sh
# The installer guest's /init: see src/lab/installer-guest.ts.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /run /mnt/sysimage

FETCHED='${installerMarkers.fetched}'
PRE='${installerMarkers.pre}'
INSTALLED='${installerMarkers.installed}'
POST='${installerMarkers.post}'
POWEROFF='${installerMarkers.poweroff}'
REBOOT='${installerMarkers.reboot}'
FIRSTBOOT='${installerMarkers.firstboot}'
FAILED='${installerMarkers.failed}'
REPO='${installerMarkers.repo}'
KS=/tmp/ks.cfg
DISK=/dev/vda
SYSIMAGE=/mnt/sysimage

say() { echo "bootwright-installer: $*"; }

# stop_machine poweroff|reboot: with the disk synced and the installed system unmounted.
stop_machine() {
  sync
  for m in $SYSIMAGE/dev $SYSIMAGE/sys $SYSIMAGE/proc $SYSIMAGE; do umount "$m" 2>/dev/null; done
  if [ "$1" = reboot ]; then
    echo "$REBOOT"
    reboot -f
  else
    echo "$POWEROFF"
    poweroff -f
  fi
  sleep 60
}

power_off() { stop_machine poweroff; }

fail() {
  echo "$FAILED$*"
  power_off
}

${kickstartRepoFunctions}
# How Anaconda ends an install: the kickstart's last reboot/poweroff/shutdown/halt command; this guest powers off
# when there is none.
finish_install() {
  finish=$(ks_commands | awk '$1 ~ /^(reboot|poweroff|shutdown|halt)$/ { last = $1 } END { print last }')
  if [ "$finish" = reboot ]; then stop_machine reboot; else stop_machine poweroff; fi
}

cmdline=$(cat /proc/cmdline)
# The value of NAME=VALUE on the kernel command line; fails when it is not there.
arg() {
  for word in $cmdline; do
    case "$word" in "$1="*) echo "\${word#*=}"; return 0 ;; esac
  done
  return 1
}
flag() {
  for word in $cmdline; do [ "$word" = "$1" ] && return 0; done
  return 1
}

load_modules() {
  for m in $(cat /lib/bootwright-modules/modules.order); do
    insmod "/lib/bootwright-modules/$m.ko" || say "insmod $m failed"
  done
}

# DHCP on the first NIC; the lease ends up in the lease_* variables.
bring_up_network() {
  ip link set lo up
  n=0
  while [ ! -e /sys/class/net/eth0 ]; do
    n=$((n + 1))
    [ $n -gt 100 ] && fail "no network interface eth0 appeared"
    usleep 100000
  done
  ip link set eth0 up
  udhcpc -i eth0 -f -q -n -t 15 -T 2 -s /usr/share/udhcpc/default.script >/tmp/udhcpc.log 2>&1 ||
    { cat /tmp/udhcpc.log; fail "no DHCP lease on eth0"; }
  . /run/dhcp-lease
  say "eth0 got $lease_ip/$lease_mask router \${lease_router:-none} dns \${lease_dns:-none}" \\
    "hostname \${lease_hostname:-none} from \${lease_server:-unknown}"
  dhcp_fqdn=$lease_hostname
  case "$dhcp_fqdn" in *.*|'') ;; *) [ -n "$lease_domain" ] && dhcp_fqdn="$dhcp_fqdn.$lease_domain" ;; esac
}

# run_section KIND FILE: one %pre or %post section, with its header's options (FILE.opts).
run_section() {
  kind=$1
  file=$2
  root=
  [ "$kind" = post ] && root=$SYSIMAGE
  log=
  interpreter=/bin/sh
  erroronfail=
  set -- $(cat "$file.opts")
  while [ $# -gt 0 ]; do
    case "$1" in
      --nochroot) root= ;;
      --log=*|--logfile=*) log=\${1#*=} ;;
      --log|--logfile) log=$2; shift ;;
      --interpreter=*) interpreter=\${1#*=} ;;
      --interpreter) interpreter=$2; shift ;;
      --erroronfail) erroronfail=1 ;;
    esac
    shift
  done
  name=$(basename "$file")
  # Output goes to a file, not a pipe: a script may leave a background job holding its stdout.
  if [ -n "$root" ]; then
    cp "$file" "$root/tmp/$name"
    chroot "$root" "$interpreter" "/tmp/$name" </dev/null >/tmp/$name.out 2>&1
  else
    "$interpreter" "$file" </dev/null >/tmp/$name.out 2>&1
  fi
  status=$?
  cat /tmp/$name.out
  [ -n "$log" ] && cat /tmp/$name.out >> "$root$log"
  say "%$kind script $name exited with $status"
  [ $status -ne 0 ] && [ -n "$erroronfail" ] && fail "%$kind script $name exited with $status (--erroronfail)"
}

# The sections of the kickstart, one file each, in the order they appear: NN-pre.sh, NN-post.sh.
split_kickstart() {
  mkdir -p /tmp/ks
  awk -v dir=/tmp/ks '
    /^%end([ \\t]|$)/ { file = ""; next }
    /^%(pre|post)([ \\t]|$)/ {
      n++
      split($0, words, /[ \\t]+/)
      file = sprintf("%s/%02d-%s.sh", dir, n, substr(words[1], 2))
      print substr($0, length(words[1]) + 1) > (file ".opts")
      printf "" > file
      next
    }
    /^%[a-z]/ { file = ""; next }
    file != "" { print > file }
  ' "$KS"
}

partition_and_format() {
  [ -b $DISK ] || fail "no disk $DISK to install to"
  # New DOS label, one primary partition over the whole disk from sector 2048, marked active for mbr.bin.
  printf 'o\\nn\\np\\n1\\n2048\\n\\na\\n1\\nw\\n' | fdisk $DISK >/tmp/fdisk.log 2>&1
  n=0
  while [ ! -b \${DISK}1 ]; do
    n=$((n + 1))
    [ $n -gt 50 ] && { cat /tmp/fdisk.log; fail "partition \${DISK}1 did not appear"; }
    blockdev --rereadpt $DISK 2>/dev/null
    usleep 100000
  done
  dd if=/usr/lib/syslinux/mbr/mbr.bin of=$DISK bs=440 count=1 conv=notrunc 2>/dev/null ||
    fail "cannot write the MBR boot code to $DISK"
  mke2fs -L bootwright \${DISK}1 >/tmp/mke2fs.log 2>&1 || { cat /tmp/mke2fs.log; fail "mke2fs \${DISK}1 failed"; }
  mount -t ext4 \${DISK}1 $SYSIMAGE || fail "cannot mount \${DISK}1"
}

install_system() {
  partition_and_format
  # The installed system is the installer's own first archive: the same /init, which boots it as firstboot.
  (cd $SYSIMAGE && cpio -i -d -m </boot-files/initrd.img 2>/dev/null) || fail "cannot unpack the system to $SYSIMAGE"
  mkdir -p $SYSIMAGE/boot/extlinux $SYSIMAGE/etc $SYSIMAGE/root $SYSIMAGE/tmp
  cp /boot-files/vmlinuz $SYSIMAGE/boot/vmlinuz || fail "cannot copy the kernel"
  cp /boot-files/initrd.img $SYSIMAGE/boot/initrd.img || fail "cannot copy the initrd"
  options="console=ttyS0 panic=-1 bootwright.firstboot bootwright.server=$server"
  [ -n "$system" ] && options="$options bootwright.system=$system"
  [ -n "$fqdn" ] && options="$options bootwright.hostname=$fqdn"
  cat > $SYSIMAGE/boot/extlinux/extlinux.conf <<EOF
DEFAULT firstboot
PROMPT 0
TIMEOUT 0
LABEL firstboot
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND $options
EOF
  extlinux --install $SYSIMAGE/boot/extlinux >/tmp/extlinux.log 2>&1 ||
    { cat /tmp/extlinux.log; fail "extlinux --install failed"; }
  cat > $SYSIMAGE/etc/bootwright-installed <<EOF
ks=$url
server=$server
system=$system
hostname=$fqdn
installed=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
  cp /etc/resolv.conf $SYSIMAGE/etc/resolv.conf 2>/dev/null
  sync
  echo "$INSTALLED$DISK"
}

install() {
  url=
  for name in inst.ks ks url autoyast preseed/url; do
    url=$(arg $name) && break
  done
  [ -n "$url" ] || fail "no autoinstall URL on the kernel command line (inst.ks=, ks=, url=, autoyast=, preseed/url=)"
  wget -q -O "$KS" "$url" || fail "cannot fetch $url"
  echo "$FETCHED$url"

  # Where first boot reports to, and as whom: the command line first, else what the URL and the lease say.
  server=$(arg bootwright.server) || { server=\${url#*://}; server=\${server%%/*}; }
  system=$(arg bootwright.system) || case "$url" in
    */system/*) system=\${url##*/system/}; system=\${system%%[/?]*} ;;
    *) system= ;;
  esac
  fqdn=$(arg bootwright.hostname) || fqdn=$(arg hostname) || fqdn=$dhcp_fqdn

  split_kickstart
  for file in /tmp/ks/*-pre.sh; do [ -e "$file" ] && run_section pre "$file"; done
  echo "$PRE"

  # After %pre and before anything is installed, as Anaconda reads its repos when it sets up the payload.
  read_repos

  install_system

  for dir in proc sys dev; do mkdir -p $SYSIMAGE/$dir && mount -o bind /$dir $SYSIMAGE/$dir; done
  for file in /tmp/ks/*-post.sh; do [ -e "$file" ] && run_section post "$file"; done
  echo "$POST"
  finish_install
}

firstboot() {
  echo "\${FIRSTBOOT}installed system booted from disk"
  mount -t ext4 -o ro \${DISK}1 $SYSIMAGE 2>/dev/null || mount -t ext4 -o ro $DISK $SYSIMAGE ||
    fail "cannot mount the installed system from $DISK"
  [ -f $SYSIMAGE/etc/bootwright-installed ] || fail "the disk has no /etc/bootwright-installed"
  while read -r line; do echo "\${FIRSTBOOT}installed: $line"; done < $SYSIMAGE/etc/bootwright-installed
  server=$(arg bootwright.server) || fail "no bootwright.server= on the kernel command line"
  fqdn=$(arg bootwright.hostname) || fqdn=$dhcp_fqdn
  system=$(arg bootwright.system) || system=
  if [ -n "$fqdn" ]; then
    if wget -q -O /tmp/enc.yaml "http://$server/cblr/svc/op/puppet/hostname/$fqdn"; then
      while IFS= read -r line; do echo "$FIRSTBOOT$line"; done < /tmp/enc.yaml
    else
      echo "$FAILED""the node classifier did not answer for $fqdn"
    fi
  else
    echo "\${FIRSTBOOT}no host name known: not asking the node classifier"
  fi
  if [ -n "$system" ]; then
    wget -q -O /dev/null "http://$server/cblr/svc/op/trig/mode/firstboot/system/$system" ||
      echo "$FAILED""cannot report firstboot of $system"
    echo "\${FIRSTBOOT}reported firstboot of system $system"
  fi
  power_off
}

say "cmdline=$cmdline"
load_modules
bring_up_network
if flag bootwright.firstboot; then firstboot; else install; fi
`;
