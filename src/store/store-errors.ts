// The one place where a store's own failures become BootwrightErrors. Each backend passes what its driver threw
// through `storeFailure` at its edge, so that nothing above the store needs to know a driver's error codes.

import { BootwrightError } from '../errors.js';

/**
 * What SQLite says when the machine, not bootwright, is at fault (better-sqlite3 puts SQLite's code on the error):
 * each becomes one sentence saying what to do, instead of an internal error. The write that failed was rolled back.
 */
const sqliteFailures: Record<string, string> = {
  SQLITE_BUSY:
    'The store is locked by another process (another bootwright, or a sqlite3 shell holding a transaction) and stayed locked for 10 seconds; stop that process or retry when it is done.',
  SQLITE_LOCKED: 'The store is locked by another connection; retry when it is done.',
  SQLITE_FULL: 'The disk holding the store is full, so nothing was written; free some space and retry.',
  SQLITE_IOERR:
    'The disk holding the store failed a read or write, so nothing was written; check the disk and retry.',
  SQLITE_READONLY:
    'The store is read-only to this process, so nothing was written; check the permissions of the data directory.',
  SQLITE_CANTOPEN: 'The store cannot be opened; check that the data directory exists and is writable.',
  SQLITE_CORRUPT:
    'The store file is damaged; restore it from a backup (bootwright never writes it half-way, so this came from outside).',
  SQLITE_NOTADB: 'The store file is not a SQLite database; point --data-dir at a bootwright data directory.',
};

/** The error a store reports for `error`: a sentence for a known fault of the machine, else `error` itself. */
export function storeFailure(error: unknown): unknown {
  if (error instanceof BootwrightError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  // Extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT) share their primary code's meaning.
  const primary = Object.keys(sqliteFailures).find((known) => code === known || code.startsWith(`${known}_`));
  return primary ? new BootwrightError('E_UNAVAILABLE', sqliteFailures[primary] as string) : error;
}

/** The result of a store's synchronous driver call as a promise, its failure reported through `storeFailure`. */
export function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(storeFailure(error));
  }
}
