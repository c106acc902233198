// Writes benchmark figures to bench/results/NAME.json and regenerates bench/RESULTS.md from all of them, so that
// every published ratio comes from one run on one machine with its date. Each figure keeps every run's value: the
// table shows the median and the spread (lowest–highest), and the ratio of the medians against the issue's goal.
// A quick run (--quick, the CI smoke mode) writes to a scratch directory instead: its figures are too short to
// publish and must never overwrite the real ones.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * The load average when the script started says how quiet the machine was: other work on it shows in every figure.
 * (At the end it would mostly count the script's own clients.)
 */
const loadBefore = loadavg()[0] ?? 0;

export interface ResultRow {
  figure: string;
  /** What one value counts: "DORA/s", "MB/s", "requests/s", "ms". */
  unit: string;
  /** One value per run; the median is published. */
  bootwright: number[];
  /** The peer's values from the same runs; absent where no peer does the same thing (scale figures). */
  peer?: number[];
  peerName?: string;
  /** The ratio the issue asks for (bootwright / peer, or peer / bootwright when lowerIsBetter). */
  goal?: number;
  /** For latencies and times: the ratio is turned round so that above 1 still means bootwright is better. */
  lowerIsBetter?: boolean;
  /** Where a goal is missed: what the profile showed and the fix, made or named. */
  note?: string;
}

export interface BenchOptions {
  quick: boolean;
  /** How many times each figure is measured (its median is published). */
  runs: number;
  /** A numeric --name=value argument, or its fallback (the quick fallback in quick mode). */
  number(name: string, fallback: number, quickFallback?: number): number;
  /** A comma-separated numeric --name=a,b,c argument. */
  list(name: string, fallback: number[], quickFallback?: number[]): number[];
}

/** Reads --quick and --runs=N (default 5, or 1 when quick) and gives access to the script's own arguments. */
export function benchOptions(argv = process.argv.slice(2), defaultRuns = 5): BenchOptions {
  const joined = argv.join(' ');
  const quick = argv.includes('--quick');
  const value = (name: string) => new RegExp(`--${name}=([^\\s]+)`).exec(joined)?.[1];
  const number = (name: string, fallback: number, quickFallback = fallback) => {
    const given = value(name);
    if (given === undefined) return quick ? quickFallback : fallback;
    const parsed = Number(given);
    if (!Number.isFinite(parsed)) {
      process.stderr.write(`--${name}=${given} is not a number: give --${name}=N\n`);
      process.exit(2);
    }
    return parsed;
  };
  const list = (name: string, fallback: number[], quickFallback = fallback) => {
    const given = value(name);
    if (given === undefined) return quick ? quickFallback : fallback;
    const parsed = given.split(',').map(Number);
    if (parsed.some((item) => !Number.isFinite(item))) {
      process.stderr.write(`--${name}=${given} is not a list of numbers: give --${name}=1,2,3\n`);
      process.exit(2);
    }
    return parsed;
  };
  return { quick, runs: Math.max(1, number('runs', defaultRuns, 1)), number, list };
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** "lowest–highest" of the runs, or "" for a single run. */
export function spread(values: number[]): string {
  if (values.length < 2) return '';
  return `${format(Math.min(...values))}–${format(Math.max(...values))}`;
}

export function ratio(row: ResultRow): number | undefined {
  if (!row.peer || row.peer.length === 0) return undefined;
  const ours = median(row.bootwright);
  const theirs = median(row.peer);
  if (row.lowerIsBetter) return ours === 0 ? undefined : theirs / ours;
  return theirs === 0 ? undefined : ours / theirs;
}

function format(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function withSpread(values: number[]): string {
  const range = spread(values);
  return range ? `${format(median(values))} (${range})` : format(median(values));
}

/** One line per figure for the console: the same numbers the table gets. */
export function describeRow(row: ResultRow): string {
  const ours = `bootwright ${withSpread(row.bootwright)} ${row.unit}`;
  if (!row.peer) return `${row.figure}: ${ours}`;
  const r = ratio(row);
  const goal =
    row.goal === undefined
      ? ''
      : `, goal ${row.goal}x ${r !== undefined && r >= row.goal ? 'met' : 'MISSED'}`;
  return `${row.figure}: ${ours}, ${row.peerName} ${withSpread(row.peer)}, ratio ${r === undefined ? '-' : `${r.toFixed(2)}x`}${goal}`;
}

interface ResultFile {
  name: string;
  date: string;
  /** The commit measured, with "+changes" when the measured code had uncommitted changes; absent in old files. */
  commit?: string;
  machine: string;
  node: string;
  runs: number;
  rows: ResultRow[];
}

/** The code the benchmarks measure: what a change there makes a published figure stale. */
export const measuredPaths = ['src', 'library', 'bin', 'package.json', 'package-lock.json'];

const repoRoot = join(import.meta.dirname, '..');

function git(...args: string[]): { ok: boolean; out: string } {
  const run = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
  return { ok: run.status === 0, out: (run.stdout ?? '').trim() };
}

/** The commit being measured, or undefined outside a git checkout. */
export function measuredCommit(): string | undefined {
  const head = git('rev-parse', '--short=12', 'HEAD');
  if (!head.ok) return undefined;
  const changed = git('status', '--porcelain', '--', ...measuredPaths).out !== '';
  return changed ? `${head.out}+changes` : head.out;
}

/**
 * Why a result no longer describes the code, or undefined when it does: the measured code changed since its commit
 * (or the result names none, or had uncommitted changes).
 */
export function staleness(result: Pick<ResultFile, 'commit'>): string | undefined {
  if (!result.commit) return 'it records no commit';
  if (result.commit.endsWith('+changes')) return 'it measured uncommitted changes';
  const since = git('diff', '--name-only', result.commit, 'HEAD', '--', ...measuredPaths);
  if (!since.ok) return `its commit ${result.commit} is not in this checkout`;
  const files = since.out.split('\n').filter(Boolean);
  return files.length === 0 ? undefined : `${files.length} measured files changed since ${result.commit}`;
}

export function resultsDir(quick: boolean): string {
  return quick ? join(tmpdir(), 'bootwright-bench-quick') : join(import.meta.dirname, 'results');
}

export function recordResults(
  name: string,
  rows: ResultRow[],
  options: Pick<BenchOptions, 'quick' | 'runs'>,
  extra: Record<string, unknown> = {},
): void {
  const dir = resultsDir(options.quick);
  mkdirSync(dir, { recursive: true });
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB (${hostname()}), load ${loadBefore.toFixed(1)} before the script`;
  const commit = measuredCommit();
  const record: ResultFile = {
    name,
    date: new Date().toISOString(),
    ...(commit ? { commit } : {}),
    machine,
    node: process.version,
    runs: options.runs,
    rows,
    ...extra,
  };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  for (const row of rows) process.stdout.write(`${describeRow(row)}\n`);
  const markdown = renderResults(readResults(dir));
  writeFileSync(join(options.quick ? dir : import.meta.dirname, 'RESULTS.md'), markdown);
}

export function readResults(dir: string): ResultFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as ResultFile);
}

export function renderResults(all: ResultFile[]): string {
  const lines = [
    '# Benchmark results',
    '',
    'Each figure is measured beside its peer in the same run on the same machine. Values are the median of the runs',
    'with the lowest–highest in brackets; the ratio is bootwright / peer of the medians (peer / bootwright for',
    'latencies and times), so above 1 always means bootwright did better. Regenerated by `npm run bench`; the',
    'scripts are in bench/.',
    '',
    '| figure | bootwright | peer | peer value | ratio | goal | runs | machine | date | commit |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const notes: string[] = [];
  for (const result of all) {
    for (const row of result.rows) {
      const r = ratio(row);
      const goal =
        row.goal === undefined
          ? ''
          : `${row.goal}x ${r !== undefined && r >= row.goal ? 'met' : '**missed**'}`;
      lines.push(
        `| ${row.figure} | ${withSpread(row.bootwright)} ${row.unit} | ${row.peerName ?? '-'} | ${row.peer ? `${withSpread(row.peer)} ${row.unit}` : '-'} | ${r === undefined ? '-' : `${r.toFixed(2)}x`} | ${goal} | ${row.bootwright.length} | ${result.machine} | ${result.date.slice(0, 10)} | ${result.commit ?? '-'} |`,
      );
      if (row.note) notes.push(`- **${row.figure}**: ${row.note}`);
    }
  }
  if (notes.length > 0) lines.push('', '## Notes: goals missed, and why', '', ...notes);
  return `${lines.join('\n')}\n`;
}

/** Each row with a goal: its ratio and whether the goal is met, for the summary `npm run bench` ends with. */
export function goalRows(
  all: ResultFile[],
): { figure: string; ratio?: number; goal: number; met: boolean }[] {
  return all.flatMap((result) =>
    result.rows
      .filter((row) => row.goal !== undefined)
      .map((row) => {
        const achieved = ratio(row);
        const goal = row.goal as number;
        return { figure: row.figure, ratio: achieved, goal, met: achieved !== undefined && achieved >= goal };
      }),
  );
}
