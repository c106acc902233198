// The machines a virtual BMC stands in front of, and what it can do to them: the libvirt domains of a host, driven
// through `virsh -c URI` (koan's Libvirt, argument lists only). Redfish words in, virsh verbs out.
//
// A boot override is the BMC's, not the domain's: libvirt has no "boot from the network once". So the override is
// kept here (and in a small file, so that a restarted BMC remembers it) and carried out when the machine next
// starts (power/libvirt-domains.ts). A restart with an override pending is therefore a stop and a start, not a
// guest reboot (a reboot keeps the running instance's boot order).

import { readFileSync } from 'node:fs';
import { writePrivateFile } from '../auth/_private-file.js';
import { BootwrightError, quote } from '../errors.js';
import type { Libvirt } from '../koan/libvirt.js';
import type { Glob } from '../model/glob.js';
import { type BootDevice, firstBootDevice } from '../power/libvirt-boot-order.js';
import { isOff, startBooting } from '../power/libvirt-domains.js';

export type PowerState = 'On' | 'Off';

/** Redfish's ResetType values this BMC carries out (DMTF Resource.ResetType). */
export const resetTypes = [
  'On',
  'ForceOff',
  'GracefulShutdown',
  'GracefulRestart',
  'ForceRestart',
  'ForceOn',
  'PowerCycle',
  'PushPowerButton',
  'Nmi',
] as const;
export type ResetType = (typeof resetTypes)[number];

/** Redfish's BootSourceOverrideTarget values this BMC can carry out, and the libvirt device each one boots. */
export const bootTargets = { None: undefined, Pxe: 'network', Hdd: 'hd', Cd: 'cdrom' } as const;
export type BootTarget = keyof typeof bootTargets;
export type BootEnabled = 'Disabled' | 'Once' | 'Continuous';

export interface BootOverride {
  target: BootTarget;
  enabled: BootEnabled;
}

export interface MachineInfo {
  /** The Redfish system id: the domain's name. */
  id: string;
  uuid: string;
  power: PowerState;
  memoryMib: number;
  cpus: number;
  /** What the definition boots first, when no override applies. */
  bootDevice: BootDevice | undefined;
}

export interface Machines {
  ids(): Promise<string[]>;
  /** Undefined for a machine this BMC does not serve. */
  info(id: string): Promise<MachineInfo | undefined>;
  reset(id: string, type: ResetType): Promise<void>;
  bootOverride(id: string): BootOverride;
  setBootOverride(id: string, override: BootOverride): void;
}

const noOverride: BootOverride = { target: 'None', enabled: 'Disabled' };

function powerOf(state: string): PowerState {
  return isOff(state) ? 'Off' : 'On';
}

export class LibvirtMachines implements Machines {
  private readonly overrides: Map<string, BootOverride>;

  constructor(
    private readonly libvirt: Libvirt,
    /** Which domains this BMC serves (all when it matches everything). */
    private readonly domains: Glob,
    /** Where overrides are kept across restarts of the BMC. */
    private readonly overridesFile: string,
  ) {
    this.overrides = readOverrides(overridesFile);
  }

  async ids(): Promise<string[]> {
    const names = await this.libvirt.virsh(['list', '--all', '--name']);
    return names
      .split('\n')
      .map((line) => line.trim())
      .filter((name) => name !== '' && this.domains.test(name))
      .sort();
  }

  async info(id: string): Promise<MachineInfo | undefined> {
    if (!this.domains.test(id) || !(await this.libvirt.exists(id))) return undefined;
    const info = parseDomInfo(await this.libvirt.virsh(['dominfo', id]));
    const state = await this.libvirt.state(id);
    return {
      id,
      uuid: info.UUID ?? '',
      power: powerOf(state.state),
      memoryMib: Math.round(Number.parseInt(info['Max memory'] ?? '0', 10) / 1024),
      cpus: Number.parseInt(info['CPU(s)'] ?? '0', 10),
      bootDevice: firstBootDevice(await this.libvirt.dumpXml(id, true)),
    };
  }

  bootOverride(id: string): BootOverride {
    return this.overrides.get(id) ?? noOverride;
  }

  setBootOverride(id: string, override: BootOverride): void {
    if (override.enabled === 'Disabled' || override.target === 'None') this.overrides.delete(id);
    else this.overrides.set(id, override);
    writeOverrides(this.overridesFile, this.overrides);
  }

  async reset(id: string, type: ResetType): Promise<void> {
    const power = powerOf((await this.libvirt.state(id)).state);
    switch (type) {
      case 'On':
      case 'ForceOn':
        if (power === 'Off') await this.start(id);
        return;
      case 'ForceOff':
        if (power === 'On') await this.libvirt.virsh(['destroy', id]);
        return;
      case 'GracefulShutdown':
        if (power === 'On') await this.libvirt.virsh(['shutdown', id]);
        return;
      case 'PushPowerButton':
        if (power === 'Off') await this.start(id);
        else await this.libvirt.virsh(['shutdown', id]);
        return;
      case 'Nmi':
        if (power === 'Off') throw offMachine(id, type);
        await this.libvirt.virsh(['inject-nmi', id]);
        return;
      case 'GracefulRestart':
      case 'ForceRestart':
      case 'PowerCycle':
        if (power === 'Off') {
          // Redfish leaves a restart of a machine that is off to the service; a real BMC powers it on.
          await this.start(id);
        } else if (type === 'PowerCycle' || this.pendingDevice(id)) {
          await this.libvirt.virsh(['destroy', id]);
          await this.start(id);
        } else {
          await this.libvirt.virsh([type === 'GracefulRestart' ? 'reboot' : 'reset', id]);
        }
        return;
    }
  }

  private pendingDevice(id: string): BootDevice | undefined {
    const override = this.bootOverride(id);
    return override.enabled === 'Disabled' ? undefined : bootTargets[override.target];
  }

  /** Starts the domain, booting the overridden device first if one is pending; a Once override is then spent. */
  private async start(id: string): Promise<void> {
    const device = this.pendingDevice(id);
    const once = this.bootOverride(id).enabled === 'Once';
    await startBooting(this.libvirt, id, device ? { device, once } : undefined);
    if (device && once) this.setBootOverride(id, noOverride);
  }
}

function offMachine(id: string, type: ResetType): BootwrightError {
  return new BootwrightError('E_IN_USE', `Machine ${quote(id)} is off; ${type} needs it on.`);
}

/** `virsh dominfo`'s "Key:   value" lines. */
function parseDomInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([^:]+):\s*(.*)$/.exec(line);
    if (match) fields[(match[1] as string).trim()] = (match[2] as string).trim();
  }
  return fields;
}

function readOverrides(path: string): Map<string, BootOverride> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Map();
  }
  try {
    const parsed = JSON.parse(text) as Record<string, BootOverride>;
    return new Map(
      Object.entries(parsed).filter(
        ([, override]) => override.target in bootTargets && ['Once', 'Continuous'].includes(override.enabled),
      ),
    );
  } catch {
    throw new BootwrightError(
      'E_INVALID',
      `The boot override file ${quote(path)} is not JSON; remove it (pending boot overrides are then forgotten).`,
    );
  }
}

function writeOverrides(path: string, overrides: Map<string, BootOverride>): void {
  writePrivateFile(path, `${JSON.stringify(Object.fromEntries(overrides), null, 2)}\n`, { replace: true });
}
