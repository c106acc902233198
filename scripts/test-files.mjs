// The test files under src/ (Node 20's test runner does not expand globs), narrowed by words in their paths.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every *.test.ts under src/ whose path contains one of `filters` (all of them when there is none), sorted. */
export function testFiles(filters) {
  return findTests('src')
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
}
