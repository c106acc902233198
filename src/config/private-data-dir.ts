// The data directory holds the store (systems' power_pass, the root password hash, DHCP leases), the users file and
// the keys: only the user bootwright runs as may read it. Older versions and a permissive umask left the directory
// 0755 and the store 0644, so every start tightens what it finds and says so, and creates what is missing private.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile, errnoCode, tightenMode } from '../auth/_private-file.js';
import type { DataPaths } from './paths.js';

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

/** Creates or tightens the data directory (0700) and its secrets (0600); returns one line per change made. */
export function securePrivateDataDir(paths: DataPaths): string[] {
  const notices: string[] = [];
  const tighten = (path: string, mode: number, why: string) => {
    try {
      const old = tightenMode(path, mode);
      if (old !== undefined) notices.push(`tightened ${path} from ${octal(old)} to ${octal(mode)} (${why})`);
    } catch (error) {
      // Another user's data directory: say what its owner should do rather than stop the command.
      if (errnoCode(error) !== 'EPERM') throw error;
      notices.push(
        `cannot tighten ${path} to ${octal(mode)} (${why}): not its owner; its owner should chmod it`,
      );
    }
  };
  if (existsSync(paths.dataDir)) tighten(paths.dataDir, 0o700, 'it holds the store, users and keys');
  else ensurePrivateDir(paths.dataDir);
  // SQLite gives its -wal and -shm files the mode of the database file, so a private store keeps them private.
  ensurePrivateFile(paths.store);
  for (const path of [paths.store, `${paths.store}-wal`, `${paths.store}-shm`])
    tighten(path, 0o600, 'it holds passwords');
  tighten(paths.usersFile, 0o600, 'it holds password hashes');
  for (const path of [paths.sharedSecret, paths.autoinstallKey]) tighten(path, 0o600, 'it is a key');
  tighten(join(paths.dataDir, 'install-logs'), 0o700, 'they hold kernel command lines');
  return notices;
}
