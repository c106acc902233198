// `bootwright koan`: Koan's job, against a bootwright server or a real Cobbler (the same XML-RPC calls). For --virt:
// fetch the object, work out the install (install-data.ts), check libvirt and the disks before touching anything,
// download kernel and initrd, create the disks, start the install definition and keep the installed one
// (domain-xml.ts), then with --vm-poll wait for the installer to power off and boot the installed system. Each
// step goes to the server's timeline. Whatever fails part way is undone: no half-defined VM, no orphan disk.

import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Invocation } from '../cli/invocation.js';
import { BootwrightError, quote } from '../errors.js';
import { CobblerClient } from './cobbler-client.js';
import { formatDisplay, formatList } from './display.js';
import { type DomainSpec, domainXml, type InstallBoot, type VirtType } from './domain-xml.js';
import { downloadToCache } from './download.js';
import {
  type InstallData,
  type KoanTargetKind,
  kernelArgs,
  type RenderedData,
  readInstallData,
  staticInterfaceArgs,
  treeFromKickstart,
  treeOf,
} from './install-data.js';
import { defaultUri, Libvirt } from './libvirt.js';
import { type KoanOptions, readKoanOptions } from './options.js';
import { replaceSelf, updateFiles } from './replace-self.js';
import { type RunCommand, runCommand } from './run-command.js';
import { StepReporter } from './step-reporter.js';
import { createDisks, type DiskSpec, planDisks } from './storage.js';
import { waitForInstall } from './vm-poll.js';

export interface KoanDeps {
  run: RunCommand;
}

interface Target {
  kind: KoanTargetKind;
  name: string;
}

function targetOf(options: KoanOptions): Target | undefined {
  if (options.system !== undefined) return { kind: 'system', name: options.system };
  if (options.profile !== undefined) return { kind: 'profile', name: options.profile };
  if (options.image !== undefined) return { kind: 'image', name: options.image };
  return undefined;
}

/** `get_<kind>_as_rendered(name)`; an empty answer (Koan: "No entry/entries found") is an error with the fix. */
async function fetchRendered(
  client: CobblerClient,
  options: KoanOptions,
  target: Target,
): Promise<RenderedData> {
  const answer = await client.call(`get_${target.kind}_as_rendered`, target.name);
  if (
    answer === null ||
    typeof answer !== 'object' ||
    Array.isArray(answer) ||
    Object.keys(answer).length === 0
  ) {
    throw new BootwrightError(
      'E_NOT_FOUND',
      `The server at ${options.server} has no ${target.kind} ${quote(target.name)}; "bootwright koan --server=${options.server} --list=${target.kind}s" lists them.`,
    );
  }
  return answer as RenderedData;
}

/** Kernel and initrd URLs: from the server's data, else from the install tree (as Koan: images/pxeboot/). */
async function bootFileUrls(
  client: CobblerClient,
  data: RenderedData,
  install: InstallData,
): Promise<{ kernel: string; initrd: string; tree?: string }> {
  let tree = treeOf(data);
  if (
    (!install.kernelUrl || !install.initrdUrl) &&
    !tree &&
    !['debian', 'ubuntu', 'suse'].includes(install.breed)
  ) {
    tree = treeFromKickstart(await client.fetchText(install.autoinstallUrl));
  }
  const kernel =
    install.kernelUrl ?? (tree ? `${tree.replace(/\/$/, '')}/images/pxeboot/vmlinuz` : undefined);
  const initrd =
    install.initrdUrl ?? (tree ? `${tree.replace(/\/$/, '')}/images/pxeboot/initrd.img` : undefined);
  if (!kernel || !initrd) {
    throw new BootwrightError(
      'E_INVALID',
      `${install.kind} ${quote(install.name)} names no kernel and initrd, and no install tree to find them in; set the distro's --kernel and --initrd.`,
    );
  }
  return { kernel, initrd, ...(tree ? { tree } : {}) };
}

function pygrubPath(): string {
  for (const dir of ['/usr/lib/xen/bin', '/usr/libexec/xen/bin']) {
    if (existsSync(`${dir}/pygrub`)) return `${dir}/pygrub`;
  }
  const versioned = existsSync('/usr/lib')
    ? readdirSync('/usr/lib').find(
        (name) => /^xen-[\d.]+$/.test(name) && existsSync(`/usr/lib/${name}/bin/pygrub`),
      )
    : undefined;
  return versioned ? `/usr/lib/${versioned}/bin/pygrub` : '/usr/bin/pygrub';
}

export interface DomainSpecInput {
  name: string;
  uuid: string;
  virtType: VirtType;
  arch: string;
  install: InstallData;
  disks: DiskSpec[];
  options: Pick<KoanOptions, 'graphics' | 'diskBus' | 'netModel' | 'machine' | 'consoleLog'>;
  boot: InstallBoot;
  pygrub?: string;
}

