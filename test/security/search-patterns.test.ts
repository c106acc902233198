// Searches are open reads: `GET /api/v1/distros?kernel=PATTERN` and XML-RPC find_* run a stranger's glob against
// every object (issue 16, item 2). Turned into a regular expression, `************#` took seconds on one kernel path
// and stalled every other request meanwhile. These tests show that a hostile pattern leaves the server answering,
// and that matching time grows linearly with the text for patterns up to the length limit.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { maxGlobLength } from '../../src/model/glob.js';
import { makeBootFiles } from '../support/boot-files.js';
import { projectRoot } from '../support/guest-run.js';
import { servedWithToken } from '../support/served.js';
import { tempDir } from '../support/temp-dir.js';

interface Timing {
  pattern: string;
  shortLength: number;
  longLength: number;
  shortMicros: number;
  longMicros: number;
}

describe('glob searches', () => {
  it('answer other requests at once while a hostile pattern is searched', async (t) => {
    const { base, token } = await servedWithToken(t);
    // A kernel path as deep as an installed tree's, made here: a missing kernel is refused at add.
    const { kernel } = makeBootFiles(join(tempDir(t), 'install/rhel-5.5-server-x86_64/images/pxeboot/xen'));
    const added = await fetch(`${base}/api/v1/distros`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rhel-5.5', kernel, initrd: kernel.replace('vmlinuz', 'initrd.img') }),
    });
    assert.equal(added.status, 201, await added.text());

    const hostile = fetch(`${base}/api/v1/distros?kernel=${'*'.repeat(14)}%23`);
    // Sent just after the search: it waits only if the search holds the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    const version = await fetch(`${base}/api/v1/version`);
    const waited = Date.now() - started;
    assert.equal(version.status, 200);
    const search = await hostile;
    assert.equal(search.status, 200);
    assert.deepEqual(((await search.json()) as { items: unknown[] }).items, []);
    assert.ok(waited < 2000, `GET /api/v1/version waited ${waited} ms behind the search`);

    const tooLong = await fetch(`${base}/api/v1/distros?kernel=${'*'.repeat(maxGlobLength + 1)}`);
    assert.equal(tooLong.status, 400);
    assert.match(
      ((await tooLong.json()) as { error: { message: string } }).error.message,
      /^Search pattern for "kernel" ".*" is 257 characters long, over the limit of 256; use a shorter pattern\.$/,
    );
  });

  it('take time linear in the text, for seeded adversarial patterns of the greatest allowed length', async () => {
    // In a child process with a deadline: a backtracking matcher would never finish these.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'test/security/glob-timing.fixture.ts'), '7', '20'],
      { timeout: 60_000, cwd: projectRoot },
    ).catch((error: Error & { killed?: boolean }) => {
      throw new Error(error.killed ? 'matching 20 patterns took more than 60 s: not linear' : error.message);
    });
    const timings = JSON.parse(stdout) as Timing[];
    assert.equal(timings.length, 20);
    for (const timing of timings) {
      assert.equal(timing.pattern.length, maxGlobLength);
      // Eight times the text may cost up to 3x more per character than the short text (noise, caches), not the
      // 8x of quadratic time, let alone exponential; and any one match stays far under a request's budget.
      const perCharShort = Math.max(timing.shortMicros, 50) / timing.shortLength;
      const perCharLong = timing.longMicros / timing.longLength;
      assert.ok(
        perCharLong < 3 * perCharShort,
        `${JSON.stringify(timing.pattern)}: ${timing.shortMicros} µs for ${timing.shortLength} characters, ${timing.longMicros} µs for ${timing.longLength}`,
      );
      assert.ok(timing.longMicros < 250_000, `${timing.longMicros} µs for one match`);
    }
  });
});
