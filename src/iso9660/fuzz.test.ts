// Mutates a real small image (Rock Ridge with continuation areas, Joliet, El Torito, a multi-extent file, deep
// directories, symlinks) in a few thousand seeded ways, and checks that opening, walking, resolving and reading
// it either works or fails with E_INVALID: never another error, never a hang, and within a time bound.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reportCount, scaled } from '../../test/support/long-mode.js';
import { BootwrightError } from '../errors.js';
import { bufferSource } from './byte-source.js';
import { longName, mkisofs, mulberry32, needsXorriso, seededBytes } from './iso-images.fixture.js';
import { splitIntoExtents } from './multi-extent.fixture.js';
import { IsoImage } from './reader.js';

const iterations = scaled(5_000, 100_000);
// Another seed explores other mutations: BOOTWRIGHT_FUZZ_SEED=7 node scripts/run-tests.mjs iso9660/fuzz
const seed = Number(process.env.BOOTWRIGHT_FUZZ_SEED ?? 0x150_9660);
const perIterationMs = 5000;
const totalBudgetMs = scaled(30_000, 600_000);

interface Mutation {
  offset: number;
  bytes: Buffer;
}

describe('IsoImage on mutated images', { skip: needsXorriso }, () => {
  let work = '';
  let pristine = Buffer.alloc(0);
  let metadataEnd = 0;
  let catalogByte = 0;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'bootwright-iso-fuzz-'));
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'boot'), { recursive: true });
    mkdirSync(join(tree, 'a/b/c/d/e/f/g/h/i/j'), { recursive: true });
    writeFileSync(join(tree, 'a/b/c/d/e/f/g/h/i/j/deep.txt'), 'deep\n');
    writeFileSync(join(tree, 'boot/boot.img'), seededBytes(2048, 1));
    writeFileSync(join(tree, 'hello.txt'), 'hello\n');
    writeFileSync(join(tree, longName), 'long\n');
    writeFileSync(join(tree, 'parta.bin'), seededBytes(4096, 2));
    writeFileSync(join(tree, 'partb.bin'), seededBytes(3000, 3));
    writeFileSync(join(tree, 'joined.bin'), 'placeholder\n');
    // Enough long-named files that the root directory spans two blocks.
    for (let i = 0; i < 16; i++)
      writeFileSync(join(tree, `file-${i}-${'x'.repeat(40 + i * 4)}.txt`), `${i}\n`);
    symlinkSync('hello.txt', join(tree, 'link'));
    symlinkSync('/a/b/c', join(tree, 'absolute'));
    symlinkSync(`../../${longName}`, join(tree, 'a/b/up'));
    const path = mkisofs(tree, join(work, 'small.iso'), [
      ...['-R', '-J', '-b', 'boot/boot.img', '-c', 'boot/boot.cat', '-no-emul-boot'],
      '-rr_reloc_dir',
      'rr_moved',
    ]);
    splitIntoExtents(path, 'joined.bin', ['parta.bin', 'partb.bin']);
    pristine = readFileSync(path);
    // Mutations go where the metadata is: descriptors, directories, continuation areas and the boot catalog all
    // come before the first file's data in what xorriso writes. Bytes in file data change nothing worth testing.
    const image = await IsoImage.open(path);
    let firstData = pristine.length / 2048;
    for await (const entry of image.walk()) {
      if (entry.type === 'file' && entry.name !== 'boot.cat') {
        for (const extent of entry.extents) firstData = Math.min(firstData, extent.lba);
      }
    }
    assert.ok(((await image.stat('/'))?.size ?? 0) > 2048, 'the root directory spans two blocks');
    const catalog = await image.stat('/boot/boot.cat');
    catalogByte = (catalog?.extents[0]?.lba ?? 0) * 2048;
    await image.close();
    metadataEnd = firstData * 2048;
    assert.ok(metadataEnd > 20 * 2048 && metadataEnd < pristine.length, `metadata ends at ${metadataEnd}`);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it(`opens, walks and reads ${iterations} mutated images, failing only with E_INVALID`, async (t) => {
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const between = (low: number, high: number) => low + Math.floor(random() * (high - low));
    const metadataOffset = () => {
      const where = random();
      if (where < 0.2) return between(16 * 2048, 20 * 2048);
      if (where < 0.3) return between(catalogByte, catalogByte + 128);
      return between(16 * 2048, metadataEnd);
    };
    const blocks = pristine.length / 2048;
    const interesting = [
      0,
      1,
      2,
      0x7f,
      0x80,
      0xff,
      0xffff,
      0x7fffffff,
      0xffffffff,
      blocks - 1,
      blocks,
      blocks + 1,
    ];

    // Each strategy returns the bytes to write at an offset in the metadata.
    const strategies: ((offset: number) => Buffer)[] = [
      () => Buffer.from([between(0, 256)]),
      (offset) => Buffer.from([(pristine[offset] ?? 0) ^ (1 << between(0, 8))]),
      // A both-endian 32-bit field, as extents, lengths and continuation pointers are recorded.
      () => {
        const value = (random() < 0.7 ? pick(interesting) : between(0, 2 ** 32)) >>> 0;
        const bytes = Buffer.alloc(8);
        bytes.writeUInt32LE(value, 0);
        bytes.writeUInt32BE(value, 4);
        return bytes;
      },
      // Lengths and flags that sit on the edges: record minimums, SUSP header sizes, the multi-extent bit.
      () => Buffer.from([pick([0, 1, 4, 5, 33, 34, 35, 0x80, 0x82, 0xfe, 0xff])]),
      () => Buffer.alloc(between(1, 64)),
      // Metadata copied from elsewhere: plausible records in implausible places.
      () => {
        const from = metadataOffset();
        return Buffer.from(pristine.subarray(from, from + between(1, 256)));
      },
    ];
    const mutate = (): Mutation[] =>
      Array.from({ length: between(1, 5) }, () => {
        const offset = metadataOffset();
        return { offset, bytes: pick(strategies)(offset) };
      });

    // Most images are read from memory, which parses exactly as a file does but without a thread-pool round trip
    // per read; every twentieth goes through a real file, as a server would read it.
    const path = join(work, 'mutated.iso');
    const working = Buffer.from(pristine);
    const outcomes = { opened: 0, refused: 0, walked: 0, failedLater: 0 };
    // CPU time for the budget: what it bounds is the parser's work, which other processes on a busy machine (a CI
    // runner, the other half of the suite) must not blur; the wall time is shown beside it.
    const started = Date.now();
    const cpuStarted = process.cpuUsage();
    let slowest = 0;
    for (let iteration = 0; iteration < iterations; iteration++) {
      const mutations = mutate();
      const truncateTo = random() < 0.05 ? between(0, pristine.length) : undefined;
      for (const { offset, bytes } of mutations) bytes.copy(working, offset);
      const bytes = working.subarray(0, truncateTo);
      const names = pick([undefined, undefined, 'joliet', 'iso9660'] as const);
      const throughFile = iteration % 20 === 0;
      if (throughFile) writeFileSync(path, bytes);
      const iterationStarted = Date.now();
      const describeCase = () =>
        `iteration ${iteration} (seed ${seed}, names ${names ?? 'default'}, truncate ${truncateTo}): ` +
        mutations.map((mutation) => `${mutation.offset}=${mutation.bytes.toString('hex')}`).join(' ');
      const options = names ? { names } : {};
      const opening = throughFile
        ? IsoImage.open(path, options)
        : IsoImage.fromSource(bufferSource(bytes), 'mutated.iso', options);
      const outcome = await withDeadline(exercise(opening), perIterationMs, describeCase).catch((error) => {
        throw new Error(`${describeCase()}: ${error instanceof Error ? error.stack : String(error)}`);
      });
      outcomes[outcome] += 1;
      if (outcome !== 'refused') outcomes.opened += 1;
      slowest = Math.max(slowest, Date.now() - iterationStarted);
      pristine.copy(working);
    }
    const elapsed = Date.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    t.diagnostic(
      `${JSON.stringify(outcomes)} in ${elapsed} ms (${cpuMs} ms of CPU), slowest iteration ${slowest} ms`,
    );
    assert.ok(cpuMs < totalBudgetMs, `${iterations} iterations took ${cpuMs} ms of CPU`);
    assert.ok(
      outcomes.refused > 0 && outcomes.walked > 0 && outcomes.failedLater > 0,
      JSON.stringify(outcomes),
    );
    reportCount('iso9660/fuzz', 'mutated images opened, walked and read', iterations);
  });
});

