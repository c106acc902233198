// A sync's progress in words, for a terminal's bar (the CLI) and for plain lines (a log file, a task's log read
// over REST or XML-RPC): files, bytes, rate and time left.

import type { SyncProgress } from './contract.js';
import { formatBytes, formatBytesOf } from './reposync.js';

function clock(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** How far along, from 0 to 1: by bytes once their total is known, by files before. */
export function progressFraction(progress: SyncProgress): number {
  if (progress.bytesTotal) return Math.min(1, progress.bytesDone / progress.bytesTotal);
  return progress.filesTotal > 0 ? progress.filesDone / progress.filesTotal : 0;
}

/** The figures a person reads, bar or line: files, bytes, rate and (when the total is known) time left. */
export function progressFigures(progress: SyncProgress, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? progress.bytesDone / elapsedSeconds : 0;
  const bytes =
    progress.bytesTotal === undefined
      ? formatBytes(progress.bytesDone)
      : formatBytesOf(progress.bytesDone, progress.bytesTotal);
  const left =
    progress.bytesTotal !== undefined && rate > 0
      ? `, ${clock((progress.bytesTotal - progress.bytesDone) / rate)} left`
      : '';
  return `${progress.filesDone}/${progress.filesTotal} files, ${bytes}, ${formatBytes(rate)}/s${left}`;
}

/** Seconds since each repo's first progress report. */
export function elapsedClock(now: () => number = Date.now): (repo: string) => number {
  const started = new Map<string, number>();
  return (repo) => {
    const at = now();
    if (!started.has(repo)) started.set(repo, at);
    return (at - (started.get(repo) as number)) / 1000;
  };
}

/**
 * A line at each tenth of the way (`epel: 40% (4/10 files, ...)`), so that a log shows a sync moving without a line
 * per file.
 */
export function progressLines(
  emit: (line: string) => void,
  now: () => number = Date.now,
): (progress: SyncProgress) => void {
  const elapsed = elapsedClock(now);
  const lastTenth = new Map<string, number>();
  return (progress) => {
    const seconds = elapsed(progress.repo);
    const tenth =
      progress.filesDone >= progress.filesTotal
        ? 10
        : Math.min(9, Math.floor(progressFraction(progress) * 10));
    if (tenth <= (lastTenth.get(progress.repo) ?? -1)) return;
    lastTenth.set(progress.repo, tenth);
    emit(`${progress.repo}: ${tenth * 10}% (${progressFigures(progress, seconds)})`);
  };
}
