// The test files under src/ (beside the code) and test/ (the suites that cross services), narrowed by words in their
// paths; Node 20's test runner does not expand globs.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every *.test.ts under src/ and test/ whose path contains one of `filters` (all of them when none), sorted. */
export function testFiles(filters) {
  return [...findTests('src'), ...findTests('test')]
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
}
