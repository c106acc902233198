// apt for real (issue 19): an archive made the way a small site makes one (real Debian packages fetched by apt
// itself, indexed by apt-ftparchive, the Release signed with a throwaway GnuPG key), mirrored by `bootwright
// reposync`, served by `bootwright serve` in a network namespace, and read by a real apt-get in another namespace
// that can reach nothing but bootwright, trusting only that key. The signatures are the origin's, untouched: a
// Release changed after signing must make apt refuse the mirror.

import assert from 'node:assert/strict';
import { execFile, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { openRepoMirrors } from '../../src/mirror/engine.js';
import { startStaticOrigin } from '../../src/mirror/test-session.fixture.js';
import { runCli } from '../support/cli.js';
import { canCreateNetns, createNetnsPair, type NetnsPair } from '../support/netns.js';
import { startServeProcess } from '../support/serve-process.js';
import { tempDir } from '../support/temp-dir.js';

const execFileAsync = promisify(execFile);

/** Small packages of Debian 12 main; cowsay-off depends on cowsay, which depends on libtext-charwidth-perl. */
const debianPackages = ['hello', 'sl', 'cowsay', 'cowsay-off', 'libtext-charwidth-perl'];
const dist = 'test';

async function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr = '', message } = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || message}`);
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The Release of dists/test, then InRelease (clearsigned) and Release.gpg (detached) by the throwaway key. */
async function signRelease(root: string, gnupgHome: string): Promise<void> {
  const distDir = join(root, 'dists', dist);
  const gpg = ['--batch', '--homedir', gnupgHome, '--pinentry-mode', 'loopback', '--passphrase', '', '--yes'];
  await run('gpg', [...gpg, '--clearsign', '-o', join(distDir, 'InRelease'), join(distDir, 'Release')]);
  await run('gpg', [
    ...gpg,
    '--armor',
    '--detach-sign',
    '-o',
    join(distDir, 'Release.gpg'),
    join(distDir, 'Release'),
  ]);
}

/**
 * An archive in `root` laid out as dak lays out Debian's: pool/, dists/test/main/binary-{amd64,all}/Packages in
 * three compressions with by-hash copies, and a Release with MD5Sum and SHA256 as Debian's has. Returns the key's
 * public half, for apt's signed-by.
 */
async function makeSignedOrigin(work: string, root: string): Promise<{ keyFile: string; gnupgHome: string }> {
  const downloads = join(work, 'downloads');
  mkdirSync(downloads);
  // As root, apt hands the download to the _apt user unless told otherwise; this directory is root's own.
  await run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...debianPackages], {
    cwd: downloads,
  }).catch((error: Error) => {
    throw new Error(
      `${error.message}\nThis test needs Debian's package repositories, reached through apt-get.`,
    );
  });
  const pool = join(root, 'pool', 'main');
  mkdirSync(pool, { recursive: true });
  cpSync(downloads, pool, { recursive: true });

  for (const arch of ['amd64', 'all']) {
    const dir = join(root, 'dists', dist, 'main', `binary-${arch}`);
    mkdirSync(join(dir, 'by-hash', 'SHA256'), { recursive: true });
    const packages = Buffer.from(
      await run('apt-ftparchive', ['--arch', arch, 'packages', 'pool/main'], { cwd: root }),
    );
    writeFileSync(join(dir, 'Packages'), packages);
    writeFileSync(join(dir, 'Packages.gz'), gzipSync(packages));
    await run('xz', ['--keep', join(dir, 'Packages')]);
    for (const name of ['Packages', 'Packages.gz', 'Packages.xz']) {
      const bytes = readFileSync(join(dir, name));
      writeFileSync(join(dir, 'by-hash', 'SHA256', sha256(bytes)), bytes);
    }
  }
  const release = await run(
    'apt-ftparchive',
    [
      ...[
        '-o',
        `APT::FTPArchive::Release::Codename=${dist}`,
        '-o',
        `APT::FTPArchive::Release::Suite=${dist}`,
      ],
      ...[
        '-o',
        'APT::FTPArchive::Release::Architectures=amd64 all',
        '-o',
        'APT::FTPArchive::Release::Components=main',
      ],
      ...['-o', 'APT::FTPArchive::Release::Acquire-By-Hash=yes'],
      ...['-o', 'APT::FTPArchive::SHA1=false', '-o', 'APT::FTPArchive::SHA512=false'],
      ...['release', join('dists', dist)],
    ],
    { cwd: root },
  );
  writeFileSync(join(root, 'dists', dist, 'Release'), release);

  const gnupgHome = join(work, 'gnupg');
  mkdirSync(gnupgHome, { mode: 0o700 });
  await run('gpg', [
    ...['--batch', '--homedir', gnupgHome, '--pinentry-mode', 'loopback', '--passphrase', ''],
    ...['--quick-gen-key', 'bootwright apt test <apt-test@example.invalid>', 'ed25519', 'sign', 'never'],
  ]);
  await signRelease(root, gnupgHome);
  const keyFile = join(work, 'origin-key.asc');
  writeFileSync(keyFile, await run('gpg', ['--batch', '--homedir', gnupgHome, '--export', '--armor']));
  return { keyFile, gnupgHome };
}

