// `bootwright import --path=rhel-5.5-i386.iso`: detect the distro in an image or tree and create (or update) its
// distro and profile. The tree is read here, on this host; the objects go to the local store or the server.

import type { MirrorProgress } from '../distros/import.js';
import { importDistro } from '../distros/import.js';
import type { InventoryBackend } from '../inventory/backend.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { flagGiven, type Invocation, optionValue, requireOption } from './invocation.js';

function tty(invocation: Invocation): boolean {
  return (invocation.io.stdout as { isTTY?: boolean }).isTTY === true && invocation.format !== 'json';
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

/** A bar redrawn in place on a terminal; elsewhere a plain line at every tenth of the way (and at the end). */
function progressPrinter(invocation: Invocation): (progress: MirrorProgress) => void {
  let lastTenth = -1;
  let lastDraw = 0;
  return (progress) => {
    const fraction = progress.totalBytes === 0 ? 1 : progress.copiedBytes / progress.totalBytes;
    const figures = `${mebibytes(progress.copiedBytes)}/${mebibytes(progress.totalBytes)} MiB, ${progress.files}/${progress.totalFiles} files`;
    if (tty(invocation)) {
      const now = Date.now();
      if (now - lastDraw < 100 && progress.files < progress.totalFiles) return;
      lastDraw = now;
      const width = 30;
      const filled = Math.round(fraction * width);
      invocation.io.stdout.write(
        `\rimport: copying [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${figures}`,
      );
      return;
    }
    // 100% only once the last file is closed, not when its last bytes arrive.
    const tenth = progress.files < progress.totalFiles ? Math.min(9, Math.floor(fraction * 10)) : 10;
    if (tenth <= lastTenth || invocation.format === 'json') return;
    lastTenth = tenth;
    invocation.io.stdout.write(`import: copied ${tenth * 10}% (${figures})\n`);
  };
}

export async function runImport(
  invocation: Invocation,
  backend: InventoryBackend,
  globals: GlobalOptions,
): Promise<void> {
  const path = requireOption(invocation, 'path');
  const write = (text: string) => invocation.io.stdout.write(text);
  if (invocation.format !== 'json') write(`import: reading ${path}\n`);
  const given = (key: string) => optionValue(invocation, key);
  const result = await importDistro(backend, {
    path,
    dataDir: globals.dataDir,
    ...(given('name') ? { name: given('name') } : {}),
    ...(given('arch') ? { arch: given('arch') } : {}),
    ...(given('breed') ? { breed: given('breed') } : {}),
    ...(given('os_version') ? { osVersion: given('os_version') } : {}),
    ...(given('available_as') ? { availableAs: given('available_as') } : {}),
    ...(given('autoinstall') ? { autoinstall: given('autoinstall') } : {}),
    ...(flagGiven(invocation, 'mirror') ? { mirror: true, onProgress: progressPrinter(invocation) } : {}),
  });
  if (flagGiven(invocation, 'mirror') && tty(invocation)) write('\n');
  const { detection } = result;
  if (invocation.format === 'json') {
    write(formatJson(result));
    return;
  }
  write(
    `import: ${detection.breed} ${detection.osVersion} ${detection.arch} (signature ${detection.signature.name}: ${detection.signature.reasons.join('; ')})\n`,
  );
  for (const change of result.changes) write(`import: ${change}\n`);
}
