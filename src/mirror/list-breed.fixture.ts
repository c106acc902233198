// For the engine's tests: the smallest breed that behaves like yum, an index without a checksum (index.json, like
// repomd.xml) naming files with their sizes and SHA-256, fetched next; and a child-process entry point to sync with
// it, which the SIGKILL test kills halfway.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MirroredRepo, RepoBreed } from './contract.js';
import { openRepoMirrors } from './engine.js';
import { testRepo } from './test-session.fixture.js';

export interface IndexedFile {
  path: string;
  size: number;
  sha256: string;
}

export const listBreed: RepoBreed = {
  async sync(session) {
    await session.fetch([{ path: 'index.json' }]);
    const files = JSON.parse((await session.read('index.json')).toString()) as IndexedFile[];
    const placed = await session.fetch(
      files.map((file) => ({
        path: file.path,
        size: file.size,
        checksum: { type: 'sha256', value: file.sha256 },
      })),
    );
    return { packages: placed.length };
  },
};

/** Writes files into an origin directory and its index.json (with `lies` overriding the checksum of some). */
export function writeOrigin(
  root: string,
  files: Record<string, Buffer>,
  lies: Record<string, Buffer> = {},
): void {
  const index: IndexedFile[] = [];
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), body);
    const claimed = lies[path] ?? body;
    index.push({ path, size: claimed.length, sha256: createHash('sha256').update(claimed).digest('hex') });
  }
  writeFileSync(join(root, 'index.json'), JSON.stringify(index));
}

/** A yum repo of the list breed's origin (the engine runs it as `breed: yum`, with listBreed in yum's place). */
export function listRepo(name: string, mirror: string): MirroredRepo {
  return testRepo({ name, mirror, breed: 'yum' });
}

// `node --import tsx list-breed.fixture.ts DATA_DIR ORIGIN_URL`: one sync, printing each progress step.
if (process.argv[1]?.endsWith('list-breed.fixture.ts') && process.argv[2] !== '--full-disk') {
  const [dataDir, mirror] = process.argv.slice(2) as [string, string];
  await openRepoMirrors(dataDir, { yum: listBreed }).sync(listRepo('killed', mirror), {
    concurrency: 2,
    progress: (p) => process.stdout.write(`done ${p.filesDone}\n`),
  });
}

// `node --import tsx list-breed.fixture.ts --full-disk DATA_DIR SMALL_URL BIG_URL`, run on a small tmpfs: a sync
// that fits, then one that cannot; prints the second's error and whether the first snapshot still serves.
if (process.argv[1]?.endsWith('list-breed.fixture.ts') && process.argv[2] === '--full-disk') {
  const { readFileSync } = await import('node:fs');
  const [dataDir, smallUrl, bigUrl] = process.argv.slice(3) as [string, string, string];
  const mirrors = openRepoMirrors(dataDir, { yum: listBreed });
  await mirrors.sync(listRepo('full', smallUrl));
  const before = mirrors.currentDir('full') ?? '';
  const served = readFileSync(join(before, 'index.json'));
  const failure = await mirrors.sync(listRepo('full', bigUrl)).then(
    () => undefined,
    (error: Error & { code?: string }) => ({ message: error.message, code: error.code }),
  );
  const after = mirrors.currentDir('full') ?? '';
  process.stdout.write(
    JSON.stringify({
      failure,
      stillServing: after === before && readFileSync(join(after, 'index.json')).equals(served),
    }),
  );
}
