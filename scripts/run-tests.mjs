// Node 20's test runner does not expand globs, so this collects every *.test.ts under src/ and passes the list
// explicitly. Extra arguments narrow the run: `node scripts/run-tests.mjs store` runs files whose path contains "store".
import { spawnSync } from 'node:child_process';
import { testFiles } from './test-files.mjs';

// The usual report (spec on a terminal, TAP otherwise), then each failure again at the end, where CI logs keep it.
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./failures-reporter.mjs', import.meta.url).pathname}`,
  '--test-reporter-destination=stdout',
];

const filters = process.argv.slice(2);
const files = testFiles(filters);
if (files.length === 0) {
  console.error(`No test files match ${JSON.stringify(filters)}.`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', ...reporters, '--test-concurrency=2', ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
