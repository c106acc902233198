import { readFileSync, statSync } from 'node:fs';
import { errnoCode, writePrivateFile } from '../auth/_private-file.js';
import { invalid, notFound, quote } from '../errors.js';
import { assertUserName, type Role, type UserEntry, type UserStore, userNamePattern } from './user-store.js';

// The users file holds one `name:hash` line per user, or `name:hash:readonly` for a user who may only read;
// blank lines and lines starting with "#" are kept as they are.

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

/** The users in a file of the data directory, read again whenever the file changes (by the CLI or by hand). */
export class UsersFile implements UserStore {
  readonly #current: () => Map<string, UserEntry>;

  constructor(readonly path: string) {
    this.#current = cachedUserEntries(path);
  }

  async entries(): Promise<ReadonlyMap<string, UserEntry>> {
    return this.#current();
  }

  async get(name: string): Promise<UserEntry | undefined> {
    return this.#current().get(name);
  }

  async set(name: string, hash: string, role?: Role): Promise<Role> {
    assertUserName(name);
    const lines = readLines(this.path);
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
    writeLines(this.path, written ? updated : [...updated, replacement]);
    return entry.role;
  }

  async remove(name: string): Promise<void> {
    assertUserName(name);
    const lines = readLines(this.path);
    const kept = lines.filter((line) => line.user?.name !== name);
    if (kept.length === lines.length) {
      throw notFound(
        `User ${quote(name)} is not in users file ${quote(this.path)}; check the spelling of the name.`,
      );
    }
    writeLines(this.path, kept);
  }
}
