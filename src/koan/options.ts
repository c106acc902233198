// `bootwright koan`'s flags, read and checked as Koan checks them (its app.py `run`): exactly one mode, an object
// for --virt, qemu-only flags only with qemu or kvm, --static-interface only with --system. Each mistake is one
// sentence that says what to write instead.

import { usageError } from '../cli/args.js';
import type { Invocation } from '../cli/invocation.js';
import { quote } from '../errors.js';
import { type DiskBus, diskBuses, type Graphics, netModels, type VirtType, virtTypes } from './domain-xml.js';

export type KoanMode = 'virt' | 'replace-self' | 'update-files' | 'display' | 'list';
export const listables = ['profiles', 'systems', 'images', 'distros', 'repos'] as const;

export interface KoanOptions {
  mode: KoanMode;
  server: string;
  port?: string;
  list?: (typeof listables)[number];
  system?: string;
  profile?: string;
  image?: string;
  virtName?: string;
  virtType?: VirtType | 'auto';
  virtPath?: string;
  forcePath: boolean;
  bridges: string[];
  graphics: Graphics;
  vmPoll: boolean;
  autoBoot: boolean;
  pxeBoot: boolean;
  diskBus?: DiskBus;
  netModel?: string;
  machine?: string;
  staticInterface?: string;
  kopts?: string;
  addReinstallEntry: boolean;
  noReboot: boolean;
  connect?: string;
  pollIntervalMs: number;
  cacheDir: string;
  root: string;
  /** "none" for no copy; absent for the default under /var/log/libvirt. */
  consoleLog?: string;
}

