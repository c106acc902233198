import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../../test/support/temp-dir.js';
import type { BootwrightError } from '../errors.js';
import {
  aptBreed,
  clearsignedText,
  parsePackages,
  parseRelationship,
  parseRelease,
  withDependencies,
} from './apt.js';
import type { MirroredRepo } from './contract.js';
import { filesUnder, startStaticOrigin, testRepo, testSession } from './test-session.fixture.js';

interface FakeDeb {
  name: string;
  arch: string;
  component?: string;
  depends?: string;
  preDepends?: string;
  provides?: string;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex');

function write(root: string, path: string, bytes: Buffer | string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), bytes);
}

/**
 * An archive the way dak and apt-ftparchive lay one out: pool/ with the .debs, dists/DIST/ with the Release (signed
 * in a fake clearsign armour: these tests do not check signatures, apt does), Packages in each compression asked
 * for, and by-hash copies. Returns what the Release lists.
 */
function makeOrigin(
  root: string,
  debs: FakeDeb[],
  {
    dist = 'bookworm',
    architectures = ['amd64', 'i386', 'all'],
    compressions = ['', '.gz', '.xz'],
    publishUncompressed = false,
    byHash = true,
  }: {
    dist?: string;
    architectures?: string[];
    compressions?: string[];
    publishUncompressed?: boolean;
    byHash?: boolean;
  } = {},
): string[] {
  const components = [...new Set(debs.map((deb) => deb.component ?? 'main'))];
  const listed: { path: string; bytes: Buffer }[] = [];
  for (const component of components) {
    for (const arch of architectures) {
      const stanzas = debs
        .filter((deb) => (deb.component ?? 'main') === component && deb.arch === arch)
        .map((deb) => {
          const filename = `pool/${component}/${deb.name}_1.0_${arch}.deb`;
          const bytes = Buffer.from(`fake deb ${deb.name} ${arch}\n`);
          write(root, filename, bytes);
          return [
            `Package: ${deb.name}`,
            'Version: 1.0',
            `Architecture: ${arch}`,
            ...(deb.preDepends ? [`Pre-Depends: ${deb.preDepends}`] : []),
            ...(deb.depends ? [`Depends: ${deb.depends}`] : []),
            ...(deb.provides ? [`Provides: ${deb.provides}`] : []),
            `Filename: ${filename}`,
            `Size: ${bytes.length}`,
            `MD5sum: ${md5(bytes)}`,
            `SHA256: ${sha256(bytes)}`,
            'Description: a test package',
            ' with a continuation line',
          ].join('\n');
        });
      const packages = Buffer.from(stanzas.length > 0 ? `${stanzas.join('\n\n')}\n` : '');
      for (const extension of compressions) {
        const bytes =
          extension === '.gz'
            ? gzipSync(packages)
            : extension === ''
              ? packages
              : Buffer.from(`not really xz`);
        const path = `${component}/binary-${arch}/Packages${extension}`;
        listed.push({ path, bytes });
        // Debian lists the uncompressed Packages in its Release without publishing it.
        if (extension !== '' || publishUncompressed) write(root, `dists/${dist}/${path}`, bytes);
        if (byHash && (extension !== '' || publishUncompressed))
          write(root, `dists/${dist}/${component}/binary-${arch}/by-hash/SHA256/${sha256(bytes)}`, bytes);
      }
    }
    // Package descriptions: English, which apt reads by default, and German, which it reads only when asked to.
    if (!component.includes('/')) {
      for (const name of ['Index', 'Translation-en.bz2', 'Translation-de.bz2']) {
        const bytes = Buffer.from(`${component} ${name}\n`);
        listed.push({ path: `${component}/i18n/${name}`, bytes });
        write(root, `dists/${dist}/${component}/i18n/${name}`, bytes);
        if (byHash) write(root, `dists/${dist}/${component}/i18n/by-hash/SHA256/${sha256(bytes)}`, bytes);
      }
    }
  }
  const release = [
    'Origin: Test',
    `Suite: ${dist}`,
    `Codename: ${dist}`,
    `Architectures: ${architectures.join(' ')}`,
    // As Debian's: main/debian-installer is indexed but not in Components.
    `Components: ${components.filter((component) => !component.includes('/')).join(' ')}`,
    ...(byHash ? ['Acquire-By-Hash: yes'] : []),
    'MD5Sum:',
    ...listed.map(({ path, bytes }) => ` ${md5(bytes)} ${String(bytes.length).padStart(8)} ${path}`),
    'SHA256:',
    ...listed.map(({ path, bytes }) => ` ${sha256(bytes)} ${String(bytes.length).padStart(8)} ${path}`),
    '',
  ].join('\n');
  write(root, `dists/${dist}/Release`, release);
  write(
    root,
    `dists/${dist}/Release.gpg`,
    '-----BEGIN PGP SIGNATURE-----\nfake\n-----END PGP SIGNATURE-----\n',
  );
  write(
    root,
    `dists/${dist}/InRelease`,
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${release}-----BEGIN PGP SIGNATURE-----\nfake\n-----END PGP SIGNATURE-----\n`,
  );
  return listed.map(({ path }) => `dists/${dist}/${path}`);
}

async function mirror(t: TestContext, fields: Partial<MirroredRepo>, debs: FakeDeb[], options = {}) {
  const origin = tempDir(t);
  makeOrigin(origin, debs, options);
  const server = await startStaticOrigin(t, origin);
  const snapshot = tempDir(t);
  const session = testSession(
    testRepo({ name: 'deb', breed: 'apt', mirror: server.base, ...fields }),
    snapshot,
  );
  return { origin, server, snapshot, session, run: () => aptBreed.sync(session) };
}

const debsOf = (snapshot: string) => filesUnder(snapshot).filter((path) => path.endsWith('.deb'));

const sample: FakeDeb[] = [
  { name: 'hello', arch: 'amd64' },
  { name: 'hello', arch: 'i386' },
  { name: 'cowsay', arch: 'all' },
  { name: 'firmware-x', arch: 'all', component: 'non-free-firmware' },
];

describe('apt repositories', () => {
  it('mirrors the Release files as signed, every index, the English descriptions, the by-hash copies and every .deb', async (t) => {
    const { origin, server, snapshot, run } = await mirror(t, { apt_dists: ['bookworm'] }, sample);
    assert.deepEqual(await run(), { packages: 4 });

    const german = new Set(['main/i18n/Translation-de.bz2', 'non-free-firmware/i18n/Translation-de.bz2']);
    const germanHashes = [...german].map((path) =>
      sha256(readFileSync(join(origin, 'dists/bookworm', path))),
    );
    const expected = filesUnder(origin).filter(
      (path) =>
        !german.has(path.slice('dists/bookworm/'.length)) &&
        !germanHashes.some((hash) => path.endsWith(`/by-hash/SHA256/${hash}`)),
    );
    assert.deepEqual(filesUnder(snapshot), expected);
    for (const path of expected)
      assert.deepEqual(readFileSync(join(snapshot, path)), readFileSync(join(origin, path)), path);
    assert.ok(expected.includes('dists/bookworm/main/binary-amd64/Packages.xz'));
    assert.ok(expected.includes('dists/bookworm/main/i18n/Translation-en.bz2'));
    assert.ok(expected.some((path) => path.startsWith('dists/bookworm/main/binary-all/by-hash/SHA256/')));
    // The uncompressed Packages the Release lists but the origin lacks was asked for once and skipped.
    assert.ok(server.requests.includes('/dists/bookworm/main/binary-amd64/Packages'));
    // by-hash copies only under the strongest checksum, the one apt asks by.
    assert.ok(!server.requests.some((request) => request.includes('/by-hash/MD5Sum/')));
  });

  it('reads the plain Packages when the origin publishes it, and checks every file by its Release checksum', async (t) => {
    const { session, run } = await mirror(t, { apt_dists: ['bookworm'] }, sample, {
      publishUncompressed: true,
      compressions: ['', '.xz'],
    });
    assert.deepEqual(await run(), { packages: 4 });
    const index = session.placed.get('dists/bookworm/main/binary-amd64/Packages.xz');
    assert.equal(index?.checksum?.type, 'sha256');
    const deb = session.placed.get('pool/main/hello_1.0_amd64.deb');
    assert.equal(deb?.checksum?.value, sha256('fake deb hello amd64\n'));
    assert.equal(deb?.size, 'fake deb hello amd64\n'.length);
  });

  it('takes x86_64 as amd64 with the architecture-independent packages, and only the components asked for', async (t) => {
    const { snapshot, run } = await mirror(
      t,
      { apt_dists: ['bookworm'], arch: 'x86_64', apt_components: ['main'] },
      sample,
    );
    assert.deepEqual(await run(), { packages: 2 });
    assert.deepEqual(debsOf(snapshot), ['pool/main/cowsay_1.0_all.deb', 'pool/main/hello_1.0_amd64.deb']);
    const indexDirs = new Set(
      filesUnder(snapshot)
        .filter((path) => path.includes('/binary-'))
        .map((path) => path.split('/').slice(2, 4).join('/')),
    );
    assert.deepEqual([...indexDirs].sort(), ['main/binary-all', 'main/binary-amd64']);
  });

  it("mirrors the installer's udebs (main/debian-installer), which the Release indexes but leaves out of Components", async (t) => {
    const debs: FakeDeb[] = [
      { name: 'hello', arch: 'amd64' },
      { name: 'netcfg', arch: 'amd64', component: 'main/debian-installer' },
    ];
    for (const apt_components of [[], ['main/debian-installer']]) {
      const { snapshot, run } = await mirror(
        t,
        { apt_dists: ['bookworm'], arch: 'x86_64', apt_components },
        debs,
        {
          architectures: ['amd64'],
        },
      );
      await run();
      assert.ok(
        debsOf(snapshot).includes('pool/main/debian-installer/netcfg_1.0_amd64.deb'),
        String(apt_components),
      );
    }
  });

  it('with an rpm_list, mirrors those packages and what they depend on, transitively, and nothing else', async (t) => {
    const debs: FakeDeb[] = [
      { name: 'cowsay-off', arch: 'all', depends: 'cowsay (>= 3.03), perl:any' },
      { name: 'cowsay', arch: 'all', depends: 'libtext-charwidth-perl | perl-modules' },
      { name: 'libtext-charwidth-perl', arch: 'amd64', preDepends: 'libc-compat' },
      { name: 'libc-dummy', arch: 'amd64', provides: 'libc-compat (= 1)' },
      { name: 'perl-modules', arch: 'all' },
      { name: 'hello', arch: 'amd64' },
    ];
    const { snapshot, session, run } = await mirror(
      t,
      { apt_dists: ['bookworm'], arch: 'x86_64', rpm_list: ['cowsay-off'] },
      debs,
      { architectures: ['amd64', 'all'] },
    );
    assert.deepEqual(await run(), { packages: 4 });
    assert.deepEqual(debsOf(snapshot), [
      'pool/main/cowsay-off_1.0_all.deb',
      'pool/main/cowsay_1.0_all.deb',
      'pool/main/libc-dummy_1.0_amd64.deb',
      'pool/main/libtext-charwidth-perl_1.0_amd64.deb',
    ]);
    // The indexes stay whole: they are what the Release signs.
    assert.ok(readFileSync(join(snapshot, 'dists/bookworm/main/binary-amd64/Packages.gz')).length > 0);
    assert.ok(session.lines.some((line) => line.includes('rpm_list cowsay-off: 4 packages')));
  });

  it('names the rpm_list entries no index has', async (t) => {
    const { run } = await mirror(t, { apt_dists: ['bookworm'], rpm_list: ['hello', 'no-such-pkg'] }, sample);
    await assert.rejects(run(), (error: BootwrightError) => {
      assert.equal(error.code, 'E_INVALID');
      assert.match(
        error.message,
        /^Repo "deb": rpm_list names "no-such-pkg", which no mirrored Packages index lists/,
      );
      return true;
    });
  });

  it('mirrors sid when apt_dists is empty, as Cobbler (debmirror) does', async (t) => {
    const { session, snapshot, run } = await mirror(t, {}, sample, { dist: 'sid' });
    assert.deepEqual(await run(), { packages: 4 });
    assert.ok(filesUnder(snapshot).includes('dists/sid/InRelease'));
    assert.ok(session.lines.some((line) => line.includes('No apt_dists given: mirroring sid')));
  });

  it('works from an InRelease alone, and from a Release alone', async (t) => {
    for (const keep of ['InRelease', 'Release']) {
      const { origin, snapshot, run } = await mirror(t, { apt_dists: ['bookworm'] }, sample);
      for (const name of ['InRelease', 'Release', 'Release.gpg'])
        if (name !== keep) rmSync(join(origin, 'dists/bookworm', name));
      assert.deepEqual(await run(), { packages: 4 }, keep);
      assert.deepEqual(
        filesUnder(snapshot).filter((path) => /^dists\/bookworm\/[^/]+$/.test(path)),
        [`dists/bookworm/${keep}`],
      );
    }
  });

  it('fails with one line when the dist has neither InRelease nor Release', async (t) => {
    const { run } = await mirror(t, { apt_dists: ['bullseye'] }, sample);
    await assert.rejects(run(), (error: BootwrightError) => {
      assert.equal(error.code, 'E_NOT_FOUND');
      assert.match(
        error.message,
        /^Repo "deb": the origin "http:\/\/127\.0\.0\.1:\d+\/" has neither dists\/bullseye\/InRelease nor dists\/bullseye\/Release; check mirror/,
      );
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  it('says so when the only Packages index is xz, which it cannot read', async (t) => {
    const { run } = await mirror(t, { apt_dists: ['bookworm'] }, sample, { compressions: ['.xz'] });
    await assert.rejects(
      run(),
      /dists\/bookworm\/main\/binary-amd64 offers only Packages\.xz, which bootwright cannot read/,
    );
  });

  it('refuses a component, an architecture or a dist the origin does not have, naming it and the fix', async (t) => {
    const cases: [Partial<MirroredRepo>, RegExp][] = [
      [
        { apt_components: ['contrib'] },
        /lists no component "contrib" \(it lists main, non-free-firmware\); fix apt_components/,
      ],
      [{ arch: 's390x' }, /has no architecture "s390x" \(it has amd64, i386, all\); set arch/],
      [{ arch: 'src' }, /arch "src" \(source packages\) is not mirrored for apt repos/],
      [
        { apt_dists: ['../etc'] },
        /apt_dists names "\.\.\/etc", which is not a plain relative path; name a suite/,
      ],
      [{ mirror_type: 'mirrorlist' }, /mirror_type "mirrorlist" is not supported for apt repos/],
    ];
    for (const [fields, message] of cases) {
      const { run } = await mirror(t, { apt_dists: ['bookworm'], ...fields }, sample);
      await assert.rejects(run(), message);
    }
  });

  it('refuses a Packages entry whose Filename leaves the mirror', async (t) => {
    const { origin, run } = await mirror(t, { apt_dists: ['bookworm'] }, [{ name: 'hello', arch: 'amd64' }], {
      architectures: ['amd64'],
      compressions: [''],
      publishUncompressed: true,
      byHash: false,
    });
    // Rewrite the index and the Release's checksums of it, as a hostile origin would.
    const indexPath = join(origin, 'dists/bookworm/main/binary-amd64/Packages');
    const original = readFileSync(indexPath);
    const hostile = original.toString().replace('Filename: pool/', 'Filename: pool/../../');
    writeFileSync(indexPath, hostile);
    const releasePath = join(origin, 'dists/bookworm/InRelease');
    const release = readFileSync(releasePath, 'utf8')
      .replace(md5(original), md5(hostile))
      .replace(sha256(original), sha256(hostile))
      .replaceAll(
        ` ${String(original.length).padStart(8)} `,
        ` ${String(Buffer.byteLength(hostile)).padStart(8)} `,
      );
    writeFileSync(releasePath, release);
    await assert.rejects(
      run(),
      /the origin's index gives package "hello" the Filename "pool\/\.\.\/\.\.\/main\/hello_1\.0_amd64\.deb", which is not a plain relative path/,
    );
  });
});

describe('apt metadata parsing', () => {
  it('reads relationships: alternatives, versions, architecture qualifiers and restrictions, build profiles', () => {
    assert.deepEqual(parseRelationship('libc6 (>= 2.34), perl:any, a | b (<< 2) [amd64] <!nocheck>, '), [
      ['libc6'],
      ['perl'],
      ['a', 'b'],
    ]);
    assert.deepEqual(parseRelationship(''), []);
  });

  it('undoes the dash-escaping of a clearsigned InRelease', () => {
    const signed =
      '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: x\n- -----odd line\nSHA256:\n abc 1 main/binary-amd64/Packages\n-----BEGIN PGP SIGNATURE-----\nsig\n-----END PGP SIGNATURE-----\n';
    assert.equal(
      clearsignedText(signed),
      'Origin: x\n-----odd line\nSHA256:\n abc 1 main/binary-amd64/Packages',
    );
    const release = parseRelease(signed);
    assert.deepEqual(release.files.get('main/binary-amd64/Packages'), {
      size: 1,
      checksums: [{ type: 'sha256', value: 'abc', byHash: 'SHA256' }],
    });
  });

  it('keeps every checksum a Release gives, strongest first, and reads Acquire-By-Hash', () => {
    const release = parseRelease(
      'Architectures: amd64\nComponents: main\nAcquire-By-Hash: yes\nMD5Sum:\n 0123 5 main/x\nSHA256:\n ABCD 5 main/x\n',
    );
    assert.equal(release.acquireByHash, true);
    assert.deepEqual(
      release.files.get('main/x')?.checksums.map((checksum) => checksum.type),
      ['sha256', 'md5'],
    );
    assert.equal(release.files.get('main/x')?.checksums[0]?.value, 'abcd');
  });

  it('resolves a virtual package through Provides when no real package has the name', () => {
    const packages = parsePackages(
      'Package: mta-user\nFilename: a.deb\nDepends: mail-transport-agent\n\nPackage: exim4\nFilename: b.deb\nProvides: mail-transport-agent\n\nPackage: other\nFilename: c.deb\n',
    );
    assert.deepEqual(
      withDependencies(packages, ['mta-user']).selected.map((deb) => deb.name),
      ['mta-user', 'exim4'],
    );
  });
});
