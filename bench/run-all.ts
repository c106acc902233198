// `npm run bench`: every benchmark script in turn, each starting its own peers, then the table of all figures.
// `npm run bench -- --quick` is the smoke mode CI runs: one short run of each, written to a scratch directory, so
// that the scripts keep working without publishing figures too short to mean anything.
// It ends with each goal, met or missed, and each published result whose measured code has changed since (stale);
// --check exits non-zero when a goal is missed (for people: the figures are too noisy for CI to gate on).
// Run: node --import tsx bench/run-all.ts [--quick] [--runs=N] [--only=dhcp,tftp] [--check]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchOptions, goalRows, readResults, renderResults, resultsDir, staleness } from './results.js';

/** In the order they run: the cheap ones first, so a broken setup shows within seconds. */
const scripts = ['render-autoinstall', 'http', 'scale', 'tftp', 'reposync', 'dhcp', 'boot-storm', 'installs'];

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
const results = readResults(dir);
process.stdout.write(`\n${renderResults(results)}`);
const goals = goalRows(results);
process.stdout.write('\nGoals:\n');
for (const goal of goals) {
  const achieved = goal.ratio === undefined ? '-' : `${goal.ratio.toFixed(2)}x`;
  process.stdout.write(`  ${goal.met ? 'met   ' : 'MISSED'} ${achieved} of ${goal.goal}x  ${goal.figure}\n`);
}
if (!options.quick) {
  for (const result of results) {
    const stale = staleness(result);
    if (stale)
      process.stdout.write(
        `stale: bench/results/${result.name}.json (${stale}): run bench/${result.name}.ts again\n`,
      );
  }
}
process.stdout.write(
  `\n${options.quick ? 'quick run (not published), results in' : 'results in'} ${options.quick ? dir : 'bench/RESULTS.md and bench/results/'}; ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`,
);
if (failed.length > 0) {
  process.stderr.write(`benchmarks that failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
const missed = goals.filter((goal) => !goal.met);
if (argv.includes('--check') && missed.length > 0) {
  process.stderr.write(`${missed.length} of ${goals.length} goals missed (--check)\n`);
  process.exit(3);
}
