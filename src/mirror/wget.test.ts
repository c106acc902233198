import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { apiFixture } from '../../test/support/api-fixture.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { listenHttp } from '../http/server.js';
import type { MirroredRepo } from './contract.js';
import {
  filesUnder,
  type IndexStyle,
  startStaticOrigin,
  testRepo,
  testSession,
} from './test-session.fixture.js';
import { createWgetBreed, listingLinks, treePath, wgetBreed } from './wget.js';

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** A site with the tree to copy under /tree/ and things beside it that must not be copied. */
function makeSite(root: string): void {
  write(root, 'tree/README', 'read me\n');
  write(root, 'tree/Packages/a-1.0.noarch.rpm', 'rpm a\n');
  write(root, 'tree/Packages/b-1.0.x86_64.rpm', 'rpm b\n');
  write(root, 'tree/repodata/repomd.xml', '<repomd/>\n');
  write(root, 'tree/with space/file name.txt', 'spaces\n');
  write(root, 'outside/secret.txt', 'not below the mirror URL\n');
}

async function copy(
  t: TestContext,
  style: IndexStyle,
  fields: Partial<MirroredRepo> = {},
  breed = wgetBreed,
) {
  const origin = tempDir(t);
  makeSite(origin);
  const server = await startStaticOrigin(t, origin, style);
  const snapshot = tempDir(t);
  const session = testSession(
    testRepo({ name: 'tree', breed: 'wget', mirror: `${server.base}tree`, ...fields }),
    snapshot,
  );
  return { origin, server, snapshot, session, run: () => breed.sync(session) };
}

const treeFiles = [
  'Packages/a-1.0.noarch.rpm',
  'Packages/b-1.0.x86_64.rpm',
  'README',
  'repodata/repomd.xml',
  'with space/file name.txt',
];

