// The libvirt power driver, for VMs: power_address is the libvirt URI (default qemu:///system; qemu+ssh://host/system
// for another host), power_id the domain (default: the system's name). `off` destroys (pulls the plug), `reboot`
// resets, or stops and starts when a network boot is pending. A next boot set here is kept in this process until
// the domain next starts (libvirt has no one-time boot device; see libvirt-domains.ts).

import { BootwrightError } from '../errors.js';
import { Libvirt } from '../koan/libvirt.js';
import { runCommand } from '../koan/run-command.js';
import type { NextBoot, PowerAction, PowerDriver, PowerOutcome, PowerTarget } from './contract.js';
import { isOff, startBooting } from './libvirt-domains.js';

const pendingBoots = new Map<string, NextBoot>();

function domainOf(target: PowerTarget): { libvirt: Libvirt; domain: string; key: string } {
  const uri = target.address || 'qemu:///system';
  const domain = target.id || target.system;
  return { libvirt: new Libvirt(uri, runCommand), domain, key: `${uri} ${domain}` };
}

async function domainState(libvirt: Libvirt, domain: string, target: PowerTarget): Promise<string> {
  try {
    return (await libvirt.state(domain)).state;
  } catch (error) {
    throw new BootwrightError(
      'E_UNAVAILABLE',
      `System ${target.system}: libvirt at ${libvirt.uri} cannot tell the state of domain ${JSON.stringify(domain)} (${(error as Error).message}); check --power-address (the URI) and --power-id (the domain).`,
    );
  }
}

export const libvirtDriver: PowerDriver = {
  name: 'libvirt',

  async run(action: PowerAction, target: PowerTarget, signal: AbortSignal): Promise<PowerOutcome> {
    const { libvirt, domain, key } = domainOf(target);
    const state = await domainState(libvirt, domain, target);
    if (signal.aborted)
      throw new BootwrightError('E_UNAVAILABLE', `System ${target.system}: libvirt did not answer in time.`);
    const off = isOff(state);
    if (action === 'status') return { state: off ? 'off' : 'on', said: `domain ${domain} is ${state}` };
    if (action === 'off') {
      if (!off) await libvirt.virsh(['destroy', domain]);
      return { state: 'off', said: off ? `domain ${domain} was already off` : `destroyed ${domain}` };
    }
    const pending = pendingBoots.get(key);
    if (action === 'reboot' && !off && !pending) {
      await libvirt.virsh(['reset', domain]);
      return { state: 'on', said: `reset ${domain}` };
    }
    if (!off) {
      if (action === 'on') return { state: 'on', said: `domain ${domain} was already on` };
      await libvirt.virsh(['destroy', domain]);
    }
    pendingBoots.delete(key);
    await startBooting(
      libvirt,
      domain,
      pending ? { device: pending === 'pxe' ? 'network' : 'hd', once: true } : undefined,
    );
    return { state: 'on', said: `started ${domain}${pending === 'pxe' ? ' from the network' : ''}` };
  },

  async setNextBoot(device: NextBoot, target: PowerTarget): Promise<PowerOutcome> {
    const { key, domain } = domainOf(target);
    pendingBoots.set(key, device);
    return {
      said: `${domain} boots ${device === 'pxe' ? 'the network' : 'its disk'} first when it next starts`,
    };
  },
};
