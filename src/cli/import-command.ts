// `bootwright import --path=rhel-5.5-i386.iso`: detect the distro in an image or tree and create (or update) its
// distro and profile. The tree is read here, on this host; the objects go to the local store or the server.

import { importDistro } from '../distros/import.js';
import type { InventoryBackend } from '../inventory/backend.js';
import type { GlobalOptions } from './backend.js';
import { formatJson } from './format.js';
import { type Invocation, optionValue, requireOption } from './invocation.js';

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
  });
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
