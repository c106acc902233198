// Nothing lost, the store (issue 10): thousands of writes through the REST API, 32 at a time, against the real
// `bootwright serve`; once a third are acknowledged the server is killed with SIGKILL. After a restart on the same
// data directory, every write the server acknowledged is there exactly as sent, a write that was in flight is
// either wholly there or wholly absent, and no object is half-written. `npm run test:long` runs 30,000 writes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxLimit } from '../../src/api/paging.js';
import { setUserPassword } from '../../src/auth/password.js';
import { dataPaths } from '../../src/config/paths.js';
import { UsersFile } from '../../src/store/users-file.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { configureStore, exited } from '../support/guest-run.js';
import { reportCount, scaled } from '../support/long-mode.js';
import { type ServeProcess, startServeProcess } from '../support/serve-process.js';
import { logIn } from '../support/served.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { tempDir } from '../support/temp-dir.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const writeCount = scaled(3_000, 30_000);
const concurrency = 32;

function startServe(dataDir: string): Promise<ServeProcess> {
  return startServeProcess([`--data-dir=${dataDir}`, '--host=127.0.0.1', '--port=0', '--tftp-port=0']);
}

/** What write `i` sends: a system with interfaces and options, so a torn write would show. */
function systemBody(i: number): Record<string, unknown> {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    name: `node${i}`,
    profile: 'p',
    hostname: `node${i}.example.org`,
    kernel_options: `console=ttyS0 node=${i}`,
    comment: `write ${i} ${'x'.repeat(i % 200)}`,
    interfaces: {
      eth0: {
        mac_address: `02:00:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}`,
        netmask: '255.255.255.0',
        dns_name: `node${i}.example.org`,
      },
      eth1: { mac_address: `02:01:00:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}` },
    },
  };
}

interface SystemJson {
  name: string;
  hostname?: string;
  comment?: string;
  kernel_options?: unknown;
  interfaces?: Record<string, { mac_address?: string; dns_name?: string }>;
}

function assertWhole(json: SystemJson, i: number): void {
  const sent = systemBody(i) as unknown as SystemJson;
  assert.equal(json.hostname, sent.hostname, `node${i} hostname`);
  assert.equal(json.comment, sent.comment, `node${i} comment`);
  assert.match(JSON.stringify(json.kernel_options), new RegExp(`node\\W+${i}\\b`), `node${i} kernel options`);
  assert.equal(json.interfaces?.eth0?.dns_name, `node${i}.example.org`, `node${i} eth0`);
  assert.equal(json.interfaces?.eth1?.mac_address, sent.interfaces?.eth1?.mac_address, `node${i} eth1`);
}

describe('the store survives SIGKILL', () => {
  it(`${writeCount.toLocaleString('en-US')} concurrent writes, SIGKILL after a third: every acknowledged one is there, whole`, async (t) => {
    const dataDir = tempDir(t);
    await setUserPassword(new UsersFile(dataPaths(dataDir).usersFile), 'admin', 'secret-admin');
    await configureStore(dataDir, [
      [...serveTestRootsCommand],
      ['distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`],
      ['profile', 'add', '--name=p', '--distro=d'],
    ]);
    let server = await startServe(dataDir);
    t.after(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    const token = await logIn(server.base, 'secret-admin', 'admin');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const acknowledged = new Set<number>();
    const failed = new Set<number>();
    const killAt = Math.floor(writeCount / 3);
    let next = 0;
    let killed = false;
    const base = server.base;
    const worker = async () => {
      while (next < writeCount && !killed) {
        const i = next++;
        try {
          const response = await fetch(`${base}/api/v1/systems`, {
            method: 'POST',
            headers,
            body: JSON.stringify(systemBody(i)),
          });
          if (response.status !== 201) throw new Error(`${response.status} ${await response.text()}`);
          await response.arrayBuffer();
          acknowledged.add(i);
          if (acknowledged.size === killAt) {
            killed = true;
            server.child.kill('SIGKILL');
          }
        } catch (error) {
          // After the kill, a write in flight has no answer: it may or may not have been committed.
          if (!killed) throw error;
          failed.add(i);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await exited(server.child, 10_000);
    assert.ok(killed);

    server = await startServe(dataDir);
    // Page by page: the server sends at most maxLimit objects per answer.
    const items: SystemJson[] = [];
    for (;;) {
      const listing = await fetch(`${server.base}/api/v1/systems?limit=${maxLimit}&offset=${items.length}`);
      assert.equal(listing.status, 200);
      const page = ((await listing.json()) as { items: SystemJson[] }).items;
      items.push(...page);
      if (page.length < maxLimit) break;
    }
    const present = new Map(items.map((item) => [String(item.name), item]));
    for (const i of acknowledged) {
      const item = present.get(`node${i}`);
      assert.ok(item, `node${i} was acknowledged before the SIGKILL but is gone`);
      const one = await fetch(`${server.base}/api/v1/systems/node${i}`);
      assertWhole((await one.json()) as SystemJson, i);
    }
    // Whatever else is there was a write in flight at the kill, and it too is whole.
    for (const [name] of present) {
      const i = Number(name.slice('node'.length));
      if (acknowledged.has(i)) continue;
      assert.ok(failed.has(i), `${name} is in the store but was never written`);
      const one = await fetch(`${server.base}/api/v1/systems/${name}`);
      assertWhole((await one.json()) as SystemJson, i);
    }
    // And the store takes writes again.
    const again = await fetch(`${server.base}/api/v1/systems`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await logIn(server.base, 'secret-admin', 'admin')}`,
      },
      body: JSON.stringify(systemBody(writeCount + 1)),
    });
    assert.equal(again.status, 201, await again.text());
    reportCount('reliability/store-sigkill', 'acknowledged writes verified after SIGKILL', acknowledged.size);
    server.child.kill('SIGTERM');
    await exited(server.child, 10_000);
  });
});