export function readKoanOptions(invocation: Invocation): KoanOptions {
  const values = invocation.values;
  const text = (key: string) => {
    const value = values.get(key);
    return typeof value === 'string' ? value : undefined;
  };
  const flag = (key: string) => values.get(key) === true;
  const modes: [KoanMode, boolean][] = [
    ['virt', flag('virt')],
    ['replace-self', flag('replace_self')],
    ['update-files', flag('update_files')],
    ['display', flag('display')],
    ['list', text('list') !== undefined],
  ];
  const chosen = modes.filter(([, on]) => on).map(([mode]) => mode);
  if (chosen.length !== 1) {
    throw usageError(
      `Choose one of --virt, --replace-self, --update-files, --list=WHAT or --display${chosen.length > 1 ? ` (given: ${chosen.map((mode) => `--${mode}`).join(', ')})` : ''}.`,
    );
  }
  const mode = chosen[0] as KoanMode;
  const server = text('server') ?? invocation.io.env.COBBLER_SERVER ?? '';
  if (server === '')
    throw usageError('Say --server=HOST (or set COBBLER_SERVER) to name the bootwright or Cobbler server.');

  const list = text('list');
  if (list !== undefined && !(listables as readonly string[]).includes(list)) {
    throw usageError(`Cannot list ${quote(list)}; --list takes ${listables.join(', ')}.`);
  }
  const targets = ['system', 'profile', 'image'].filter((key) => text(key) !== undefined);
  if (targets.length > 1)
    throw usageError(
      `Give one of --system, --profile or --image, not ${targets.map((t) => `--${t}`).join(' and ')}.`,
    );
  if ((mode === 'virt' || mode === 'display') && targets.length === 0) {
    throw usageError(`--${mode} needs --system=NAME, --profile=NAME or --image=NAME.`);
  }

  const virtType = text('virt_type')?.toLowerCase();
  const knownTypes = [...virtTypes, 'auto', 'xen'];
  if (virtType !== undefined && !knownTypes.includes(virtType)) {
    throw usageError(`--virt-type ${quote(virtType)} is not one of ${[...virtTypes, 'auto'].join(', ')}.`);
  }
  const qemuLike = virtType === undefined || virtType === 'qemu' || virtType === 'kvm' || virtType === 'auto';
  for (const key of ['qemu_disk_type', 'qemu_net_type', 'qemu_machine_type']) {
    if (text(key) !== undefined && !qemuLike) {
      throw usageError(`--${key.replaceAll('_', '-')} is for --virt-type=qemu or kvm, not ${virtType}.`);
    }
  }
  const diskBus = text('qemu_disk_type')?.toLowerCase();
  if (diskBus !== undefined && !(diskBuses as readonly string[]).includes(diskBus)) {
    throw usageError(`--qemu-disk-type ${quote(diskBus)} is not one of ${diskBuses.join(', ')}.`);
  }
  const netModel = text('qemu_net_type')?.toLowerCase();
  if (netModel !== undefined && !(netModels as readonly string[]).includes(netModel)) {
    throw usageError(`--qemu-net-type ${quote(netModel)} is not one of ${netModels.join(', ')}.`);
  }
  if (text('static_interface') !== undefined && text('system') === undefined) {
    throw usageError('--static-interface works with --system only: a profile has no addresses.');
  }
  const graphicsText = flag('nogfx') ? 'none' : (text('graphics')?.toLowerCase() ?? 'vnc');
  if (flag('nogfx') && text('graphics') !== undefined && text('graphics') !== 'none') {
    throw usageError('--nogfx and --graphics contradict each other; give one.');
  }
  if (!['vnc', 'spice', 'none'].includes(graphicsText)) {
    throw usageError(`--graphics ${quote(graphicsText)} is not one of vnc, spice, none.`);
  }
  const pollText = text('poll_interval') ?? '5';
  const pollSeconds = Number(pollText);
  if (!Number.isFinite(pollSeconds) || pollSeconds <= 0 || pollSeconds > 3600) {
    throw usageError(`--poll-interval ${quote(pollText)} is not a number of seconds between 0 and 3600.`);
  }
  const virtName = text('virt_name');
  if (virtName !== undefined && !/^[\w.+-]{1,64}$/.test(virtName)) {
    throw usageError(
      `--virt-name ${quote(virtName)} may hold only letters, digits and . _ + - (at most 64).`,
    );
  }
  const port = text('port');
  const system = text('system');
  const profile = text('profile');
  const image = text('image');
  const virtPath = text('virt_path');
  const machine = text('qemu_machine_type');
  const staticInterface = text('static_interface');
  const kopts = text('kopts');
  const connect = text('connect');
  const consoleLog = text('console_log');
  if (consoleLog !== undefined && consoleLog !== 'none' && !consoleLog.startsWith('/')) {
    throw usageError(`--console-log ${quote(consoleLog)} must be an absolute path, or "none".`);
  }
  return {
    mode,
    server,
    ...(port !== undefined ? { port } : {}),
    ...(list !== undefined ? { list: list as KoanOptions['list'] & string } : {}),
    ...(system !== undefined ? { system } : {}),
    ...(profile !== undefined ? { profile } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(virtName !== undefined ? { virtName } : {}),
    ...(virtType !== undefined
      ? { virtType: (virtType === 'xen' ? 'xenpv' : virtType) as VirtType | 'auto' }
      : {}),
    ...(virtPath !== undefined ? { virtPath } : {}),
    forcePath: flag('force_path'),
    bridges: (text('virt_bridge') ?? '')
      .split(',')
      .map((bridge) => bridge.trim())
      .filter(Boolean),
    graphics: graphicsText as Graphics,
    vmPoll: flag('vm_poll'),
    autoBoot: flag('virt_auto_boot'),
    pxeBoot: flag('virt_pxe_boot'),
    ...(diskBus !== undefined ? { diskBus: diskBus as DiskBus } : {}),
    ...(netModel !== undefined ? { netModel } : {}),
    ...(machine !== undefined ? { machine } : {}),
    ...(staticInterface !== undefined ? { staticInterface } : {}),
    ...(kopts !== undefined ? { kopts } : {}),
    addReinstallEntry: flag('add_reinstall_entry'),
    noReboot: flag('noreboot'),
    ...(connect !== undefined ? { connect } : {}),
    pollIntervalMs: pollSeconds * 1000,
    cacheDir: text('cache_dir') ?? '/var/lib/bootwright/koan',
    root: text('root') ?? '/',
    ...(consoleLog !== undefined ? { consoleLog } : {}),
  };
}
