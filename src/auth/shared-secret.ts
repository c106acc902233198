import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { invalid, quote } from '../errors.js';
import { errnoCode, writePrivateFile } from './_private-file.js';

// The shared secret lets a local CLI log in to a server on the same host without a password: whoever can read
// this owner-only file may call login("", secret), like Cobbler's /var/lib/cobbler/web.ss.

/** The secret in `path`, or undefined when the file is missing or blank. */
export function readSharedSecret(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  return secret === '' ? undefined : secret;
}

/** The secret in `path`, first creating the file (mode 0600, 32 random bytes as hex) when it is missing. */
export function ensureSharedSecret(path: string): string {
  const existing = readSharedSecret(path);
  if (existing !== undefined) return existing;
  const secret = randomBytes(32).toString('hex');
  if (writePrivateFile(path, `${secret}\n`, { replace: false })) return secret;
  // Another process created the file first; its secret is the one every reader sees.
  const winner = readSharedSecret(path);
  if (winner === undefined) {
    throw invalid(`Shared secret file ${quote(path)} is empty; delete it so that a new secret is made.`);
  }
  return winner;
}
