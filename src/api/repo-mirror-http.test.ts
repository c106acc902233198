import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { tempDir } from '../../test/support/temp-dir.js';
import type { EventBus } from '../events/event-bus.js';
import { listenHttp } from '../http/server.js';
import { seededBytes } from '../iso9660/iso-images.fixture.js';
import type { RepoMirrors } from '../mirror/contract.js';
import type { EventInput } from '../store/store.js';
import { createApp } from './app.js';

/** Mirrors whose snapshots are directories the test fills: the edges are tested apart from the sync engine. */
export function fakeMirrors(snapshots: Record<string, string>): RepoMirrors {
  return {
    sync: async () => {
      throw new Error('not in this test');
    },
    status: async () => ({}),
    currentDir: (name) => snapshots[name],
    remove: async () => 0,
  };
}

const repomd = '<?xml version="1.0"?>\n<repomd><revision>1</revision></repomd>\n';

async function setup(t: TestContext) {
  const fixture = await apiFixture(t);
  const snapshot = tempDir(t);
  mkdirSync(join(snapshot, 'repodata'));
  mkdirSync(join(snapshot, 'Packages'));
  writeFileSync(join(snapshot, 'repodata/repomd.xml'), repomd);
  const rpm = seededBytes(300_000, 3);
  writeFileSync(join(snapshot, 'Packages/hello-1.0-1.noarch.rpm'), rpm);
  const outside = tempDir(t);
  writeFileSync(join(outside, 'secret'), 'not for installers');
  symlinkSync(join(outside, 'secret'), join(snapshot, 'Packages/escape.rpm'));
  const { inventory } = fixture.services;
  await inventory.add('repo', { name: 'epel', mirror: 'http://192.0.2.1/epel/' });
  await inventory.add('repo', { name: 'never', mirror: 'http://192.0.2.1/never/' });
  const events: EventInput[] = [];
  const app = createApp({
    ...fixture.services,
    mirrors: fakeMirrors({ epel: snapshot }),
    events: { publish: (event: EventInput) => events.push(event) } as unknown as EventBus,
  });
  const http = await listenHttp(app, { host: '127.0.0.1', port: 0 });
  t.after(() => http.close());
  return { app, base: `http://127.0.0.1:${http.port}`, rpm, events };
}

describe('/cobbler/repo_mirror/NAME/ serves the current snapshot', () => {
  it('sends files whole, by range and by HEAD, on the fast path and through the app alike', async (t) => {
    const { app, base, rpm } = await setup(t);
    for (const get of [
      (path: string, init?: RequestInit) => fetch(base + path, init),
      app.request.bind(app),
    ]) {
      const metadata = await get('/cobbler/repo_mirror/epel/repodata/repomd.xml');
      assert.equal(metadata.status, 200);
      assert.equal(metadata.headers.get('content-type'), 'application/xml');
      assert.equal(await metadata.text(), repomd);
      const etag = metadata.headers.get('etag') as string;
      assert.ok(etag);
      const again = await get('/cobbler/repo_mirror/epel/repodata/repomd.xml', {
        headers: { 'if-none-match': etag },
      });
      assert.equal(again.status, 304);
      const part = await get('/cobbler/repo_mirror/epel/Packages/hello-1.0-1.noarch.rpm', {
        headers: { range: 'bytes=1000-1999' },
      });
      assert.equal(part.status, 206);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(rpm.subarray(1000, 2000)));
      const head = await get('/cobbler/repo_mirror/epel/Packages/hello-1.0-1.noarch.rpm', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(rpm.length));
    }
  });

  it('lists a directory as HTML for people, and redirects it to its trailing slash', async (t) => {
    const { base } = await setup(t);
    const index = await fetch(`${base}/cobbler/repo_mirror/epel/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    const html = await index.text();
    assert.match(html, /<a href="repodata\/">repodata\/<\/a>/);
    assert.match(html, /<a href="Packages\/">Packages\/<\/a>/);
    const redirect = await fetch(`${base}/cobbler/repo_mirror/epel/Packages`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/cobbler/repo_mirror/epel/Packages/');
    const packages = await (await fetch(`${base}/cobbler/repo_mirror/epel/Packages/`)).text();
    assert.match(packages, /hello-1\.0-1\.noarch\.rpm<\/a> 300000/);
  });

  it('says how to fill a repo that was never synced, and names a repo that does not exist', async (t) => {
    const { base } = await setup(t);
    const never = await fetch(`${base}/cobbler/repo_mirror/never/repodata/repomd.xml`);
    assert.equal(never.status, 404);
    const { error } = (await never.json()) as { error: { message: string } };
    assert.equal(
      error.message,
      'Repo "never" has no mirror yet: run bootwright reposync --name=never (or set --mirror-locally=false to have installers use its origin).',
    );
    const missing = await fetch(`${base}/cobbler/repo_mirror/nosuch/repodata/repomd.xml`);
    assert.equal(missing.status, 404);
    assert.match(
      ((await missing.json()) as { error: { message: string } }).error.message,
      /no repo "nosuch"/,
    );
    const file = await fetch(`${base}/cobbler/repo_mirror/epel/repodata/primary.xml.gz`);
    assert.equal(file.status, 404);
  });

  it('serves nothing outside the snapshot: no "..", no symlink out of it', async (t) => {
    const { base } = await setup(t);
    for (const path of [
      '/cobbler/repo_mirror/epel/Packages/escape.rpm',
      '/cobbler/repo_mirror/epel/..%2f..%2fetc/passwd',
      '/cobbler/repo_mirror/epel/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const response = await fetch(base + path);
      assert.ok(response.status === 403 || response.status === 404, `${path}: ${response.status}`);
      assert.doesNotMatch(await response.text(), /not for installers|root:/);
    }
  });

  it('puts each file served on the timeline as http.repo, with the client address to find the system by', async (t) => {
    const { base, app, events } = await setup(t);
    await (await fetch(`${base}/cobbler/repo_mirror/epel/repodata/repomd.xml`)).text();
    await (await app.request('/cobbler/repo_mirror/epel/Packages/hello-1.0-1.noarch.rpm')).arrayBuffer();
    // A path naming no repo keeps no event.
    await (await fetch(`${base}/cobbler/repo_mirror/nosuch/x`)).text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const repoEvents = events.filter((event) => event.type === 'http.repo');
    assert.deepEqual(
      repoEvents.map((event) => (event.detail as { path: string }).path),
      [
        '/cobbler/repo_mirror/epel/repodata/repomd.xml',
        '/cobbler/repo_mirror/epel/Packages/hello-1.0-1.noarch.rpm',
      ],
    );
    assert.equal(repoEvents[0]?.ip, '127.0.0.1');
  });
});
