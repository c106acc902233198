import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.js';
import {
  formatInstallLogs,
  listInstallLogs,
  maxInstallLogBytes,
  maxInstallLogFiles,
  readInstallLog,
  writeInstallLogChunk,
} from './install-logs.js';

const bytes = (text: string) => Buffer.from(text);

describe('install logs', () => {
  it('puts chunks together at their offsets, and starts a new log at offset 0, keeping the old one', async (t) => {
    const dataDir = tempDir(t);
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 1\n'), 0);
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 2\n'), 7);
    // A chunk sent again (the answer to the first try was lost) changes nothing.
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 2\n'), 7);
    const saved = await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 3\n'));
    assert.equal(saved.size, 21);
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log'), 'line 1\nline 2\nline 3\n');
    assert.ok(existsSync(join(dataDir, 'install-logs', 'vm9', 'anaconda.log')));

    // The whole log sent again from the start, as anamon does on each pass, is the same log.
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('line 1\nline 2\n'), 0);
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log'), 'line 1\nline 2\nline 3\n');

    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('again\n'), 0);
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log'), 'again\n');
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log.~1~'), 'line 1\nline 2\nline 3\n');
    // A chunk that disagrees further on starts a new log too, from the bytes before it.
    await writeInstallLogChunk(dataDir, 'vm9', 'anaconda.log', bytes('n\n'), 3);
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log'), 'agan\n');
    assert.equal(await readInstallLog(dataDir, 'vm9', 'anaconda.log.~1~'), 'again\n');
    await writeInstallLogChunk(dataDir, 'vm9', 'syslog', bytes('boot\n'), 0);
    assert.deepEqual(
      (await listInstallLogs(dataDir, 'vm9')).map((file) => [file.name, file.size]),
      [
        ['anaconda.log', 5],
        ['anaconda.log.~1~', 6],
        ['anaconda.log.~2~', 21],
        ['syslog', 5],
      ],
    );
    assert.deepEqual(await listInstallLogs(dataDir, 'vm10'), []);
    assert.equal(
      await formatInstallLogs(dataDir, 'vm9', 1),
      '==> anaconda.log (5 bytes) <==\nagan\n==> anaconda.log.~1~ (6 bytes) <==\nagain\n' +
        '==> anaconda.log.~2~ (21 bytes, last 1 lines) <==\nline 3\n==> syslog (5 bytes) <==\nboot\n',
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

  it('keeps each log when new ones start at once, and within the file limit', async (t) => {
    const dataDir = tempDir(t);
    await writeInstallLogChunk(dataDir, 'vm9', 'x.log', bytes('first\n'), 0);
    await Promise.all(
      ['second\n', 'third\n', 'fourth\n'].map((text) =>
        writeInstallLogChunk(dataDir, 'vm9', 'x.log', bytes(text), 0),
      ),
    );
    const kept = await Promise.all(
      (await listInstallLogs(dataDir, 'vm9')).map((file) => readInstallLog(dataDir, 'vm9', file.name)),
    );
    assert.deepEqual(kept.sort(), ['first\n', 'fourth\n', 'second\n', 'third\n']);

    // A new log that would be one file too many is refused, and the old one stays as it was.
    for (let n = 1; n < maxInstallLogFiles; n++) {
      await writeInstallLogChunk(dataDir, 'vm10', `log-${n}`, bytes('x'), 0);
    }
    await writeInstallLogChunk(dataDir, 'vm10', 'x.log', bytes('old\n'), 0);
    await assert.rejects(
      writeInstallLogChunk(dataDir, 'vm10', 'x.log', bytes('new\n'), 0),
      /System "vm10" already has 64 install logs; "x.log" was not kept\./,
    );
    assert.equal(await readInstallLog(dataDir, 'vm10', 'x.log'), 'old\n');
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
