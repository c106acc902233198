// A small site for the tests of src/external: 192.0.2.0/24 (RFC 5737) with domain example.org and three systems,
// and the way to run the Debian programs that check what the renderers write.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after } from 'node:test';
import { interfaceFields } from '../model/fields.js';
import type { InventoryObject, NetworkInterface } from '../model/kinds.js';
import { applySettingOverrides, type Settings } from '../model/settings.js';
import type { ExternalConfigInput } from './_site.js';

export function networkInterface(values: Partial<NetworkInterface>): NetworkInterface {
  const defaults = Object.fromEntries(
    interfaceFields.map((field) => [field.name, structuredClone(field.default)]),
  ) as unknown as NetworkInterface;
  return { ...defaults, virt_bridge: '', ...values };
}

export function system(
  name: string,
  fields: Record<string, string | boolean>,
  interfaces: Record<string, Partial<NetworkInterface>>,
): InventoryObject {
  return {
    kind: 'system',
    name,
    uid: `uid-${name}`,
    ctime: 0,
    mtime: 0,
    fields: { profile: 'debian12', hostname: '', gateway: '', netboot_enabled: true, ...fields },
    interfaces: Object.fromEntries(
      Object.entries(interfaces).map(([ifname, values]) => [ifname, networkInterface(values)]),
    ),
  };
}

export const exampleSettingOverrides: Record<string, unknown> = {
  server: '192.0.2.1',
  next_server: '192.0.2.1',
  dhcp_subnet: '192.0.2.0/24',
  dhcp_range_start: '192.0.2.100',
  dhcp_range_end: '192.0.2.199',
  dhcp_router: '192.0.2.254',
  dhcp_domain: 'example.org',
  dhcp_lease_time: 7200,
};

export function exampleSettings(overrides: Record<string, unknown> = {}): Settings {
  return applySettingOverrides({ ...exampleSettingOverrides, ...overrides });
}

/**
 * web1 has two interfaces (the second on the management gateway, with a CNAME), db1 has netboot off and a CNAME in
 * another spelling, lab1 has no address (it takes one from the pool) and a DHCP tag.
 */
export const exampleSystems: readonly InventoryObject[] = [
  system(
    'web1',
    { hostname: 'web1' },
    {
      eth0: {
        mac_address: '52:54:00:0a:00:01',
        ip_address: '192.0.2.10',
        netmask: '255.255.255.0',
        dns_name: 'web1.example.org',
        cnames: ['www', 'static.example.org'],
        static: true,
      },
      eth1: {
        mac_address: '52:54:00:0a:00:02',
        ip_address: '192.0.2.11',
        netmask: '255.255.255.0',
        if_gateway: '192.0.2.253',
        dns_name: 'web1-mgmt.example.org',
        static: true,
      },
    },
  ),
  system(
    'db1',
    { hostname: 'db1', netboot_enabled: false },
    {
      eth0: {
        mac_address: '52:54:00:0b:00:01',
        ip_address: '192.0.2.20',
        dns_name: 'db1.example.org',
        cnames: ['mysql.example.org'],
        static: true,
      },
    },
  ),
  system('lab1', { hostname: 'lab1' }, { eth0: { mac_address: '52:54:00:0c:00:01', dhcp_tag: 'lab' } }),
];

export function exampleSite(overrides: Record<string, unknown> = {}): ExternalConfigInput {
  return { settings: exampleSettings(overrides), systems: exampleSystems };
}

// ---------------------------------------------------------------------------------------------------------------
// Debian's programs

/** Daemons live in /usr/sbin, which an unprivileged PATH may lack. */
export function findProgram(name: string): string | undefined {
  const path = process.env.PATH ?? '';
  return [...path.split(delimiter), '/usr/sbin', '/sbin']
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate));
}

export interface ProgramRun {
  code: number | null;
  output: string;
}

/** A scratch directory for a whole test file, removed when the file's tests end. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bootwright-external-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes text to dir/name and runs the program with args, in which "{file}" stands for that file. */
export function checkWith(
  program: string,
  args: string[],
  dir: string,
  name: string,
  text: string,
): ProgramRun {
  const path = join(dir, name);
  writeFileSync(path, text);
  const binary = findProgram(program);
  if (!binary) throw new Error(`${program} is not installed`);
  const result = spawnSync(
    binary,
    args.map((arg) => arg.replaceAll('{file}', path)),
    { encoding: 'utf8', timeout: 30_000, cwd: dir },
  );
  return { code: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
