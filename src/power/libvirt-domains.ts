// Starting a libvirt domain so that it boots a chosen device first, once or from then on: what both the libvirt
// power driver and the virtual BMC (src/bmc/) do for a one-time network boot. libvirt has no "next boot only":
// QEMU reads the boot order when it starts, so the stored definition is rewritten with the device first, the
// domain started, and (for once) the old definition put back at once, which the running instance does not see.

import type { Libvirt } from '../koan/libvirt.js';
import { type BootDevice, withFirstBootDevice } from './libvirt-boot-order.js';

export async function startBooting(
  libvirt: Libvirt,
  domain: string,
  first?: { device: BootDevice; once: boolean },
): Promise<void> {
  if (!first) {
    await libvirt.start(domain);
    return;
  }
  const definition = await libvirt.dumpXml(domain, true);
  await libvirt.define(withFirstBootDevice(definition, first.device));
  try {
    await libvirt.start(domain);
  } finally {
    if (first.once) await libvirt.define(definition);
  }
}

/** libvirt's words for a domain that is off rather than running (or paused, which a BMC still calls on). */
export function isOff(state: string): boolean {
  return /^(shut off|crashed|pmsuspended)/.test(state);
}