/** Everything the two definitions of a VM say, from what koan worked out; no side effects. */
export function domainSpecFor(input: DomainSpecInput): DomainSpec {
  const { name, virtType, install, options } = input;
  return {
    name,
    uuid: input.uuid,
    virtType,
    arch: input.arch.replace(/^i[3-6]86$/, 'i686'),
    ramMiB: install.ramMiB,
    vcpus: install.vcpus,
    disks: input.disks,
    nics: install.nics,
    graphics: options.graphics,
    diskBus: options.diskBus ?? 'virtio',
    netModel: options.netModel ?? 'virtio',
    ...(options.machine ? { machine: options.machine } : {}),
    install: input.boot,
    ...(options.consoleLog === 'none'
      ? {}
      : {
          consoleLog:
            options.consoleLog ??
            `/var/log/libvirt/${virtType.startsWith('xen') ? 'libxl' : 'qemu'}/${name}-console.log`,
        }),
    ...(virtType === 'xenpv' ? { pygrub: input.pygrub ?? pygrubPath() } : {}),
  };
}

/** An image object's ISO: a file on this host, as Koan needs it (it mounts NFS; here an NFS path must be mounted). */
function imageFile(data: RenderedData, name: string): string {
  const file = String(data.file ?? '');
  if (data.image_type === 'virt-clone') {
    // Cobbler's koan hands these to `virt-install --import`; this koan writes its own domain XML and has no such path.
    throw new BootwrightError(
      'E_INVALID',
      `Image ${quote(name)} is a virt-clone image, which this koan does not import; define the VM on a copy of ${quote(file)} with virsh, or make the image an iso.`,
    );
  }
  if (!file.startsWith('/') || !existsSync(file)) {
    throw new BootwrightError(
      'E_INVALID',
      `Image ${quote(name)} names the file ${quote(file)}, which is not on this host; mount or copy it here and set the image's file to that path.`,
    );
  }
  return file;
}

function defaultVmName(target: Target): string {
  if (target.kind === 'system') return target.name;
  const stamp = new Date().toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${target.name}-${stamp}`;
}

async function installVirtual(
  options: KoanOptions,
  client: CobblerClient,
  data: RenderedData,
  target: Target,
  invocation: Invocation,
  deps: KoanDeps,
  reporter: StepReporter,
): Promise<number> {
  const { stdout } = invocation.io;
  const say = (line: string) => stdout.write(`- ${line}\n`);
  const install = readInstallData(data, target.kind, target.name, {
    ...(options.kopts ? { kopts: options.kopts } : {}),
    bridges: options.bridges,
  });
  await reporter.report('fetched', `fetched the ${target.kind}'s data from ${options.server}`);

  // The hypervisor first: nothing is downloaded or created for a host that cannot run the VM.
  const wanted = options.virtType ?? ((install.virtType || 'auto') as VirtType | 'auto');
  const libvirt = new Libvirt(options.connect ?? defaultUri(wanted), deps.run);
  await libvirt.checkConnection();
  const virtType = wanted === 'auto' ? await libvirt.pickVirtType() : wanted;
  if (wanted === 'auto') say(`no virt-type given, picked ${virtType} from libvirt's capabilities`);
  if (options.pxeBoot && virtType === 'xenpv') {
    throw new BootwrightError(
      'E_USAGE',
      'Xen PV guests cannot network-boot; drop --virt-pxe-boot or use --virt-type=xenfv.',
    );
  }
  const name = options.virtName ?? defaultVmName(target);
  if (await libvirt.exists(name)) {
    throw new BootwrightError(
      'E_INVALID',
      `libvirt already has a virtual machine named ${quote(name)}; remove it ("virsh undefine ${name}") or choose another --virt-name.`,
    );
  }
  const disks = await planDisks(
    {
      name,
      virtPath: options.virtPath ?? install.virtPath,
      sizesGiB: install.diskSizesGiB,
      drivers: install.diskDrivers,
      defaultDir:
        virtType === 'xenpv' || virtType === 'xenfv' ? '/var/lib/xen/images' : '/var/lib/libvirt/images',
      forcePath: options.forcePath,
    },
    libvirt.runner,
  );
  const extra = options.staticInterface ? staticInterfaceArgs(data, install, options.staticInterface) : {};
  const cmdline = kernelArgs(install, extra);
  if (cmdline.length > 2048) {
    throw new BootwrightError(
      'E_INVALID',
      `The installer's kernel command line is ${cmdline.length} characters, over Linux's 2048; shorten the kernel options.`,
    );
  }

  let boot: InstallBoot = 'network';
  const image = target.kind === 'image' ? imageFile(data, target.name) : undefined;
  if (image) boot = { cdrom: image };
  else if (!options.pxeBoot) {
    const urls = await bootFileUrls(client, data, install);
    const kernel = await downloadToCache(urls.kernel, options.cacheDir, stdout, `downloading ${urls.kernel}`);
    const initrd = await downloadToCache(urls.initrd, options.cacheDir, stdout, `downloading ${urls.initrd}`);
    boot = { kernel, initrd, cmdline };
    await reporter.report('downloaded', `downloaded kernel and initrd to ${options.cacheDir}`);
  }

  const spec = domainSpecFor({
    name,
    uuid: randomUUID(),
    virtType,
    arch: String(data.arch || 'x86_64'),
    install,
    disks,
    options,
    boot,
  });
  if (install.nics.length === 0)
    say('no bridge for a NIC (give --virt-bridge or set virt_bridge): the VM has no network');

  const created = await createDisks(disks, libvirt.runner);
  try {
    // The install runs as a transient domain; the definition kept is the installed one, so that whatever ends the
    // install (power-off, reboot, crash), what libvirt starts next is the installed system.
    await libvirt.createTransient(domainXml(spec, 'install'));
    // Reported at once: the installer is already running and will soon report steps of its own.
    await reporter.report(
      'started',
      `started the installer in ${name} (${virtType}, libvirt at ${libvirt.uri})`,
    );
    await libvirt.define(domainXml(spec, 'installed'));
    if (options.autoBoot || install.autoBoot) await libvirt.setAutostart(name);
  } catch (error) {
    await libvirt.remove(name);
    await created.remove();
    throw error;
  }
  await reporter.report('defined', `defined the installed system ${name} for after the install`);
  say(
    `the installer runs in ${virtType} virtual machine ${name}; its console is copied to ${spec.consoleLog}`,
  );
  if (spec.graphics !== 'none') say(`graphical console: "virsh -c ${libvirt.uri} domdisplay ${name}"`);

  if (!options.vmPoll) {
    say(`when the install powers off, "virsh -c ${libvirt.uri} start ${name}" boots the installed system`);
    return 0;
  }
  const ending = await waitForInstall(libvirt, name, { intervalMs: options.pollIntervalMs, say });
  if (ending === 'crashed') {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `The installer in ${quote(name)} crashed; read its console${spec.consoleLog ? ` in ${spec.consoleLog}` : ` ("virsh console ${name}")`}, then "virsh start ${name}" or run koan again.`,
    );
  }
  await reporter.report('finished', `the installer in ${name} powered off`);
  if (options.noReboot) {
    say(`install finished; --noreboot: start it with "virsh -c ${libvirt.uri} start ${name}"`);
    return 0;
  }
  await libvirt.start(name);
  await reporter.report('restarted', `started the installed system in ${name}`);
  say(`install finished; started the installed system in ${name}`);
  return 0;
}