describe('wget trees', () => {
  for (const style of ['apache', 'nginx', 'bootwright'] as const) {
    it(`copies a tree from ${style} index pages, byte for byte, and nothing above it`, async (t) => {
      const { origin, server, snapshot, run } = await copy(t, style);
      assert.deepEqual(await run(), { packages: 2 });
      const copied = filesUnder(snapshot);
      assert.deepEqual(
        copied.filter((path) => !path.endsWith('index.html')),
        treeFiles,
      );
      for (const path of treeFiles)
        assert.equal(
          readFileSync(join(snapshot, path), 'utf8'),
          readFileSync(join(origin, 'tree', path), 'utf8'),
        );
      // Each directory's page is kept as wget keeps it.
      assert.ok(copied.includes('index.html') && copied.includes('Packages/index.html'));
      assert.ok(
        server.requests.every((request) => request.startsWith('/tree/') && !request.includes('?')),
        String(server.requests),
      );
    });
  }

  it("copies a mirror bootwright serves, through bootwright's own index pages", async (t) => {
    // One bootwright mirrors the site's tree (the engine, a real snapshot), serves it at /cobbler/repo_mirror/;
    // the copy of that, through its listings, has the same files.
    const { app, services } = await apiFixture(t);
    const mirrors = services.mirrors;
    assert.ok(mirrors);
    const origin = tempDir(t);
    makeSite(origin);
    const site = await startStaticOrigin(t, origin, 'apache');
    await mirrors.sync(testRepo({ name: 'first', breed: 'wget', mirror: `${site.base}tree/` }));
    const http = await listenHttp(app, { host: '127.0.0.1', port: 0 });
    t.after(() => http.close());

    const snapshot = tempDir(t);
    const repo = testRepo({
      name: 'second',
      breed: 'wget',
      mirror: `http://127.0.0.1:${http.port}/cobbler/repo_mirror/first/`,
    });
    assert.deepEqual(await wgetBreed.sync(testSession(repo, snapshot)), { packages: 2 });
    // The same paths: each directory's index.html is its page in both copies (bootwright lists the first copy's
    // index.html as a file, and the page at that path is what the second keeps).
    assert.deepEqual(filesUnder(snapshot), filesUnder(mirrors.currentDir('first') as string));
    for (const path of treeFiles)
      assert.equal(
        readFileSync(join(snapshot, path), 'utf8'),
        readFileSync(join(origin, 'tree', path), 'utf8'),
      );
  });

  it('stops a link loop at the depth limit with one line naming it', async (t) => {
    const { origin, run } = await copy(t, 'nginx', {}, createWgetBreed({ maxDepth: 5, maxFiles: 1000 }));
    symlinkSync('.', join(origin, 'tree/loop'));
    await assert.rejects(
      run(),
      /^BootwrightError: Repo "tree": the tree under "http:\/\/127\.0\.0\.1:\d+\/tree\/" goes deeper than 5 directory levels \(at "http:\/\/127\.0\.0\.1:\d+\/tree\/(loop\/){5}[^"]*"\); point mirror at a smaller tree/,
    );
  });

  it('stops at the file limit with one line naming it', async (t) => {
    const { run } = await copy(t, 'apache', {}, createWgetBreed({ maxDepth: 5, maxFiles: 3 }));
    await assert.rejects(
      run(),
      /Repo "tree": the tree under "http:\/\/127\.0\.0\.1:\d+\/tree\/" has more than 3 files; point mirror at a smaller tree\./,
    );
  });

  it('says so when the mirror URL is not there', async (t) => {
    const { run } = await copy(t, 'apache', {
      mirror: `${(await startStaticOrigin(t, tempDir(t))).base}nothere`,
    });
    await assert.rejects(run(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'E_NOT_FOUND');
      assert.match(
        error.message,
        /^Repo "tree": the mirror URL "http:\/\/127\.0\.0\.1:\d+\/nothere\/" has no page \(HTTP 404\)/,
      );
      return true;
    });
  });

  it('refuses a mirror that is not an HTTP URL, and mirrorlists', async (t) => {
    await assert.rejects(
      copy(t, 'apache', { mirror: 'rsync://example.org/tree/' }).then(({ run }) => run()),
      /mirror "rsync:\/\/example\.org\/tree\/" is not an http:\/\/ or https:\/\/ URL/,
    );
    await assert.rejects(
      copy(t, 'apache', { mirror_type: 'metalink' }).then(({ run }) => run()),
      /mirror_type "metalink" is not supported for wget repos/,
    );
  });
});

describe('index page links', () => {
  const start = 'http://origin.test/pub/tree/';
  it('keeps links below the start, telling directories by their slash', () => {
    const html = `<a href="a/">a/</a> <a href='b.rpm'>b</a> <A HREF=c.txt>c</A> <a href="/pub/tree/d/e.iso">abs</a>
      <a href="../">up</a> <a href="/pub/">up</a> <a href="?C=N;O=D">sort</a> <a href="f.txt?x=1">q</a>
      <a href="http://other.test/pub/tree/g">other host</a> <a href="#top">top</a> <a href="h%20i.txt#frag">h</a>
      <a href="mailto:x@y">mail</a> <a href="a&amp;b.txt">amp</a>`;
    assert.deepEqual(listingLinks(html, `${start}sub/`, start), {
      directories: ['http://origin.test/pub/tree/sub/a/'],
      files: [
        'http://origin.test/pub/tree/sub/b.rpm',
        'http://origin.test/pub/tree/sub/c.txt',
        'http://origin.test/pub/tree/d/e.iso',
        'http://origin.test/pub/tree/sub/h%20i.txt',
        'http://origin.test/pub/tree/sub/a&b.txt',
      ],
    });
  });

  it('turns a URL into a snapshot path, refusing an encoded slash', () => {
    assert.equal(treePath(`${start}sub/h%20i.txt`, start), 'sub/h i.txt');
    assert.equal(treePath(`${start}sub/a%2Fb`, start), undefined);
    // URL parsing resolves encoded dot segments before the path is taken: they cannot climb out.
    assert.equal(treePath(`${start}sub/%2E%2E/x`, start), 'x');
  });
});
