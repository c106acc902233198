// `npm run bench`: every benchmark script in turn, each starting its own peers, then the table of all figures.
// `npm run bench -- --quick` is the smoke mode CI runs: one short run of each, written to a scratch directory, so
// that the scripts keep working without publishing figures too short to mean anything.
// Run: node --import tsx bench/run-all.ts [--quick] [--runs=N] [--only=dhcp,tftp]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchOptions, readResults, renderResults, resultsDir } from './results.js';

/** In the order they run: the cheap ones first, so a broken setup shows within seconds. */
const scripts = ['render-autoinstall', 'http', 'scale', 'tftp', 'reposync', 'dhcp', 'installs'];

const argv = process.argv.slice(2);
const options = benchOptions(argv);
const only = /--only=([\w,-]+)/.exec(argv.join(' '))?.[1]?.split(',');
const unknown = only?.filter((name) => !scripts.includes(name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(
    `--only names ${unknown.join(', ')}, which is no benchmark: pick from ${scripts.join(', ')}\n`,
  );
  process.exit(2);
}
const forwarded = argv.filter((arg) => arg === '--quick' || arg.startsWith('--runs='));
if (options.quick) rmSync(resultsDir(true), { recursive: true, force: true });

const failed: string[] = [];
const started = performance.now();
for (const name of scripts) {
  if (only && !only.includes(name)) continue;
  process.stdout.write(`\n== bench/${name}.ts ${forwarded.join(' ')}\n`);
  const began = performance.now();
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, `${name}.ts`), ...forwarded],
    {
      stdio: 'inherit',
      cwd: join(import.meta.dirname, '..'),
    },
  );
  const seconds = ((performance.now() - began) / 1000).toFixed(0);
  if (run.status !== 0) {
    failed.push(name);
    process.stdout.write(
      `== bench/${name}.ts FAILED (exit ${run.status ?? run.signal}) after ${seconds} s\n`,
    );
  } else process.stdout.write(`== bench/${name}.ts done in ${seconds} s\n`);
}

const dir = resultsDir(options.quick);
if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
process.stdout.write(`\n${renderResults(readResults(dir))}`);
process.stdout.write(
  `\n${options.quick ? 'quick run (not published), results in' : 'results in'} ${options.quick ? dir : 'bench/RESULTS.md and bench/results/'}; ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`,
);
if (failed.length > 0) {
  process.stderr.write(`benchmarks that failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
