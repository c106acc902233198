// What a running `serve` listens on and what port it tells installers, kept in the data directory while it runs,
// so that `check` (another process) can say when the two differ and why installers may not reach it.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface ServeRecord {
  pid: number;
  /** The HTTP port serve listens on. */
  port: number;
  /** The port in the URLs it hands installers (the effective http_port). */
  httpPort: number;
}

export function writeServeRecord(path: string, record: ServeRecord): void {
  writeFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** Removed only by the serve that wrote it: a second serve on another port keeps its own record. */
export function removeServeRecord(path: string, pid: number): void {
  if (readServeRecord(path)?.pid === pid) rmSync(path, { force: true });
}

/** The record of a serve still running; none when there is none, or its process is gone (killed, rebooted). */
export function readServeRecord(path: string): ServeRecord | undefined {
  let record: ServeRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as ServeRecord;
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(record?.pid) || !Number.isSafeInteger(record.port)) return undefined;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return record;
}

/** One line, for serve and check alike, when the port serve listens on is not the one installers are told. */
export function portMismatchNotice(port: number, httpPort: number): string {
  return `serve listens on port ${port} but install URLs say port ${httpPort} (the http_port setting), which is right only if port ${httpPort} is forwarded to ${port}; otherwise run "bootwright setting edit --name=http_port --value=${port}", or "bootwright setting reset --name=http_port" to let serve --port decide.`;
}
