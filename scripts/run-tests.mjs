// Node 20's test runner does not expand globs, so this collects every *.test.ts under src/ and passes the list
// explicitly. Extra arguments narrow the run: `node scripts/run-tests.mjs store` runs files whose path contains "store".
import { spawnSync } from 'node:child_process';
import { testFiles } from './test-files.mjs';

const filters = process.argv.slice(2);
const files = testFiles(filters);
if (files.length === 0) {
  console.error(`No test files match ${JSON.stringify(filters)}.`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
