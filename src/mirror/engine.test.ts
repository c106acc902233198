import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { etagOf, startOrigin } from '../../test/support/origin-server.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { BootwrightError } from '../errors.js';
import type { SyncProgress } from './contract.js';
import { openRepoMirrors } from './engine.js';
import { listBreed, listRepo, writeOrigin } from './list-breed.fixture.js';

function packages(count: number, size = 20_000): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < count; i += 1) files[`Packages/p${i}-1.0.rpm`] = randomBytes(size);
  return files;
}

function objectFiles(dataDir: string): string[] {
  const root = join(dataDir, 'repo_mirror', 'objects', 'sha256');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((bucket) => readdirSync(join(root, bucket)));
}

/** An origin of the list breed serving `files`, and an empty data directory's mirrors of it. */
async function originAndMirrors(t: TestContext, files: Record<string, Buffer>) {
  const root = tempDir(t);
  writeOrigin(root, files);
  const origin = await startOrigin(t, root);
  const dataDir = tempDir(t);
  return { root, origin, dataDir, mirrors: openRepoMirrors(dataDir, { yum: listBreed }) };
}

test('a second sync of an unchanged origin downloads nothing and serves the same files from a new snapshot', async (t) => {
  const files = packages(5);
  const { origin, dataDir, mirrors } = await originAndMirrors(t, files);

  const seen: SyncProgress[] = [];
  const first = await mirrors.sync(listRepo('base', origin.url), { progress: (p) => seen.push(p) });
  assert.equal(first.packages, 5);
  // The index has no size in advance, so the total is unknown until the end; files and bytes add up.
  const last = seen.at(-1);
  assert.deepEqual(
    { filesDone: last?.filesDone, filesTotal: last?.filesTotal, bytesTotal: last?.bytesTotal },
    { filesDone: 6, filesTotal: 6, bytesTotal: undefined },
  );
  assert.equal(last?.bytesDone, first.bytes);
  assert.equal(first.downloaded, first.bytes);
  assert.equal(first.files, 6);
  const dir = mirrors.currentDir('base');
  assert.ok(dir);
  for (const [path, body] of Object.entries(files)) assert.deepEqual(readFileSync(join(dir, path)), body);

  origin.requests.length = 0;
  const second = await mirrors.sync(listRepo('base', origin.url));
  assert.equal(second.downloaded, 0);
  // Only the index was asked for, and answered 304 to its ETag; no package was requested at all.
  assert.deepEqual(origin.requests, [{ path: '/index.json', status: 304 }]);
  assert.notEqual(second.snapshot, first.snapshot);
  const newDir = mirrors.currentDir('base');
  assert.ok(newDir && newDir !== dir);
  assert.equal(existsSync(dir), false, 'the older snapshot is gone after the switch');
  for (const [path, body] of Object.entries(files)) assert.deepEqual(readFileSync(join(newDir, path)), body);
  assert.equal(objectFiles(dataDir).length, 6, 'every file is stored once');

  const status = await mirrors.status('base');
  assert.equal(status.current?.snapshot, second.snapshot);
  assert.equal(status.current?.packages, 5);
  assert.equal(status.current?.files, 6);
  assert.equal(status.partial, undefined);
});

test('a corrupted package at the origin fails the sync naming it, and the previous snapshot keeps serving', async (t) => {
  const files = packages(3);
  const { root, origin, mirrors } = await originAndMirrors(t, files);
  const repo = listRepo('epel', origin.url);
  const first = await mirrors.sync(repo);
  const served = mirrors.currentDir('epel');
  assert.ok(served);

  // The origin now lists a new package whose bytes are not what its index says.
  const claimed = randomBytes(1000);
  writeOrigin(
    root,
    { ...files, 'Packages/foo-1.0.rpm': randomBytes(1000) },
    { 'Packages/foo-1.0.rpm': claimed },
  );
  const error = await mirrors.sync(repo).catch((e: unknown) => e);
  assert.ok(error instanceof BootwrightError);
  assert.match(
    error.message,
    /^Repo "epel": Packages\/foo-1\.0\.rpm from "http:\/\/127\.0\.0\.1:\d+\/Packages\/foo-1\.0\.rpm" has SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} its metadata gives; the origin is corrupt or changed during the sync: run reposync again later\.$/,
  );
  assert.equal(mirrors.currentDir('epel'), served);
  for (const [path, body] of Object.entries(files)) assert.deepEqual(readFileSync(join(served, path)), body);
  assert.equal(existsSync(join(served, 'Packages/foo-1.0.rpm')), false);
  const status = await mirrors.status('epel');
  assert.equal(status.current?.snapshot, first.snapshot);
  assert.ok(status.partial, 'the failed sync is left to resume');
});