function hostName(): string {
  return hostname() || 'this host';
}

export async function runKoan(invocation: Invocation, deps: KoanDeps = { run: runCommand }): Promise<number> {
  const options = readKoanOptions(invocation);
  const client = await CobblerClient.connect(options.server, options.port);
  const { stdout } = invocation.io;
  if (options.mode === 'list') {
    stdout.write(formatList(await client.call(`get_${options.list}`)));
    return 0;
  }
  const target = targetOf(options);
  if (options.mode === 'update-files') {
    if (!target)
      throw new BootwrightError('E_USAGE', '--update-files needs --system=NAME or --profile=NAME.');
    const data = await fetchRendered(client, options, target);
    return updateFiles(data, target.kind, options.root, stdout);
  }
  if (!target)
    throw new BootwrightError('E_USAGE', `--${options.mode} needs --system=NAME or --profile=NAME.`);
  const data = await fetchRendered(client, options, target);
  if (options.mode === 'display') {
    stdout.write(await displayView(client, data, target, options));
    return 0;
  }
  if (options.mode === 'replace-self') {
    const install = readInstallData(
      data,
      target.kind,
      target.name,
      options.kopts ? { kopts: options.kopts } : {},
    );
    const urls = await bootFileUrls(client, data, install);
    const extra = options.staticInterface ? staticInterfaceArgs(data, install, options.staticInterface) : {};
    return replaceSelf({
      install,
      kernelUrl: urls.kernel,
      initrdUrl: urls.initrd,
      cmdline: kernelArgs(install, extra),
      root: options.root,
      addReinstallEntry: options.addReinstallEntry,
      out: stdout,
      run: deps.run,
    });
  }
  const reporter = new StepReporter(new URL(client.apiUrl).origin, target.kind, target.name, (line) =>
    invocation.io.stderr.write(`bootwright koan: warning: ${line}\n`),
  );
  await reporter.report('start', `koan started on ${hostName()}`);
  try {
    return await installVirtual(options, client, data, target, invocation, deps, reporter);
  } catch (error) {
    // The timeline says why koan stopped, in the words the operator saw.
    await reporter.report('failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
}

/** Koan's --display: the data with Koan's own additions, then DISPLAY_PARAMS. */
async function displayView(
  client: CobblerClient,
  data: RenderedData,
  target: Target,
  options: KoanOptions,
): Promise<string> {
  const install = readInstallData(
    data,
    target.kind,
    target.name,
    options.kopts ? { kopts: options.kopts } : {},
  );
  const view: RenderedData = { ...data, autoinst: install.autoinstallUrl };
  let header = '';
  try {
    const urls = await bootFileUrls(client, data, install);
    if (urls.tree) {
      view.install_tree = urls.tree;
      header = `install_tree: ${urls.tree}\n`;
    }
    view.kernel = data.kernel || urls.kernel;
    view.initrd = data.initrd || urls.initrd;
  } catch {
    // Display shows what there is; a profile without a tree still has the rest to show.
  }
  view.kernel_options = kernelArgs(install);
  return header + formatDisplay(view);
}
