// Certificates made by openssl for tests, as an operator would make them, an HTTPS client that trusts only their CA,
// and serve started with them on loopback: for tests of serve's HTTPS listener.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setUserPassword } from '../../src/auth/password.js';
import { dataPaths } from '../../src/config/paths.js';
import { startServer } from '../../src/serve.js';
import { UsersFile } from '../../src/store/users-file.js';
import { runCli } from './cli.js';
import { serveTestRootsCommand } from './served-roots.js';
import { tempDir } from './temp-dir.js';

export interface Certificates {
  ca: string;
  cert: string;
  key: string;
  otherKey: string;
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

const newEcKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A private CA and a certificate for 127.0.0.1 signed by it, as an operator would make them. */
export function makeCertificates(dir: string): Certificates {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  openssl('req', '-x509', ...newEcKey, '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=test CA');
  return { ca, ...makeLeaf(dir, 'server'), otherKey: caKey };
}

/** A certificate for 127.0.0.1 (NAME.pem, NAME.key) signed by the CA in dir. */
export function makeLeaf(dir: string, name: string): { cert: string; key: string } {
  const path = (file: string) => join(dir, file);
  openssl(
    'req',
    ...newEcKey,
    '-keyout',
    path(`${name}.key`),
    '-out',
    path(`${name}.csr`),
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(path('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    path(`${name}.csr`),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    path('san.ext'),
    '-out',
    path(`${name}.pem`),
  );
  return { cert: path(`${name}.pem`), key: path(`${name}.key`) };
}

/** One HTTPS request that trusts only the test CA. */
export function httpsFetch(
  url: string,
  ca: string,
  init: { method?: string; body?: string; token?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: init.method ?? 'GET',
        ca: readFileSync(ca),
        headers: init.token ? { authorization: `Bearer ${init.token}` } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

/**
 * serve with a certificate for 127.0.0.1 from a test CA, on loopback ports of the system's choosing, with user
 * "admin" (password "admin-pass"), distro "d" (a 256 KiB kernel on disk), profile "p" and the given settings.
 */
export async function servedOverTls(t: TestContext, settings: Record<string, string> = {}) {
  const dir = tempDir(t);
  const certificates = makeCertificates(dir);
  const dataDir = tempDir(t);
  await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'admin', 'admin-pass');
  const kernel = Buffer.alloc(256 * 1024, 7);
  writeFileSync(join(dir, 'vmlinuz'), kernel);
  writeFileSync(join(dir, 'initrd.img'), 'initrd');
  const cli = async (...argv: string[]) => assert.equal((await runCli(dataDir, ...argv)).code, 0);
  await cli(...serveTestRootsCommand);
  await cli(
    'distro',
    'add',
    '--name=d',
    `--kernel=${join(dir, 'vmlinuz')}`,
    `--initrd=${join(dir, 'initrd.img')}`,
  );
  await cli('profile', 'add', '--name=p', '--distro=d');
  for (const [name, value] of Object.entries(settings))
    await cli('setting', 'edit', `--name=${name}`, `--value=${value}`);
  const running = await startServer({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    tftpPort: 0,
    tlsCert: certificates.cert,
    tlsKey: certificates.key,
    tlsPort: 0,
  });
  t.after(() => running.stop());
  return {
    ...certificates,
    dir,
    running,
    dataDir,
    kernel,
    http: `http://127.0.0.1:${running.port}`,
    https: `https://127.0.0.1:${running.tlsPort}`,
  };
}