interface AptResult {
  code: number;
  output: string;
  /** apt-get download's working directory. */
  downloads: string;
}

describe('apt-get against an apt mirror made by bootwright reposync', {
  skip: !canCreateNetns() && 'needs root for network namespaces',
}, () => {
  // What the suite starts (temporary directories, namespaces, servers), undone in reverse order at its end.
  const cleanups: (() => unknown)[] = [];
  const context = {
    after: ((cleanup: () => unknown) => cleanups.push(cleanup)) as unknown as TestContext['after'],
  };
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  let work: string;
  let dataDir: string;
  let pair: NetnsPair;
  let mirrorBase: string;
  let originRoot: string;
  let keyFile: string;

  /** A real apt-get in the client namespace, with its own state and sources, trusting only the origin's key. */
  async function aptGet(repo: string, args: string[]): Promise<AptResult> {
    const home = tempDir(context, 'bootwright-apt-');
    const downloads = join(home, 'downloads');
    for (const dir of ['state/lists/partial', 'cache/archives/partial', 'etc', 'downloads'])
      mkdirSync(join(home, dir), { recursive: true });
    writeFileSync(join(home, 'status'), '');
    const sources = join(home, 'etc', 'sources.list');
    writeFileSync(
      sources,
      `deb [signed-by=${keyFile}] ${mirrorBase}/cobbler/repo_mirror/${repo}/ ${dist} main\n`,
    );
    const settings = [
      `Dir::Etc::SourceList=${sources}`,
      'Dir::Etc::SourceParts=/dev/null',
      'Dir::Etc::Trusted=/dev/null',
      'Dir::Etc::TrustedParts=/dev/null',
      'Dir::Etc::Preferences=/dev/null',
      'Dir::Etc::PreferencesParts=/dev/null',
      `Dir::State=${join(home, 'state')}`,
      `Dir::State::status=${join(home, 'status')}`,
      `Dir::Cache=${join(home, 'cache')}`,
      'Debug::NoLocking=1',
      // The directories are root's; apt would otherwise drop to _apt for the downloads.
      'APT::Sandbox::User=root',
      'Acquire::http::Proxy=false',
    ];
    const options = settings.flatMap((setting) => ['-o', setting]);
    let output = '';
    for (const command of [['update'], args]) {
      const result = await spawnInClient(['apt-get', ...options, '-q', ...command], { cwd: downloads });
      output += result.output;
      if (result.code !== 0) return { code: result.code, output, downloads };
    }
    return { code: 0, output, downloads };
  }

  function spawnInClient(argv: string[], options: SpawnOptions): Promise<{ code: number; output: string }> {
    const [command = '', ...args] = argv;
    const child = pair.spawn(pair.client, command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output })));
  }

  async function reposync(repo: string, originUrl: string, extra: string[] = []): Promise<string> {
    const added = await runCli(
      dataDir,
      ...['repo', 'add', `--name=${repo}`, `--mirror=${originUrl}`, '--breed=apt'],
      ...[`--apt-dists=${dist}`, '--apt-components=main', '--arch=x86_64', ...extra],
    );
    assert.equal(added.code, 0, added.stderr);
    const synced = await runCli(dataDir, 'reposync', `--name=${repo}`);
    assert.equal(synced.code, 0, synced.stderr + synced.stdout);
    return synced.stdout + synced.stderr;
  }

  before(async () => {
    work = tempDir(context);
    dataDir = tempDir(context);
    originRoot = join(work, 'origin');
    const signed = await makeSignedOrigin(work, originRoot);
    keyFile = signed.keyFile;
    context.after(() =>
      run('gpgconf', ['--homedir', signed.gnupgHome, '--kill', 'gpg-agent']).catch(() => undefined),
    );

    // The same archive with its Release changed after signing, as a man in the middle (or a broken mirror) would.
    const tamperedRoot = join(work, 'tampered');
    cpSync(originRoot, tamperedRoot, { recursive: true });
    for (const name of ['Release', 'InRelease']) {
      const path = join(tamperedRoot, 'dists', dist, name);
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(`Suite: ${dist}\n`, `Suite: ${dist}\nLabel: tampered\n`),
      );
    }

    const origin = await startStaticOrigin(context, work);
    assert.match(await reposync('debian-test', `${origin.base}origin/`), /\b5 packages\b/);
    await reposync('debian-tampered', `${origin.base}tampered/`);
    assert.match(
      await reposync('debian-cowsay', `${origin.base}origin/`, ['--rpm-list=cowsay-off']),
      /\b3 packages\b/,
    );

    pair = await createNetnsPair(context, { prefix: 'bw-apt' });
    const server = await startServeProcess(
      [`--data-dir=${dataDir}`, `--host=${pair.server.address}`, '--port=0', '--tftp-port=0'],
      (command, args, options) => pair.spawn(pair.server, command, args, options),
    );
    mirrorBase = `http://${pair.server.address}:${server.port}`;
  });

  it('updates with signature checking on and downloads a package byte for byte as the origin has it', async () => {
    const result = await aptGet('debian-test', ['download', 'hello', 'cowsay-off']);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      new RegExp(`Get:\\d+ ${mirrorBase}/cobbler/repo_mirror/debian-test ${dist} InRelease`),
    );
    // apt asks for each index by its hash first (Acquire-By-Hash): an "Ign" would mean the mirror lacked one.
    assert.doesNotMatch(result.output, /^Ign:/m);
    const files = readdirSync(result.downloads).sort();
    assert.deepEqual(
      files.map((file) => file.split('_')[0]),
      ['cowsay-off', 'hello'],
    );
    for (const file of files)
      assert.deepEqual(
        readFileSync(join(result.downloads, file)),
        readFileSync(join(originRoot, 'pool', 'main', file)),
        file,
      );
  });

  it('refuses a mirror whose Release was changed after signing', async () => {
    const result = await aptGet('debian-tampered', ['download', 'hello']);
    assert.notEqual(result.code, 0, result.output);
    // Refused for the signature that does not match, not for a key apt lacks.
    assert.match(result.output, /BADSIG/);
    assert.doesNotMatch(result.output, /NO_PUBKEY/);
  });

  it('with an rpm_list, holds only the named package and what it depends on', async () => {
    const snapshot = openRepoMirrors(dataDir).currentDir('debian-cowsay');
    assert.ok(snapshot);
    assert.deepEqual(
      readdirSync(join(snapshot, 'pool', 'main'))
        .map((file) => file.split('_')[0])
        .sort(),
      ['cowsay', 'cowsay-off', 'libtext-charwidth-perl'],
    );
    const wanted = await aptGet('debian-cowsay', ['download', 'cowsay-off']);
    assert.equal(wanted.code, 0, wanted.output);
    // The indexes are the origin's, signed whole, so apt knows of hello; the mirror just does not have it.
    const other = await aptGet('debian-cowsay', ['download', 'hello']);
    assert.notEqual(other.code, 0, other.output);
    assert.match(other.output, /404/);
  });
});
