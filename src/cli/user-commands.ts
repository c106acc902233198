// `bootwright user add|remove|list`: edits the users of the data directory (its users file) directly, so it works
// while the server is down and needs to run on the server's host. The server reads the users at each login and at
// each use of a token, so a removal or a new role counts at once.

import { mkdirSync } from 'node:fs';
import { setUserPassword } from '../auth/password.js';
import { dataPaths } from '../config/paths.js';
import { invalid, quote } from '../errors.js';
import { storeBackend } from '../store/open-store.js';
import type { Role } from '../store/user-store.js';
import { usageError } from './args.js';
import { formatJson, reportLine } from './format.js';
import { commandLabel, type Invocation, optionValue, readStdin, requireOption } from './invocation.js';

function parseRole(text: string | undefined): Role | undefined {
  if (text === undefined || text === 'admin' || text === 'readonly') return text;
  throw invalid(`Role ${quote(text)} is not one of: admin, readonly.`);
}

/** A password piped in (`echo secret | bootwright user add --name=u`) is its first line. */
async function readPassword(invocation: Invocation): Promise<string> {
  if (invocation.io.stdin.isTTY) {
    throw usageError(
      `${quote(commandLabel(invocation))} needs --password=PASSWORD or the password on standard input.`,
    );
  }
  return (await readStdin(invocation.io)).split(/\r?\n/)[0] ?? '';
}

export async function runUserCommand(action: string, invocation: Invocation, dataDir: string): Promise<void> {
  const paths = dataPaths(dataDir);
  const users = storeBackend(paths.storeUrl, paths).users();
  const json = invocation.format === 'json';
  const write = (text: string) => invocation.io.stdout.write(text);
  if (action === 'list') {
    const listed = [...(await users.entries())].map(([name, entry]) => ({ name, role: entry.role }));
    write(json ? formatJson(listed) : listed.map((user) => `${reportLine(user.name, user.role)}\n`).join(''));
    return;
  }
  const name = requireOption(invocation, 'name');
  if (action === 'remove') {
    await users.remove(name);
    if (json) write(formatJson({ name }));
    return;
  }
  const role = parseRole(optionValue(invocation, 'role'));
  const password = optionValue(invocation, 'password') ?? (await readPassword(invocation));
  if (password === '') throw invalid(`The password of user ${quote(name)} is empty; give a password.`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stored = await setUserPassword(users, name, password, role);
  if (json) write(formatJson({ name, role: stored }));
}
