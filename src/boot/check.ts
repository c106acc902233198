// `bootwright check`: what would stop a machine from installing, found before one tries. Each finding names the
// problem and the fix, like Cobbler's `check`, but about this server: loaders, addresses, ports, distro files.

import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { isAbsolute } from 'node:path';
import { quote } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import type { RepoMirrors } from '../mirror/contract.js';
import { neverSyncedProblem, servedFromMirror } from '../mirror/reposync.js';
import { settingFields } from '../model/settings.js';
import { powerFindings } from '../power/check.js';
import { dhcpConfigFromSettings } from './dhcp-wiring.js';
import { findLoader, loaderBinaries } from './loaders/registry.js';

const wellKnownPasswordHash = settingFields.find(
  (field) => field.name === 'default_password_crypted',
)?.default;

export interface Finding {
  problem: string;
  fix: string;
}

function localAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .filter((entry) => entry?.family === 'IPv4')
      .map((entry) => entry?.address as string),
  );
}

/** Whether a UDP port can be bound right now; a running `bootwright serve` holds its own ports too. */
async function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket({ type: 'udp4', reuseAddr: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '0.0.0.0', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      socket.close();
    } catch {
      // Never bound.
    }
  }
}

/**
 * Repos installers are sent to this server for (mirror_locally on) that have no mirror yet, and repos set to be
 * mirrored that bootwright cannot mirror (rsync, rhn): either way an install using them fails.
 */
async function unsyncedMirrors(
  inventory: Inventory,
  mirrors: Pick<RepoMirrors, 'currentDir'>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const repo of await inventory.list('repo')) {
    if (servedFromMirror(repo.fields)) {
      if (mirrors.currentDir(repo.name) === undefined) findings.push(neverSyncedProblem(repo.name));
    } else if (repo.fields.mirror_locally !== false) {
      findings.push({
        problem: `Repo ${quote(repo.name)} is a ${String(repo.fields.breed)} repo with mirror_locally on, which bootwright cannot mirror, so installers are sent to a mirror that is never filled.`,
        fix: `bootwright repo edit --name=${repo.name} --mirror-locally=false (installers use its origin), or give it an http:// URL with --breed=yum or --breed=apt`,
      });
    }
  }
  return findings;
}

/** What a running serve listens on and tells installers (serve-record.ts), when one runs. */
export interface RunningServe {
  port: number;
  httpPort: number;
}

export async function checkBootServer(
  inventory: Inventory,
  loadersDir: string,
  running?: RunningServe,
  mirrors?: Pick<RepoMirrors, 'currentDir'>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (mirrors) findings.push(...(await unsyncedMirrors(inventory, mirrors)));
  findings.push(...(await powerFindings(inventory)));
  const settings = await inventory.settings();
  if (running && running.port !== running.httpPort) {
    findings.push({
      problem: `Installers are told port ${running.httpPort} (the http_port setting) but serve listens on port ${running.port}.`,
      fix: `Forward port ${running.httpPort} to ${running.port}, or bootwright setting edit --name=http_port --value=${running.port} (or setting reset --name=http_port, and serve --port decides)`,
    });
  }
  const server = String(settings.server);
  const nextServer = String(settings.next_server);
  for (const [name, value] of [
    ['server', server],
    ['next_server', nextServer],
  ] as const) {
    if (value.startsWith('127.') || value === 'localhost') {
      findings.push({
        problem: `Setting ${name} is ${value}, which other machines cannot reach.`,
        fix: `bootwright setting edit --name=${name} --value=<this server's address on the install network>`,
      });
    }
  }
  // Cobbler's shipped hash of the password "cobbler": every machine installed with it has a root password anyone
  // can look up.
  if (settings.default_password_crypted === wellKnownPasswordHash) {
    findings.push({
      problem:
        'Setting default_password_crypted is still the well-known default (the password "cobbler"), so every machine installed with it has a root password anyone knows.',
      fix: 'bootwright setting edit --name=default_password_crypted --value="$(openssl passwd -6)"',
    });
  }
  const addresses = localAddresses();
  if (
    !nextServer.startsWith('127.') &&
    /^\d+\.\d+\.\d+\.\d+$/.test(nextServer) &&
    !addresses.has(nextServer)
  ) {
    findings.push({
      problem: `Setting next_server is ${nextServer}, which is not an address of this host (${[...addresses].join(', ')}).`,
      fix: 'Set next_server to an address of this host, or run bootwright on the host that has it.',
    });
  }
  for (const binary of loaderBinaries) {
    if (!findLoader(binary.name, loadersDir)) {
      findings.push({
        problem: `Boot loader ${binary.name} (${binary.purpose}) is not installed.`,
        fix: `apt-get install ${binary.debianPackage}, or put your own copy in ${loadersDir}/`,
      });
    }
  }
  // Paths stored before the served_roots rule, or left outside when the roots narrowed: serve refuses them.
  const unserved = (path: string, what: string) => {
    const refusal = inventory.servedPaths.refusal(path, what, settings);
    if (refusal) findings.push({ problem: `${refusal.problem}, so it is not served`, fix: refusal.fix });
  };
  const tftpRoot = String(settings.tftp_root ?? '');
  if (tftpRoot !== '') unserved(tftpRoot, 'Setting tftp_root');
  for (const distro of await inventory.list('distro')) {
    const tree = String(distro.fields.tree_source ?? '');
    if (tree !== '' && !/^https?:\/\//.test(tree)) unserved(tree, `Distro ${distro.name}: tree_source`);
    for (const field of ['kernel', 'initrd'] as const) {
      const source = String(distro.fields[field] ?? '');
      if (isAbsolute(source)) unserved(source, `Distro ${distro.name}: ${field}`);
      if (/^(https?|ftp):\/\//.test(source)) continue;
      if (source.startsWith('tree:')) {
        const tree = String(distro.fields.tree_source ?? '');
        if (!tree || !existsSync(tree)) {
          findings.push({
            problem: `Distro ${distro.name}: its ${field} is in the tree ${tree || '(none)'}, which is not readable.`,
            fix: `bootwright import --path=/path/to/the.iso --name=${distro.name}`,
          });
        }
        continue;
      }
      if (!isAbsolute(source) || !existsSync(source)) {
        findings.push({
          problem: `Distro ${distro.name}: its ${field} ${source} is not a readable file on this server.`,
          fix: `bootwright distro edit --name=${distro.name} --${field}=/path/to/${field}`,
        });
      }
    }
  }
  try {
    dhcpConfigFromSettings(settings);
  } catch (error) {
    findings.push({ problem: (error as Error).message, fix: 'Set the dhcp_* settings, or dhcp_mode=off.' });
  }
  const ports: [number, string, boolean][] = [
    [69, 'TFTP', Number(settings.tftp_port) === 69],
    [67, 'DHCP', settings.dhcp_mode !== 'off'],
  ];
  for (const [port, what, wanted] of ports) {
    if (wanted && !(await udpPortFree(port))) {
      findings.push({
        problem: `UDP port ${port} (${what}) is taken, by a running bootwright serve or another program.`,
        fix: `If it is another server (dnsmasq, tftpd-hpa, dhcpd), stop it or give bootwright another port.`,
      });
    }
  }
  return findings;
}
