// `npm run test:long`: the long forms of the robustness tests (fuzzing with 100,000+ cases per packet parser,
// durability under SIGKILL, faults, load) and a summary table of what they tried. The tests are the same files
// `npm test` runs in their short forms; BOOTWRIGHT_LONG=1 makes them long. Extra arguments narrow the run to files
// whose path contains them, as with scripts/run-tests.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testFiles } from './test-files.mjs';

// The usual report (spec on a terminal, TAP otherwise), then each failure again at the end, where CI logs keep it.
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./failures-reporter.mjs', import.meta.url).pathname}`,
  '--test-reporter-destination=stdout',
];

// A file has a long form when it asks for one through test/support/long-mode.ts.
const filters = process.argv.slice(2);
const files = testFiles(filters).filter((file) => /long-mode\.js'/.test(readFileSync(file, 'utf8')));
if (files.length === 0) {
  console.error(`No long-form test files match ${JSON.stringify(filters)}.`);
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'bootwright-test-long-'));
const counts = join(work, 'counts.jsonl');
const started = Date.now();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', ...reporters, '--test-concurrency=1', ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, BOOTWRIGHT_LONG: '1', BOOTWRIGHT_COUNTS: counts },
  },
);
let rows = [];
try {
  rows = readFileSync(counts, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
} catch {
  // no test reported anything
}
rmSync(work, { recursive: true, force: true });
const width = (key, title) => Math.max(title.length, ...rows.map((row) => String(row[key]).length));
const columns = [
  ['test', 'test'],
  ['measure', 'what'],
  ['count', 'count'],
].map(([key, title]) => ({ key, title, width: width(key, title) }));
const line = (cells) => cells.map((cell, i) => String(cell).padEnd(columns[i].width)).join('  ');
console.log(`\nlong-form tests: ${files.length} files, ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(line(columns.map((column) => column.title)));
for (const row of rows)
  console.log(line(columns.map((column) => row[column.key].toLocaleString?.('en-US') ?? row[column.key])));
process.exit(result.status ?? 1);