type Outcome = 'refused' | 'walked' | 'failedLater';

/** Everything a server would do with an image; any error must be E_INVALID. */
async function exercise(opening: Promise<IsoImage>): Promise<Outcome> {
  let image: IsoImage;
  try {
    image = await opening;
  } catch (error) {
    expectInvalid(error);
    return 'refused';
  }
  let failed = false;
  const attempt = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      expectInvalid(error);
      failed = true;
    }
  };
  try {
    await attempt(async () => {
      let files = 0;
      for await (const entry of image.walk()) {
        if (entry.type === 'symlink') await attempt(() => image.resolve(entry.path));
        if (entry.type !== 'file' || files++ > 100) continue;
        await attempt(async () => {
          // The start and the end of each file: enough to cross extents without reading a corrupt 4 GiB.
          const size = entry.size;
          for (const [start, end] of [
            [0, Math.min(size, 65_536) - 1],
            [Math.max(0, size - 4096), size - 1],
          ] as const) {
            for await (const chunk of image.read(entry, start, end))
              assert.ok(chunk.length <= end - start + 1);
          }
        });
      }
    });
    await attempt(() => image.bootCatalog());
    await attempt(() => image.resolve('/a/b/up'));
    await attempt(() => image.list('/'));
    await attempt(async () => {
      const entry = await image.stat('/joined.bin');
      if (entry?.type === 'file' && entry.size > 4096) {
        for await (const _ of image.read(entry, 4090, 4100));
      }
    });
  } finally {
    await image.close();
  }
  return failed ? 'failedLater' : 'walked';
}

function expectInvalid(error: unknown): void {
  if (error instanceof BootwrightError && error.code === 'E_INVALID') {
    assert.match(error.message, /^(ISO image|File|Path|Byte range) "/);
    return;
  }
  throw error;
}

async function withDeadline<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()}: did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
