// The registry is what the TFTP routes, boot HTTP, /cblr/svc/op/ and DHCP read: here every path it says a loader
// answers is fetched from the real server over real TFTP and HTTP, and each answer checked against that loader.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { freeUdpPort } from '../../../test/support/free-port.js';
import { servedWithToken } from '../../../test/support/served.js';
import { tempDir } from '../../../test/support/temp-dir.js';
import { tftpFetch } from '../../../test/support/tftp-client.js';
import { dataPaths } from '../../config/paths.js';
import { IPXE_USER_CLASS } from '../../dhcp/options.js';
import { defaultSettings } from '../../model/settings.js';
import { dhcpConfigFromSettings } from '../dhcp-wiring.js';
import { type BootLoader, bootChains, type LoaderBinary } from './loader.js';
import {
  bootLoaders,
  findLoader,
  type LoaderPath,
  loaderBinaries,
  loaderPaths,
  type NamedMachine,
  servicePath,
} from './registry.js';

const machine: NamedMachine = {
  name: 'vm9',
  profile: 'rhel9-base',
  mac: '52:54:00:00:00:09',
  ip: '192.0.2.9',
};

/** The kernel line each loader writes, in its own dialect; a loader not listed is checked for the kernel's path only. */
const kernelLines: Record<string, RegExp> = {
  pxelinux: /^ {2}KERNEL \/images\/rhel9\/vmlinuz$/m,
  grub: /^ {2}linux \/images\/rhel9\/vmlinuz /m,
  ipxe: /^kernel http:\/\/127\.0\.0\.1\/cobbler\/images\/rhel9\/vmlinuz initrd=initrd\.img /m,
};

