import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { sharedBootFiles } from '../../test/support/boot-files.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { distroImageRoute } from '../boot/tftp-routes.js';
import { mkisofs, needsXorriso, seededBytes } from '../iso9660/iso-images.fixture.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

const kernelPath = 'images/pxeboot/vmlinuz';

/** A RHEL-like tree: a 3 MB kernel (many 2048-byte ISO blocks), an initrd and .treeinfo. */
function makeTree(t: TestContext) {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'images/pxeboot'), { recursive: true });
  const kernel = seededBytes(3 * 1024 * 1024 + 123, 42);
  const initrd = seededBytes(70_000, 7);
  writeFileSync(join(dir, kernelPath), kernel);
  writeFileSync(join(dir, 'images/pxeboot/initrd.img'), initrd);
  writeFileSync(join(dir, '.treeinfo'), '[general]\nfamily = Test\n');
  return { dir, kernel, initrd };
}

async function setup(t: TestContext, kind: 'iso' | 'directory') {
  const fixture = await apiFixture(t);
  const tree = makeTree(t);
  const source = kind === 'iso' ? mkisofs(tree.dir, join(tempDir(t), 'test.iso'), ['-R', '-J']) : tree.dir;
  await fixture.services.inventory.add('distro', {
    name: 'test9',
    tree_source: source,
    kernel: `tree:${kernelPath}`,
    initrd: 'tree:images/pxeboot/initrd.img',
  });
  return { ...fixture, ...tree, source };
}

async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

