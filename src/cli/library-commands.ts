// `bootwright template|snippet list|show|edit|remove` and `validate-autoinstalls`. Templates and snippets live in
// the data directory of the host that runs the server (your own, checked first) and in the built-in library.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BootwrightError, notFound, quote } from '../errors.js';
import type { RenderBackend } from '../inventory/backend.js';
import { checkRelativeName, TemplateLibrary } from '../templates/library.js';
import { usageError } from './args.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { type Invocation, optionValue, readStdin, requireOption } from './invocation.js';

type LibraryKind = 'template' | 'snippet';

function folder(kind: LibraryKind): 'templates' | 'snippets' {
  return kind === 'template' ? 'templates' : 'snippets';
}

function show(library: TemplateLibrary, kind: LibraryKind, name: string): string {
  if (kind === 'template') return library.template(name).text;
  const snippet = library.snippet(name, {});
  if (!snippet)
    throw notFound(`Snippet ${quote(name)} not found (${library.describeSnippetSearch(name, {})}).`);
  return snippet.text;
}

/** Lets the person edit a copy in $EDITOR; the file is only replaced when the editor exits cleanly. */
function editInEditor(invocation: Invocation, current: string): string {
  const editor = invocation.io.env.VISUAL || invocation.io.env.EDITOR || 'vi';
  const scratch = join(tmpdir(), `bootwright-edit-${process.pid}-${Date.now()}`);
  writeFileSync(scratch, current);
  try {
    const result = spawnSync(editor, [scratch], { stdio: 'inherit', shell: false });
    if (result.status !== 0) {
      throw new BootwrightError(
        'E_USAGE',
        `Editor ${quote(editor)} exited with status ${result.status}; nothing was saved.`,
      );
    }
    return readFileSync(scratch, 'utf8');
  } finally {
    rmSync(scratch, { force: true });
  }
}

/** Writes beside the target and renames, so that a server reading the file never sees half of it. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

export async function runLibraryCommand(
  kind: LibraryKind,
  action: string,
  invocation: Invocation,
  globals: GlobalOptions,
): Promise<void> {
  if (globals.server) {
    throw usageError(
      `"bootwright ${kind} ${action}" works on the data directory of the server's host; run it there.`,
    );
  }
  const library = new TemplateLibrary(globals.dataDir);
  const write = (text: string) => invocation.io.stdout.write(text);
  const json = invocation.format === 'json';
  switch (action) {
    case 'list': {
      const entries = library.list(folder(kind));
      if (json) write(formatJson(entries));
      else {
        for (const entry of entries) {
          const origin = entry.builtin
            ? 'built-in'
            : entry.overridden
              ? 'yours, replaces the built-in'
              : 'yours';
          write(`${entry.name.padEnd(40)} ${origin}\n`);
        }
      }
      return;
    }
    case 'show':
      write(show(library, kind, requireOption(invocation, 'name')));
      return;
    case 'edit': {
      const name = checkRelativeName(
        requireOption(invocation, 'name'),
        kind === 'template' ? 'Template' : 'Snippet',
      );
      const file = optionValue(invocation, 'file');
      let text: string;
      if (file !== undefined) text = readFileSync(file, 'utf8');
      else if (!invocation.io.stdin.isTTY) text = await readStdin(invocation.io);
      else {
        let current = '';
        try {
          current = show(library, kind, name);
        } catch {
          current = '';
        }
        text = editInEditor(invocation, current);
      }
      writeAtomically(join(library.userDir, folder(kind), name), text);
      return;
    }
    case 'remove': {
      const name = checkRelativeName(
        requireOption(invocation, 'name'),
        kind === 'template' ? 'Template' : 'Snippet',
      );
      const path = join(library.userDir, folder(kind), name);
      try {
        rmSync(path);
      } catch {
        throw notFound(`You have no ${kind} ${quote(name)} of your own to remove.`);
      }
      return;
    }
    default:
      throw usageError(`Unknown action ${quote(action)} for "bootwright ${kind}".`);
  }
}

/** Prints one line per profile and system; fails (non-zero) when any of them does not render. */
export async function runValidateAutoinstalls(
  invocation: Invocation,
  renderer: RenderBackend,
): Promise<number> {
  const results = await renderer.validateAll();
  const failed = results.filter((result) => result.errors.length > 0);
  if (invocation.format === 'json') invocation.io.stdout.write(formatJson(results));
  else {
    for (const result of results) {
      const head = `${result.kind} ${result.name}`;
      if (result.errors.length === 0) invocation.io.stdout.write(`ok      ${head} (${result.template})\n`);
      for (const error of result.errors) invocation.io.stdout.write(`FAILED  ${head}: ${error}\n`);
    }
  }
  if (failed.length > 0) {
    throw new BootwrightError(
      'E_TEMPLATE',
      `${failed.length} of ${results.length} autoinstall files have errors: ${failed.map((result) => `${result.kind} ${quote(result.name)}`).join(', ')}.`,
    );
  }
  return 0;
}