test('a sync killed with SIGKILL halfway resumes without downloading again what it had verified', async (t) => {
  const root = tempDir(t);
  const big = randomBytes(1_000_000);
  const small = packages(8, 30_000);
  // The big package comes first and stalls halfway, while the other slot of the pool fetches the rest.
  writeOrigin(root, { 'Packages/big-1.0.rpm': big, ...small });
  const origin = await startOrigin(t, root);
  let stall = true;
  origin.hook = (path, _request, response, body) => {
    if (path !== '/Packages/big-1.0.rpm' || !stall || !body) return false;
    response.writeHead(200, { 'content-length': body.length, etag: etagOf(body) });
    response.write(body.subarray(0, 400_000));
    return true;
  };
  const dataDir = tempDir(t);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'list-breed.fixture.ts'), dataDir, origin.url],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const partial = join(dataDir, 'repo_mirror', 'repos', 'killed', 'partial');
  const partSize = () =>
    readdirSync(join(partial, 'downloads'))
      .filter((name) => name.endsWith('.part'))
      .reduce((sum, name) => sum + statSync(join(partial, 'downloads', name)).size, 0);
  // Generous: the child compiles TypeScript on start, on a machine that may be busy.
  const deadline = Date.now() + 60_000;
  // index.json and the 8 small packages done, the big one half there.
  while (!output.includes('done 9\n') || !existsSync(join(partial, 'downloads')) || partSize() < 400_000) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `the child did not get halfway: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));

  stall = false;
  origin.requests.length = 0;
  const mirrors = openRepoMirrors(dataDir, { yum: listBreed });
  assert.ok((await mirrors.status('killed')).partial);
  const result = await mirrors.sync(listRepo('killed', origin.url));
  for (const path of Object.keys(small)) assert.equal(origin.downloadsOf(`/${path}`).length, 0, path);
  assert.deepEqual(
    origin.requests.find((r) => r.path === '/Packages/big-1.0.rpm'),
    { path: '/Packages/big-1.0.rpm', status: 206, range: 'bytes=400000-' },
    'the big package continues from where it was cut',
  );
  assert.equal(origin.requests.find((r) => r.path === '/index.json')?.status, 304);
  assert.equal(result.downloaded, 600_000);
  const dir = mirrors.currentDir('killed');
  assert.ok(dir);
  assert.deepEqual(readFileSync(join(dir, 'Packages/big-1.0.rpm')), big);
  for (const [path, body] of Object.entries(small)) assert.deepEqual(readFileSync(join(dir, path)), body);
  assert.equal((await mirrors.status('killed')).partial, undefined);
});

test('remove frees what only that repo held; a file two repos share stays for the other', async (t) => {
  const shared = randomBytes(50_000);
  const rootA = tempDir(t);
  const rootB = tempDir(t);
  const onlyA = randomBytes(70_000);
  writeOrigin(rootA, { 'Packages/shared.rpm': shared, 'Packages/a.rpm': onlyA });
  writeOrigin(rootB, { 'Packages/shared.rpm': shared });
  const originA = await startOrigin(t, rootA);
  const originB = await startOrigin(t, rootB);
  const dataDir = tempDir(t);
  const mirrors = openRepoMirrors(dataDir, { yum: listBreed });
  await mirrors.sync(listRepo('a', originA.url));
  await mirrors.sync(listRepo('b', originB.url));
  assert.equal(
    originB.downloadsOf('/Packages/shared.rpm').length,
    0,
    'b found the shared package stored by a',
  );
  const dirB = mirrors.currentDir('b');
  assert.ok(dirB);
  assert.equal(
    statSync(join(dirB, 'Packages/shared.rpm')).ino,
    statSync(join(mirrors.currentDir('a') ?? '', 'Packages/shared.rpm')).ino,
  );

  const freed = await mirrors.remove('a');
  const indexA = readFileSync(join(rootA, 'index.json')).length;
  assert.ok(freed >= onlyA.length + indexA && freed < onlyA.length + indexA + 10_000, `freed ${freed}`);
  assert.equal(mirrors.currentDir('a'), undefined);
  assert.deepEqual(await mirrors.status('a'), {});
  assert.deepEqual(readFileSync(join(dirB, 'Packages/shared.rpm')), shared);
  assert.equal(objectFiles(dataDir).length, 2, "b's index and the shared package remain");
  await mirrors.remove('b');
  assert.deepEqual(objectFiles(dataDir), []);
});

test('a path in the metadata that climbs out of the mirror is refused with one line', async (t) => {
  const root = tempDir(t);
  writeOrigin(root, { 'Packages/ok.rpm': Buffer.from('ok') });
  const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8'));
  index[0].path = '../../etc/evil';
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(root, 'index.json'), JSON.stringify(index));
  const origin = await startOrigin(t, root);
  const mirrors = openRepoMirrors(tempDir(t), { yum: listBreed });
  await assert.rejects(mirrors.sync(listRepo('x', origin.url)), {
    message:
      'Repo "x": the origin names the file "../../etc/evil", which would land outside the mirror; the origin\'s metadata is not to be trusted.',
  });
});

test('a breed reposync cannot mirror yet says so, naming it', async (t) => {
  const mirrors = openRepoMirrors(tempDir(t), {});
  await assert.rejects(
    mirrors.sync({ ...listRepo('r', 'rsync://x/'), breed: 'rsync' }),
    /breed "rsync" is not supported/,
  );
});

test('a full disk fails the sync in one line and the previous snapshot keeps serving', {
  skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs in a mount namespace of its own',
}, async (t) => {
  const smallRoot = tempDir(t);
  const bigRoot = tempDir(t);
  const small = packages(2, 10_000);
  writeOrigin(smallRoot, small);
  writeOrigin(bigRoot, { ...small, 'Packages/huge-1.0.rpm': randomBytes(3_000_000) });
  const smallOrigin = await startOrigin(t, smallRoot);
  const bigOrigin = await startOrigin(t, bigRoot);
  const dataDir = tempDir(t);
  // The tmpfs lives in the child's own mount namespace and goes with it.
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o size=1m bootwright-full "$1" && exec "$0" --import tsx "$2" --full-disk "$1" "$3" "$4"',
      process.execPath,
      dataDir,
      join(import.meta.dirname, 'list-breed.fixture.ts'),
      `${smallOrigin.url}/`,
      `${bigOrigin.url}/`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, stderr);
  const { failure, stillServing } = JSON.parse(stdout) as {
    failure?: { message: string; code: string };
    stillServing: boolean;
  };
  assert.equal(failure?.code, 'E_UNAVAILABLE');
  assert.match(
    failure?.message ?? '',
    /^Repo "full": the disk holding ".*" is full; the previous snapshot keeps serving: free some space and run reposync again, it resumes where it stopped\.$/,
  );
  assert.ok(stillServing);
});

test('one sync of a repo at a time; a cancelled sync stops and leaves its partial snapshot to resume', async (t) => {
  const { origin, mirrors } = await originAndMirrors(t, packages(2));
  // Every package answer stalls until the sync is cancelled.
  origin.hook = (path) => path.startsWith('/Packages/');
  const controller = new AbortController();
  const first = mirrors.sync(listRepo('busy', origin.url), { signal: controller.signal });
  while (!origin.requests.some((r) => r.path.startsWith('/Packages/')))
    await new Promise((resolve) => setTimeout(resolve, 10));
  await assert.rejects(mirrors.sync(listRepo('busy', origin.url)), {
    code: 'E_IN_USE',
    message: `Repo "busy" is being synced by process ${process.pid}; wait for that sync to end (or stop it) and try again.`,
  });
  await assert.rejects(mirrors.remove('busy'), { code: 'E_IN_USE' });
  controller.abort();
  await assert.rejects(
    first,
    /^BootwrightError: Repo "busy": The download of Packages\/p\d-1\.0\.rpm was cancelled\.$/,
  );
  const status = await mirrors.status('busy');
  assert.equal(status.current, undefined);
  assert.ok(status.partial);
  origin.hook = undefined;
  assert.equal((await mirrors.sync(listRepo('busy', origin.url))).packages, 2);
});
