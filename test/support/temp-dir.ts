// Temporary directories for tests, removed when the test ends, whether it passed or not.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function tempDir(
  context: { after: TestContext['after'] } | TestContext,
  prefix = 'bootwright-test-',
): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  context.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