/** What an answer of each kind must carry, whatever the loader: the autoinstall file of the right object. */
function checkAnswer(loader: BootLoader, { path, answer }: LoaderPath, text: string): void {
  const where = `${loader.name} at ${path}`;
  if (loader.name === 'ipxe') assert.match(text, /^#!ipxe\n/, `${where}: an iPXE script starts with #!ipxe`);
  const kernelLine = kernelLines[loader.name] ?? /\/images\/rhel9\/vmlinuz\b/;
  assert.match(text, kernelLine, `${where}: boots the distro's kernel\n${text}`);
  const system = /cblr\/svc\/op\/autoinstall\/system\/vm9\b/;
  const profile = /cblr\/svc\/op\/autoinstall\/profile\/rhel9-base\b/;
  if (answer === 'system') assert.match(text, system, `${where}: installs the system\n${text}`);
  else {
    assert.match(text, profile, `${where}: installs the profile\n${text}`);
    assert.doesNotMatch(text, system, `${where}: names no system`);
  }
}

const debianArchitecture = ({ x64: 'amd64', arm64: 'arm64', ia32: 'i386' } as Record<string, string>)[
  process.arch
];

/**
 * A file Debian builds for another architecture only (GRUB for ARM64 on an x64 machine) cannot be installed here:
 * an operator's copy in the data directory's loaders/ stands in for it, which the server serves first.
 */
function standInIfForeign(binary: LoaderBinary, loadersDir: string): void {
  if (binary.debianArchitecture === undefined || binary.debianArchitecture === debianArchitecture) return;
  mkdirSync(loadersDir, { recursive: true });
  writeFileSync(
    join(loadersDir, binary.name),
    `stand-in for ${binary.name} (${binary.debianArchitecture})\n`,
  );
}

function installedFile(binary: LoaderBinary, loadersDir: string): Buffer {
  const file = findLoader(binary.name, loadersDir);
  assert.ok(
    file,
    `Boot loader file ${binary.name} (${binary.purpose}) is not installed: install the Debian package ${binary.debianPackage} (scripts/setup.sh lists the packages the tests need), looked in ${binary.candidates.join(', ')}.`,
  );
  return readFileSync(file);
}

async function bootServer(t: TestContext) {
  const files = tempDir(t);
  writeFileSync(join(files, 'vmlinuz'), Buffer.alloc(30_000, 1));
  writeFileSync(join(files, 'initrd.img'), Buffer.alloc(1000, 2));
  const served = await servedWithToken(t, { tftpPort: await freeUdpPort() });
  const { base, token } = served;
  const headers = { authorization: `Bearer ${token}` };
  const send = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${base}/api/v1/${path}`, { method, headers, body: JSON.stringify(body) });
    assert.ok(response.ok, `${method} ${path}: ${await response.text()}`);
  };
  await send('PUT', 'settings/server', { value: '127.0.0.1' });
  await send('POST', 'distros', {
    name: 'rhel9',
    kernel: join(files, 'vmlinuz'),
    initrd: join(files, 'initrd.img'),
    os_version: 'rhel9',
  });
  await send('POST', 'profiles', { name: machine.profile, distro: 'rhel9' });
  await send('POST', 'systems', {
    name: machine.name,
    profile: machine.profile,
    mac_address: machine.mac,
    ip_address: machine.ip,
  });
  return { ...served, headers, tftpPort: served.server.tftpPort as number };
}

describe('the boot-loader registry', () => {
  it('names each loader, file and service operation once, and gives DHCP only files of the loader that says so', () => {
    const unique = (names: string[], what: string) =>
      assert.deepEqual(
        names.filter((name, index) => names.indexOf(name) !== index),
        [],
        `${what} declared twice`,
      );
    unique(
      bootLoaders.map((loader) => loader.name),
      'loaders',
    );
    unique(
      loaderBinaries.map((binary) => binary.name),
      'loader files',
    );
    unique(
      bootLoaders.flatMap((loader) => loader.httpScripts?.serviceOperation ?? []),
      'service operations',
    );
    for (const loader of bootLoaders) {
      for (const { file } of loader.dhcpBootFiles) {
        assert.ok(
          loader.binaries.some((binary) => binary.name === file),
          `${loader.name} hands out ${file} over DHCP, which is none of its files`,
        );
      }
    }
  });

  it('is what the DHCP wiring hands out, by firmware in each chain, and iPXE its script in the iPXE chain', () => {
    for (const chain of bootChains) {
      const config = dhcpConfigFromSettings({
        ...defaultSettings(),
        server: '192.0.2.1',
        next_server: '192.0.2.1',
        dhcp_mode: 'proxy',
        dhcp_subnet: '192.0.2.0/24',
        dhcp_boot_loader: chain,
      });
      assert.ok(config);
      for (const loader of bootLoaders) {
        for (const { firmware, file, chains } of loader.dhcpBootFiles) {
          if (chains.includes(chain))
            assert.equal(config.bootFiles[firmware], file, `${firmware} in ${chain}`);
        }
        const userClass = loader.httpScripts?.dhcpUserClass;
        if (userClass?.userClass === IPXE_USER_CLASS && userClass.chains.includes(chain)) {
          const operation = loader.httpScripts?.serviceOperation as string;
          assert.equal(
            config.ipxeScriptUrl?.(machine.mac),
            `http://192.0.2.1${servicePath(operation, 'mac', machine.mac)}`,
          );
        }
      }
      assert.equal(
        config.ipxeScriptUrl === undefined,
        chain !== 'ipxe',
        `an iPXE script in the ${chain} chain`,
      );
    }
  });

  it('answers every path each loader declares, over real TFTP and HTTP, with what that loader should get', async (t) => {
    const { base, headers, tftpPort, dataDir } = await bootServer(t);
    const loadersDir = dataPaths(dataDir).loaders;
    for (const binary of loaderBinaries) standInIfForeign(binary, loadersDir);
    for (const loader of bootLoaders) {
      const { tftp, http } = loaderPaths(loader, machine);
      // Every answer of a kind is the same text, whichever path and protocol it came by.
      const answers = new Map<string, { path: string; text: string }>();
      const sameAsBefore = (loaderPath: LoaderPath, text: string) => {
        const first = answers.get(loaderPath.answer);
        if (first)
          assert.equal(text, first.text, `${loader.name}: ${loaderPath.path} and ${first.path} differ`);
        else answers.set(loaderPath.answer, { path: loaderPath.path, text });
      };
      for (const loaderPath of tftp) {
        const fetchOverTftp = () =>
          tftpFetch(tftpPort, loaderPath.path, { windowsize: 8 }).catch((error: Error) => {
            throw new Error(`TFTP ${loaderPath.path} (${loader.name}): ${error.message}`);
          });
        if (loaderPath.answer === 'file') {
          const name = loaderPath.path.split('/').pop() as string;
          const binary = loader.binaries.find((candidate) => candidate.name === name) as LoaderBinary;
          const expected = installedFile(binary, loadersDir);
          const { data } = await fetchOverTftp();
          assert.ok(data.equals(expected), `TFTP ${loaderPath.path}: not the bytes of the file on disk`);
          continue;
        }
        const text = (await fetchOverTftp()).data.toString('utf8');
        checkAnswer(loader, loaderPath, text);
        sameAsBefore(loaderPath, text);
      }
      for (const loaderPath of http) {
        const response = await fetch(`${base}${loaderPath.path}`, { headers });
        const text = await response.text();
        assert.equal(response.status, 200, `HTTP ${loaderPath.path}: ${text}`);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
        checkAnswer(loader, loaderPath, text);
        sameAsBefore(loaderPath, text);
      }
    }
  });
});
