// A libvirt domain's boot order, rewritten so that one device boots first: what a BMC's boot override does to a
// real machine's firmware settings. libvirt writes the order in one of two ways, never both in one domain (it
// refuses the mix): `<boot dev='...'/>` lines in `<os>` (koan's and the lab's domains), or a `<boot order='N'/>`
// inside each device. Pure text in, text out: the caller reads the definition with `virsh dumpxml --inactive`
// and defines the result.

import { invalid } from '../errors.js';

export type BootDevice = 'network' | 'hd' | 'cdrom';

const osBootLine = /[ \t]*<boot dev='(\w+)'\/>\n?/g;
const deviceBootOrder = /<boot order='(\d+)'\/>/g;
const hasDeviceBootOrder = /<boot order='\d+'\/>/;
/** The device elements libvirt accepts a per-device boot order in, by the boot device they stand for. */
const deviceElements: Record<BootDevice, RegExp> = {
  network: /<interface\b[\s\S]*?<\/interface>/,
  hd: /<disk\b[^>]*device='disk'[\s\S]*?<\/disk>/,
  cdrom: /<disk\b[^>]*device='cdrom'[\s\S]*?<\/disk>/,
};

/** The domain XML with `first` as its first boot device, the others after it in their old order. */
export function withFirstBootDevice(xml: string, first: BootDevice): string {
  if (hasDeviceBootOrder.test(xml)) return withFirstDeviceOrder(xml, first);
  const os = /<os\b[^>]*>([\s\S]*?)<\/os>/.exec(xml);
  if (!os) throw invalid('The domain definition has no <os> element to set a boot order in.');
  const body = os[1] as string;
  const devices = [...body.matchAll(osBootLine)].map((match) => match[1] as string);
  const order = [first, ...(devices.length > 0 ? devices : ['hd']).filter((device) => device !== first)];
  const indent = /\n([ \t]*)</.exec(body)?.[1] ?? '    ';
  const lines = order.map((device) => `${indent}<boot dev='${device}'/>\n`).join('');
  // Boot lines go last, after <type>, <loader>, <kernel> and the rest, where libvirt itself writes them; the
  // whitespace before </os> stays where it was.
  const rebuilt = body
    .replace(osBootLine, '')
    .replace(/\n?[ \t]*$/, (tail) => `\n${lines}${tail.replace(/^\n/, '')}`);
  const start = os.index + os[0].indexOf('>') + 1;
  return xml.slice(0, start) + rebuilt + xml.slice(start + body.length);
}

function withFirstDeviceOrder(xml: string, first: BootDevice): string {
  const element = deviceElements[first].exec(xml);
  if (!element) {
    throw invalid(
      `The domain has no ${first === 'network' ? 'network interface' : first} to boot from first.`,
    );
  }
  const own = /<boot order='(\d+)'\/>/.exec(element[0]);
  const ownOrder = own ? Number(own[1]) : Number.POSITIVE_INFINITY;
  // Every device that booted before this one moves down a place; this one becomes the first.
  const shifted = (text: string) =>
    text.replace(deviceBootOrder, (line, order: string) =>
      Number(order) < ownOrder ? `<boot order='${Number(order) + 1}'/>` : line,
    );
  const before = shifted(xml.slice(0, element.index));
  const after = shifted(xml.slice(element.index + element[0].length));
  const indent = /\n([ \t]*)<\/(?:interface|disk)>$/.exec(element[0])?.[1] ?? '    ';
  const moved = own
    ? element[0].replace(own[0], "<boot order='1'/>")
    : element[0].replace(/(\n[ \t]*<\/(?:interface|disk)>)$/, `\n${indent}  <boot order='1'/>$1`);
  return before + moved + after;
}

/** The device the definition boots first (what a BMC reports as the boot source when nothing is overridden). */
export function firstBootDevice(xml: string): BootDevice | undefined {
  if (hasDeviceBootOrder.test(xml)) {
    for (const device of ['network', 'hd', 'cdrom'] as const) {
      const element = deviceElements[device].exec(xml);
      if (element && /<boot order='1'\/>/.test(element[0])) return device;
    }
    return undefined;
  }
  const os = /<os\b[^>]*>([\s\S]*?)<\/os>/.exec(xml);
  const device = os ? /<boot dev='(\w+)'\/>/.exec(os[1] as string)?.[1] : undefined;
  return device === 'network' || device === 'hd' || device === 'cdrom' ? device : undefined;
}
