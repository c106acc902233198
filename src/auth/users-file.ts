import { readFileSync, statSync } from 'node:fs';
import { invalid, notFound, quote } from '../errors.js';
import { errnoCode, writePrivateFile } from './_private-file.js';
import { hashPassword } from './password.js';
import type { Role } from './tokens.js';

// The users file holds one `name:hash` line per user, or `name:hash:readonly` for a user who may only read;
// blank lines and lines starting with "#" are kept as they are.

export interface UserEntry {
  hash: string;
  role: Role;
}

const userNamePattern = /^[A-Za-z0-9_.@-]+$/;

function assertUserName(name: string): void {
  if (!userNamePattern.test(name)) {
    throw invalid(
      `User name ${quote(name)} is not allowed; use only letters, digits, "_", ".", "@" and "-".`,
    );
  }
}

interface Line {
  text: string;
  /** Set unless the line is blank or a comment. */
  user?: { name: string; entry: UserEntry };
}

function readLines(path: string): Line[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, index) => ({ text: line, user: parseLine(path, line, index + 1) }));
}

function parseLine(path: string, line: string, lineNumber: number): Line['user'] {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const [name = '', hash = '', role = 'admin', ...rest] = text.split(':');
  if (
    !userNamePattern.test(name) ||
    hash === '' ||
    rest.length > 0 ||
    (role !== 'admin' && role !== 'readonly')
  ) {
    // The line is not quoted: it may hold a password hash and this message may reach a remote client.
    throw invalid(
      `Users file ${quote(path)} line ${lineNumber} is not "name:hash" or "name:hash:readonly"; fix or remove that line.`,
    );
  }
  return { name, entry: { hash, role } };
}

function formatLine(name: string, { hash, role }: UserEntry): string {
  return role === 'readonly' ? `${name}:${hash}:readonly` : `${name}:${hash}`;
}

function usersOf(lines: Line[]): Map<string, UserEntry> {
  const users = new Map<string, UserEntry>();
  for (const { user } of lines) if (user) users.set(user.name, user.entry);
  return users;
}

function writeLines(path: string, lines: Line[]): void {
  writePrivateFile(path, lines.map((line) => `${line.text}\n`).join(''), { replace: true });
}

/** Every user with hash and role; a missing file has no users. If a name repeats, its last line counts. */
export function readUserEntries(path: string): Map<string, UserEntry> {
  return usersOf(readLines(path));
}

/**
 * `readUserEntries` for a check on every request: the file is parsed again only when its inode, size, or
 * modification or change time differ from the last read, so an unchanged file costs one stat. The CLI replaces
 * the file by rename (a new inode), so its edits are seen at the next call.
 */
export function cachedUserEntries(path: string): () => Map<string, UserEntry> {
  let seen: string | undefined;
  let entries = new Map<string, UserEntry>();
  return () => {
    const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
    const version = stat ? `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}` : 'missing';
    // Stat before read: a change between the two is read now and, its stat differing, read once more next time.
    if (version !== seen) {
      entries = readUserEntries(path);
      seen = version;
    }
    return entries;
  };
}

/** User name to password hash; a missing file has no users. */
export function readUsers(path: string): Map<string, string> {
  return new Map([...readUserEntries(path)].map(([name, entry]) => [name, entry.hash]));
}

/**
 * Adds a user or changes a user's password. Without a role a new user is an admin and an existing user keeps
 * their role, so that resetting a read-only user's password never makes them an admin.
 */
export async function setUserPassword(
  path: string,
  name: string,
  password: string,
  role?: Role,
): Promise<void> {
  assertUserName(name);
  const hash = await hashPassword(password);
  // Read only after the slow hash, so that a concurrent edit by another process is less likely to be lost.
  const lines = readLines(path);
  const existing = usersOf(lines).get(name);
  const entry = { hash, role: role ?? existing?.role ?? 'admin' };
  const replacement = { text: formatLine(name, entry), user: { name, entry } };
  // The first line of the user is replaced in place and any repeats dropped, so comments keep their place.
  let written = false;
  const updated = lines.flatMap((line) => {
    if (line.user?.name !== name) return [line];
    if (written) return [];
    written = true;
    return [replacement];
  });
  writeLines(path, written ? updated : [...updated, replacement]);
}

/** Removes a user; E_NOT_FOUND when the file has no such user. */
export function removeUser(path: string, name: string): void {
  assertUserName(name);
  const lines = readLines(path);
  const kept = lines.filter((line) => line.user?.name !== name);
  if (kept.length === lines.length) {
    throw notFound(
      `User ${quote(name)} is not in users file ${quote(path)}; check the spelling of the name.`,
    );
  }
  writeLines(path, kept);
}
