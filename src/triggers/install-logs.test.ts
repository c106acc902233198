import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/temp-dir.js';
import {
  formatInstallLogs,
  listInstallLogs,
  maxInstallLogBytes,
  readInstallLog,
  writeInstallLogChunk,
} from './install-logs.js';

const bytes = (text: string) => Buffer.from(text);

describe('install logs', () => {
  it('puts chunks together at their offsets, and starts a log over at offset 0', async (t) => {
    const dataDir = tempDir(t);
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 1\n'), 0);
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 2\n'), 7);
    // A chunk sent again (the answer to the first try was lost) changes nothing.
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 2\n'), 7);
    const saved = await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 3\n'));
    assert.equal(saved.size, 21);
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log'), 'line 1\nline 2\nline 3\n');
    assert.ok(existsSync(join(dataDir, 'install-logs', 'vm9', 'anaconda.log')));

    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('again\n'), 0);
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log'), 'again\n');
    await writeInstallLogChunk(dataDir, 'vm9', 'syslog', bytes('boot\n'), 0);
    assert.deepEqual(
      (await listInstallLogs(dataDir, 'vm9')).map((file) => [file.name, file.size]),
      [
        ['anaconda.log', 6],
        ['syslog', 5],
      ],
    );
    assert.deepEqual(await listInstallLogs(dataDir, 'vm10'), []);
    assert.equal(
      await formatInstallLogs(dataDir, 'vm9'),
      '==> anaconda.log (6 bytes) <==\nagain\n==> syslog (5 bytes) <==\nboot\n',
    );
  });

  it('refuses a chunk that would leave a gap or grow a log past its limit', async (t) => {
    const dataDir = tempDir(t);
    await writeInstallLogChunk(dataDir, 'vm9', 'x.log', bytes('12345'), 0);
    await assert.rejects(
      writeInstallLogChunk(dataDir, 'vm9', 'x.log', bytes('later'), 9),
      /Chunk at offset 9 of "x.log" would leave a gap: the server has 5 bytes; send from there\./,
    );
    await assert.rejects(
      writeInstallLogChunk(dataDir, 'vm9', 'x.log', bytes('12'), maxInstallLogBytes - 1),
      /would leave a gap/,
    );
    const big = Buffer.alloc(maxInstallLogBytes - 5);
    await writeInstallLogChunk(dataDir, 'vm9', 'x.log', big, 5);
    await assert.rejects(
      writeInstallLogChunk(dataDir, 'vm9', 'x.log', bytes('no room')),
      /would grow past 33554432 bytes/,
    );
    assert.equal((await listInstallLogs(dataDir, 'vm9'))[0]?.size, maxInstallLogBytes);
  });

  it('keeps every name inside the system directory', async (t) => {
    const dataDir = tempDir(t);
    for (const file of ['../escape', 'a/b', '..', '.hidden', '', 'x'.repeat(200), 'a\\b', 'nul\u0000']) {
      await assert.rejects(
        writeInstallLogChunk(dataDir, 'vm9', file, bytes('x'), 0),
        (error: Error) => error.name === 'BootwrightError' && /Install log name/.test(error.message),
        file,
      );
    }
    for (const system of ['..', '.', 'a/b', '../vm9']) {
      await assert.rejects(writeInstallLogChunk(dataDir, system, 'x.log', bytes('x'), 0), /System name/);
    }
    assert.equal(existsSync(join(dataDir, 'escape')), false);
    // A link planted where a log goes is not followed.
    mkdirSync(join(dataDir, 'install-logs', 'vm9'), { recursive: true });
    writeFileSync(join(dataDir, 'outside'), 'keep');
    symlinkSync(join(dataDir, 'outside'), join(dataDir, 'install-logs', 'vm9', 'linked.log'));
    await assert.rejects(
      writeInstallLogChunk(dataDir, 'vm9', 'linked.log', bytes('x'), 0),
      /is not a plain file/,
    );
    await assert.rejects(readInstallLog(dataDir, 'vm9', 'missing.log'), /has no install log "missing.log"/);
  });
});
