import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { invalid, quote } from '../errors.js';
import { errnoCode, writePrivateFile } from './_private-file.js';

// The shared secret lets a local CLI log in to a server on the same host without a password: whoever can read
// this owner-only file may call login("", secret), like Cobbler's /var/lib/cobbler/web.ss.

/**
 * Whether a CLI may log in at `url` with this host's secret: only when the URL names this host by a loopback
 * address, which the kernel never sends off the machine. Any other name or address may be another machine, or
 * one whose DNS an attacker answers, and the secret is as good as an admin password there and on the wire.
 * The WHATWG URL parser has already turned forms such as "127.1", "0x7f000001" and "[::ffff:127.0.0.1]" into
 * the canonical ones matched here.
 */
export function mayReceiveSharedSecret(url: URL): boolean {
  const host = url.hostname;
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

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
