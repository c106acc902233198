// `bootwright dhcp-config --format dnsmasq|isc|kea` and `bootwright dns-config --format hosts|bind|dnsmasq`: the
// configuration a site's own DHCP or DNS server needs for the systems of the inventory, printed to stdout for the
// site to install and reload. They read the settings and the systems, locally or from --server.

import { quote } from '../errors.js';
import {
  type ExternalConfigInput,
  renderDnsmasqDhcp,
  renderIscDhcpd,
  renderKeaDhcp4,
} from '../external/dhcp-config.js';
import { renderBindZones, renderDnsmasqHosts, renderHostsFile } from '../external/dns-config.js';
import { usageError } from './args.js';
import { type GlobalOptions, openBackend } from './backend.js';
import { commandLabel, type Invocation, requireOption } from './invocation.js';

type Renderer = (input: ExternalConfigInput) => string;

/**
 * BIND needs named.conf zone statements and one file per zone; on stdout they follow each other, each after a
 * "==> FILE <==" line as `tail` writes them, commented for the file it starts.
 */
function renderBindBundle(input: ExternalConfigInput): string {
  const { namedConf, zones } = renderBindZones(input);
  return [
    `// ==> named.conf.bootwright <==\n${namedConf}`,
    ...zones.map((zone) => `; ==> ${zone.file} <==\n${zone.text}`),
  ].join('\n');
}

const formats: Record<'dhcp-config' | 'dns-config', Record<string, Renderer>> = {
  'dhcp-config': { dnsmasq: renderDnsmasqDhcp, isc: renderIscDhcpd, kea: renderKeaDhcp4 },
  'dns-config': { hosts: renderHostsFile, bind: renderBindBundle, dnsmasq: renderDnsmasqHosts },
};

function choices(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

export async function runExternalConfigCommand(
  word: 'dhcp-config' | 'dns-config',
  invocation: Invocation,
  globals: GlobalOptions,
): Promise<void> {
  const format = requireOption(invocation, 'config_format');
  const render = Object.hasOwn(formats[word], format) ? formats[word][format] : undefined;
  if (!render) {
    throw usageError(
      `${quote(commandLabel(invocation))} has no format ${quote(format)}; choose ${choices(Object.keys(formats[word]))}.`,
    );
  }
  const { backend, close } = await openBackend(globals);
  try {
    const input = { settings: await backend.settings(), systems: await backend.list('system') };
    invocation.io.stdout.write(render(input));
  } finally {
    await close();
  }
}
