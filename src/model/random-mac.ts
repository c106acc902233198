// `--mac=random`: a fresh locally unused MAC whose vendor prefix matches the hypervisor that will run it.
// Cobbler always uses Xen's prefix because the system's virt type is never passed (its FIXME); here it is.

import { randomBytes } from 'node:crypto';
import { BootwrightError, quote } from '../errors.js';

const prefixes: { match: (virtType: string) => boolean; prefix: string; firstByteMax: number }[] = [
  { match: (type) => type.startsWith('xen'), prefix: '00:16:3e', firstByteMax: 0x7f }, // XenSource OUI
  {
    match: (type) => type === 'qemu' || type === 'kvm' || type === 'auto',
    prefix: '52:54:00',
    firstByteMax: 0xff,
  },
  { match: (type) => type.startsWith('vmware'), prefix: '00:50:56', firstByteMax: 0x3f }, // VMware manual range
];

export function macPrefixFor(virtType: string): { prefix: string; firstByteMax: number } {
  const entry = prefixes.find((candidate) => candidate.match(virtType));
  if (!entry) {
    throw new BootwrightError(
      'E_INVALID',
      `Cannot make a random MAC for virt type ${quote(virtType)}: use xenpv, xenfv, qemu, kvm or vmware, or give a MAC.`,
    );
  }
  return entry;
}

/** Draws MACs until `isUsed` says no; gives up after many tries rather than loop forever on a full range. */
export async function randomMac(
  virtType: string,
  isUsed: (mac: string) => Promise<boolean>,
): Promise<string> {
  const { prefix, firstByteMax } = macPrefixFor(virtType);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const bytes = randomBytes(3);
    bytes[0] = (bytes[0] as number) % (firstByteMax + 1);
    const mac = `${prefix}:${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    if (!(await isUsed(mac))) return mac;
  }
  throw new BootwrightError(
    'E_UNAVAILABLE',
    `No unused MAC address is left under ${prefix}; give one explicitly.`,
  );
}
