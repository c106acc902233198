// Faults of the machine under the store (issue 10): another process holding the store locked, and the disk filling
// up while writing. Each ends in one sentence saying what to do, nothing half-written, and the store working again
// once the fault is gone.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { dataPaths } from '../../src/config/paths.js';
import { lockStoreFile } from '../../src/store/sqlite-file.fixture.js';
import { sharedBootFiles } from '../support/boot-files.js';
import { runCli } from '../support/cli.js';
import { configureStore } from '../support/guest-run.js';
import { reportCount } from '../support/long-mode.js';
import { serveTestRootsCommand } from '../support/served-roots.js';
import { tempDir } from '../support/temp-dir.js';

/** A kernel and initrd that are there: a distro's missing one is refused at add. */
const bootFiles = sharedBootFiles();

/** A tmpfs of `size` mounted for this test only, unmounted when it ends. */
function smallDisk(t: TestContext, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bootwright-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

describe('storage faults', () => {
  it('says the store is locked by another process, then works once the lock is gone', async (t) => {
    const dataDir = tempDir(t);
    await configureStore(dataDir, [
      [...serveTestRootsCommand],
      ['distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`],
    ]);
    const other = lockStoreFile(dataPaths(dataDir).store, 'exclusive');
    t.after(() => other.close());
    const blocked = await runCli(dataDir, 'profile', 'add', '--name=p', '--distro=d');
    assert.equal(blocked.code, 8, blocked.stderr);
    assert.match(
      blocked.stderr,
      /^bootwright: The store is locked by another process .*retry when it is done\.\n$/,
    );
    other.release();
    const list = await runCli(dataDir, 'profile', 'list');
    assert.equal(list.stdout, '', 'the refused write left nothing behind');
    const again = await runCli(dataDir, 'profile', 'add', '--name=p', '--distro=d');
    assert.equal(again.code, 0, again.stderr);
  });

  it('says the disk is full, keeps every earlier write whole, and writes again once there is room', {
    skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs',
  }, async (t) => {
    const disk = smallDisk(t, '2m');
    const dataDir = join(disk, 'data');
    mkdirSync(dataDir);
    await configureStore(dataDir, [
      [...serveTestRootsCommand],
      ['distro', 'add', '--name=d', `--kernel=${bootFiles.kernel}`, `--initrd=${bootFiles.initrd}`],
      ['profile', 'add', '--name=p', '--distro=d'],
    ]);
    // Most of the room goes to a filler file, so that the store runs out after a few dozen systems.
    const filler = join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(1200 * 1024));
    const comment = 'x'.repeat(8000);
    const written: string[] = [];
    let refusal: { code: number; stderr: string } | undefined;
    for (let i = 0; i < 500 && !refusal; i++) {
      const run = await runCli(
        dataDir,
        ...['system', 'add', `--name=s${i}`, '--profile=p', `--comment=${comment}${i}`, `--hostname=s${i}`],
      );
      if (run.code === 0) written.push(`s${i}`);
      else refusal = run;
    }
    assert.ok(refusal, 'the disk never filled up');
    assert.equal(refusal.code, 8, refusal.stderr);
    assert.match(
      refusal.stderr,
      /^bootwright: The disk holding the store is full, so nothing was written; free some space and retry\.\n$/,
    );
    assert.ok(written.length > 5, `only ${written.length} systems fitted`);

    rmSync(filler);
    const listed = (await runCli(dataDir, 'system', 'list')).stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    assert.deepEqual(listed.sort(), [...written].sort(), 'exactly the acknowledged systems are there');
    for (const name of [written[0], written.at(-1)] as string[]) {
      const report = await runCli(dataDir, 'system', 'report', `--name=${name}`);
      assert.match(report.stdout, new RegExp(`${comment}${name.slice(1)}\\b`), `${name} is whole`);
    }
    const after = await runCli(dataDir, 'system', 'add', '--name=after', '--profile=p');
    assert.equal(after.code, 0, after.stderr);
    reportCount(
      'reliability/storage-faults',
      'writes until the disk was full, then verified',
      written.length,
    );
  });
});
