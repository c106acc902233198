import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BootwrightError } from '../errors.js';
import { type ByteSource, bufferSource, openFileSource } from './byte-source.js';
import { directoryRecords } from './directory-record.js';
import {
  deepDirectory,
  longName,
  mediumName,
  mkisofs,
  needsXorriso,
  readSourceTree,
  type SourceNode,
  seededBytes,
  sha256,
  unicodeName,
  writeInstallTree,
  xorrisoIndev,
  xorrisoPaths,
} from './iso-images.fixture.js';
import { splitIntoExtents } from './multi-extent.fixture.js';
import { type IsoEntry, IsoImage, isoLimits } from './reader.js';
import { bothEndian32, suspEntry } from './records.fixture.js';
import { parseSystemUseArea } from './rock-ridge.js';

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

async function walkAll(image: IsoImage): Promise<Map<string, IsoEntry>> {
  const entries = new Map<string, IsoEntry>();
  for await (const entry of image.walk()) entries.set(entry.path, entry);
  return entries;
}

async function withImage<T>(path: string, use: (image: IsoImage) => Promise<T>): Promise<T> {
  const image = await IsoImage.open(path);
  try {
    return await use(image);
  } finally {
    await image.close();
  }
}

function assertInvalid(pattern: RegExp, code = 'E_INVALID') {
  return (error: unknown) => {
    assert.ok(error instanceof BootwrightError, `expected a BootwrightError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

/** Everything a user of the image would notice: the same paths, types, sizes, modes, times, targets and bytes. */
async function assertMatchesSource(image: IsoImage, source: Map<string, SourceNode>): Promise<void> {
  const entries = await walkAll(image);
  assert.deepEqual([...entries.keys()].sort(), [...source.keys()].sort());
  for (const [path, node] of source) {
    const entry = entries.get(path);
    assert.ok(entry, path);
    assert.equal(entry.type, node.type, path);
    assert.equal(
      entry.mode,
      node.mode,
      `${path}: mode ${entry.mode?.toString(8)} != ${node.mode.toString(8)}`,
    );
    assert.equal(entry.mtimeMs, Math.floor(node.mtimeMs / 1000) * 1000, `${path}: mtime`);
    assert.equal(entry.name, path.slice(path.lastIndexOf('/') + 1));
    if (node.type === 'symlink') {
      assert.equal(entry.target, node.target, path);
      assert.equal(entry.size, node.size, path);
    }
    if (node.type === 'file') {
      assert.equal(entry.size, node.size, path);
      assert.equal(sha256(await collect(image.read(entry, 0, entry.size - 1))), node.sha256, path);
    }
  }
}

describe('IsoImage on images xorriso writes', { skip: needsXorriso }, () => {
  let work = '';
  let tree = '';
  let source = new Map<string, SourceNode>();
  const image = { rockRidgeJoliet: '', rockRidge: '', joliet: '', plain: '', relocated: '' };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'bootwright-iso-'));
    tree = join(work, 'tree');
    writeInstallTree(tree);
    source = readSourceTree(tree);
    image.rockRidgeJoliet = mkisofs(tree, join(work, 'rr-joliet.iso'), ['-R', '-J', '-V', 'BOOTWRIGHT_TEST']);
    image.rockRidge = mkisofs(tree, join(work, 'rr.iso'), ['-R']);
    image.joliet = mkisofs(tree, join(work, 'joliet.iso'), ['-J', '--norock']);
    image.plain = mkisofs(tree, join(work, 'plain.iso'), ['--norock', '-iso-level', '1']);
    image.relocated = mkisofs(tree, join(work, 'relocated.iso'), ['-R', '-rr_reloc_dir', 'rr_moved']);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('reads a Rock Ridge + Joliet image exactly as the source tree, byte for byte', async () => {
    await withImage(image.rockRidgeJoliet, async (iso) => {
      assert.equal(iso.namesFrom, 'rock-ridge');
      assert.equal(iso.volumeId, 'BOOTWRIGHT_TEST');
      await assertMatchesSource(iso, source);
      assert.deepEqual([...(await walkAll(iso)).keys()].sort(), xorrisoPaths(image.rockRidgeJoliet));
      assert.equal(
        (await iso.readFile('/.treeinfo')).toString(),
        readFileSync(join(tree, '.treeinfo'), 'utf8'),
      );
      assert.match((await iso.readFile('/.disk/info')).toString(), /^Bootwright Test 1\.0/);
    });
  });

  it('reads a Rock Ridge image without Joliet the same way', async () => {
    await withImage(image.rockRidge, async (iso) => {
      assert.equal(iso.namesFrom, 'rock-ridge');
      await assertMatchesSource(iso, source);
    });
  });

  it('takes names from Joliet when there is no Rock Ridge: mixed case, Unicode, 64 characters at most', async () => {
    await withImage(image.joliet, async (iso) => {
      assert.equal(iso.namesFrom, 'joliet');
      const entries = await walkAll(iso);
      assert.deepEqual([...entries.keys()].sort(), xorrisoPaths(image.joliet));
      assert.ok(entries.has(`/${unicodeName}`));
      assert.ok(entries.has('/images/pxeboot/initrd.img'));
      // Joliet allows 64 characters; libisofs keeps 65 when it writes no ";1" version. Either way the name is cut.
      const truncated = [...entries.values()].find((entry) => entry.name.startsWith('MMMM'));
      assert.ok(truncated && truncated.name.length >= 64 && truncated.name.length <= 65, truncated?.name);
      assert.equal([...entries.values()].filter((entry) => entry.type === 'symlink').length, 0);
      assert.equal(entries.get('/hello.txt')?.mode, undefined);
      for (const entry of entries.values()) {
        const node = source.get(entry.path);
        if (entry.type !== 'file' || node === undefined) continue;
        assert.equal(sha256(await iso.readFile(entry.path)), node.sha256, entry.path);
      }
    });
  });

  it('can be told to read the Joliet or the plain ISO 9660 tree of an image that has Rock Ridge', async () => {
    const joliet = await IsoImage.open(image.rockRidgeJoliet, { names: 'joliet' });
    assert.equal(joliet.namesFrom, 'joliet');
    assert.deepEqual(
      [...(await walkAll(joliet)).keys()].sort(),
      xorrisoPaths(image.rockRidgeJoliet, 'norock'),
    );
    assert.equal((await joliet.stat(`/${unicodeName}`))?.type, 'file');
    await joliet.close();
    const plain = await IsoImage.open(image.rockRidgeJoliet, { names: 'iso9660' });
    assert.equal(plain.namesFrom, 'iso9660');
    assert.equal(await plain.stat(`/${unicodeName}`), undefined);
    assert.equal((await plain.readFile('/HELLO.TXT')).toString(), 'hello\n');
    await plain.close();
    await assert.rejects(
      IsoImage.open(image.joliet, { names: 'rock-ridge' }),
      assertInvalid(/has no Rock Ridge names/),
    );
    await assert.rejects(
      IsoImage.open(image.rockRidge, { names: 'joliet' }),
      assertInvalid(/has no Joliet names/),
    );
  });

  it('shows plain ISO 9660 level 1 names in lower case and finds them in either case', async () => {
    await withImage(image.plain, async (iso) => {
      assert.equal(iso.namesFrom, 'iso9660');
      const entries = await walkAll(iso);
      const expected = xorrisoPaths(image.plain).map((path) => path.toLowerCase());
      assert.deepEqual([...entries.keys()].sort(), expected.sort());
      assert.equal((await iso.stat('/HELLO.TXT'))?.path, '/hello.txt');
      assert.equal((await iso.stat('/Images/PXEBOOT/vmlinuz'))?.size, 70_000);
      assert.equal(
        sha256(await iso.readFile('/images/pxeboot/vmlinuz')),
        source.get('/images/pxeboot/vmlinuz')?.sha256,
      );
      assert.equal((await iso.readFile(`/${deepDirectory}/deep.txt`)).toString(), 'deep\n');
    });
  });

  it('follows paths deeper than 8 levels, with or without relocation into rr_moved', async () => {
    const deep = `/${deepDirectory}/deep.txt`;
    await withImage(image.rockRidge, async (iso) => {
      assert.equal((await iso.readFile(deep)).toString(), 'deep\n');
    });
    await withImage(image.relocated, async (iso) => {
      await assertMatchesSource(iso, source);
      assert.equal((await iso.readFile(deep)).toString(), 'deep\n');
    });
    // The relocation is real: the plain ISO 9660 tree of the same image has the deep directories under rr_moved.
    const plain = await IsoImage.open(image.relocated, { names: 'iso9660' });
    assert.equal((await plain.stat('/rr_moved'))?.type, 'directory');
    assert.equal(await plain.stat(deep), undefined);
    await plain.close();
  });

  it('reads 200-character Rock Ridge names and long symlink targets spread over continuation areas', async () => {
    await withImage(image.rockRidgeJoliet, async (iso) => {
      const entry = await iso.stat(`/${longName}`);
      assert.equal(entry?.name.length, 200);
      assert.equal((await iso.readFile(`/${longName}`)).toString(), 'long\n');
      assert.equal((await iso.stat(`/${mediumName}`))?.name, mediumName);
      const link = await iso.stat('/long-target');
      assert.equal(link?.target, source.get('/long-target')?.target);
      assert.equal((await iso.readFile('/long-target')).toString(), 'long\n');
    });
  });

  it('stat follows no symlinks; resolve follows them and never leaves the image', async () => {
    await withImage(image.rockRidgeJoliet, async (iso) => {
      const link = await iso.stat('/link-dir');
      assert.deepEqual(
        { type: link?.type, target: link?.target },
        { type: 'symlink', target: 'images/pxeboot' },
      );
      assert.equal(await iso.stat('/link-dir/vmlinuz'), undefined);
      assert.equal((await iso.resolve('/link-dir/vmlinuz'))?.path, '/images/pxeboot/vmlinuz');
      assert.equal((await iso.resolve('/link-absolute'))?.path, '/images/pxeboot/vmlinuz');
      assert.equal((await iso.resolve('/link-to-hello'))?.path, '/hello.txt');
      assert.equal((await iso.resolve('/d1/up'))?.path, '/hello.txt');
      assert.equal((await iso.resolve('/../../hello.txt'))?.path, '/hello.txt');
      assert.equal((await iso.resolve('/'))?.path, '/');
      assert.equal(await iso.resolve('/hello.txt/x'), undefined);
      assert.equal(await iso.resolve('/dangling'), undefined);
      // "../../../../etc/passwd" climbs no higher than the image's root: it is the image's file, not the host's.
      assert.equal((await iso.resolve('/escape'))?.path, '/etc/passwd');
      assert.match((await iso.readFile('/escape')).toString(), /image passwd/);
      await assert.rejects(
        iso.resolve('/loop-a'),
        assertInvalid(/more than 40 symlinks \(the last "\/loop-[ab]"\); the image has a symlink loop/),
      );
      const names = (await iso.list('/link-dir')).map((entry) => entry.path);
      assert.deepEqual(names, ['/images/pxeboot/initrd.img', '/images/pxeboot/vmlinuz']);
    });
  });

  it('refuses what cannot be listed or read, with messages that name the path and the image', async () => {
    await withImage(image.rockRidgeJoliet, async (iso) => {
      await assert.rejects(
        iso.list('/missing'),
        assertInvalid(/Directory "\/missing" not found/, 'E_NOT_FOUND'),
      );
      await assert.rejects(
        iso.list('/hello.txt'),
        assertInvalid(/"\/hello.txt" .* is a file, not a directory/),
      );
      await assert.rejects(
        iso.readFile('/missing'),
        assertInvalid(/File "\/missing" not found/, 'E_NOT_FOUND'),
      );
      await assert.rejects(iso.readFile('/images'), assertInvalid(/is a directory, not a file/));
      const vmlinuz = await iso.stat('/images/pxeboot/vmlinuz');
      assert.ok(vmlinuz);
      assert.throws(
        () => iso.read(vmlinuz, 10, 70_000),
        assertInvalid(/Byte range 10-70000 is outside file/),
      );
      assert.throws(() => iso.read(vmlinuz, -1, 5), assertInvalid(/Byte range -1-5/));
      const images = await iso.stat('/images');
      assert.ok(images);
      assert.throws(() => iso.read(images, 0, 0), assertInvalid(/is a directory, not a file/));
    });
  });

  it('reads byte ranges, single bytes and empty files', async () => {
    await withImage(image.rockRidgeJoliet, async (iso) => {
      const expected = readFileSync(join(tree, 'images/pxeboot/initrd.img'));
      const entry = await iso.stat('/images/pxeboot/initrd.img');
      assert.ok(entry);
      const ranges = [
        [0, 0],
        [0, 2047],
        [2047, 2048],
        [1000, 129_999],
        [130_000, 130_000],
        [65_536, 130_000],
      ];
      for (const [start = 0, end = 0] of ranges) {
        assert.deepEqual(
          await collect(iso.read(entry, start, end)),
          expected.subarray(start, end + 1),
          `${start}-${end}`,
        );
      }
      const empty = await iso.stat('/empty');
      assert.ok(empty);
      assert.equal(empty.size, 0);
      assert.deepEqual(empty.extents, []);
      assert.equal((await collect(iso.read(empty, 0, -1))).length, 0);
      assert.equal((await iso.readFile('/empty')).length, 0);
    });
  });

  it('opens by reading the descriptors and the root only, and caches directories it has read', async () => {
    const counted = await countingSource(image.rockRidgeJoliet);
    const iso = await IsoImage.fromSource(counted.source, 'counted.iso');
    assert.ok(counted.bytesRead() <= 16 * 2048, `open read ${counted.bytesRead()} bytes`);
    const deep = `/${deepDirectory}/deep.txt`;
    assert.ok(await iso.stat(deep));
    const afterFirst = counted.bytesRead();
    assert.ok(await iso.stat(deep));
    await iso.list('/many');
    await iso.list('/many');
    const afterMany = counted.bytesRead();
    await iso.list('/many');
    assert.equal(counted.bytesRead(), afterMany, 'a cached directory is not read again');
    assert.ok(afterMany - afterFirst < 64 * 1024);
    const initrd = await iso.stat('/images/pxeboot/initrd.img');
    assert.ok(initrd);
    const before = counted.bytesRead();
    await collect(iso.read(initrd, 100_000, 100_099));
    assert.equal(counted.bytesRead() - before, 100, 'a range reads only its own bytes');
    await iso.close();
    await assert.rejects(
      iso.stat('/hello.txt'),
      assertInvalid(/ISO image "counted.iso" is closed/, 'E_UNAVAILABLE'),
    );
  });

  it('lists a directory that spans several blocks', async () => {
    await withImage(image.rockRidgeJoliet, async (iso) => {
      const many = await iso.stat('/many');
      assert.ok(many && many.size > 2048, `/many is ${many?.size} bytes`);
      const names = (await iso.list('/many')).map((entry) => entry.name);
      assert.equal(names.length, 120);
      assert.equal(names[119], 'file-119.txt');
      assert.equal((await iso.readFile('/many/file-077.txt')).toString(), 'file 77\n');
    });
  });

  it('refuses to return a file over the readFile limit whole, and streams it instead', async () => {
    const bigTree = join(work, 'big-tree');
    mkdirSync(bigTree);
    const size = isoLimits.readFileMaxBytes + 4096;
    writeFileSync(join(bigTree, 'big.img'), Buffer.alloc(0));
    truncateSync(join(bigTree, 'big.img'), size);
    const big = mkisofs(bigTree, join(work, 'big.iso'), ['-R']);
    await withImage(big, async (iso) => {
      await assert.rejects(
        iso.readFile('/big.img'),
        assertInvalid(
          /is 16781312 bytes, more than the 16777216 bytes readFile returns whole; stream it with read/,
        ),
      );
      const entry = await iso.stat('/big.img');
      assert.ok(entry);
      let total = 0;
      for await (const chunk of iso.read(entry, 0, entry.size - 1)) {
        assert.ok(chunk.length <= isoLimits.readChunkBytes);
        total += chunk.length;
      }
      assert.equal(total, size);
    });
  });

  it('describes El Torito boot entries of a hybrid image whose first sectors are an MBR', async () => {
    const bootTree = join(work, 'boot-tree');
    mkdirSync(join(bootTree, 'isolinux'), { recursive: true });
    writeFileSync(join(bootTree, 'isolinux/boot.img'), seededBytes(2048, 7));
    writeFileSync(join(bootTree, 'efi.img'), seededBytes(8192, 8));
    writeFileSync(join(work, 'mbr.bin'), Buffer.alloc(432));
    const boot = mkisofs(bootTree, join(work, 'boot.iso'), [
      ...['-R', '-J', '-V', 'BOOT_TEST', '-isohybrid-mbr', join(work, 'mbr.bin')],
      ...['-b', 'isolinux/boot.img', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4'],
      ...['-eltorito-alt-boot', '-e', 'efi.img', '-no-emul-boot', '-isohybrid-gpt-basdat'],
    ]);
    const head = readFileSync(boot).subarray(0, 512);
    assert.deepEqual([head[510], head[511]], [0x55, 0xaa], 'the image starts with an MBR');
    const report = xorrisoIndev(boot, ['-report_el_torito', 'plain']);
    await withImage(boot, async (iso) => {
      assert.equal(iso.volumeId, 'BOOT_TEST');
      const catalog = await iso.bootCatalog();
      assert.ok(catalog);
      const bootImg = await iso.stat('/isolinux/boot.img');
      const efiImg = await iso.stat('/efi.img');
      assert.deepEqual(
        catalog.entries.map(({ platform, bootable, emulation, sectorCount, lba }) => ({
          platform,
          bootable,
          emulation,
          sectorCount,
          lba,
        })),
        [
          {
            platform: 'x86 BIOS',
            bootable: true,
            emulation: 'none',
            sectorCount: 4,
            lba: bootImg?.extents[0]?.lba,
          },
          {
            platform: 'UEFI',
            bootable: true,
            emulation: 'none',
            sectorCount: 16,
            lba: efiImg?.extents[0]?.lba,
          },
        ],
      );
      // xorriso reads the same catalog: "El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4   LBA".
      for (const [index, entry] of catalog.entries.entries()) {
        const line = new RegExp(
          `boot img :\\s+${index + 1}\\s+\\S+\\s+y\\s+none\\s+\\S+\\s+\\S+\\s+${entry.sectorCount}\\s+${entry.lba}\\n`,
        );
        assert.match(report, line);
      }
      assert.match(
        catalog.entries[1]?.description ?? '',
        /^UEFI, bootable, no emulation, 16 virtual sectors at sector \d+$/,
      );
      assert.equal(sha256(await iso.readFile('/isolinux/boot.img')), sha256(seededBytes(2048, 7)));
    });
    await withImage(image.rockRidge, async (iso) => assert.equal(await iso.bootCatalog(), undefined));
  });

  it('joins multi-extent files and reads ranges across extent boundaries, in every name tree', async () => {
    const multiTree = join(work, 'multi-tree');
    mkdirSync(multiTree);
    const parts = {
      'partb.bin': seededBytes(6144, 11),
      'parta.bin': seededBytes(4096, 12),
      'partc.bin': seededBytes(1000, 13),
    };
    for (const [name, bytes] of Object.entries(parts)) writeFileSync(join(multiTree, name), bytes);
    writeFileSync(join(multiTree, 'joined.bin'), 'placeholder\n');
    const multi = mkisofs(multiTree, join(work, 'multi.iso'), ['-R', '-J']);
    splitIntoExtents(multi, 'joined.bin', Object.keys(parts));
    const expected = Buffer.concat(Object.values(parts));
    // xorriso reads the rewritten record as a file of three sections, in the Rock Ridge and the Joliet tree alike.
    for (const readFs of ['any', 'norock']) {
      const out = join(work, `joined-${readFs}.bin`);
      xorrisoIndev(multi, ['-osirrox', 'on', '-extract', '/joined.bin', out], readFs);
      assert.equal(sha256(readFileSync(out)), sha256(expected), `xorriso -read_fs ${readFs}`);
    }
    assert.equal(
      xorrisoIndev(multi, ['-find', '/joined.bin', '-exec', 'report_sections']).match(/\/joined\.bin/g)
        ?.length,
      3,
    );
    for (const names of ['rock-ridge', 'joliet', 'iso9660'] as const) {
      const iso = await IsoImage.open(multi, { names });
      const entry = await iso.stat('/joined.bin');
      assert.ok(entry, names);
      assert.equal(entry.size, expected.length);
      assert.deepEqual(
        entry.extents.map((extent) => extent.length),
        [6144, 4096, 1000],
      );
      const partB = await iso.stat('/partb.bin');
      assert.equal(entry.extents[0]?.lba, partB?.extents[0]?.lba);
      assert.equal(sha256(await iso.readFile('/joined.bin')), sha256(expected), names);
      const boundaries = [
        [6143, 6144],
        [6144, 6144],
        [6143, 6143],
        [6000, 10_300],
        [10_239, 10_240],
        [10_240, 11_239],
        [11_239, 11_239],
        [0, 11_239],
        [2048, 8191],
      ];
      for (const [start = 0, end = 0] of boundaries) {
        assert.deepEqual(
          await collect(iso.read(entry, start, end)),
          expected.subarray(start, end + 1),
          `${start}-${end}`,
        );
      }
      // readInto stops at each extent's end, and at the buffer's: reading on from where it stopped joins them.
      for (const bufferBytes of [4000, 1 << 20]) {
        const buffer = Buffer.alloc(bufferBytes);
        const pieces: Buffer[] = [];
        for (let position = 0, read = 1; read > 0; position += read) {
          read = await iso.readInto(entry, buffer, position);
          pieces.push(Buffer.from(buffer.subarray(0, read)));
        }
        assert.deepEqual(Buffer.concat(pieces), expected, `readInto with ${bufferBytes}-byte buffers`);
      }
      assert.equal((await walkAll(iso)).size, 4);
      await iso.close();
    }
  });

  // xorriso writes a 4 GiB image (sparse source, ~20 s): the one real multi-extent case it can make.
  it('joins the extents xorriso writes for a file over 4 GiB', async () => {
    const hugeTree = join(work, 'huge-tree');
    mkdirSync(hugeTree);
    const size = 4 * 1024 ** 3 + 1024 * 1024;
    const firstExtent = 4 * 1024 ** 3 - 2048; // libisofs's ISO_EXTENT_SIZE
    const marked = seededBytes(1024 * 1024, 21);
    const markedAt = firstExtent - 512 * 1024;
    const file = join(hugeTree, 'huge.img');
    writeFileSync(file, Buffer.alloc(0));
    truncateSync(file, size);
    const handle = await open(file, 'r+');
    await handle.write(marked, 0, marked.length, markedAt);
    await handle.close();
    const huge = mkisofs(hugeTree, join(work, 'huge.iso'), ['-R', '-J', '-iso-level', '3']);
    try {
      const sections = xorrisoIndev(huge, ['-find', '/huge.img', '-exec', 'report_sections']);
      for (const names of ['rock-ridge', 'joliet'] as const) {
        const iso = await IsoImage.open(huge, { names });
        try {
          const entry = await iso.stat('/huge.img');
          assert.ok(entry);
          assert.equal(entry.size, size);
          assert.deepEqual(
            entry.extents.map((extent) => extent.length),
            [firstExtent, size - firstExtent],
          );
          for (const extent of entry.extents) assert.match(sections, new RegExp(`\\s${extent.lba}\\s`));
          for (const [start, end] of [
            [markedAt, markedAt + marked.length - 1],
            [firstExtent - 1, firstExtent],
            [firstExtent, firstExtent + 10],
          ] as const) {
            assert.deepEqual(
              await collect(iso.read(entry, start, end)),
              marked.subarray(start - markedAt, end - markedAt + 1),
            );
          }
          assert.deepEqual(await collect(iso.read(entry, size - 4, size - 1)), Buffer.alloc(4));
        } finally {
          await iso.close();
        }
      }
    } finally {
      rmSync(huge, { force: true });
    }
  });

  it('reports a truncated image, a garbage file and a missing one clearly', async () => {
    const whole = readFileSync(image.rockRidgeJoliet);
    const half = join(work, 'half.iso');
    writeFileSync(half, whole.subarray(0, whole.length / 2));
    await assert.rejects(
      IsoImage.open(half),
      assertInvalid(
        /^ISO image ".*half\.iso" is truncated: its primary volume descriptor declares \d+ blocks of 2048 bytes \(\d+ bytes\), but the file has \d+ bytes$/,
      ),
    );
    const garbage = join(work, 'garbage.iso');
    writeFileSync(garbage, seededBytes(1024 * 1024, 99));
    await assert.rejects(
      IsoImage.open(garbage),
      assertInvalid(
        /^File ".*garbage\.iso" is not an ISO 9660 image: sector 16 holds no volume descriptor \(bytes 32769-32773 are ".*", not "CD001"\)$/,
      ),
    );
    const tiny = join(work, 'tiny.iso');
    writeFileSync(tiny, 'not an image\n');
    await assert.rejects(
      IsoImage.open(tiny),
      assertInvalid(/is not an ISO 9660 image: it is 13 bytes, too small/),
    );
    await assert.rejects(
      IsoImage.open(join(work, 'nowhere.iso')),
      assertInvalid(/ISO image ".*nowhere.iso" not found/, 'E_NOT_FOUND'),
    );
    await assert.rejects(IsoImage.open(work), assertInvalid(/is not a regular file/));
  });

  it('refuses directory loops and continuation area loops instead of going round them', async () => {
    const pristine = readFileSync(image.rockRidgeJoliet);
    const rootLba = pristine.readUInt32LE(16 * 2048 + 156 + 2);
    const rootData = pristine.subarray(rootLba * 2048, (rootLba + 1) * 2048);
    const records = [...directoryRecords(rootData, 2048, 'root')];
    const d1 = records.find((record) => record.identifier.toString('latin1') === 'D1');
    assert.ok(d1);
    // "/d1" points back at the root directory.
    const looped = Buffer.from(pristine);
    looped.writeUInt32LE(rootLba, rootLba * 2048 + d1.offset + 2);
    looped.writeUInt32BE(rootLba, rootLba * 2048 + d1.offset + 6);
    const loopedImage = await IsoImage.fromSource(bufferSource(looped), 'looped.iso');
    await assert.rejects(
      walkAll(loopedImage),
      assertInvalid(
        /^ISO image "looped.iso" is corrupt: directory "\/d1" \(block \d+\) is the same directory as "\/", so the tree has a loop$/,
      ),
    );
    // The root's "." record continues in an area that continues in itself.
    const self = records[0];
    assert.ok(self);
    const ce = parseSystemUseArea(self.systemUse, 'root').continuation;
    assert.ok(ce);
    const chained = Buffer.from(pristine);
    const area = ce.lba * 2048 + ce.offset;
    const selfReference = suspEntry('CE', [
      ...bothEndian32(ce.lba),
      ...bothEndian32(ce.offset),
      ...bothEndian32(28),
    ]);
    Buffer.concat([selfReference, suspEntry('ST', [])]).copy(chained, area);
    await assert.rejects(
      IsoImage.fromSource(bufferSource(chained), 'chained.iso'),
      assertInvalid(
        /is corrupt: the "\." record of the root directory \(block \d+\) chains more than 32 continuation areas$/,
      ),
    );
  });

  it('reports a file whose data lies past the end of the image when it is read', async () => {
    // Cut the image inside a file's data and make the volume descriptor agree, as a careless tool might.
    const whole = readFileSync(image.rockRidge);
    const initrdLba = await withImage(image.rockRidge, async (iso) => {
      return (await iso.stat('/images/pxeboot/initrd.img'))?.extents[0]?.lba ?? 0;
    });
    const cut = Buffer.from(whole.subarray(0, (initrdLba + 10) * 2048));
    cut.writeUInt32LE(initrdLba + 10, 16 * 2048 + 80);
    cut.writeUInt32BE(initrdLba + 10, 16 * 2048 + 84);
    const path = join(work, 'cut.iso');
    writeFileSync(path, cut);
    await withImage(path, async (iso) => {
      const initrd = await iso.stat('/images/pxeboot/initrd.img');
      assert.ok(initrd);
      assert.throws(
        () => iso.read(initrd, 0, initrd.size - 1),
        assertInvalid(
          /is truncated: file "\/images\/pxeboot\/initrd.img" \(extent at block \d+, 130001 bytes\) lies past the end of the file \(size \d+\)$/,
        ),
      );
    });
  });
});

async function countingSource(path: string): Promise<{ source: ByteSource; bytesRead: () => number }> {
  const file = await openFileSource(path);
  let total = 0;
  return {
    bytesRead: () => total,
    source: {
      size: file.size,
      async read(position, length) {
        total += length;
        return file.read(position, length);
      },
      close: () => file.close(),
    },
  };
}