for (const kind of ['iso', 'directory'] as const) {
  describe(`install trees over HTTP from a ${kind}`, { skip: kind === 'iso' && needsXorriso }, () => {
    it('serves whole files at /distros/ and /cblr/links/ with their sizes', async (t) => {
      const { app, kernel } = await setup(t, kind);
      for (const prefix of ['/distros/test9/', '/cblr/links/test9/']) {
        const response = await app.request(prefix + kernelPath);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-length'), String(kernel.length));
        assert.equal(response.headers.get('accept-ranges'), 'bytes');
        assert.ok((await bytesOf(response)).equals(kernel), `${prefix} bytes`);
      }
      const treeinfo = await app.request('/distros/test9/.treeinfo');
      assert.equal(await treeinfo.text(), '[general]\nfamily = Test\n');
    });

    it('serves byte ranges, across a 2048-byte block boundary and from the end', async (t) => {
      const { app, kernel } = await setup(t, kind);
      const cases: [string, number, number][] = [
        ['bytes=2000-6200', 2000, 6200],
        ['bytes=0-0', 0, 0],
        ['bytes=-1000', kernel.length - 1000, kernel.length - 1],
        [`bytes=${kernel.length - 10}-`, kernel.length - 10, kernel.length - 1],
      ];
      for (const [range, start, end] of cases) {
        const response = await app.request(`/cblr/links/test9/${kernelPath}`, { headers: { range } });
        assert.equal(response.status, 206, range);
        assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/${kernel.length}`);
        assert.equal(response.headers.get('content-length'), String(end - start + 1));
        assert.ok((await bytesOf(response)).equals(kernel.subarray(start, end + 1)), range);
      }
      const beyond = await app.request(`/distros/test9/${kernelPath}`, {
        headers: { range: `bytes=${kernel.length}-` },
      });
      assert.equal(beyond.status, 416);
    });

    it('answers If-None-Match with 304 and HEAD with the size and no body', async (t) => {
      const { app, kernel } = await setup(t, kind);
      const first = await app.request(`/distros/test9/${kernelPath}`);
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
      await first.arrayBuffer();
      const again = await app.request(`/distros/test9/${kernelPath}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      const head = await app.request(`/distros/test9/${kernelPath}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(kernel.length));
      assert.equal((await bytesOf(head)).length, 0);
    });

    it('serves tree: kernels and initrds at /cobbler/images/ and over TFTP', async (t) => {
      const { app, kernel, initrd, services } = await setup(t, kind);
      const http = await app.request('/cobbler/images/test9/vmlinuz');
      assert.equal(http.status, 200);
      assert.ok((await bytesOf(http)).equals(kernel));
      const ranged = await app.request('/images/test9/initrd.img', { headers: { range: 'bytes=2040-2060' } });
      assert.equal(ranged.status, 206);
      assert.ok((await bytesOf(ranged)).equals(initrd.subarray(2040, 2061)));

      const route = distroImageRoute(services.boot);
      const client = { address: '192.0.2.50', port: 2000 };
      const file = await route.resolve('images/test9/vmlinuz', client);
      assert.ok(file && 'read' in file);
      assert.equal(file.size, kernel.length);
      const blocks: Buffer[] = [];
      for (let offset = 0; offset < file.size; offset += 65_536) blocks.push(await file.read(offset, 65_536));
      assert.ok(Buffer.concat(blocks).equals(kernel));
      assert.ok((await file.read(2000, 100)).equals(kernel.subarray(2000, 2100)));
      assert.equal(await route.resolve('images/test9/passwd', client), undefined);
    });

    it('lists directories, redirecting to the slash form', async (t) => {
      const { app } = await setup(t, kind);
      const bare = await app.request('/distros/test9/images');
      assert.equal(bare.status, 301);
      assert.equal(bare.headers.get('location'), '/distros/test9/images/');
      const index = await app.request('/distros/test9/images/pxeboot/');
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
      const html = await index.text();
      assert.match(html, /<a href="vmlinuz">vmlinuz<\/a> 3145851/);
      assert.match(html, /<a href="initrd\.img">initrd\.img<\/a>/);
      assert.match(
        await (await app.request('/cblr/links/test9/')).text(),
        /<a href="images\/">images\/<\/a>/,
      );
    });

    it('refuses paths that leave the tree and says what is missing', async (t) => {
      const { app } = await setup(t, kind);
      for (const path of ['..%2F..%2F..%2Fetc%2Fpasswd', 'images%2F..%2F..%2Fetc', '%5C..%5Cetc']) {
        const response = await app.request(`/distros/test9/${path}`);
        assert.equal(response.status, 403, path);
      }
      // The URL parser resolves plain and %2e dots before routing, so these never reach the tree.
      assert.equal((await app.request('/distros/test9/../../etc/passwd')).status, 404);
      assert.equal((await app.request('/distros/test9/%2e%2e/%2e%2e/etc/passwd')).status, 404);
      const missing = await app.request('/distros/test9/images/nothing');
      assert.equal(missing.status, 404);
      assert.match(
        (await missing.json()).error.message,
        /"images\/nothing" is not in the tree of distro "test9"/,
      );
      assert.equal((await app.request('/distros/nodistro/x')).status, 404);
    });
  });
}

describe('install trees that cannot be served', () => {
  it('says which tree_source is missing, and picks up a changed tree_source', async (t) => {
    const fixture = await apiFixture(t);
    const { app, services } = fixture;
    const { inventory } = services;
    const gone = join(tempDir(t), 'gone.iso');
    await inventory.add('distro', {
      name: 'lost',
      tree_source: gone,
      kernel: 'tree:vmlinuz',
      initrd: bootFiles.initrd,
    });
    const response = await app.request('/distros/lost/vmlinuz');
    assert.equal(response.status, 503);
    const { error } = await response.json();
    assert.equal(error.code, 'E_UNAVAILABLE');
    assert.ok(error.message.includes(`tree_source "${gone}" cannot be read`), error.message);
    assert.equal((await app.request('/cobbler/images/lost/vmlinuz')).status, 503);
    assert.equal(
      await distroImageRoute(services.boot).resolve('images/lost/vmlinuz', { address: '', port: 0 }),
      undefined,
    );

    const tree = makeTree(t);
    await inventory.edit('distro', 'lost', { tree_source: tree.dir, kernel: `tree:${kernelPath}` });
    const found = await app.request(`/distros/lost/${kernelPath}`);
    assert.equal(found.status, 200);
    assert.ok((await bytesOf(found)).equals(tree.kernel));
  });

  it('gives 404 for a distro without a tree_source', async (t) => {
    const { app, services } = await apiFixture(t);
    await services.inventory.add('distro', {
      name: 'plain',
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
    });
    const response = await app.request('/distros/plain/');
    assert.equal(response.status, 404);
    assert.match((await response.json()).error.message, /has no tree_source/);
  });

  it('does not follow a symlink out of a directory tree', async (t) => {
    const { app, services } = await apiFixture(t);
    const tree = makeTree(t);
    const outside = tempDir(t);
    writeFileSync(join(outside, 'secret'), 'secret');
    symlinkSync(join(outside, 'secret'), join(tree.dir, 'leak'));
    await services.inventory.add('distro', {
      name: 'd',
      tree_source: tree.dir,
      kernel: bootFiles.kernel,
      initrd: bootFiles.initrd,
    });
    assert.equal((await app.request('/distros/d/leak')).status, 404);
  });
});
