import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { startOrigin } from '../../test/support/origin-server.js';
import { buildRpms, makeRpmRepo } from '../../test/support/rpm-repo.js';
import { tempDir } from '../../test/support/temp-dir.js';
import type { MirroredRepo } from './contract.js';
import { openRepoMirrors } from './engine.js';
import { testRepo } from './test-session.fixture.js';
import {
  archFilter,
  compareVersions,
  parseMetalink,
  parseMirrorlist,
  parsePrimary,
  parseRepomd,
  resolveRpmList,
  splitFlags,
} from './yum.js';

function yumRepo(name: string, mirror: string, fields: Partial<MirroredRepo> = {}): MirroredRepo {
  return testRepo({ name, mirror, breed: 'yum', ...fields });
}

/** The package files of a snapshot, sorted. */
function packagesIn(dir: string): string[] {
  return readdirSync(join(dir, 'Packages')).sort();
}

describe('yum repositories, from origins made by rpmbuild and createrepo_c', () => {
  const cleanups: (() => unknown)[] = [];
  const suite = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as {
    after: TestContext['after'];
  };
  let rpms: string[];
  let originRoot: string;
  let originUrl: string;

  before(async () => {
    const work = tempDir(suite);
    rpms = await buildRpms(work, [
      { name: 'hello-lib', provides: ['libhello'], source: true },
      { name: 'hello-tool', requires: ['libhello'] },
      { name: 'hello-native', arch: 'x86_64', requires: ['hello-tool'] },
      { name: 'unrelated' },
    ]);
    originRoot = join(work, 'origin');
    await makeRpmRepo(originRoot, rpms);
    writeFileSync(join(originRoot, 'repodata', 'repomd.xml.asc'), 'a signature, kept as it came\n');
    writeFileSync(join(originRoot, 'repodata', 'repomd.xml.key'), 'the public key, kept as it came\n');
    originUrl = `${(await startOrigin(suite, originRoot)).url}/`;
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('mirrors every package and metadata file byte for byte, with the signature of repomd.xml and its key', async (t) => {
    const mirrors = openRepoMirrors(tempDir(t));
    const result = await mirrors.sync(yumRepo('all', originUrl));
    const dir = mirrors.currentDir('all');
    assert.ok(dir);
    assert.equal(result.packages, 5);
    assert.deepEqual(packagesIn(dir), readdirSync(join(originRoot, 'Packages')).sort());
    for (const name of readdirSync(join(originRoot, 'repodata')))
      assert.deepEqual(
        readFileSync(join(dir, 'repodata', name)),
        readFileSync(join(originRoot, 'repodata', name)),
        name,
      );
    for (const name of packagesIn(dir))
      assert.deepEqual(
        readFileSync(join(dir, 'Packages', name)),
        readFileSync(join(originRoot, 'Packages', name)),
      );
  });

  it("takes the repo's arch as Cobbler does: x86_64 with noarch, src alone", async (t) => {
    const mirrors = openRepoMirrors(tempDir(t));
    await mirrors.sync(yumRepo('x86', originUrl, { arch: 'x86_64' }));
    assert.deepEqual(packagesIn(mirrors.currentDir('x86') ?? ''), [
      'hello-lib-1.0-1.noarch.rpm',
      'hello-native-1.0-1.x86_64.rpm',
      'hello-tool-1.0-1.noarch.rpm',
      'unrelated-1.0-1.noarch.rpm',
    ]);
    await mirrors.sync(yumRepo('sources', originUrl, { arch: 'src' }));
    assert.deepEqual(packagesIn(mirrors.currentDir('sources') ?? ''), ['hello-lib-1.0-1.src.rpm']);
  });

  it('with rpm_list (a glob), holds the named package and what it requires, transitively, under metadata of its own', async (t) => {
    const mirrors = openRepoMirrors(tempDir(t));
    const lines: string[] = [];
    const result = await mirrors.sync(
      yumRepo('narrow', originUrl, {
        arch: 'x86_64',
        rpm_list: ['hello-nat*'],
        createrepo_flags: '-s sha256',
      }),
      { log: (line) => lines.push(line) },
    );
    const dir = mirrors.currentDir('narrow');
    assert.ok(dir);
    assert.equal(result.packages, 3);
    assert.deepEqual(packagesIn(dir), [
      'hello-lib-1.0-1.noarch.rpm',
      'hello-native-1.0-1.x86_64.rpm',
      'hello-tool-1.0-1.noarch.rpm',
    ]);
    const repomd = parseRepomd(readFileSync(join(dir, 'repodata', 'repomd.xml')));
    const primary = repomd.find((entry) => entry.type === 'primary');
    assert.ok(primary);
    const listed = parsePrimary(gunzipSync(readFileSync(join(dir, primary.href))));
    assert.deepEqual(listed.map((pkg) => pkg.name).sort(), ['hello-lib', 'hello-native', 'hello-tool']);
    // The origin's signature is of the origin's repomd.xml; it cannot stay beside a new one.
    assert.equal(existsSync(join(dir, 'repodata', 'repomd.xml.asc')), false);
    assert.ok(
      lines.some((line) => line.includes('regenerated with createrepo_c -s sha256')),
      lines.join('\n'),
    );
  });

  it('createrepo_flags createrepo_c refuses fail the sync in one line naming them', async (t) => {
    const mirrors = openRepoMirrors(tempDir(t));
    await assert.rejects(
      mirrors.sync(
        yumRepo('flags', originUrl, { rpm_list: ['unrelated'], createrepo_flags: '--no-such-flag' }),
      ),
      (error: Error) => {
        assert.match(
          error.message,
          /^Repo "flags": createrepo_c with createrepo_flags "--no-such-flag" failed \(.+\); fix the repo's createrepo_flags\.$/,
        );
        return true;
      },
    );
    assert.equal(mirrors.currentDir('flags'), undefined);
  });

  it('follows a mirrorlist and a metalink to the first baseurl that answers, passing over a stale one', async (t) => {
    const listRoot = tempDir(t);
    const lists = await startOrigin(t, listRoot);
    const dead = 'http://127.0.0.1:9/dead/';
    // A mirror that has not caught up: its repomd.xml is not the one the metalink gives.
    const staleRoot = tempDir(t);
    mkdirSync(join(staleRoot, 'repodata'));
    writeFileSync(join(staleRoot, 'repodata', 'repomd.xml'), '<repomd><!-- yesterday --></repomd>');
    const stale = `${(await startOrigin(t, staleRoot)).url}/`;
    const repomd = readFileSync(join(originRoot, 'repodata', 'repomd.xml'));
    writeFileSync(join(listRoot, 'mirrorlist'), `# mirrors\n${dead}\n${originUrl}\n`);
    writeFileSync(
      join(listRoot, 'metalink'),
      `<?xml version="1.0"?><metalink version="3.0" xmlns="http://www.metalinker.org/"><files><file name="repomd.xml">
        <verification><hash type="sha256">${createHash('sha256').update(repomd).digest('hex')}</hash></verification>
        <resources>
          <url protocol="http" preference="50">${originUrl}repodata/repomd.xml</url>
          <url protocol="http" preference="90">${stale}repodata/repomd.xml</url>
          <url protocol="http" preference="100">${dead}repodata/repomd.xml</url>
        </resources></file></files></metalink>`,
    );
    const mirrors = openRepoMirrors(tempDir(t));
    const lines: string[] = [];
    for (const type of ['mirrorlist', 'metalink'] as const) {
      const result = await mirrors.sync(yumRepo(type, `${lists.url}/${type}`, { mirror_type: type }), {
        log: (line) => lines.push(line),
      });
      assert.equal(result.packages, 5, type);
    }
    assert.ok(
      lines.includes(
        `metalink: ${stale} is stale (its repomd.xml is not one the metalink lists); trying the next`,
      ),
      lines.join('\n'),
    );
    assert.ok(lines.includes(`metalink: mirroring ${originUrl} (from the metalink)`), lines.join('\n'));
    await assert.rejects(
      mirrors.sync(yumRepo('none', `${lists.url}/missing`, { mirror_type: 'mirrorlist' })),
      /^BootwrightError: Repo "none": The mirrorlist "http:\/\/127\.0\.0\.1:\d+\/missing" does not answer/,
    );
  });

  it('a second sync of an origin whose metadata gives SHA-1 (createrepo -s sha) downloads no package again', async (t) => {
    const root = join(tempDir(t), 'sha1');
    await makeRpmRepo(root, rpms, ['-s', 'sha']);
    assert.match(readFileSync(join(root, 'repodata', 'repomd.xml'), 'utf8'), /<checksum type="sha">/);
    const origin = await startOrigin(t, root);
    const mirrors = openRepoMirrors(tempDir(t));
    await mirrors.sync(yumRepo('sha1', `${origin.url}/`));
    origin.requests.length = 0;
    const again = await mirrors.sync(yumRepo('sha1', `${origin.url}/`));
    assert.equal(again.packages, 5);
    assert.deepEqual(
      origin.requests.filter((r) => r.path.startsWith('/Packages/')),
      [],
    );
    assert.equal(again.downloaded, 0);
  });

  it('reads xz-compressed metadata through xz', async (t) => {
    const root = join(tempDir(t), 'xz');
    await makeRpmRepo(root, rpms, ['--general-compress-type=xz']);
    const origin = await startOrigin(t, root);
    const mirrors = openRepoMirrors(tempDir(t));
    assert.equal((await mirrors.sync(yumRepo('xz', `${origin.url}/`))).packages, 5);
  });

  it('a repomd.xml that is not XML fails in one line naming it', async (t) => {
    const root = tempDir(t);
    mkdirSync(join(root, 'repodata'));
    writeFileSync(join(root, 'repodata', 'repomd.xml'), '<html><body>Not Found</p></html>');
    const origin = await startOrigin(t, root);
    await assert.rejects(
      openRepoMirrors(tempDir(t)).sync(yumRepo('bad', `${origin.url}/`)),
      (error: Error) => {
        assert.match(
          error.message,
          /^Repo "bad": Cannot read repodata\/repomd\.xml of repo "bad": malformed XML/,
        );
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });
});

describe('yum helpers', () => {
  it("compares versions as rpm's rpmvercmp does", () => {
    assert.equal(compareVersions('1.10', '1.9'), 1);
    assert.equal(compareVersions('1.0', '1.0'), 0);
    assert.equal(compareVersions('1.0~rc1', '1.0'), -1);
    assert.equal(compareVersions('1.0a', '1.0'), 1);
    assert.equal(compareVersions('2.el8', '10.el8'), -1);
    assert.equal(compareVersions('1.0^git1', '1.0'), 1);
  });

  it('filters arches: empty takes all, i386 its family and noarch', () => {
    const arches = ['x86_64', 'noarch', 'i686', 'src', 'aarch64'].map((arch) => ({ arch }));
    assert.deepEqual(arches.filter(archFilter('')).length, 5);
    assert.deepEqual(
      arches.filter(archFilter('i386')).map((p) => p.arch),
      ['noarch', 'i686'],
    );
    assert.deepEqual(
      arches.filter(archFilter('aarch64')).map((p) => p.arch),
      ['noarch', 'aarch64'],
    );
  });

  it('resolves rpm_list to the newest of each name and its requirements, transitively', () => {
    const pkg = (name: string, version: string, requires: string[] = [], provides: string[] = []) => ({
      name,
      arch: 'noarch',
      epoch: '0',
      version,
      release: '1',
      href: `${name}-${version}.rpm`,
      provides,
      requires,
      files: [],
    });
    const chosen = resolveRpmList(
      [
        pkg('app', '1.0', ['libx']),
        pkg('app', '2.0', ['libx', 'rpmlib(PayloadIsZstd)', 'glibc']),
        pkg('x', '1.0', ['(y or z)'], ['libx']),
        pkg('y', '1.0'),
        pkg('other', '1.0'),
      ],
      ['app'],
    );
    assert.deepEqual(chosen.map((p) => p.href).sort(), ['app-2.0.rpm', 'x-1.0.rpm', 'y-1.0.rpm']);
  });

  it('reads mirrorlists, metalinks and createrepo flags', () => {
    assert.deepEqual(parseMirrorlist('# c\nhttp://a/x\n\nhttps://b/y/\nftp://c/\n'), [
      'http://a/x/',
      'https://b/y/',
    ]);
    assert.deepEqual(
      parseMetalink(
        Buffer.from(
          `<metalink xmlns:mm0="http://fedorahosted.org/mirrormanager"><files><file name="repomd.xml">
            <verification><hash type="md5">00</hash><hash type="sha256">AA</hash></verification>
            <mm0:alternates><mm0:alternate><verification><hash type="sha256">bb</hash></verification></mm0:alternate></mm0:alternates>
            <resources><url preference="1">http://a/repodata/repomd.xml</url><url preference="9">http://b/</url></resources>
          </file></files></metalink>`,
        ),
      ),
      { baseurls: ['http://b/', 'http://a/'], repomdSha256: ['aa', 'bb'] },
    );
    assert.deepEqual(splitFlags('-c cache -s sha --excludes "a b"'), [
      '-c',
      'cache',
      '-s',
      'sha',
      '--excludes',
      'a b',
    ]);
  });
});
